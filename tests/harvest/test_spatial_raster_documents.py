"""Spatial replace (GeoJSON, CSV), raster frames, documents and zips: exact results, all or nothing."""

import io
import json
import struct
import threading
import zipfile
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from harvest.appliers import FeatureReplacer
from harvest.models import Document, Feature, RasterFrame
from synctasks.models import DataConnection, FeatureKind
from tests.support.harvest import upload_and_ingest
from uploads.models import SyncStatus

pytestmark = pytest.mark.django_db


def features(dc) -> list[tuple]:
    return sorted((f.key, f.geometry, f.properties) for f in Feature.objects.filter(data_connection=dc))


def collection(*items) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "id": key, "geometry": {"type": "Point", "coordinates": xy}, "properties": props}
                for key, xy, props in items
            ],
        }
    ).encode()


def test_geojson_replaces_the_feature_set(sources):
    dc = sources.dc(sources.geojson, FeatureKind.SPATIAL)
    first = upload_and_ingest(
        sources,
        sources.geojson,
        "p.geojson",
        collection(
            ("p1", [4.9, 52.4], {"area": 10.5, "name": "North"}), ("p2", [5.0, 52.0], {"area": 3, "name": "South"})
        ),
    )
    assert first.sync_status == SyncStatus.SUCCESSFUL, first.report
    assert features(dc) == [
        ("p1", {"type": "Point", "coordinates": [4.9, 52.4]}, {"area": 10.5, "name": "North"}),
        ("p2", {"type": "Point", "coordinates": [5.0, 52.0]}, {"area": 3.0, "name": "South"}),
    ]
    second = upload_and_ingest(sources, sources.geojson, "p.geojson", collection(("p3", [6.0, 53.0], {})))
    assert second.report["features_replaced"] == 1
    assert features(dc) == [("p3", {"type": "Point", "coordinates": [6.0, 53.0]}, {})]
    assert DataConnection.objects.get(pk=dc.pk).n_features == 1
    failed = upload_and_ingest(sources, sources.geojson, "p.geojson", b'{"type": "FeatureCollection", "features": [')
    assert failed.sync_status == SyncStatus.FAILED
    assert failed.report["errors"][0].startswith("the file is not valid JSON")
    assert features(dc) == [("p3", {"type": "Point", "coordinates": [6.0, 53.0]}, {})]


def test_spatial_csv_with_wkt_or_lat_lon(sources):
    dc = sources.dc(sources.spatial_csv, FeatureKind.SPATIAL)
    wkt = upload_and_ingest(
        sources,
        sources.spatial_csv,
        "d.csv",
        b'id,name,wkt\n1,Pump A,POINT (4.9 52.4)\n2,Dike,"LINESTRING (0 0, 1 1)"\n',
    )
    assert wkt.sync_status == SyncStatus.SUCCESSFUL, wkt.report
    assert features(dc) == [
        ("1", {"type": "Point", "coordinates": [4.9, 52.4]}, {"id": "1", "name": "Pump A"}),
        ("2", {"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 1.0]]}, {"id": "2", "name": "Dike"}),
    ]
    latlon = upload_and_ingest(sources, sources.spatial_csv, "d.csv", b"id;lat;lon\n7;52.1;5.1\n")
    assert latlon.report["features_replaced"] == 1
    assert features(dc) == [("7", {"type": "Point", "coordinates": [5.1, 52.1]}, {"id": "7"})]
    bad = upload_and_ingest(sources, sources.spatial_csv, "d.csv", b"id,wkt\n8,POINT (1 1)\n9,POINTY\n")
    assert bad.sync_status == SyncStatus.FAILED
    assert bad.report["errors"] == ["line 3, column 'wkt': 'POINTY' is not WKT"]
    empty = upload_and_ingest(sources, sources.spatial_csv, "d.csv", b"id,wkt\n")
    assert empty.report["errors"] == ["no features: the file has a header but no rows"]
    assert features(dc) == [("7", {"type": "Point", "coordinates": [5.1, 52.1]}, {"id": "7"})]


@pytest.mark.django_db(transaction=True)
def test_replace_in_flight_is_invisible_to_other_connections(sources):
    dc = sources.dc(sources.spatial_csv, FeatureKind.SPATIAL)
    old = {f"old{i}" for i in range(50)}
    new = {f"new{i}" for i in range(50)}
    upload_and_ingest(sources, sources.spatial_csv, "d.csv", b"id,name\n" + "".join(f"{k},x\n" for k in old).encode())
    halfway, finish = threading.Event(), threading.Event()

    def replacing():
        def items():
            for index, key in enumerate(sorted(new)):
                if index == 25:
                    halfway.set()
                    finish.wait(10)
                yield {"key": key, "geometry": None, "properties": {}}

        with transaction.atomic():
            replacer = FeatureReplacer(dc)
            replacer.add(items())
            replacer.finish()
        connection.close()

    thread = threading.Thread(target=replacing)
    thread.start()
    seen = []
    try:
        assert halfway.wait(10)
        for _ in range(20):
            seen.append(set(Feature.objects.filter(data_connection=dc).values_list("key", flat=True)))
    finally:
        finish.set()
        thread.join(10)
    after = set(Feature.objects.filter(data_connection=dc).values_list("key", flat=True))
    assert all(keys == old for keys in seen)
    assert after == new


def geotiff(width=3, height=2, origin=(100.0, 500.0), scale=(10.0, 10.0)) -> bytes:
    """A minimal little-endian GeoTIFF header: size, pixel scale and tie point (no pixel data needed)."""
    entries = [(256, 3, 1, width), (257, 3, 1, height), (33550, 12, 3, None), (33922, 12, 6, None)]
    ifd_offset = 8
    data_offset = ifd_offset + 2 + len(entries) * 12 + 4
    scale_bytes = struct.pack("<3d", scale[0], scale[1], 0.0)
    tie_bytes = struct.pack("<6d", 0, 0, 0, origin[0], origin[1], 0)
    ifd = struct.pack("<H", len(entries))
    offsets = {33550: data_offset, 33922: data_offset + len(scale_bytes)}
    for tag, kind, count, value in entries:
        if value is not None:
            ifd += struct.pack("<HHIHH", tag, kind, count, value, 0)
        else:
            ifd += struct.pack("<HHII", tag, kind, count, offsets[tag])
    ifd += struct.pack("<I", 0)
    return b"II" + struct.pack("<HI", 42, ifd_offset) + ifd + scale_bytes + tie_bytes


def test_raster_frames_by_filename_timestamp(sources):
    dc = sources.dc(sources.rasters, FeatureKind.RASTER)
    first = upload_and_ingest(sources, sources.rasters, "evaporation#2020-1-1.tif", geotiff())
    assert first.sync_status == SyncStatus.SUCCESSFUL, first.report
    frame = RasterFrame.objects.get(data_connection=dc)
    assert (frame.timestamp, frame.width, frame.height, frame.bounds) == (
        datetime(2020, 1, 1, tzinfo=UTC),
        3,
        2,
        [100.0, 480.0, 130.0, 500.0],
    )
    assert frame.blob_id == first.blob_id
    upload_and_ingest(sources, sources.rasters, "evap_202001011200.tif", geotiff(width=5))
    newer = upload_and_ingest(sources, sources.rasters, "evaporation2020-01-01.tif", geotiff(width=4))
    frames = list(
        RasterFrame.objects.filter(data_connection=dc).order_by("timestamp").values_list("timestamp", "width")
    )
    assert frames == [(datetime(2020, 1, 1, tzinfo=UTC), 4), (datetime(2020, 1, 1, 12, tzinfo=UTC), 5)]
    assert RasterFrame.objects.get(data_connection=dc, width=4).blob_id == newer.blob_id
    undated = upload_and_ingest(sources, sources.rasters, "evaporation.tif", geotiff())
    assert undated.report["errors"] == [
        "'evaporation.tif' has no date in its name (e.g. evaporation2020-1-1.tif or ..._20200101.tif)"
    ]
    not_tiff = upload_and_ingest(sources, sources.rasters, "e_20200102.tif", b"GIF89a")
    assert not_tiff.report["errors"] == ["'e_20200102.tif' is not a TIFF file (no II/MM byte order mark)"]
    assert RasterFrame.objects.filter(data_connection=dc).count() == 2
    stats = DataConnection.objects.get(pk=dc.pk)
    assert (stats.n_features, stats.oldest_time, stats.newest_time) == (
        2,
        datetime(2020, 1, 1, tzinfo=UTC),
        datetime(2020, 1, 1, 12, tzinfo=UTC),
    )


def test_documents_are_appended_and_overwritten_by_name(sources):
    dc = sources.dc(sources.documents, FeatureKind.DOCUMENT)
    first = upload_and_ingest(sources, sources.documents, "site.jpg", b"\xff\xd8jpeg")
    second = upload_and_ingest(sources, sources.documents, "report.pdf", b"%PDF-1.4")
    third = upload_and_ingest(sources, sources.documents, "site.jpg", b"\xff\xd8newer")
    assert [u.sync_status for u in (first, second, third)] == [SyncStatus.SUCCESSFUL] * 3
    documents = {d.filename: (d.blob_id, d.media_type) for d in Document.objects.filter(data_connection=dc)}
    assert documents == {"site.jpg": (third.blob_id, "image/jpeg"), "report.pdf": (second.blob_id, "application/pdf")}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_zip_members_in_name_order_as_one_ingest(sources, local_storage):
    from harvest.models import Measurement

    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    header = b"feature,parameter,timestamp,value\n"
    ok = upload_and_ingest(
        sources,
        sources.timeseries,
        "batch.zip",
        _zip(
            {
                "b.csv": header + b"A,p,2021-01-01,2\n",
                "a.csv": header + b"A,p,2021-01-01,1\nA,p,2021-01-02,5\n",
            }
        ),
    )
    assert ok.sync_status == SyncStatus.SUCCESSFUL, ok.report
    assert ok.report["members"] == 2
    # a.csv first, then b.csv: b's value for the shared key wins.
    assert sorted(Measurement.objects.filter(series__data_connection=dc).values_list("timestamp__day", "value")) == [
        (1, 2.0),
        (2, 5.0),
    ]
    bad = upload_and_ingest(
        sources,
        sources.timeseries,
        "batch.zip",
        _zip(
            {
                "a.csv": header + b"A,p,2021-01-01,100\n",
                "b.csv": header + b"A,p,2021-01-03,x\n",
            }
        ),
    )
    assert bad.sync_status == SyncStatus.FAILED
    assert bad.report["errors"] == ["b.csv: line 2, column 'value': 'x' is not a number"]
    assert sorted(Measurement.objects.filter(series__data_connection=dc).values_list("timestamp__day", "value")) == [
        (1, 2.0),
        (2, 5.0),
    ]


def test_failed_zip_of_rasters_leaves_no_member_bytes(sources, local_storage):
    from blobs.models import Blob

    blobs_before = set(Blob.objects.values_list("key", flat=True))
    failed = upload_and_ingest(
        sources,
        sources.rasters,
        "frames.zip",
        _zip(
            {
                "e_20200101.tif": geotiff(),
                "e_20200102.tif": b"not a tiff",
            }
        ),
    )
    assert failed.sync_status == SyncStatus.FAILED
    assert failed.report["errors"] == ["e_20200102.tif: 'e_20200102.tif' is not a TIFF file (no II/MM byte order mark)"]
    assert RasterFrame.objects.count() == 0
    on_disk = {p.relative_to(local_storage).as_posix() for p in local_storage.rglob("*") if p.is_file()}
    # Only the upload itself remains; the members extracted for the failed ingest are gone.
    assert on_disk == {failed.blob.key}
    assert set(Blob.objects.values_list("key", flat=True)) - blobs_before == {failed.blob.key}


def test_geojson_with_a_byte_order_mark_and_csv_keys_in_any_case(sources):
    geojson = upload_and_ingest(sources, sources.geojson, "p.geojson", b"\xef\xbb\xbf" + collection(("k", [1, 2], {})))
    assert geojson.sync_status == SyncStatus.SUCCESSFUL, geojson.report
    csv = upload_and_ingest(sources, sources.spatial_csv, "d.csv", b"ID,name\n10,a\n20,b\n")
    assert csv.sync_status == SyncStatus.SUCCESSFUL, csv.report
    dc = sources.dc(sources.spatial_csv, FeatureKind.SPATIAL)
    assert sorted(Feature.objects.filter(data_connection=dc).values_list("key", flat=True)) == ["10", "20"]


def test_a_tiff_claiming_huge_tags_is_refused_with_a_reason(sources):
    header = bytearray(geotiff())
    # The tie point's value count (entry 4 of the directory, bytes 4..8 of the entry) becomes 2**31.
    entry = 8 + 2 + 3 * 12
    header[entry + 4 : entry + 8] = struct.pack("<I", 2**31)
    failed = upload_and_ingest(sources, sources.rasters, "e_20200101.tif", bytes(header))
    assert failed.report["errors"] == ["'e_20200101.tif' is corrupt TIFF: tag 33922 claims 2147483648 values"]
