"""Property: whatever bytes arrive, every parser answers with records or line errors, never an exception.

The RSS, RHS, IUM and HL7 v2 parsers have their own properties beside their tests; this file adds the
FHIR and JSON event readers and the whole-file RSS path with structured, line-shaped noise."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.line_errors import LineError
from app.ingestion.parser import iter_records, iter_rss
from app.ingestion.writer import write_rum
from app.turnaround.fhir import parse_fhir_document_events, parse_fhir_stay_events
from app.turnaround.json_events import parse_document_events_json, parse_stay_events_json
from tests.ingestion.builders import make_rum

VALID_LINE = write_rum(make_rum()).encode()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
fhir_like = st.fixed_dictionaries(
    {"resourceType": st.sampled_from(["Encounter", "DocumentReference", "Bundle", "Patient", ""])},
    optional={
        "id": st.text(max_size=10),
        "status": st.text(max_size=15),
        "entry": st.lists(st.dictionaries(st.sampled_from(["resource", "x"]), json_values), max_size=3),
        "period": st.dictionaries(st.sampled_from(["start", "end"]), st.text(max_size=30)),
        "identifier": st.lists(
            st.dictionaries(st.sampled_from(["value", "system"]), json_values), max_size=2
        ),
        "context": json_values,
        "type": json_values,
    },
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=400), fhir_like.map(lambda d: json.dumps(d).encode())))
def test_fhir_readers_never_raise(body: bytes) -> None:
    for read in (parse_fhir_stay_events, parse_fhir_document_events):
        events, errors = read(body)
        assert all(isinstance(e, LineError) for e in errors)
        assert isinstance(events, list)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())))
def test_json_event_readers_never_raise(body: bytes) -> None:
    for read in (parse_stay_events_json, parse_document_events_json):
        result = read(body)
        assert result is not None


line_noise = st.lists(
    st.one_of(
        st.just(VALID_LINE),
        st.binary(max_size=200),
        st.builds(
            lambda cut, junk: VALID_LINE[:cut] + junk + VALID_LINE[cut + len(junk) :],
            st.integers(0, len(VALID_LINE)),
            st.binary(min_size=1, max_size=5),
        ),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(line_noise, st.sampled_from([b"\n", b"\r\n", b"\r"]))
def test_rss_file_path_never_raises(lines: list[bytes], separator: bytes) -> None:
    results = list(iter_rss(iter_records(io.BytesIO(separator.join(lines)))))
    for result in results:
        assert (result.rss is None) == bool(result.errors)
