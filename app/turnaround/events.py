"""Normalized stay-movement and document events: the contract between the feed parsers and storage.

Three feeds (JSON, HL7 v2, FHIR R4) are reduced to the same two frozen dataclasses, so storage,
idempotency (by `event_id`) and the turnaround rules never look at the wire format.

Event ids are unique within one source only (an HL7 MSH-10 may equal a JSON event id): storage
should key idempotency on (source, event_id).

Time convention: every datetime is timezone-aware. A wall-clock time without an offset (HL7 v2
DTM without `+ZZZZ`, naive JSON datetimes, FHIR dates without a time) is hospital local time,
Europe/Paris. Calendar dates for the turnaround rules are taken in that zone too (`local_date`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal, NamedTuple, get_args

from app.core.clock import HOSPITAL_TZ

StayEventType = Literal[
    "admit",
    "transfer",
    "discharge",
    "cancel_admit",
    "cancel_transfer",
    "cancel_discharge",
]
DocumentAction = Literal["new", "replace", "delete"]
EventSource = Literal["json", "hl7", "fhir"]

STAY_EVENT_TYPES: Final[tuple[str, ...]] = get_args(StayEventType)
DOCUMENT_ACTIONS: Final[tuple[str, ...]] = get_args(DocumentAction)

# Without a unit an admission or a transfer says nothing about where the patient is; a discharge
# without one still closes the stay (storage keeps the unit of the last movement) and a
# cancellation only refers to an earlier movement.
UNIT_REQUIRED_TYPES: Final[frozenset[str]] = frozenset({"admit", "transfer"})


@dataclass(frozen=True, slots=True)
class StayEvent:
    """One patient movement of a hospital stay.

    `cancel_transfer` (HL7 A12) undoes the latest transfer of the stay: the patient is back in the
    unit of the previous movement. `patient_class` is the raw class from the feed (HL7 PV1-2:
    I, O, E, R...; FHIR Encounter.class code: IMP, AMB, EMER...) so outpatient venues can be told
    apart from hospital stays.
    """

    event_id: str
    type: StayEventType
    stay_number: str
    unit: str | None
    occurred_at: datetime
    source: EventSource
    patient_class: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentEvent:
    """One version of a document attached to a stay, or its deletion.

    `received_at` is when the DIM received this version. `parent_document_id` is the document
    this version replaces (HL7 TXA-13, FHIR relatesTo `replaces`), so storage can tell that a
    deletion of the latest version removes the whole document.
    """

    event_id: str
    stay_number: str
    document_id: str
    document_type: str
    action: DocumentAction
    received_at: datetime
    unit: str | None
    source: EventSource
    parent_document_id: str | None = None


class StayEventValues(NamedTuple):
    """A new movement as stored, fields in the column order of `stay_event` (COPY takes the tuple
    as it is): what intake inserts and the derivation replays. Instants in UTC."""

    source: str
    event_id: str
    content_hash: str
    stay_number: str
    type: str
    unit: str | None
    occurred_at: datetime
    patient_class: str | None
    recorded_at: datetime
    message_digest: str | None


class DocumentEventValues(NamedTuple):
    """A new document event as stored, in the column order of `document_event` (as
    `StayEventValues`)."""

    source: str
    event_id: str
    content_hash: str
    stay_number: str
    document_id: str
    document_type: str
    action: str
    received_at: datetime
    unit: str | None
    parent_document_id: str | None
    recorded_at: datetime
    message_digest: str | None


# Default discharge-report document types.
# - 11490-0 (LOINC "Physician Discharge summary") is the code the CI-SIS mandates for the lettre
#   de liaison à la sortie (LDL-SES: ClinicalDocument/code in the ANS schematron Entete_LDL-SES).
# - 34133-9 (LOINC "Summary of episode note") is what the ANS PDSm DocumentReference example uses
#   for a "Résumé de sortie d'hospitalisation" and what many French HIS send for the CRH.
# - 18842-5 (Discharge summary) and 34105-7 (Hospital Discharge summary) are the generic LOINC
#   discharge summary codes some HIS use.
# - CRH, LDL, LDL-SES: local codes (ORBIS document types, CI-SIS model name) seen in exports.
# Imaging (18748-4) and laboratory (11502-2) reports, as in the ANS HL7 examples, do not count.
DEFAULT_DISCHARGE_REPORT_TYPES: Final[frozenset[str]] = frozenset(
    {"11490-0", "18842-5", "34105-7", "34133-9", "CRH", "LDL", "LDL-SES"}
)


def normalize_document_type(code: str) -> str:
    """Canonical form used to compare document type codes: trimmed, upper case."""
    return code.strip().upper()


def is_discharge_report(
    document_type: str | None, configured: Iterable[str] = DEFAULT_DISCHARGE_REPORT_TYPES
) -> bool:
    """True when the document type counts as a discharge report (CRH / lettre de liaison).

    Comparison ignores case and surrounding blanks, so local codes match however the HIS spells them.
    """
    if not document_type:
        return False
    wanted = normalize_document_type(document_type)
    return any(normalize_document_type(code) == wanted for code in configured)


def as_hospital_time(value: datetime) -> datetime:
    """Aware datetime; a naive one is read as hospital local time."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=HOSPITAL_TZ)
    return value


def local_date(value: datetime) -> date:
    """Calendar date in hospital local time, the unit of the turnaround rules."""
    return as_hospital_time(value).astimezone(HOSPITAL_TZ).date()
