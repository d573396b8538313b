"""One shape for figures across the API (README, "Figures in JSON"): a response's totals are one
`total` object holding the same counters as its rows, never `total_<x>` fields; rates are
fractions from 0 to 1 named `rate_*`, never percentages. Checked on every response schema, so a
new endpoint follows it too; the values themselves are pinned by each endpoint's tests."""

from __future__ import annotations

from typing import Any

from app.main import create_app


def _schemas() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = create_app().openapi()["components"]["schemas"]
    return schemas


def _ref(spec: dict[str, Any]) -> str | None:
    ref = spec.get("$ref") or spec.get("items", {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


TOTAL_IS_AN_AMOUNT = frozenset({"Valuation"})


def test_totals_are_one_object_with_the_counters_of_the_rows() -> None:
    schemas = _schemas()
    checked = []
    for name, schema in schemas.items():
        properties: dict[str, Any] = schema.get("properties", {})
        assert not [p for p in properties if p.startswith("total_")], name
        # A stay's valuation names its amount in euros `total`, as issue 18 specifies: a sum of its
        # own parts, not the total of a list of rows.
        if "total" not in properties or name in TOTAL_IS_AN_AMOUNT:
            continue
        total = _ref(properties["total"])
        assert total is not None, f"{name}.total is not an object"
        lists = [_ref(spec) for spec in properties.values() if spec.get("type") == "array"]
        rows = [ref for ref in lists if ref is not None and "properties" in schemas[ref]]
        assert len(rows) == 1, f"{name}: which list does `total` sum?"
        counters = set(schemas[total]["properties"])
        assert counters <= set(schemas[rows[0]]["properties"]), f"{name}.total: {counters}"
        checked.append(name)
    assert sorted(checked) == [
        "CareTypesActivity",
        "Casemix",
        "ExhaustivityRead",
        "FindingSummary",
        "GhmActivity",
        "SeancesActivity",
        "SsrCmActivity",
        "TransmissionRead",
        "TurnaroundRead",
        "UnitsActivity",
        "WeeklyReport",
    ]


def test_rates_are_fractions_named_rate() -> None:
    rates = []
    for name, schema in _schemas().items():
        for prop, spec in schema.get("properties", {}).items():
            assert "percent" not in prop, f"{name}.{prop}: rates are fractions in JSON"
            if prop.startswith("rate_"):
                assert spec["anyOf"] == [{"type": "number"}, {"type": "null"}], f"{name}.{prop}"
                assert "a fraction from 0 to 1" in spec["description"], f"{name}.{prop}"
                rates.append(f"{name}.{prop}")
    assert rates == [
        "ExhaustivityCounts.rate_coded",
        "ExhaustivityRow.rate_coded",
        "MonthFigures.rate_j8",
        "MonthFigures.rate_coded",
        "TurnaroundCounts.rate_j0",
        "TurnaroundCounts.rate_j8",
        "TurnaroundRow.rate_j0",
        "TurnaroundRow.rate_j8",
        "WeeklyRow.rate_j0",
        "WeeklyRow.rate_j8",
    ]
