"""`make bench`: runs the benchmarks and prints their figures (BENCH_SCALE=small|full)."""

from bench import ingest

if __name__ == "__main__":
    ingest.main()
