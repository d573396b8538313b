"""Turnaround endpoints: stay movements and document events in, turnaround figures out."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from app.api.params import DischargeFrom, DischargeTo
from app.auth.dependencies import AggregateReader, AllUnitsFeedWriter, require_detail_reader
from app.core.config import get_settings
from app.core.dates import BoundedDate
from app.core.db import LongExports, SessionDep
from app.core.exports import EXPORT_READ_RESPONSES, ExportFormat, download, json_response
from app.core.problems import ProblemErrorItem, UnsupportedMediaType, problem_responses
from app.core.uploads import inline_schema, read_capped
from app.turnaround import export, intake, reports
from app.turnaround.json_events import DocumentEventsIn, StayEventsIn
from app.turnaround.schemas import (
    ISO_WEEK_PATTERN,
    Attribution,
    EventsIngested,
    GroupBy,
    TurnaroundRead,
    WeeklyReport,
)

router = APIRouter(tags=["turnaround"], responses=problem_responses(401, 403, 503))

HL7_MEDIA_TYPES: Final = frozenset(
    {"x-application/hl7-v2+er7", "application/hl7-v2", "application/hl7-v2+er7"}
)
JSON_MEDIA_TYPE: Final = "application/json"
FHIR_MEDIA_TYPE: Final = "application/fhir+json"
_HL7_LEAD: Final = b"\xef\xbb\xbf\x0b \t\r\n"

AsOf = Annotated[
    BoundedDate | None,
    Query(
        description="Figures as they stood at the end of this day (Europe/Paris): what dimqa stored later "
        "(receptions, movements, RSS versions), whatever date it claims, is ignored. Default: today."
    ),
]
CareTypes = Annotated[
    str | None,
    Query(
        description="Comma-separated types of care in scope: complete, zero_day, seance (default "
        "complete,zero_day). A stay without RSS is complete or zero_day by its dates."
    ),
]
AttributionQuery = Annotated[
    Attribution,
    Query(
        description="UM a stay is counted under: `discharge` (the UM the patient left from, default) or "
        "`admission` (the admission's UM; for a stay known only from its RSS, the UM of its first RUM)."
    ),
]


async def raw_body(request: Request) -> bytes:
    # Read here so the routes stay sync (the database work runs in the threadpool, not the loop).
    # Parsed whole in memory: capped well below the global body limit, which is sized for RSS files.
    return await read_capped(
        request,
        get_settings().max_event_body_bytes,
        hint="Send the events in several requests.",
    )


RawBody = Annotated[bytes, Depends(raw_body)]


def _request_body(model: Any, hl7_messages: str, fhir_resource: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                JSON_MEDIA_TYPE: {"schema": inline_schema(model)},
                "x-application/hl7-v2+er7": {
                    "schema": {
                        "type": "string",
                        "description": (
                            f"One HL7 v2.5 ER7 message ({hl7_messages}). Also accepted as "
                            "`application/hl7-v2` and as `text/plain` starting with MSH."
                        ),
                    }
                },
                FHIR_MEDIA_TYPE: {
                    "schema": {
                        "type": "object",
                        "description": f"A FHIR R4 {fhir_resource}, or a Bundle of them.",
                    }
                },
            },
        }
    }


def _responses(created: str) -> dict[int | str, dict[str, Any]]:
    return {
        201: {"model": EventsIngested, "description": created},
        200: {
            "model": EventsIngested,
            "description": (
                "JSON/FHIR: nothing new (every valid event was already stored). HL7 v2: always 200 with the "
                "ER7 ACK in the request's media type: MSA-1 AA (accepted, duplicates included), AE (a value "
                "is missing or wrong, or the event id was already used for other content) or AR (message "
                "unusable or of the wrong type), with ERR segments locating the problem."
            ),
            "content": {"x-application/hl7-v2+er7": {"schema": {"type": "string"}}},
        },
        **problem_responses(409, 413, 415, 422),
    }


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


class FeedRequest:
    """What an event feed's route receives: the request (its media type), the writer and the
    body, read whole (capped)."""

    def __init__(
        self, request: Request, session: SessionDep, principal: AllUnitsFeedWriter, body: RawBody
    ) -> None:
        self.request = request
        self.session = session
        self.principal = principal
        self.body = body


Feed = Annotated[FeedRequest, Depends()]


def _receive(kind: intake.EventKind, feed: FeedRequest) -> Response:
    session, principal, body = feed.session, feed.principal, feed.body
    media_type = _media_type(feed.request)
    is_hl7 = media_type in HL7_MEDIA_TYPES or (
        media_type == "text/plain" and body.lstrip(_HL7_LEAD).startswith(b"MSH")
    )
    if is_hl7:
        outcome = intake.ingest_hl7(session, principal, kind, body)
        return Response(
            content=outcome.ack, status_code=200, media_type=f"{media_type}; charset={outcome.charset}"
        )
    if media_type == JSON_MEDIA_TYPE:
        source: Any = "json"
    elif media_type == FHIR_MEDIA_TYPE:
        source = "fhir"
    else:
        raise UnsupportedMediaType(
            f"Content-Type {media_type or '(none)'!r} is not accepted: send application/json, "
            "application/fhir+json, or an HL7 v2 message as x-application/hl7-v2+er7"
        )
    report = intake.ingest_body(session, principal, kind, source, body)
    answer = EventsIngested(
        accepted=len(report.accepted),
        duplicates=len(report.duplicates),
        rejected=report.rejected,
        errors=[
            ProblemErrorItem(line=error.line, field=error.field, code=error.code, message=error.message)
            for error in report.errors
        ],
    )
    return JSONResponse(answer.model_dump(), status_code=201 if report.accepted else 200)


@router.post(
    "/stay-events",
    status_code=201,
    response_model=EventsIngested,
    responses=_responses("At least one new movement was stored"),
    openapi_extra=_request_body(StayEventsIn, "ADT A01, A02, A03, A04, A11, A12, A13", "Encounter"),
)
def post_stay_events(feed: Feed) -> Response:
    """Stay movements (admission, transfer, discharge, cancellations) from the HIS.

    Idempotent by event id: JSON `event_id`; HL7 `MSH-3|MSH-4|MSH-9|MSH-10` (MSH-9 as
    `type^trigger`); FHIR `Encounter/<id>/_history/<versionId>` (or a content hash). Re-sending an
    event changes nothing (`duplicates`; in HL7 the same message with only MSH-7 changed too);
    reusing an id for other content is refused (`duplicate_event_id`, HL7 ERR-3 205). Events for
    stays not known yet are kept and count once the stay appears.

    Dates must lie within 1900-01-01 to 2100-12-31 (`date_out_of_range`), and identifiers (event
    ids, stay numbers, units, document ids) hold no control character such as CR, LF or NUL
    (`control_character`; HL7 values checked after unescaping, a NUL anywhere in an HL7 message or
    a FHIR resource refused).

    JSON and FHIR answer 201 when something new was stored, 200 when everything was already
    known; invalid events are listed in `errors` (line = 1-based event or Bundle entry), and a body
    with no valid event at all is a 422 problem (409 when every event is a conflicting re-use).
    A body over `DIMQA_MAX_EVENT_BODY_BYTES` (64 MiB) is a 413 problem, nothing stored.
    """
    return _receive("stay", feed)


@router.post(
    "/document-events",
    status_code=201,
    response_model=EventsIngested,
    responses=_responses("At least one new document event was stored"),
    openapi_extra=_request_body(DocumentEventsIn, "MDM T02, T10, T04, T11 or ORU R01", "DocumentReference"),
)
def post_document_events(feed: Feed) -> Response:
    """Document events (new version, replacement, deletion), discharge reports among them.

    Same idempotency, limits and answers as `POST /stay-events`. An HL7 replacement or deletion
    (MDM T10, T04, T11; ORU with ORC-1 RO/RP/RU/XO or CA/OC/CR, OBR-25 C or X, OBX-11 C or D) is a
    new version of its document, stored beside the earlier ones even under the control id of the
    original (key `...|MSH-10#<16 hex digits of the message digest>`). The reception date counted
    is the event's `received_at` (HL7 MSH-7, FHIR `date`); which document types are discharge
    reports is configured (`DIMQA_DISCHARGE_REPORT_TYPES`) and applied when figures are read. Same
    body cap (`DIMQA_MAX_EVENT_BODY_BYTES`, 413 beyond).
    """
    return _receive("document", feed)


@router.get("/turnaround", response_model=TurnaroundRead, responses=problem_responses(400, 422))
def read_turnaround(
    session: SessionDep,
    principal: AggregateReader,
    date_from: DischargeFrom,
    date_to: DischargeTo,
    group_by: GroupBy = GroupBy.SERVICE,
    as_of: AsOf = None,
    care_types: CareTypes = None,
    attribution: AttributionQuery = Attribution.DISCHARGE,
) -> Response:
    """Discharge report turnaround of the stays discharged in the period, per service, pôle or UM.

    Each stay is on_time_j0 (report the discharge day), on_time_j8 (within 8 days, j0 included),
    late, missing (nothing received, window closed) or pending (window still open). Rates are
    over the stays whose window is closed. A UM absent from the structure valid on the discharge
    date is grouped as `unmapped`. A unit-restricted token sees only its units' stays.
    """
    scope = reports.PeriodScope.of_query(date_from, date_to, as_of, care_types)
    figures = reports.turnaround(session, principal, scope, group_by=group_by, attribution=attribution)
    return json_response(figures)


@router.get("/reports/weekly-turnaround", response_model=WeeklyReport, responses=EXPORT_READ_RESPONSES)
def read_weekly_turnaround(
    session: SessionDep,
    _long: LongExports,
    principal: AggregateReader,
    week: Annotated[
        str,
        Query(pattern=ISO_WEEK_PATTERN, description="ISO week of the discharge dates", examples=["2022-W05"]),
    ],
    as_of: AsOf = None,
    format: ExportFormat = ExportFormat.JSON,
    detail: Annotated[
        bool,
        Query(description="Add the late and missing stays (patient level: roles dim and admin, audited)"),
    ] = False,
    care_types: CareTypes = None,
    attribution: AttributionQuery = Attribution.DISCHARGE,
) -> WeeklyReport | Response:
    """The weekly deliverable: per service, discharge reports received compared with the stays
    discharged in the ISO week (j0, within 8 days, late, missing, pending), with totals.

    Rates are fractions (0 to 1) in JSON, as everywhere in the API; the hospital's files show
    them as percentages: rounded to 0.1 in CSV, true percentages (`0.0%` format) in XLSX.
    `as_of` defaults to today: ask again with the same `as_of` for the same figures.
    """
    if detail:
        require_detail_reader(principal)
    data = reports.weekly_report(
        session,
        principal,
        week=week,
        as_of=as_of,
        care_types=reports.parse_care_types(care_types),
        detail=detail,
        attribution=attribution,
    )
    if format is ExportFormat.CSV:
        return download(export.weekly_csv(data.report, data.summaries, data.total))
    if format is ExportFormat.XLSX:
        return download(export.weekly_xlsx(data.report, data.summaries, data.total))
    return data.report
