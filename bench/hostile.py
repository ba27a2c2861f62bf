"""Case `hostile`: the 100,000-deep GeoJSON and a 0.5 MB zip of one 512 MiB CSV line through the
parsers (and blobs' zip reading), each in a fresh process: seconds until refused and peak RSS growth."""

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MIB = 1024 * 1024

# Run in a child process: argv[1] is the case, argv[2] the file. Prints {"seconds", "growth_bytes", "refusal"}.
CHILD = r"""
import json, resource, sys, time
import django
from nexus_server.embedded import prepare
prepare()
django.setup()
from blobs.archives import SafeZip
from harvest.parsers.common import ErrorLog, InputRefused, Timestamps, text_stream
from harvest.parsers.spatial import parse_geojson
from harvest.parsers.timeseries import parse_timeseries_csv
case, path = sys.argv[1], sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
started = time.perf_counter()
refusal = None
try:
    if case == "none":
        pass
    elif case == "geojson":
        with open(path, "rb") as binary:
            for _ in parse_geojson(binary, key_prop=None, log=ErrorLog()):
                pass
    else:
        with open(path, "rb") as stream, SafeZip(stream, name="bench.zip") as archive:
            for info in archive.members:
                with archive.open(info) as member:
                    for _ in parse_timeseries_csv(text_stream(member), timestamps=Timestamps(), log=ErrorLog()):
                        pass
except InputRefused as error:
    refusal = str(error)
seconds = time.perf_counter() - started
growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
print(json.dumps({"seconds": seconds, "growth_bytes": growth, "refusal": refusal}))
"""


def _measure(case: str, path: Path) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nexus_server.settings"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, case, str(path)],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def run(scale: str, var_dir: Path) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory(prefix="nexus-hostile-") as tmp:
        deep = Path(tmp) / "deep.geojson"
        depth = 100_000
        deep.write_bytes(
            b'{"type":"FeatureCollection","features":[{"type":"Feature","id":"1","properties":{},'
            b'"geometry":{"type":"Point","coordinates":' + b"[" * depth + b"]" * depth + b"}}]}"
        )
        long_zip = Path(tmp) / "long-line.zip"
        with (
            zipfile.ZipFile(long_zip, "w", zipfile.ZIP_DEFLATED) as archive,
            archive.open("data.csv", "w", force_zip64=True) as member,
        ):
            member.write(b"feature,parameter,timestamp,value\nA,p,2021-01-01T00:00:00Z,")
            for _ in range(512):
                member.write(b"1" * MIB)
        baseline = _measure("none", deep)
        for case, path, what in (
            ("geojson", deep, f"a {deep.stat().st_size:,}-byte GeoJSON nested 100,000 arrays deep"),
            ("zip", long_zip, f"a {long_zip.stat().st_size:,}-byte zip of one 512 MiB CSV line"),
        ):
            found = _measure(case, path)
            growth_mib = round(found["growth_bytes"] / MIB, 1)
            results.append(
                {
                    "case": f"hostile_{case}",
                    "what": what,
                    "figure": "peak RSS growth MiB",
                    "value": growth_mib,
                    "baseline": round(baseline["growth_bytes"] / MIB, 1),
                    "baseline_what": "the same process doing nothing after the same imports",
                    "ratio": None,
                    "target": "refused, < 200 MiB, < 30 s",
                    "met": bool(found["refusal"]) and growth_mib < 200 and found["seconds"] < 30,
                    "details": {"seconds": round(found["seconds"], 3), "refusal": found["refusal"]},
                }
            )
    return results
