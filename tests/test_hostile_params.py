"""Hostile path segments and query parameters in every URL pattern of the four dialects: 400 or 404 in
the dialect's shape, never 500, and nothing stored (hostile bodies: test_hostile_bodies.py)."""

import signal
import uuid
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from synctasks.models import DataConnection, World
from tests.support.accounts import DEMO_TOKEN
from tests.support.hostile import AUTH, CSV, media_files, multipart_data, shape_ok, stored_counts

pytestmark = pytest.mark.django_db

# Already percent-encoded for a URL: control characters, DEL, C1, a lone surrogate as UTF-8 bytes
# (%ED%A0%80), bytes that are not UTF-8, an over-long value, integers beyond 64 bits, negative,
# and in Arabic-Indic digits.
HOSTILE = [
    "%00",
    "a%00b",
    "%01",
    "x%0Ay",
    "%1F",
    "%7F",
    "%C2%85",
    "%ED%A0%80",
    "%FF",
    "x" * 5000,
    "99999999999999999999",
    "-99999999999999999999",
    "-1",
    quote("١٢"),
]
# Values that are refused in any parameter; the numeric ones above only in integer parameters (in a
# text parameter such as `search`, "-1" is a fine value).
ANYWHERE = HOSTILE[:10]
# Integer parameters: beyond 64 bits and in Unicode digits. (DRF's `page_size` falls back to the
# default for any value it cannot use, and "-1" is a value each view answers in its own way.)
INTEGER_PARAMS = {"page", "dc_id", "size", "from", "rev"}
INTEGER_SEGMENTS = {"pk", "dc_id", "i"}
BAD_INTEGERS = ["99999999999999999999", "-99999999999999999999", quote("١٢")]

# Each dialect's URL patterns by name: the path (with {segments}), the segments' good values, the
# methods to send and the query parameters the views read.
ROUTES = {
    "nexus": {
        "upload-list": ("api/v1/uploads/", {}, ["GET", "POST"], ["token"]),
        "upload-detail": ("api/v1/uploads/{pk}/", {"pk": "1"}, ["GET"], ["token"]),
        "upload-tus": ("api/v1/uploads/tus/", {}, ["POST"], ["token"]),
        "upload-tus-detail": (
            "api/v1/uploads/tus/{upload_id}/",
            {"upload_id": "0b6f8a52-8c1e-4a53-9d55-8c3a2a1f4e10"},
            # HEAD is answered like these, without a body to check the shape of.
            ["PATCH", "DELETE"],
            ["token"],
        ),
        "synctask-upload": ("api/v1/sync_tasks_new/{pk}/upload/", {"pk": "1"}, ["POST"], ["token"]),
        "synctask-list": (
            "api/v1/sync_tasks_new/",
            {},
            ["GET"],
            [
                "dc_id",
                "feature_type",
                "locale",
                "private",
                "search",
                "task_type",
                "uploadable",
                "world",
                "page",
                "page_size",
            ],
        ),
        "synctask-detail": ("api/v1/sync_tasks_new/{pk}/", {"pk": "7"}, ["GET", "PATCH", "DELETE"], ["locale"]),
        "synctask-platform-upload": ("api/v1/sync_tasks/{pk}/upload/", {"pk": "1"}, ["POST"], ["token"]),
        "synctask-platform-list": (
            "api/v1/sync_tasks/",
            {},
            ["GET"],
            ["dc_id", "feature_type", "locale", "private", "search", "task_type", "uploadable", "world", "page"],
        ),
        "datasource-list": ("api/v1/data_sources/", {}, ["GET"], ["dc_id", "locale", "world"]),
        "dc-events": (
            "api/v1/dataconnections/{dc_id}/events/",
            {"dc_id": "6"},
            ["GET"],
            ["feature", "parameter", "start", "end"],
        ),
        "events": (
            "api/v1/events/",
            {},
            ["GET"],
            ["world", "timeseries_id", "view", "count", "startindex", "sortby", "range", "bucket_interval"],
        ),
        "dc-series": ("api/v1/dataconnections/{dc_id}/series/", {"dc_id": "6"}, ["GET"], ["page", "page_size"]),
        "synctask-sync": ("api/v1/sync_tasks_new/{pk}/sync/", {"pk": "7"}, ["POST"], []),
        "synctask-runs": ("api/v1/sync_tasks_new/{pk}/runs/", {"pk": "7"}, ["GET"], ["page"]),
    },
    "cdg": {
        "cdg-upload": ("api/v1/dataset/{s}/file.json", {"s": "ncl.630.0"}, ["POST"], ["api-token"]),
        "cdg-version-upload": (
            "api/v1/dataset/{s}/version/{v}/file.json",
            {"s": "ncl.630.0", "v": "1.0"},
            ["POST"],
            ["api-token"],
        ),
        "cdg-upload-short": ("api/v1/{s}/file.json", {"s": "ncl.630.0"}, ["POST"], ["dataset", "api-token"]),
        "cdg-files": ("api/v1/dataset/{s}/files.json", {"s": "ncl.630.0"}, ["GET"], ["api-token"]),
        "cdg-version-files": (
            "api/v1/dataset/{s}/version/{v}/files.json",
            {"s": "ncl.630.0", "v": "1.0"},
            ["GET"],
            ["api-token"],
        ),
        "cdg-publish": (
            "api/v1/dataset/{s}/version/{v}/publish.json",
            {"s": "ncl.630.0", "v": "1.0"},
            ["POST"],
            ["api-token"],
        ),
        "cdg-file": ("api/v1/dataset/{s}/file/{f}", {"s": "ncl.630.0", "f": "a.csv"}, ["GET", "DELETE"], []),
        "cdg-version-file": (
            "api/v1/dataset/{s}/version/{v}/file/{f}",
            {"s": "ncl.630.0", "v": "1.0", "f": "a.csv"},
            ["GET", "DELETE"],
            [],
        ),
    },
    "dataverse": {
        "dv-info-version": ("api//info/version", {}, ["GET"], []),
        "dv-info-server": ("api/v1/info/server", {}, ["GET"], []),
        "dv-mpupload": (
            "api/v1/datasets/mpupload",
            {},
            ["PUT", "DELETE"],
            ["uploadid", "globalid", "storageidentifier"],
        ),
        "dv-dataset": ("api/datasets/{i}/", {"i": ":persistentId"}, ["GET", "DELETE"], ["persistentId"]),
        "dv-locks": ("api/datasets/{i}/locks", {"i": "2"}, ["GET"], ["persistentId", "type"]),
        "dv-uploadurls": ("api/datasets/{i}/uploadurls", {"i": ":persistentId"}, ["GET"], ["persistentId", "size"]),
        "dv-add": ("api/datasets/{i}/add", {"i": ":persistentId"}, ["POST"], ["persistentId"]),
        "dv-addfiles": ("api/v1/datasets/{i}/addFiles", {"i": "2"}, ["POST"], ["persistentId"]),
        "dv-replacefiles": ("api/datasets/{i}/replaceFiles", {"i": "2"}, ["POST"], ["persistentId"]),
        "dv-replace": ("api/files/{i}/replace", {"i": "1"}, ["POST"], []),
        "dv-metadata": ("api/files/{i}/metadata", {"i": "1"}, ["POST"], []),
        "dv-unknown": ("api/files/{i}", {"i": "1"}, ["GET"], ["persistentId"]),
        "dv-edit-metadata": ("api/datasets/{i}/editMetadata", {"i": ":persistentId"}, ["PUT"], ["persistentId"]),
        "dv-publish": ("api/datasets/{i}/actions/:publish", {"i": ":persistentId"}, ["POST"], ["persistentId", "type"]),
        "dv-versions": ("api/datasets/{i}/versions", {"i": ":persistentId"}, ["GET"], ["persistentId"]),
        "dv-version": (
            "api/datasets/{i}/versions/{v}",
            {"i": ":persistentId", "v": ":draft"},
            ["GET", "DELETE"],
            ["persistentId"],
        ),
        "dv-version-files": (
            "api/v1/datasets/{i}/versions/{v}/files",
            {"i": ":persistentId", "v": ":latest"},
            ["GET"],
            ["persistentId"],
        ),
        "dv-collection": ("api/dataverses/{a}", {"a": "root"}, ["GET", "POST"], []),
        "dv-collection-contents": ("api/v1/dataverses/{a}/contents", {"a": "root"}, ["GET"], []),
        "dv-collection-datasets": ("api/dataverses/{a}/datasets", {"a": "root"}, ["POST"], []),
        "dv-access-datafile": ("api/access/datafile/{i}", {"i": "999999"}, ["GET"], ["persistentId"]),
    },
    "delta": {
        "delta-files": (
            "v1/files/{o}/{p}",
            {"o": "myorg", "p": "myproj"},
            ["GET", "POST"],
            ["storage", "from", "size", "after", "q", "type", "deprecated", "createdBy", "updatedBy", "id", "locate"],
        ),
        "delta-file": (
            "v1/files/{o}/{p}/{id}",
            {"o": "myorg", "p": "myproj", "id": "nxv:x"},
            ["GET", "PUT", "DELETE"],
            ["rev", "tag", "storage"],
        ),
        "delta-orgs": ("v1/orgs", {}, ["GET"], []),
        "delta-org": ("v1/orgs/{o}", {"o": "myorg"}, ["GET", "PUT", "DELETE"], ["rev"]),
        "delta-projects": ("v1/projects", {}, ["GET"], []),
        "delta-org-projects": ("v1/projects/{o}", {"o": "myorg"}, ["GET"], []),
        "delta-project": ("v1/projects/{o}/{p}", {"o": "myorg", "p": "myproj"}, ["GET", "PUT", "DELETE"], ["rev"]),
        "delta-storages": ("v1/storages/{o}/{p}", {"o": "myorg", "p": "myproj"}, ["GET"], []),
        "delta-storage": (
            "v1/storages/{o}/{p}/{id}",
            {"o": "myorg", "p": "myproj", "id": "defaultStorage"},
            ["GET"],
            [],
        ),
        "delta-acls-root": ("v1/acls", {}, ["GET"], ["ancestors", "self"]),
        "delta-acls": ("v1/acls/{o}", {"o": "myorg"}, ["GET"], ["ancestors", "self"]),
        "delta-not-found": ("v1/{o}", {"o": "elsewhere"}, ["GET"], []),
    },
}


def _names_of(module: str) -> set[str]:
    """The names of the URL patterns whose views live in `module`."""
    found = set()

    def walk(resolver):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry)
            elif isinstance(entry, URLPattern) and getattr(entry.callback, "__module__", "") == module:
                found.add(entry.name)

    walk(get_resolver())
    return found


DIALECT_MODULES = {
    "nexus": ["uploads.apis", "uploads.tus.apis", "synctasks.apis", "harvest.apis"],
    "cdg": ["datasets.cdg.apis"],
    "dataverse": ["datasets.dataverse.apis"],
    "delta": ["files.api.views"],
}


def _send(client, dialect, method, url, demo):
    extra = AUTH[dialect]
    if method in ("POST", "PUT") and not url.startswith("/api/v1/datasets/mpupload"):
        files = {
            "datasource": str(demo["data_sources"]["Dataset export"]),
            "upload_file": SimpleUploadedFile("a.csv", CSV, content_type="text/csv"),
            "file": SimpleUploadedFile("a.csv", CSV, content_type="text/csv"),
        }
        return client.generic(method, url, **multipart_data(client, files), **extra)
    return client.generic(method, url, **extra)


def _cases(dialect, demo):
    ids = {
        "upload-detail": {"pk": "1"},
        "synctask-upload": {"pk": str(demo["sync_tasks"]["knmi_task"])},
        "synctask-detail": {"pk": str(demo["sync_tasks"]["scenario_task"])},
        "synctask-sync": {"pk": str(demo["sync_tasks"]["knmi_task"])},
        "synctask-runs": {"pk": str(demo["sync_tasks"]["knmi_task"])},
        "dc-events": {"dc_id": str(DataConnection.objects.filter(sync_task_id=demo["sync_tasks"]["knmi_task"])[0].pk)},
        "dc-series": {"dc_id": str(DataConnection.objects.filter(sync_task_id=demo["sync_tasks"]["knmi_task"])[0].pk)},
        "dv-locks": {"i": str(demo["datasets"]["doi:10.5072/FK27U7YBV"])},
        "dv-addfiles": {"i": str(demo["datasets"]["doi:10.5072/FK27U7YBV"])},
        "dv-replacefiles": {"i": str(demo["datasets"]["doi:10.5072/FK27U7YBV"])},
    }
    for name, (template, good, methods, params) in ROUTES[dialect].items():
        good = {**good, **ids.get(name, {})}
        base_query = f"token={DEMO_TOKEN}" if dialect == "nexus" else ""
        for method in methods:
            for segment in good:
                for value in ANYWHERE + ([*BAD_INTEGERS, "-1"] if segment in INTEGER_SEGMENTS else []):
                    path = "/" + template.format(**{**good, segment: value})
                    yield name, method, path + (f"?{base_query}" if base_query else "")
            path = "/" + template.format(**good)
            for param in [*params, "unknown"]:
                # Integer parameters are those of reads (a write ignores `from` or `size`).
                numeric = param in INTEGER_PARAMS and method == "GET"
                for value in ANYWHERE + BAD_INTEGERS if numeric else ANYWHERE:
                    query = "&".join(q for q in (base_query, f"{param}={value}") if q)
                    yield name, method, f"{path}?{query}"
                # A hostile parameter name too.
                yield name, method, f"{path}?{param}%00=1"


@pytest.mark.parametrize("dialect", ["nexus", "cdg", "dataverse", "delta"])
def test_hostile_paths_and_params_are_400_or_404_in_the_dialect_shape(dialect, demo, client, settings):
    covered = set(ROUTES[dialect])
    assert covered == set().union(*(_names_of(m) for m in DIALECT_MODULES[dialect]))
    before, media_before = stored_counts(), media_files(settings)
    failures = []
    # Delta checks the caller's permissions on a project before looking it up (a well-formed label of
    # a project that does not exist is 403 AuthorizationFailed, as in Delta).
    allowed = {400, 403, 404} if dialect == "delta" else {400, 404}
    current = None
    for name, method, url in _cases(dialect, demo):
        if name != current:
            # Each route's cases count against the rate limits from zero: all of a dialect's together are
            # more than a minute's worth of requests.
            current, cache = name, settings.CACHES["default"]
            settings.CACHES = {**settings.CACHES, "default": {**cache, "KEY_PREFIX": f"hostile-{uuid.uuid4().hex}"}}
        response = _send(client, dialect, method, url, demo)
        if response.status_code not in allowed or not shape_ok(dialect, response):
            failures.append((name, method, url[:120], response.status_code, response.content[:160]))
    assert failures == [], "\n".join(map(repr, failures[:60]))
    assert stored_counts() == before
    assert media_files(settings) == media_before


def test_the_seeds_findings(demo, client):
    cases = [
        ("/api/v1/dataset/%00/files.json", "cdg"),
        ("/api/v1/dataset/ncl.630.0/version/%00/files.json", "cdg"),
        ("/api/v1/dataset/ncl.630.0/file/a%00b", "cdg"),
        ("/api/datasets/:persistentId/?persistentId=%00", "dataverse"),
        ("/api/datasets/mpupload?uploadid=%00x&globalid=doi:10.5072/FK27U7YBV&storageidentifier=s3://x", "dataverse"),
        ("/api/v1/sync_tasks_new/?search=x&locale=nl__regex", "nexus"),
        ("/api/v1/sync_tasks_new/?dc_id=99999999999999999999", "nexus"),
    ]
    for url, dialect in cases:
        method = "PUT" if "mpupload" in url else "GET"
        response = client.generic(method, url)
        assert response.status_code == 400, url
        assert shape_ok(dialect, response), (url, response.content)
    assert client.get("/api/v1/dataset/%00/files.json").json() == {"error": "The path holds control characters."}
    assert client.get("/api/v1/sync_tasks_new/?search=x&locale=nl__regex").json() == {
        "locale": ["Unknown locale 'nl__regex'; known: de-DE, en-GB, en-IE, en-US, fr-FR, nl-NL."]
    }
    assert client.get("/api/v1/sync_tasks_new/?dc_id=99999999999999999999").json() == {
        "dc_id": ["A comma-separated list of integers is required."]
    }


def test_locales_are_the_known_ones_in_their_spelling(demo, client, settings):
    from synctasks.selectors import locale_check

    settings.NEXUS_LOCALES = ["en-IE"]
    World.objects.create(alias="vlaanderen", name="Vlaanderen", locale="nl-BE")
    knmi = client.get("/api/v1/sync_tasks_new/?search=KNMI&locale=nl-nl")
    assert knmi.status_code == 200
    assert [task["id"] for task in knmi.json()["results"]] == [7]
    assert client.get("/api/v1/sync_tasks_new/?search=KNMI&locale=nl-be").status_code == 200
    # POSIX spelling and a bare language are the known locale they name (nl: the default).
    for spelling in ("nl_NL", "nl", "NL", "nl_be"):
        found = client.get(f"/api/v1/sync_tasks_new/?search=KNMI&locale={spelling}")
        assert [task["id"] for task in found.json()["results"]] == [7], spelling
    assert [locale_check(s) for s in ("nl_NL", "nl", "NL", "nl_be", "EN")] == [
        "nl-NL",
        "nl-NL",
        "nl-NL",
        "nl-BE",
        "en-IE",
    ]
    settings.NEXUS_DEFAULT_LOCALE = "en-IE"
    assert locale_check("nl") == "nl-BE"  # not the default's language: the first of it
    settings.NEXUS_DEFAULT_LOCALE = "nl-NL"
    for unknown in ("de-DE", "de", "nl-", "nl__", "nl-NL__regex", "n", "nl-NL-" + "x" * 40):
        response = client.get(f"/api/v1/sync_tasks_new/?search=x&locale={unknown}")
        assert response.status_code == 400, unknown
        assert list(response.json()) == ["locale"]
    detail = client.get("/api/v1/sync_tasks_new/7/?locale=xx-XX")
    assert detail.status_code == 400
    assert detail.json() == {"locale": ["Unknown locale 'xx-XX'; known: en-IE, nl-BE, nl-NL."]}


def test_under_gunicorn_the_raw_path_is_read_strictly(tmp_path):
    """gunicorn gives the raw URI (RAW_URI): bytes that are not UTF-8 are refused from it, where
    Django's own decoding would have turned them into a literal '%ED%A0%80'."""

    import requests

    from tests.support.stack import free_port, seeded_embedded_env, start_gunicorn

    env = seeded_embedded_env(tmp_path / "var", token=DEMO_TOKEN)
    port = free_port()
    env.update(PORT=str(port), WEB_CONCURRENCY="1")
    log = tmp_path / "gunicorn.log"
    server, base = start_gunicorn(env=env, log=log)
    try:
        cases = [
            ("/api/v1/dataset/%ED%A0%80/files.json", 400, {"error": "The path is not UTF-8 text."}),
            ("/api/v1/dataset/%00/files.json", 400, {"error": "The path holds control characters."}),
            ("/api/datasets/%FF/locks", 400, {"status": "ERROR", "message": "The path is not UTF-8 text."}),
            ("/api/v1/uploads/%ED%A0%80/", 400, {"detail": "The path is not UTF-8 text."}),
            ("/api/v1/uploads/abc/", 404, {"detail": "Not found."}),
            ("/api/v1/uploads/99999999999999999999/", 404, {"detail": "Not found."}),
            # Longer than gunicorn's default request line (4094 bytes): still the dialect's answer.
            (
                "/api/v1/uploads/?search=" + "x" * 6000,
                400,
                {"detail": "A query parameter is longer than 2048 characters."},
            ),
            (
                "/api/datasets/:persistentId/?persistentId=" + "d" * 6000,
                400,
                {"status": "ERROR", "message": "A query parameter is longer than 2048 characters."},
            ),
        ]
        for path, status, body in cases:
            response = requests.get(base + path, timeout=10)
            assert (response.status_code, response.json()) == (status, body), path
        # A literal '%' sent as %25 is text, not a broken byte: the dataset is merely unknown.
        fine = requests.get(f"{base}/api/v1/dataset/a%25ED%25A0/files.json", timeout=10)
        assert (fine.status_code, fine.json()) == (404, {"error": "Dataset 'a%ED%A0' does not exist."})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
