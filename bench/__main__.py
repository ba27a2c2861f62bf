"""`make bench`: runs the benchmarks and prints their figures (BENCH_SCALE=small|full)."""

import json
import os
from datetime import UTC, datetime

from bench import ingest, upload

if __name__ == "__main__":
    result = upload.main()
    ingest.RESULTS.mkdir(exist_ok=True)
    with open(ingest.RESULTS / "upload.jsonl", "a") as out:
        out.write(
            json.dumps({"scale": os.environ.get("BENCH_SCALE", "small"), "at": datetime.now(UTC).isoformat(), **result})
            + "\n"
        )
    ingest.main()
