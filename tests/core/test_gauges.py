"""CachedFigures: one load per TTL, the previous figures kept when a refresh fails."""

from __future__ import annotations

import itertools
import logging

import pytest

from app.core.gauges import CachedFigures

LOGGER = logging.getLogger("tests.gauges")


def _counting(ttl: float) -> CachedFigures[int]:
    """A cache whose figures are the number of loads so far."""
    loads = itertools.count(1)
    return CachedFigures(lambda: next(loads), 0, lambda: ttl, logger=LOGGER, what="test gauges")


def test_loads_once_per_ttl_and_again_after_invalidate() -> None:
    cache = _counting(60.0)
    assert [cache.get() for _ in range(3)] == [1, 1, 1]
    cache.invalidate()
    assert [cache.get() for _ in range(2)] == [2, 2]


def test_zero_ttl_reloads_at_every_read() -> None:
    cache = _counting(0.0)
    assert [cache.get() for _ in range(3)] == [1, 2, 3]


def test_failed_refresh_keeps_previous_figures_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    results: list[object] = [{"ONCO": 0.5}, ConnectionError("down")]

    def loader() -> dict[str, float]:
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        assert isinstance(result, dict)
        return result

    cache: CachedFigures[dict[str, float]] = CachedFigures(
        loader, {}, lambda: 60.0, logger=LOGGER, what="test gauges"
    )
    assert cache.get() == {"ONCO": 0.5}
    cache.invalidate()
    with caplog.at_level(logging.WARNING, logger="tests.gauges"):
        assert cache.get() == {"ONCO": 0.5}
    assert [r.getMessage() for r in caplog.records] == ["test gauges not refreshed"]
    # The failure counts as a load: no retry before the TTL is over.
    assert cache.get() == {"ONCO": 0.5}
    assert results == []


def test_database_not_configured_is_silent(caplog: pytest.LogCaptureFixture) -> None:
    def loader() -> int:
        raise RuntimeError("DIMQA_DATABASE_URL is not set")

    cache = CachedFigures(loader, 7, lambda: 60.0, logger=LOGGER, what="test gauges")
    with caplog.at_level(logging.WARNING, logger="tests.gauges"):
        assert cache.get() == 7
    assert caplog.records == []
