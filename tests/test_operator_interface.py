"""The operator interface: /healthz and /readyz, the OpenAPI schema, Swagger UI and seed_demo."""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import ApiToken, Membership, Organization, User
from nexus_server.celery import app as celery_app
from synctasks.models import DataSource
from synctasks.selectors import data_sources_uploadable_by

pytestmark = pytest.mark.django_db


def test_healthz_is_liveness_only(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_probes_and_signed_downloads_take_only_the_methods_they_serve():
    client = Client(enforce_csrf_checks=True)  # as a real server: CSRF runs before the views
    for path in ("/healthz", "/readyz"):
        # QUERY too: a method Django's CSRF check does not know as safe must still meet the 405.
        for method in ("POST", "PUT", "DELETE", "TRACE", "QUERY"):
            response = client.generic(method, path)
            assert (response.status_code, response["Allow"]) == (405, "GET, HEAD"), (method, path)
            assert response.json() == {"detail": f'Method "{method}" not allowed.'}
        assert client.head(path).status_code == (200 if path == "/healthz" else 503)  # no worker here
    for method in ("TRACE", "QUERY", "POST"):
        refused = client.generic(method, "/blobs/download/nope/a.csv")
        assert (refused.status_code, refused["Allow"]) == (405, "GET, HEAD"), method


def test_readyz_is_503_naming_the_broker_when_it_is_down(client, monkeypatch):
    # Celery reads CELERY_BROKER_URL from the environment before its own settings.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"], body["storage"]) == ("error", "ok", "ok")
    assert body["broker"].startswith("error: OperationalError: ")
    # Without a broker no worker can be asked: the broker is named, the workers are not checked.
    assert (body["workers"], body["unavailable"]) == ("not checked (broker unavailable)", ["broker", "beat"])
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_503_naming_the_storage_when_it_is_down(client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "nexus",
                "endpoint_url": "http://127.0.0.1:9",
                "access_key": "x",
                "secret_key": "x",
                "region_name": "us-east-1",
            },
        },
    }
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"], body["broker"]) == ("error", "ok", "ok")
    assert body["storage"].startswith("error: EndpointConnectionError: ")
    assert body["unavailable"] == ["storage", "workers", "beat"]  # no worker nor beat runs here


def test_schema_and_swagger_ui_render(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Nexus Upload Server"
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "SwaggerUIBundle" in html
    # The UI's assets come from the server itself, not from a CDN.
    asset = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert asset in html
    assert "cdn.jsdelivr.net" not in html
    served = client.get(asset)
    assert served.status_code == 200
    assert b"SwaggerUIBundle" in b"".join(served.streaming_content)


def _seed_json(capsys) -> dict:
    call_command("seed_demo", "--json")
    return json.loads(capsys.readouterr().out)


def test_seed_demo_is_idempotent_and_uses_the_given_token(settings, capsys, client):
    settings.NEXUS_DEMO_TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"
    first = _seed_json(capsys)
    counts = (User.objects.count(), Organization.objects.count(), Membership.objects.count(), ApiToken.objects.count())
    second = _seed_json(capsys)
    assert first == second
    assert counts == (1, 3, 5, 1)  # organizations Y, Z and KNMI; Y: member, uploader, scenario analyst
    assert (User.objects.count(), Organization.objects.count(), Membership.objects.count()) == counts[:3]
    assert ApiToken.objects.count() == 1
    assert first["tokens"] == {"supplier": settings.NEXUS_DEMO_TOKEN}
    assert first["organizations"] == {
        "Organization Y": Organization.objects.get(name="Organization Y").pk,
        "Organization Z": Organization.objects.get(name="Organization Z").pk,
    }
    supplier = User.objects.get(username="supplier")
    assert (first["users"], supplier.name) == ({"supplier": supplier.pk}, "Data supplier X")
    stored = ApiToken.objects.get()
    assert stored.key_hash == hashlib.sha256(settings.NEXUS_DEMO_TOKEN.encode()).hexdigest()
    sources = {
        name: (
            ds.organization.name,
            ds.ext,
            ds.uploadable,
            [dc.feature_type.kind for dc in ds.sync_task.dataconnections.all()],
        )
        for name, ds in ((name, DataSource.objects.get(pk=pk)) for name, pk in first["data_sources"].items())
    }
    assert sources == {
        "Dataset export": ("Organization Y", "csv", True, ["spatial"]),
        "Measurements export": ("Organization Z", "csv", True, ["timeseries"]),
    }
    assert DataSource.objects.count() == 3  # and the KNMI source of the sync tasks seed
    # The two exports as their organizations' uploader, KNMI through its grant (the README's harvest).
    assert sorted(data_sources_uploadable_by(user=supplier).values_list("name", flat=True)) == [
        "Dataset export", "Klimatologie - Daggegevens meteostations", "Measurements export"
    ]  # fmt: skip


def test_seed_demo_without_a_given_token_shows_a_new_one_once(settings, capsys):
    settings.NEXUS_DEMO_TOKEN = None
    first = _seed_json(capsys)
    raw = first["tokens"]["supplier"]
    assert ApiToken.objects.get().key_hash == hashlib.sha256(raw.encode()).hexdigest()
    second = _seed_json(capsys)
    assert second["tokens"] == {"supplier": None}
    assert ApiToken.objects.count() == 1


def test_seed_demo_without_a_given_token_shows_the_one_make_run_keeps(settings, capsys, tmp_path):
    """`make run` keeps its token in var/demo_token: a later `seed_demo --json` (no NEXUS_DEMO_TOKEN)
    shows that token, every time, and stores no other."""
    settings.NEXUS_DEMO_TOKEN = None
    settings.VAR_DIR = tmp_path
    kept = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    (tmp_path / "demo_token").write_text(kept + "\n")
    first, second = _seed_json(capsys), _seed_json(capsys)
    assert (first["tokens"], second["tokens"]) == ({"supplier": kept}, {"supplier": kept})
    assert list(ApiToken.objects.values_list("key_hash", flat=True)) == [hashlib.sha256(kept.encode()).hexdigest()]


def _variables_read_by_the_server() -> set[str]:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    wiring = root / "nexus_server"
    files = [*sorted((wiring / "settings").glob("*.py")), wiring / "embedded.py", wiring / "gunicorn_conf.py"]
    source = "".join(path.read_text() for path in files)
    return set(re.findall(r'env(?:\.\w+)?\("([A-Z0-9_]+)"', source)) | set(
        re.findall(r"environ\.get\(['\"]([A-Z0-9_]+)['\"]", source)
    )


def test_env_example_and_compose_name_exactly_the_variables_the_server_reads():
    import re
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parent.parent
    read = _variables_read_by_the_server()
    example = set(re.findall(r"^# ([A-Z0-9_]+)=", (root / ".env.example").read_text(), flags=re.M))
    # Beside the server's settings: the release step's and the compose file's own (NEXUS_SEED_DEMO, NEXUS_IMAGE_TAG).
    stack = "".join((root / name).read_text() for name in ("bin/release", "docker-compose.yml"))
    assert example == read | set(re.findall(r"\$\{([A-Z0-9_]+)", stack))
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    for service in ("web", "worker", "beat"):
        assert set(compose["services"][service]["environment"]) <= read, service
