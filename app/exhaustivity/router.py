"""Exhaustivity endpoints: coding exhaustivity, transmission of reports, the quarterly review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api.params import DischargeFrom, DischargeTo
from app.auth.dependencies import AggregateReader, require_detail_reader
from app.core.dates import BoundedDate
from app.core.db import LongExports, SessionDep
from app.core.exports import EXPORT_READ_RESPONSES, ExportFormat, File, download, json_response
from app.core.problems import problem_responses
from app.exhaustivity import export, metrics, quarterly, service
from app.exhaustivity.schemas import QUARTER_PATTERN, ExhaustivityRead, QuarterlyRead, TransmissionRead
from app.turnaround import reports as turnaround_reports
from app.turnaround.schemas import GroupBy

router = APIRouter(tags=["exhaustivity"], responses=problem_responses(401, 403, 503))

# The gauges register with the app's routes (the collector is created at import).
GAUGES: Final = metrics.COLLECTOR

_CARE_TYPES_DOC: Final = (
    "Comma-separated types of care in scope: complete, zero_day, seance (default complete,zero_day: "
    "séances apart, as in the turnaround)."
)

AsOf = Annotated[
    BoundedDate | None,
    Query(
        description="Figures as they stood at the end of this day (Europe/Paris): what dimqa stored later "
        "(RSS, movements, documents), whatever date it claims, is ignored. Default: today."
    ),
]


def _answer(report: Any, format: ExportFormat, to_file: Callable[[Any, ExportFormat], File]) -> Response:
    """The report as JSON, or as the file `format` asks for."""
    if format is ExportFormat.JSON:
        return json_response(report)
    return download(to_file(report, format))


@router.get("/exhaustivity", response_model=ExhaustivityRead, responses=EXPORT_READ_RESPONSES)
def read_exhaustivity(
    request: Request,
    session: SessionDep,
    principal: AggregateReader,
    date_from: DischargeFrom,
    date_to: DischargeTo,
    group_by: GroupBy = GroupBy.SERVICE,
    as_of: AsOf = None,
    care_types: Annotated[str | None, Query(description=_CARE_TYPES_DOC)] = None,
    format: ExportFormat = ExportFormat.JSON,
    detail: Annotated[
        bool, Query(description="Add the stays not coded (patient level: roles dim and admin, audited)")
    ] = False,
) -> Response:
    """Exhaustivity of coding: the stays discharged in the period (known from the movements, or
    an RSS) compared with the RSS received, per service, pôle or UM.

    A stay is coded when an RSS in force at the end of `as_of` carries its N° administratif; its
    coding delay is the first reception of such an RSS − the discharge date (median, p90 nearest
    rank). `not_coded_over_30_days`: not coded and discharged more than 30 days before `as_of`.
    The same stays, `as_of` clock and unit scoping as `/turnaround`. Rates are fractions (0 to 1)
    in JSON, percentages in CSV and XLSX.
    """
    if detail:
        require_detail_reader(principal)
    scope = turnaround_reports.PeriodScope.of_query(date_from, date_to, as_of, care_types)
    report = service.exhaustivity(session, principal, scope, group_by=group_by, detail=detail)
    return _answer(report, format, export.exhaustivity_file)


@router.get("/transmission", response_model=TransmissionRead, responses=EXPORT_READ_RESPONSES)
def read_transmission(
    session: SessionDep,
    principal: AggregateReader,
    days: Annotated[int, Query(ge=1, le=366, description="Window: the events stored in these last days")] = 7,
    as_of: Annotated[BoundedDate | None, Query(description="Last day of the window (default today)")] = None,
    format: ExportFormat = ExportFormat.JSON,
) -> Response:
    """Transmission of discharge reports per channel (HL7 v2, FHIR, JSON, file) and service: the
    events dimqa stored over the last `days` days, and the lag between the time the sender gives
    (HL7 MSH-7, FHIR `date`, JSON `received_at`) and the time dimqa stored them (median, p90
    nearest rank, hours). `stored_late`: stored more than a day after the sender's time.

    The service is the one of the document's UM (else of the UM the stay left from) in the
    structure valid on the sender's date. A unit-restricted token sees only its units' documents.
    """
    report = service.transmission(session, principal, days=days, as_of=as_of)
    return _answer(report, format, export.transmission_file)


@router.get("/reports/quarterly", response_model=QuarterlyRead, responses=EXPORT_READ_RESPONSES)
def read_quarterly(
    session: SessionDep,
    _long: LongExports,
    principal: AggregateReader,
    quarter: Annotated[
        str,
        Query(
            pattern=QUARTER_PATTERN, description="Calendar quarter of the discharges", examples=["2026-Q1"]
        ),
    ],
    as_of: AsOf = None,
    format: ExportFormat = ExportFormat.JSON,
) -> Response:
    """The quarterly review (CME president, finance director, referent): per service and month,
    stays, reports within 8 days, late, missing, median delay, coding exhaustivity, channel mix and
    lag of the reports, the same figures for the previous quarter, and the services whose on-time
    rate fell most.

    Turnaround and exhaustivity count the stays discharged in each month; channels and lags, the
    discharge-report events their senders dated in it. XLSX: French titles and native charts.
    """
    report = quarterly.quarterly_review(session, principal, quarter=quarter, as_of=as_of)
    return _answer(report, format, export.quarterly_file)
