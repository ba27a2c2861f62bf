"""The Dataverse dialect's server info: /api/info/version and /api/info/server, under /api/, /api/v1/ and
the doubled slash one client writes, asked by pyDataverse as a separate process too."""

from urllib.parse import urlsplit

import pytest
import requests

from tests.datasets.conftest import TOKEN, run_client

VERSION = {"status": "OK", "data": {"version": "6.2", "build": "nexus-upload-server 0.1.0"}}


@pytest.mark.parametrize(
    "path", ["/api/info/version", "/api/v1/info/version", "/api//info/version", "/api/info/version/"]
)
def test_info_version_answers_the_dataverse_version_and_this_servers_build(client, path):
    response = client.get(path)
    assert (response.status_code, response.json()) == (200, VERSION)
    # As Dataverse, the info calls ignore the key: an unknown one is no 401.
    response = client.get(path, HTTP_X_DATAVERSE_KEY="00000000-0000-0000-0000-000000000000")
    assert (response.status_code, response.json()) == (200, VERSION)


def test_info_server_names_the_host_the_request_was_sent_to(client):
    response = client.get("/api/info/server", HTTP_HOST="localhost:8443")
    assert (response.status_code, response.json()) == (200, {"status": "OK", "data": {"message": "localhost"}})


def test_an_unknown_info_path_is_a_404_in_dataverse_shape(client):
    response = client.get("/api/info/nothing")
    assert (response.status_code, response.json()) == (
        404,
        {"status": "ERROR", "message": "API endpoint does not exist on this server: GET /api/info/nothing"},
    )


@pytest.mark.django_db(transaction=True)
def test_pydataverse_reads_the_version_and_server_from_the_live_server(live_server):
    # No user holds the token here: pyDataverse sends it all the same, and the answers ignore it.
    result = run_client({"client": "pydataverse-info", "url": live_server.url, "token": TOKEN, "pid": "", "files": []})
    assert result == {
        "version": {"status_code": 200, "body": VERSION},
        "server": {
            "status_code": 200,
            "body": {"status": "OK", "data": {"message": urlsplit(live_server.url).hostname}},
        },
    }
    # The doubled slash survives the trip through a real HTTP server.
    response = requests.get(f"{live_server.url}/api//info/version", timeout=10)
    assert (response.status_code, response.json()) == (200, VERSION)
