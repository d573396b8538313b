"""`make bench`: every benchmark in turn (each starts its own service and database).

Each prints its figures; the results recorded in docs/benchmarks.md come from these commands.
Pass names to run a subset: `python -m bench.run_all activity turnaround`."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ("rss_ingest", "activity", "turnaround", "exhaustivity", "casemix", "soak")


def main(argv: list[str]) -> int:
    selected = argv or list(BENCHMARKS)
    unknown = sorted(set(selected) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose among {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    for name in selected:
        print(f"== bench.{name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
