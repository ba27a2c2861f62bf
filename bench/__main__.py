"""`make bench`: every case against the full stack, each beside its baseline; BENCH_SCALE=small|full,
BENCH_CASES=upload,tus_upload,reads,small_uploads,ingest,hostile,events to choose. One JSON object per case goes to
bench/results/<time>.jsonl (and latest.jsonl); a table is printed."""

import json
import os
import platform
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from . import events, hostile, ingest, reads, small_uploads, stack, tus_upload, upload

RESULTS = Path(__file__).parent / "results"
CASES = {
    "upload": upload.run,
    "tus_upload": tus_upload.run,
    "reads": reads.run,
    "small_uploads": small_uploads.run,
    "ingest": ingest.run,
    "hostile": hostile.run,
    "events": events.run,
}


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def _table(results: list[dict]) -> str:
    rows = [("case", "figure", "value", "baseline", "ratio", "target", "met")]
    for r in results:
        rows.append((r["case"], r["figure"], f"{r['value']:,}", f"{r['baseline']:,}", str(r["ratio"]), r["target"],
                     "yes" if r["met"] else "NO"))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def main() -> None:
    scale = os.environ.get("BENCH_SCALE", "small")
    chosen = [c.strip() for c in os.environ.get("BENCH_CASES", ",".join(CASES)).split(",") if c.strip()]
    started = time.perf_counter()
    stack.fresh_database()
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp:
        var_dir = Path(tmp)
        environment = stack.env(var_dir)
        stack.manage(environment, "migrate", "--noinput")
        stack.manage(environment, "seed_demo")
        stack.setup_django(var_dir)
        results: list[dict] = []
        for name in chosen:
            print(f"... {name}", flush=True)
            found = CASES[name](scale, var_dir)
            results.extend(found if isinstance(found, list) else [found])
    at = datetime.now(UTC)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{at.strftime('%Y%m%dT%H%M%SZ')}-{scale}.jsonl"
    with open(path, "w") as out:
        for result in results:
            out.write(json.dumps({"scale": scale, "at": at.isoformat(), "machine": _machine(), **result}) + "\n")
    shutil.copyfile(path, RESULTS / "latest.jsonl")
    print(f"\nBENCH_SCALE={scale} on {_machine()}, {time.perf_counter() - started:.0f} s\n")
    print(_table(results))
    for r in results:
        print(f"\n{r['case']}: {r['what']}\n  baseline: {r['baseline_what']}\n  {json.dumps(r['details'])}")
    print(f"\nResults: {path}")


if __name__ == "__main__":
    main()
