from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.auth.dependencies import AggregateReader, AllUnitsReviewer, PatientReader, Reviewer
from app.core.dates import BoundedDate
from app.core.db import LongExports, LongStatements, SessionDep
from app.core.exports import CSV_MEDIA_TYPE, File, csv_rows, download
from app.core.problems import problem_responses
from app.rules import service
from app.rules.engine import Severity
from app.rules.schemas import (
    FindingPage,
    FindingRead,
    FindingReview,
    FindingStatus,
    FindingSummary,
    RuleList,
    ValidationRunResult,
)

router = APIRouter(tags=["rules"], responses=problem_responses(401, 403, 422, 503))

CSV_COLUMNS = (
    "id",
    "rule",
    "severity",
    "rss_number",
    "rum_number",
    "field",
    "value",
    "message",
    "status",
    "unit",
    "exit_date",
    "comment",
)
DEFAULT_LIMIT = 100
DEFAULT_CSV_LIMIT = 10_000
MAX_LIMIT = 10_000


@router.get("/rules", response_model=RuleList)
def list_rules(session: SessionDep, principal: AggregateReader) -> RuleList:
    """The coding-quality rules catalogue with its documentation (summary, bad and good examples).

    `skipped` is true for a rule that needs a reference not loaded now (CIM-10, CCAM, GHM labels,
    structure, fichier d'UM) or loaded without a column it needs (`ccam_activities`: a CCAM listing
    its acts' activities): such a rule does not run and is listed in each batch's `skipped_rules`."""
    return RuleList(items=service.list_rules(session))


def _csv(items: list[FindingRead]) -> bytes:
    # BOM + ";": what a French-locale spreadsheet opens correctly by double-click.
    rows = (
        [
            item.id,
            item.rule,
            item.severity.value,
            item.rss_number,
            item.rum_number,
            item.field,
            item.value,
            item.message,
            item.status.value,
            item.unit,
            item.exit_date,
            item.comment,
        ]
        for item in items
    )
    return csv_rows([CSV_COLUMNS, *rows])


@router.get(
    "/findings",
    response_model=FindingPage,
    responses={
        **problem_responses(400),
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "A page of findings"},
    },
)
def list_findings(
    session: SessionDep,
    _long: LongExports,
    principal: PatientReader,
    rss_number: Annotated[str | None, Query(max_length=20)] = None,
    rule: Annotated[str | None, Query(max_length=10, description="Rule code, e.g. C067")] = None,
    severity: Severity | None = None,
    unit: Annotated[str | None, Query(max_length=10)] = None,
    pole: Annotated[str | None, Query(max_length=20, description="Pôle of the UM at discharge")] = None,
    service_code: Annotated[
        str | None, Query(alias="service", max_length=20, description="Service of the UM at discharge")
    ] = None,
    date_from: Annotated[
        BoundedDate | None, Query(alias="from", description="Discharge date, inclusive")
    ] = None,
    date_to: Annotated[BoundedDate | None, Query(alias="to", description="Discharge date, inclusive")] = None,
    status: Annotated[FindingStatus | None, Query(description="Default: every finding not closed")] = None,
    cursor: Annotated[
        str | None, Query(max_length=20, description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_LIMIT, description="Default 100 (JSON) or 10,000 (CSV)")
    ] = None,
    format: Annotated[Literal["json", "csv"], Query(description="`csv`: `;`-separated, UTF-8")] = "json",
) -> FindingPage | Response:
    """Findings of the current RSS versions, by ascending id, with keyset pagination (dim, admin).

    Patient-level (RSS numbers): every call is recorded in the audit log with the RSS numbers
    returned. A unit-restricted token sees only findings located in its units (the RUM's UM, or the
    exit UM for an RSS-level finding). With `format=csv` the next cursor is in the `X-Next-Cursor`
    header."""
    items, next_cursor = service.list_findings(
        session,
        principal,
        rss_number=rss_number,
        rule=rule,
        severity=severity,
        unit=unit,
        pole=pole,
        service=service_code,
        date_from=date_from,
        date_to=date_to,
        status=status,
        cursor=cursor,
        limit=limit or (DEFAULT_CSV_LIMIT if format == "csv" else DEFAULT_LIMIT),
    )
    if format == "csv":
        headers = {"X-Next-Cursor": next_cursor} if next_cursor is not None else {}
        return download(File(_csv(items), CSV_MEDIA_TYPE, "findings.csv"), headers=headers)
    return FindingPage(items=items, next_cursor=next_cursor)


@router.get("/findings/summary", response_model=FindingSummary)
def summarise_findings(
    session: SessionDep,
    principal: AggregateReader,
    date_from: Annotated[
        BoundedDate | None, Query(alias="from", description="Discharge date, inclusive")
    ] = None,
    date_to: Annotated[BoundedDate | None, Query(alias="to", description="Discharge date, inclusive")] = None,
) -> FindingSummary:
    """Counts of findings not closed, per rule and service (of the UM at the discharge date), for
    the RSS discharged in the period. No RSS numbers: readable by the `reader` role."""
    items = service.summarise(session, principal, date_from=date_from, date_to=date_to)
    return FindingSummary(
        date_from=date_from, date_to=date_to, items=items, total=service.summary_total(items)
    )


@router.patch("/findings/{finding_id}", response_model=FindingRead, responses=problem_responses(404, 409))
def review_finding(
    finding_id: int, body: FindingReview, session: SessionDep, principal: Reviewer
) -> FindingRead:
    """Review a finding (dim, admin): `open` → `acknowledged` or `dismissed` (a comment is required
    to dismiss), `acknowledged` → `dismissed` or `open`, `dismissed` → `open` (reopen). Patching
    to the current status only updates the comment. A closed finding, or `dismissed` →
    `acknowledged`, is a 409. The review follows the finding across later versions of its RSS."""
    return service.review(session, principal, finding_id=finding_id, body=body)


@router.post("/validation-runs", response_model=ValidationRunResult, responses=problem_responses(403, 409))
def run_validation(
    session: SessionDep, principal: AllUnitsReviewer, _long: LongStatements
) -> ValidationRunResult:
    """Re-check every current RSS version with the references loaded now (dim, admin, with a token
    not restricted to units: the run covers every unit), e.g. after loading a nomenclature or
    changing the structure. Findings still triggered keep their review; fixed ones are closed; new
    ones are opened. One run at a time: while one runs, another is a 409 problem naming it."""
    return service.launch_validation(session, principal)
