"""No dialect answers an HTML error page: a bug is a logged JSON 500 in the dialect's shape, an
unknown URL a JSON 404, whether the exception comes from a DRF view, a plain view or a middleware."""

import logging

import pytest
from django.test import Client

DELTA_CONTEXT = "https://bluebrain.github.io/nexus/contexts/error.json"
NEXUS_500 = {"detail": "Internal server error"}
DELTA_500 = {
    "@context": DELTA_CONTEXT,
    "@type": "UnexpectedError",
    "reason": "The system experienced an unexpected error, please try again later.",
}
CDG_500 = {"error": "Internal server error"}
DATAVERSE_500 = {"status": "ERROR", "message": "Internal server error. More details available at the server logs."}


@pytest.fixture
def raw_client():
    # Django's test client re-raises what reached Django's handler; a real client sees the answer.
    return Client(raise_request_exception=False)


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/api/v1/boom/", NEXUS_500, "application/json"),
        ("/v1/orgs/boom/x", DELTA_500, "application/ld+json"),
        ("/api/v1/dataset/boom/files.json", CDG_500, "application/json"),
        ("/api/datasets/boom", DATAVERSE_500, "application/json"),
        ("/blobs/boom", NEXUS_500, "application/json"),
        ("/api/v1/dataset/plain/files.json", CDG_500, "application/json"),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bug_in_a_view_is_a_logged_json_500_in_the_dialects_shape(
    raw_client, caplog, path, body, content_type, method
):
    with caplog.at_level(logging.ERROR):
        response = getattr(raw_client, method)(path)
    assert response.status_code == 500
    assert response["Content-Type"] == content_type
    assert response.json() == body
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is ZeroDivisionError]
    assert len(logged) == 1
    assert logged[0].getMessage() == f"Unexpected error in {method.upper()} {path}"
    assert "a bug on purpose" in caplog.text and "Traceback" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/uploads/", NEXUS_500),
        ("/v1/files/myorg/myproj", DELTA_500),
        ("/api/v1/dataset/ncl.630.0/files.json", CDG_500),
        ("/api/datasets/:persistentId/?persistentId=doi:10.5072/FK27U7YBV", DATAVERSE_500),
    ],
)
def test_a_bug_in_a_middleware_is_a_json_500_in_the_dialects_shape(raw_client, settings, caplog, path, body):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.error_urls.RaisingMiddleware"]
    with caplog.at_level(logging.ERROR):
        response = raw_client.get(path, HTTP_X_BOOM="1")
    assert (response.status_code, response.json()) == (500, body)
    assert "a bug on purpose" in caplog.text and "Traceback" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/nothing-here", {"detail": "Not found."}),
        ("/api/v1/nothing/", {"detail": "Not found."}),
        ("/api/v1/dataset/ncl.630.0/nothing", {"error": "Not found."}),
        ("/blobs/download/x", {"detail": "Not found."}),
    ],
)
def test_an_unknown_url_is_a_json_404(raw_client, path, body):
    response = raw_client.get(path)
    assert (response.status_code, response["Content-Type"], response.json()) == (404, "application/json", body)


@pytest.mark.django_db
def test_the_error_line_of_a_path_with_a_control_character_is_one_line(raw_client, caplog):
    """Delta's views take control characters in the path (they answer them in Delta's types): the
    decoded path of a bug's log line keeps them escaped, or `%0A` would forge the next line."""
    with caplog.at_level(logging.ERROR):
        response = raw_client.get("/v1/orgs/boom/any/x%0AERROR%20forged%0D")
    assert (response.status_code, response.json()) == (500, DELTA_500)
    logged = [r.getMessage() for r in caplog.records if r.name == "nexus.errors"]
    assert logged == ["Unexpected error in GET /v1/orgs/boom/any/x%0AERROR forged%0D"]
