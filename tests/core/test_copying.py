"""app.core.copying: one record built from another's fields of the same names."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TypedDict

import pytest
from pydantic import BaseModel

from app.core.copying import copied


class Read(BaseModel):
    id: int
    status: str
    total: int


@dataclass(frozen=True)
class Event:
    event_id: str
    unit: str | None
    seen: list[str] = field(init=False, default_factory=list)


class Summary(TypedDict):
    stays: int
    late: int


ROW = SimpleNamespace(id=7, status="completed", total=3, event_id="e1", unit="1201", stays=10, late=2)


def test_pydantic_model_takes_the_same_names_and_the_overrides() -> None:
    assert copied(Read, ROW, total=4) == Read(id=7, status="completed", total=4)


def test_dataclass_takes_its_init_fields_only() -> None:
    assert copied(Event, ROW) == Event(event_id="e1", unit="1201")


def test_typed_dict_takes_its_keys() -> None:
    assert copied(Summary, ROW) == {"stays": 10, "late": 2}


def test_a_field_the_source_lacks_is_named() -> None:
    with pytest.raises(AttributeError, match="total"):
        copied(Read, SimpleNamespace(id=1, status="x"))


def test_an_override_for_no_field_is_refused() -> None:
    with pytest.raises(TypeError, match="Read has no field totl"):
        copied(Read, ROW, totl=4)


def test_a_plain_class_is_refused() -> None:
    with pytest.raises(TypeError, match="not a pydantic model"):
        copied(SimpleNamespace, ROW)


@dataclass(frozen=True)
class Fed:
    target: str
    source: str


def test_fields_named_target_or_source_can_be_overridden() -> None:
    # The two records are positional-only: an event's `source` field is set like any other.
    assert copied(Fed, SimpleNamespace(target="t"), source="json") == Fed(target="t", source="json")
