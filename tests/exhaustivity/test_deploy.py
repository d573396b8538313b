"""The exhaustivity gauges, and the files under deploy/: every expression of the Prometheus
alerting rules and of the Grafana dashboard names only metrics a running dimqa exports (read from
the /metrics of an app in the realistic configuration)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from app.exhaustivity import metrics
from tests.exhaustivity.support import AS_OF, load

pytestmark = pytest.mark.usefixtures("realistic")

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "dimqa-alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "dimqa-dashboard.json"

# PromQL words that are not metric names (functions are recognised by their parenthesis).
_KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
)
# Series Prometheus writes itself for each scrape target: `up` is 0 when the scrape failed.
PROMETHEUS_OWN = frozenset({"up"})
_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created")}


def metric_names(expression: str) -> set[str]:
    """The metric names an expression selects."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)  # label values
    stripped = re.sub(r"\{[^}]*\}", "", stripped)  # label matchers
    stripped = re.sub(r"\[[^\]]*\]", "", stripped)  # range durations
    stripped = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", stripped)  # grouping labels
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", stripped):
        name = match.group()
        following = stripped[match.end() :].lstrip()
        if name in _KEYWORDS or following.startswith("("):
            continue
        if re.fullmatch(r"\d+[smhdwy]?", name) or name in {"e", "Inf", "NaN"}:
            continue
        names.add(name)
    return names


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def exported(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def test_metric_names_are_read_from_expressions() -> None:
    assert metric_names(
        "histogram_quantile(0.95, sum by (le, route) "
        '(rate(dimqa_http_request_duration_seconds_bucket{status=~"5.."}[10m]))) > 2'
    ) == {"dimqa_http_request_duration_seconds_bucket"}
    assert metric_names("sum by (source) (rate(a_total[30m])) > 0 and on (source) b == 0") == {"a_total", "b"}


def test_every_expression_names_a_metric_dimqa_exports(
    client: Any, auth_headers: Any, session: Session
) -> None:
    load(client, auth_headers, session)
    metrics.COLLECTOR.invalidate()
    response = client.get("/metrics", headers=auth_headers("reader"))
    assert response.status_code == 200
    available = exported(response.text) | PROMETHEUS_OWN
    expressions = rule_expressions() + dashboard_expressions()
    assert len(rule_expressions()) == 9 and len(dashboard_expressions()) == 14
    unknown = {
        expression: sorted(metric_names(expression) - available)
        for expression in expressions
        if metric_names(expression) - available
    }
    assert unknown == {}
    assert all(metric_names(expression) for expression in expressions)
    # Every gauge of this domain is used by the dashboard.
    named = set().union(*(metric_names(expression) for expression in dashboard_expressions()))
    assert {name for name, _doc, _label in metrics._FAMILIES} <= named


def test_gauge_values(client: Any, auth_headers: Any, session: Session) -> None:
    load(client, auth_headers, session)
    values = metrics.figures(session, today=AS_OF)
    assert values.not_coded_over == {"ONCO": 2, "unmapped": 1}
    # February 2022: S1, S2, S4, S6 in oncology (S1 and S4 coded), R5 in the emergency unit, X1 unmapped.
    assert values.rate_coded == {"ONCO": 0.5, "URG": 1.0, "unmapped": 0.0}
    assert (values.lag_p90_hours, values.stored_late) == ({}, {})


def test_the_gauges_are_served_with_their_samples(client: Any, auth_headers: Any, session: Session) -> None:
    load(client, auth_headers, session)
    collector = metrics.ExhaustivityCollector(loader=lambda: metrics.figures(session, today=AS_OF), ttl=60)
    samples = {
        (sample.name, tuple(sample.labels.values())): sample.value
        for family in collector.collect()
        for sample in family.samples
    }
    assert samples == {
        ("dimqa_exhaustivity_stays_not_coded_over_30_days", ("ONCO",)): 2,
        ("dimqa_exhaustivity_stays_not_coded_over_30_days", ("unmapped",)): 1,
        ("dimqa_exhaustivity_rate_coded", ("ONCO",)): 0.5,
        ("dimqa_exhaustivity_rate_coded", ("URG",)): 1.0,
        ("dimqa_exhaustivity_rate_coded", ("unmapped",)): 0.0,
    }
