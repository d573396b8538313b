"""FHIR R4 Encounter and DocumentReference feeds."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from app.core.clock import HOSPITAL_TZ
from app.turnaround.events import DocumentEvent, StayEvent, is_discharge_report
from app.turnaround.fhir import parse_fhir_document_events, parse_fhir_stay_events, resource_event_id
from tests.conftest import shared_file

PARIS = HOSPITAL_TZ
PLUS_ONE = timezone(timedelta(hours=1))


def _body(resource: dict[str, Any]) -> bytes:
    return json.dumps(resource).encode("utf-8")


def _encounter(**overrides: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": "enc-1",
        "meta": {"versionId": "3", "lastUpdated": "2024-03-09T16:00:00+01:00"},
        "status": "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "identifier": [
            {"system": "urn:oid:1.2.250.1.999.1", "value": "IPP-55"},
            {
                "type": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "VN"}]
                },
                "value": "240001234",
            },
        ],
        "period": {"start": "2024-03-06T11:00:00+01:00"},
        "serviceProvider": {"identifier": {"value": "7500"}, "display": "Oncologie"},
    }
    resource.update(overrides)
    return resource


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


# --------------------------------------------------------------------------- Encounter


def test_in_progress_encounter_is_an_admission() -> None:
    events, errors = parse_fhir_stay_events(_body(_encounter()))

    assert errors == []
    assert events == [
        StayEvent(
            event_id="Encounter/enc-1/_history/3",
            type="admit",
            stay_number="240001234",  # the VN identifier, not the first one
            unit="7500",
            occurred_at=datetime(2024, 3, 6, 11, 0, tzinfo=PLUS_ONE),
            source="fhir",
            patient_class="IMP",
        )
    ]


def test_finished_encounter_is_a_discharge_at_period_end() -> None:
    resource = _encounter(status="finished", period={"start": "2024-03-06", "end": "2024-03-09"})
    (event,), errors = parse_fhir_stay_events(_body(resource))

    assert errors == []
    assert event.type == "discharge"
    assert event.occurred_at == datetime(2024, 3, 9, tzinfo=PARIS)  # a bare date is local midnight


@pytest.mark.parametrize("status", ["cancelled", "entered-in-error"])
def test_cancelled_encounter_cancels_the_admission_at_last_update(status: str) -> None:
    (event,), errors = parse_fhir_stay_events(_body(_encounter(status=status)))

    assert errors == []
    assert event.type == "cancel_admit"
    assert event.occurred_at == datetime(2024, 3, 9, 16, 0, tzinfo=PLUS_ONE)


def test_planned_encounter_is_skipped_without_error() -> None:
    assert parse_fhir_stay_events(_body(_encounter(status="planned"))) == ([], [])


def test_bundle_reports_each_entry() -> None:
    bundle = _bundle(
        _encounter(),
        {"resourceType": "Patient", "id": "p1"},
        _encounter(id="enc-2", status="finished", period={"end": "2024-03-10T09:00:00+01:00"}),
        _encounter(id="enc-3", status="unknown"),
    )
    bundle["entry"].insert(0, {"resource": {"resourceType": "MessageHeader", "id": "h"}})
    bundle["entry"].append({"request": {"method": "DELETE", "url": "Encounter/enc-9"}})

    events, errors = parse_fhir_stay_events(_body(bundle))

    assert [(event.event_id, event.type) for event in events] == [
        ("Encounter/enc-1/_history/3", "admit"),
        ("Encounter/enc-2/_history/3", "discharge"),
    ]
    assert [(error.line, error.field, error.code) for error in errors] == [
        (3, "entry[2].resource.resourceType", "wrong_resource_type"),
        (5, "entry[4].resource.status", "invalid_status"),
        (6, "entry[5].resource", "missing_resource"),
    ]


def test_unit_from_the_last_location_or_a_contained_organization() -> None:
    by_location = _encounter(
        serviceProvider=None,
        location=[
            {"location": {"reference": "Location/7100"}},
            {"location": {"reference": "https://fhir.example/Location/7300/_history/2"}},
        ],
    )
    del by_location["serviceProvider"]
    (event,), _ = parse_fhir_stay_events(_body(by_location))
    assert event.unit == "7300"

    contained = _encounter(
        contained=[{"resourceType": "Organization", "id": "uf", "identifier": [{"value": "7702"}]}],
        serviceProvider={"reference": "#uf"},
    )
    (event,), _ = parse_fhir_stay_events(_body(contained))
    assert event.unit == "7702"


def test_display_is_never_used_as_a_unit_code() -> None:
    resource = _encounter(serviceProvider={"display": "7500 Oncologie"})
    events, errors = parse_fhir_stay_events(_body(resource))

    assert events == []
    assert [(error.field, error.code) for error in errors] == [("serviceProvider", "missing_field")]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"identifier": []}, "identifier"),
        ({"period": {}}, "period.start"),
        ({"status": "finished"}, "period.end"),
    ],
)
def test_missing_values_are_reported(overrides: dict[str, Any], field: str) -> None:
    events, errors = parse_fhir_stay_events(_body(_encounter(**overrides)))

    assert events == []
    assert [(error.line, error.field, error.code) for error in errors] == [(1, field, "missing_field")]


def test_invalid_resource_is_reported_with_its_path() -> None:
    resource = _encounter(period={"start": "06/03/2024"})
    del resource["class"]
    events, errors = parse_fhir_stay_events(_body(_bundle(resource)))

    assert events == []
    assert sorted((error.line, error.field, error.code) for error in errors) == [
        (1, "entry[0].resource.class", "invalid_resource"),
        (1, "entry[0].resource.period.start", "invalid_resource"),
    ]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (b"{not json", "invalid_json", None),
        (b"\xff\xfe", "invalid_json", None),
        (b'{"id": ' + b"1" * 5000 + b"}", "invalid_json", None),  # was "internal_error"
        (b"[]", "invalid_json", None),
        (b'{"resourceType": "Patient"}', "wrong_resource_type", "resourceType"),
        (
            b'{"resourceType": "DocumentReference", "status": "current"}',
            "wrong_resource_type",
            "resourceType",
        ),
        (b'{"id": "no-type"}', "wrong_resource_type", "resourceType"),
        (b'{"resourceType": "Bundle", "entry": {}}', "invalid_resource", "entry"),
    ],
)
def test_bad_bodies(body: bytes, code: str, field: str | None) -> None:
    events, errors = parse_fhir_stay_events(body)

    assert events == []
    assert [(error.code, error.field) for error in errors] == [(code, field)]


def test_event_id_without_version_is_a_content_hash() -> None:
    resource = _encounter()
    del resource["meta"]
    first = resource_event_id("Encounter", resource)

    assert re.fullmatch(r"Encounter/enc-1#[0-9a-f]{16}", first)
    assert resource_event_id("Encounter", dict(reversed(list(resource.items())))) == first
    assert resource_event_id("Encounter", {**resource, "status": "finished"}) != first
    del resource["id"]
    assert re.fullmatch(r"Encounter#[0-9a-f]{16}", resource_event_id("Encounter", resource))


# --------------------------------------------------------------------------- DocumentReference


def _document_reference(**overrides: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": "doc-1",
        "meta": {"versionId": "1", "lastUpdated": "2024-03-11T08:00:00+01:00"},
        "masterIdentifier": {
            "system": "urn:ietf:rfc:3986",
            "value": "urn:uuid:0f6c1a5e-7b5d-4d59-9f59-1d2b8e0c4a11",
        },
        "status": "current",
        "type": {
            "coding": [
                {"system": "urn:oid:1.2.250.1.999.2", "code": "LDL"},
                {"system": "http://loinc.org", "code": "11490-0", "display": "Lettre de liaison"},
            ]
        },
        "date": "2024-03-10T09:12:00+01:00",
        "author": [{"reference": "Practitioner/p1"}, {"reference": "Organization/7500"}],
        "content": [{"attachment": {"contentType": "application/pdf", "url": "Binary/1"}}],
        "context": {"encounter": [{"reference": "Encounter/enc-1", "identifier": {"value": "240001234"}}]},
    }
    resource.update(overrides)
    return resource


def test_current_document_reference_is_a_new_document() -> None:
    events, errors = parse_fhir_document_events(_body(_document_reference()))

    assert errors == []
    assert events == [
        DocumentEvent(
            event_id="DocumentReference/doc-1/_history/1",
            stay_number="240001234",
            document_id="urn:uuid:0f6c1a5e-7b5d-4d59-9f59-1d2b8e0c4a11",
            document_type="11490-0",  # LOINC preferred over the local coding
            action="new",
            received_at=datetime(2024, 3, 10, 9, 12, tzinfo=PLUS_ONE),
            unit="7500",
            source="fhir",
        )
    ]


@pytest.mark.parametrize(
    ("overrides", "action", "parent"),
    [
        ({"status": "superseded"}, "replace", None),
        ({"status": "entered-in-error"}, "delete", None),
        ({"docStatus": "entered-in-error"}, "delete", None),
        (
            {"relatesTo": [{"code": "replaces", "target": {"identifier": {"value": "urn:uuid:older"}}}]},
            "replace",
            "urn:uuid:older",
        ),
        ({"relatesTo": [{"code": "appends", "target": {"reference": "DocumentReference/x"}}]}, "new", None),
    ],
)
def test_document_reference_actions(overrides: dict[str, Any], action: str, parent: str | None) -> None:
    (event,), errors = parse_fhir_document_events(_body(_document_reference(**overrides)))

    assert errors == []
    assert (event.action, event.parent_document_id) == (action, parent)


def test_document_reference_fallbacks() -> None:
    resource = _document_reference(
        identifier=[{"value": "DOC-77"}],
        type={"coding": [{"system": "urn:oid:1.2.250.1.999.2", "code": "CRH"}]},
        context={"encounter": [{"reference": "Encounter/240009999"}]},
        author=[{"reference": "#uf"}],
        contained=[{"resourceType": "Organization", "id": "uf", "identifier": [{"value": "7702"}]}],
    )
    del resource["masterIdentifier"]
    del resource["date"]
    (event,), errors = parse_fhir_document_events(_body(resource))

    assert errors == []
    assert (event.document_id, event.document_type, event.stay_number, event.unit) == (
        "DOC-77",
        "CRH",
        "240009999",
        "7702",
    )
    assert event.received_at == datetime(2024, 3, 11, 8, 0, tzinfo=PLUS_ONE)  # meta.lastUpdated


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"context": {}}, "context.encounter", "missing_field"),
        ({"type": {"text": "Lettre"}}, "type", "missing_field"),
        ({"status": "bogus"}, "status", "invalid_status"),
    ],
)
def test_document_reference_errors(overrides: dict[str, Any], field: str, code: str) -> None:
    events, errors = parse_fhir_document_events(_body(_document_reference(**overrides)))

    assert events == []
    assert [(error.line, error.field, error.code) for error in errors] == [(1, field, code)]


def test_document_bundle_with_a_wrong_type() -> None:
    events, errors = parse_fhir_document_events(_body(_bundle(_document_reference(), _encounter())))

    assert len(events) == 1
    assert [(error.line, error.code) for error in errors] == [(2, "wrong_resource_type")]


def _fsh_assignments(text: str) -> dict[str, str]:
    """Top-level `* path = value` lines of one FSH instance (enough for the ANS examples)."""
    values = {}
    for match in re.finditer(r"^\* (?P<path>[\w.\[\]]+) = (?P<value>.+?)\s*$", text, re.MULTILINE):
        values[match["path"]] = match["value"]
    return values


def test_ans_pdsm_document_reference_example() -> None:
    """The PDSm example (FSH) rebuilt as JSON: it has no context.encounter, the stay link we need."""
    fsh = _fsh_assignments(
        shared_file("fhir/ans_pdsm_DocumentReference_comprehensive_example.fsh").read_text("utf-8")
    )
    system, code = re.fullmatch(r'(\S+)#(\S+) ".*"', fsh["type"]).groups()  # type: ignore[union-attr]
    resource = {
        "resourceType": "DocumentReference",
        "id": "exemple-pdsm-documentreference",
        "meta": {"versionId": fsh["meta.versionId"].strip('"')},
        "masterIdentifier": {
            "system": fsh["masterIdentifier.system"].strip('"'),
            "value": fsh["masterIdentifier.value"].strip('"'),
        },
        "status": fsh["status"].lstrip("#"),
        "type": {"coding": [{"system": system, "code": code}]},
        "date": fsh["date"].strip('"'),
        "content": [{"attachment": {"contentType": "application/pdf", "url": "Binary/6789"}}],
    }

    events, errors = parse_fhir_document_events(_body(resource))
    assert events == []
    assert [(error.field, error.code) for error in errors] == [("context.encounter", "missing_field")]

    resource["context"] = {"encounter": [{"identifier": {"value": "240001234"}}]}
    (event,), errors = parse_fhir_document_events(_body(resource))
    assert errors == []
    assert event.event_id == "DocumentReference/exemple-pdsm-documentreference/_history/1"
    assert event.document_id == "urn:uuid:12345678-abcd-1234-abcd-1234567890ab"
    assert event.document_type == "34133-9"
    assert event.action == "new"
    assert event.received_at == datetime(2025, 4, 29, 12, 0, tzinfo=PLUS_ONE)
    assert is_discharge_report(event.document_type)
