"""The golden scenario's Nexus part: uploads, the sync tasks' upload action, the sync tasks' list and
detail, harvest runs and events."""

import io
import zipfile

from tests.support.accounts import DEMO_TOKEN
from tests.support.answers import BOUNDARY, MIB, STRANGER_TOKEN, Scenario


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()


def nexus(s: Scenario, demo: dict):
    tk = f"token={DEMO_TOKEN}"
    dataset, measurements = demo["data_sources"]["Dataset export"], demo["data_sources"]["Measurements export"]
    tasks = demo["sync_tasks"]
    csv = b"id,name,wkt\n1,Well A,POINT (5.1 52.1)\n2,Well B,POINT (5.2 52.2)\n"
    series = b"feature,parameter,timestamp,value\nA,waterlevel,2021-01-01T00:00:00Z,1.5\n"
    geojson = b'{"type": "FeatureCollection", "features": []}'

    s("health", "GET", "/healthz")
    s("readiness", "GET", "/readyz")
    s("uploads: list, none yet", "GET", f"/api/v1/uploads/?{tk}")
    s("uploads: list without a token", "GET", "/api/v1/uploads/")
    s("uploads: list with a bad token", "GET", "/api/v1/uploads/?token=nope")
    s("uploads: list, Bearer bad token", "GET", "/api/v1/uploads/", headers={"Authorization": "Bearer nope"})
    created = s.json(
        "uploads: create (CSV, spatial)",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": str(dataset), "upload_file": ("dataset.csv", csv, "text/csv")},
    )
    if created["upload_file"].startswith("http://testserver/"):  # S3's links are S3's answers, not ours
        s(
            "uploads: the created upload's download link",
            "GET",
            created["upload_file"].removeprefix("http://testserver"),
        )
    s(
        "uploads: create (CSV, timeseries), api-token parameter",
        "POST",
        f"/api/v1/uploads/?api-token={DEMO_TOKEN}",
        files={"datasource": str(measurements), "upload_file": ("0800 new measurements.csv", series)},
    )
    s(
        "uploads: create, a zip of CSVs",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": str(dataset), "upload_file": ("batch.zip", _zip({"a.csv": csv, "b.csv": csv}))},
    )
    s("uploads: list, latest per source", "GET", f"/api/v1/uploads/?{tk}")
    s("uploads: detail with report", "GET", f"/api/v1/uploads/{created['id']}/?{tk}")
    s("uploads: detail, unknown", "GET", f"/api/v1/uploads/999999/?{tk}")
    s("uploads: detail, another's", "GET", f"/api/v1/uploads/{created['id']}/?token={STRANGER_TOKEN}")
    s(
        "uploads: wrong format (GeoJSON to a CSV source)",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": str(dataset), "upload_file": ("parcels.geojson", geojson, "application/geo+json")},
    )
    s(
        "uploads: a zip of another format",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": str(dataset), "upload_file": ("p.zip", _zip({"p.geojson": geojson}))},
    )
    s(
        "uploads: not a zip",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": str(dataset), "upload_file": ("data.zip", b"PK but not really")},
    )
    s("uploads: no datasource", "POST", f"/api/v1/uploads/?{tk}", files={"upload_file": ("d.csv", csv)})
    s("uploads: no file", "POST", f"/api/v1/uploads/?{tk}", files={"datasource": str(dataset)})
    s(
        "uploads: datasource not a number",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": "abc", "upload_file": ("d.csv", csv)},
    )
    s(
        "uploads: unknown datasource",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": "999999", "upload_file": ("d.csv", csv)},
    )
    s(
        "uploads: no right to upload (stranger)",
        "POST",
        f"/api/v1/uploads/?token={STRANGER_TOKEN}",
        files={"datasource": str(dataset), "upload_file": ("d.csv", csv)},
    )
    s(
        "uploads: without a token",
        "POST",
        "/api/v1/uploads/",
        files={"datasource": str(dataset), "upload_file": ("d.csv", csv)},
    )
    s(
        "uploads: oversize Content-Length",
        "POST",
        f"/api/v1/uploads/?{tk}",
        body=b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(600 * MIB),
    )
    s("uploads: PUT not allowed", "PUT", f"/api/v1/uploads/?{tk}")
    s("uploads: DELETE a detail not allowed", "DELETE", f"/api/v1/uploads/{created['id']}/?{tk}")
    s(
        "sync task upload action",
        "POST",
        f"/api/v1/sync_tasks_new/{measurements_task(demo)}/upload/?{tk}",
        files={"upload_file": ("m.csv", series)},
    )
    s(
        "sync task upload: a calculation task",
        "POST",
        f"/api/v1/sync_tasks_new/{tasks['calculation_task']}/upload/?{tk}",
        files={"upload_file": ("m.csv", series)},
    )
    s(
        "sync task upload: not uploadable (KNMI)",
        "POST",
        f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/upload/?{tk}",
        files={"upload_file": ("k.txt", b"x")},
    )
    s(
        "sync task upload: unknown task",
        "POST",
        f"/api/v1/sync_tasks_new/999999/upload/?{tk}",
        files={"upload_file": ("m.csv", series)},
    )
    s(
        "sync task upload: wrong format",
        "POST",
        f"/api/v1/sync_tasks_new/{measurements_task(demo)}/upload/?{tk}",
        files={"upload_file": ("m.tif", b"II*\x00")},
    )

    # Sync tasks: the list with each filter, the detail, scenarios.
    s("sync tasks: public list", "GET", "/api/v1/sync_tasks_new/")
    s("sync tasks: the seed's filter", "GET", f"/api/v1/sync_tasks_new/?world=sandbox&feature_type=timeseries&{tk}")
    s("sync tasks: full list with a token", "GET", f"/api/v1/sync_tasks_new/?{tk}")
    s("sync tasks: locale en-IE, page 2 of 2", "GET", f"/api/v1/sync_tasks_new/?locale=en_ie&page=2&page_size=2&{tk}")
    s("sync tasks: page out of range", "GET", f"/api/v1/sync_tasks_new/?page=99&{tk}")
    s("sync tasks: page_size 0", "GET", f"/api/v1/sync_tasks_new/?page_size=0&{tk}")
    s("sync tasks: page not a number", "GET", f"/api/v1/sync_tasks_new/?page=abc&{tk}")
    s("sync tasks: unknown world", "GET", f"/api/v1/sync_tasks_new/?world=nowhere&{tk}")
    s("sync tasks: unknown locale", "GET", f"/api/v1/sync_tasks_new/?locale=xx-XX&{tk}")
    s("sync tasks: search without locale", "GET", f"/api/v1/sync_tasks_new/?search=KNMI&{tk}")
    s("sync tasks: search with locale", "GET", f"/api/v1/sync_tasks_new/?search=weerstations&locale=nl&{tk}")
    s("sync tasks: private without a token", "GET", "/api/v1/sync_tasks_new/?private=true")
    s(
        "sync tasks: task_type and uploadable=false",
        "GET",
        f"/api/v1/sync_tasks_new/?task_type=scenario&uploadable=false&{tk}",
    )
    s("sync tasks: dc_id", "GET", f"/api/v1/sync_tasks_new/?dc_id=18&{tk}")
    s("sync tasks: bad token", "GET", "/api/v1/sync_tasks_new/?token=nope")
    s("sync tasks: detail KNMI (public)", "GET", f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/")
    s("sync tasks: detail KNMI, en-US", "GET", f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/?locale=en-US&{tk}")
    s("sync tasks: detail, unknown", "GET", f"/api/v1/sync_tasks_new/999999/?{tk}")
    scenario = f"/api/v1/sync_tasks_new/{tasks['scenario_task']}/"
    s(
        "sync tasks: rename the scenario",
        "PATCH",
        f"{scenario}?{tk}",
        body=b'{"name": "Heavy rain (v2)"}',
        content_type="application/json",
    )
    s("sync tasks: rename, no name", "PATCH", f"{scenario}?{tk}", body=b"{}", content_type="application/json")
    s("sync tasks: rename, bad JSON", "PATCH", f"{scenario}?{tk}", body=b"{nope", content_type="application/json")
    s("sync tasks: rename without a token", "PATCH", scenario, body=b'{"name": "x"}', content_type="application/json")
    s(
        "sync tasks: rename a data source task",
        "PATCH",
        f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/?{tk}",
        body=b'{"name": "x"}',
        content_type="application/json",
    )
    s("sync tasks: POST not allowed", "POST", f"/api/v1/sync_tasks_new/?{tk}")
    s("harvest: queue a sync", "POST", f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/sync/?{tk}")
    s("harvest: runs", "GET", f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/runs/?{tk}")
    s(
        "harvest: sync a source without an endpoint",
        "POST",
        f"/api/v1/sync_tasks_new/{measurements_task(demo)}/sync/?{tk}",
    )
    s("harvest: runs of that source", "GET", f"/api/v1/sync_tasks_new/{measurements_task(demo)}/runs/?{tk}")
    s("harvest: sync without a token", "POST", f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/sync/")
    s(
        "harvest: sync by a stranger",
        "POST",
        f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/sync/?token={STRANGER_TOKEN}",
    )
    s(
        "events: a public connection, no rows",
        "GET",
        "/api/v1/dataconnections/6/events/?feature=260&parameter=parameter:prec_mm_d",
    )
    s("events: missing parameters", "GET", "/api/v1/dataconnections/6/events/")
    s("events: unknown connection", "GET", "/api/v1/dataconnections/999999/events/?feature=a&parameter=b")
    s("sync tasks: delete the scenario", "DELETE", f"{scenario}?{tk}")
    s("sync tasks: the deleted scenario", "GET", f"{scenario}?{tk}")


def measurements_task(demo: dict) -> int:
    from synctasks.models import DataSource

    return DataSource.objects.get(pk=demo["data_sources"]["Measurements export"]).sync_task.pk
