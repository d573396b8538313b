"""Soak test: mixed traffic on loopback against a real service, then errors, latency and memory.

`python -m bench.soak [--seconds 300] [--clients 4]` starts `dimqa serve` on a fresh embedded
PostgreSQL (its first start loads the demo year; bench/realistic.py adds the nomenclatures, every
RUM batch goes through the ingestion workers), then runs for the given time: one client posting
RUM batches of 1,000 RUM, one posting stay and document events, the others reading dashboards
(activity, turnaround, findings summary, metrics). It prints per kind the request count, errors and
p50/p95/p99 latency, and the server's resident memory over time; the errors, the slowest p95 and
the memory are recorded in the table of docs/benchmarks.md (bench/report.py; --no-write: not)."""

from __future__ import annotations

import argparse
import itertools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import httpx

from app.ingestion.writer import write_rss
from bench import realistic
from bench.report import Figure, invocation
from bench.report import record as record_figures
from tests.fixtures.live import free_port, wait_until
from tests.ingestion.builders import make_rss

READS = [
    ("/api/v1/activity/care-types", {"from": "2022-01-01", "to": "2022-12-31"}),
    ("/api/v1/activity/units", {"from": "2022-01-01", "to": "2022-12-31"}),
    ("/api/v1/turnaround", {"from": "2022-03-01", "to": "2022-03-31", "as_of": "2022-12-31"}),
    ("/api/v1/reports/weekly-turnaround", {"week": "2022-W10", "as_of": "2022-12-31"}),
    ("/api/v1/findings/summary", {"from": "2022-01-01", "to": "2022-12-31"}),
    ("/metrics", {}),
]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    def call(self, kind: str, send: object) -> None:
        started = time.perf_counter()
        try:
            response = send()  # type: ignore[operator]
            ok = response.status_code < 400
        except httpx.HTTPError:
            ok = False
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[kind].append(elapsed)
            if not ok:
                self.errors[kind] += 1


def _rss_batch(serial: int) -> bytes:
    lines: list[str] = []
    template = write_rss(make_rss(2, rss_number="1"))
    for i in range(500):  # 500 RSS x 2 RUM
        key = f"S{serial:05d}{i:04d}".ljust(20)
        lines.extend(line[:12] + key + line[32:] for line in template)
    return ("\n".join(lines) + "\n").encode()


def _events(serial: int) -> tuple[dict[str, object], dict[str, object]]:
    now = datetime(2022, 6, 1, 8, tzinfo=UTC) + timedelta(minutes=serial)
    stays = [f"SOAK{serial:05d}{i:03d}" for i in range(50)]
    stay_events = [
        {"event_id": f"soak-{s}-{kind}", "type": kind, "stay_number": s, "unit": "7510",
         "occurred_at": (now + timedelta(days=d)).isoformat()}
        for s in stays for kind, d in (("admit", 0), ("discharge", 3))
    ]  # fmt: skip
    documents = [
        {"event_id": f"soak-doc-{s}", "stay_number": s, "document_id": f"D{s}", "document_type": "11490-0",
         "action": "new", "received_at": (now + timedelta(days=5)).isoformat(), "unit": "7510"}
        for s in stays
    ]  # fmt: skip
    return {"events": stay_events}, {"events": documents}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4, help="readers (writers are always 2)")
    parser.add_argument("--no-write", action="store_true", help="print, record no figure")
    args = parser.parse_args(argv)

    var_dir = tempfile.mkdtemp(prefix="dimqa-soak-")
    env = {**os.environ, "DIMQA_VAR_DIR": var_dir, "DIMQA_DEMO": "1", "DIMQA_LOG_LEVEL": "WARNING"}
    env.update(realistic.SERVER_ENV)
    env.pop("DATABASE_URL", None)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    token = ""
    assert server.stdout is not None
    for line in server.stdout:  # the first-start banner carries the admin token
        match = re.search(r"DIMQA_TOKEN=(\S+)", line)
        if match:
            token = match.group(1)
            break
    wait_until(lambda: httpx.get(f"{base}/readyz").status_code == 200, timeout=120)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=120) as client:  # the demo year plus the nomenclatures
        unit_headers = realistic.configure(client, headers, role="dim")
    recorder = Recorder()
    stop = time.monotonic() + args.seconds
    memory: list[tuple[float, int]] = []
    started = time.monotonic()

    def writer_batches() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            for serial in itertools.count():
                if time.monotonic() > stop:
                    return
                body = _rss_batch(serial)
                recorder.call(
                    "rum-batch(1000 RUM)",
                    lambda b=body: client.post("/api/v1/rum-batches", content=b,
                                               headers={"Content-Type": "text/plain"}),
                )  # fmt: skip

    def writer_events() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for serial in itertools.count():
                if time.monotonic() > stop:
                    return
                stays, documents = _events(serial)
                recorder.call("stay-events(100)", lambda s=stays: client.post("/api/v1/stay-events", json=s))
                recorder.call(
                    "document-events(50)", lambda d=documents: client.post("/api/v1/document-events", json=d)
                )

    def reader(offset: int) -> None:
        # Every other reader holds the token restricted to one unit, beside the hospital-wide ones.
        restricted = offset % 2 == 1
        label = " (unit token)" if restricted else ""
        token = unit_headers if restricted else headers
        with httpx.Client(base_url=base, headers=token, timeout=60) as client:
            for path, params in itertools.islice(itertools.cycle(READS), offset, None):
                if time.monotonic() > stop:
                    return
                if restricted and path == "/metrics":  # the service's own figures: hospital-wide tokens only
                    continue
                recorder.call(path + label, lambda p=path, q=params: client.get(p, params=q))

    def sample_memory() -> None:
        while time.monotonic() < stop:
            with open(f"/proc/{server.pid}/status") as status:
                rss_kb = int(next(line for line in status if line.startswith("VmRSS")).split()[1])
            memory.append((time.monotonic() - started, rss_kb // 1024))
            time.sleep(5)

    threads = [threading.Thread(target=writer_batches), threading.Thread(target=writer_events),
               threading.Thread(target=sample_memory)]  # fmt: skip
    threads += [threading.Thread(target=reader, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    server.terminate()
    server.wait(timeout=30)

    total_errors = sum(recorder.errors.values())
    print(f"soak: {args.seconds} s, {args.clients} readers + 2 writers, nproc={os.cpu_count()}")
    print(f"{'kind':38s} {'requests':>8s} {'errors':>6s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s}")
    slowest = ("", 0.0)
    for kind, values in sorted(recorder.latencies.items()):
        q = statistics.quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
        slowest = max(slowest, (kind, q[94] * 1000), key=lambda found: found[1])
        print(f"{kind:38s} {len(values):8d} {recorder.errors[kind]:6d} "
              f"{q[49] * 1000:8.1f} {q[94] * 1000:8.1f} {q[98] * 1000:8.1f}")  # fmt: skip
    if memory:
        samples = [mb for _, mb in memory]
        first_minute = [mb for t, mb in memory if t <= 60] or samples
        last_minute = [mb for t, mb in memory if t >= memory[-1][0] - 60] or samples
        print(f"server RSS MB: min {min(samples)}, max {max(samples)}, "
              f"first minute avg {statistics.mean(first_minute):.0f}, "
              f"last minute avg {statistics.mean(last_minute):.0f}")  # fmt: skip
    print(f"total errors: {total_errors}")
    if not args.no_write:
        requests = sum(len(values) for values in recorder.latencies.values())
        data = f"{args.seconds} s, {args.clients} readers + 2 writers, {requests:,} requests"
        command = invocation("bench.soak", argv)
        found = [
            Figure("bench.soak", "errors", f"{total_errors:,}", "0", total_errors == 0, data, command),
            Figure("bench.soak", f"p95 of the slowest request ({slowest[0]})", f"{slowest[1]:.1f} ms",
                   data=data, command=command),
        ]  # fmt: skip
        if memory:
            figure = f"{statistics.mean(first_minute):.0f} → {statistics.mean(last_minute):.0f} MB"
            found.append(Figure("bench.soak", "server memory, first → last minute (VmRSS)", figure,
                                data=data, command=command))  # fmt: skip
        record_figures(found)
    return 1 if total_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
