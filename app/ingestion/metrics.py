from __future__ import annotations

from prometheus_client import Counter, Histogram

RUM_INGESTED = Counter("dimqa_rum_ingested_total", "RUM stored by format read at positions 10-12", ["format"])
RSS_REJECTED = Counter(
    "dimqa_rss_rejected_total", "RSS rejected for a structural error in one of their lines"
)
BATCH_DURATION = Histogram(
    "dimqa_batch_duration_seconds",
    "Time to parse, store and check one RUM batch",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
