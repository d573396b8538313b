"""Prometheus counters of the rules engine. Labels are bounded: rule codes and the three severities,
never RSS numbers or batch ids."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter

FINDINGS = Counter(
    "dimqa_findings_total",
    "Coding-quality findings detected at ingestion, by rule code and severity",
    ["rule", "severity"],
)


def count_findings(counts: Mapping[tuple[str, str], int]) -> None:
    """Add per-(rule, severity) counts; one increment per key keeps the cost off the per-finding path."""
    for (rule, severity), count in counts.items():
        FINDINGS.labels(rule, severity).inc(count)
