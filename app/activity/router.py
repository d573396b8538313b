"""Activity breakdowns (aggregates only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from app.activity import service
from app.activity.schemas import (
    CareTypesActivity,
    GhmActivity,
    SeancesActivity,
    SsrCmActivity,
    UnitsActivity,
)
from app.api.params import ExportFormatQuery
from app.auth.dependencies import AggregateReader
from app.core.dates import BoundedDate
from app.core.db import LongExports, SessionDep
from app.core.exports import EXPORT_READ_RESPONSES, ExportFormat, Table, render
from app.core.problems import problem_responses

# Every activity route reads aggregates, as JSON or as a file to download.
router = APIRouter(tags=["activity"], responses={**problem_responses(401, 403, 503), **EXPORT_READ_RESPONSES})

Start = Annotated[
    BoundedDate, Query(alias="from", description="First RSS discharge date of the period (inclusive)")
]
End = Annotated[
    BoundedDate, Query(alias="to", description="Last RSS discharge date of the period (inclusive)")
]
# SSR/SMR activity is counted by RHS week, each dated by its Monday.
WeekStart = Annotated[BoundedDate, Query(alias="from", description="First RHS week date (Monday), inclusive")]
WeekEnd = Annotated[BoundedDate, Query(alias="to", description="Last RHS week date (Monday), inclusive")]
By = Annotated[Literal["unit", "ghm"], Query(description="Break down per exit UM (with pôle) or GHM")]
Level = Annotated[Literal["ghm", "cmd"], Query(description="Per GHM or per CMD")]


class ActivityRead:
    """What every activity route reads with: the caller (aggregates only) and a session with the
    exports' longer statement timeout (a download may count a year)."""

    def __init__(self, session: SessionDep, _long: LongExports, principal: AggregateReader) -> None:
        self.session = session
        self.principal = principal

    def answer(self, result: Any, fmt: ExportFormat, table: Callable[[Any], Table]) -> Any:
        """`result` as JSON (the route's response model), or its `table` as the file `fmt` asks for."""
        if fmt is ExportFormat.JSON:
            return result
        return render(table(result), fmt)


Reading = Annotated[ActivityRead, Depends()]


@router.get("/activity/units", response_model=UnitsActivity)
def activity_units(read: Reading, start: Start, end: End, fmt: ExportFormatQuery = ExportFormat.JSON) -> Any:
    """RUM per pôle and per UM, each RUM through the structure valid on its exit date.

    RUM of the RSS discharged in the period (current versions). UMs unknown to the structure on that
    date are listed under the pôle `unmapped`; UMs without a pôle under `no_pole`."""
    result = service.units_activity(read.session, read.principal, start=start, end=end)
    return read.answer(result, fmt, service.units_table)


@router.get("/activity/care-types", response_model=CareTypesActivity)
def activity_care_types(
    read: Reading, start: Start, end: End, fmt: ExportFormatQuery = ExportFormat.JSON
) -> Any:
    """RUM and RSS per type of care: hospitalisation complète, 0 jour (hors séance), séances.

    A unit-restricted token counts the RUM of its UMs and the RSS whose last RUM is in one of them."""
    result = service.care_types_activity(read.session, read.principal, start=start, end=end)
    return read.answer(result, fmt, service.care_types_table)


@router.get("/activity/seances", response_model=SeancesActivity)
def activity_seances(
    read: Reading, start: Start, end: End, by: By = "unit", fmt: ExportFormatQuery = ExportFormat.JSON
) -> Any:
    """RSS-séances and the sum of their `nombre de séances`, per pôle and UM or per GHM.

    Séances: RSS grouped in CMD 28, or without GHM and with séances > 0. Per UM, an RSS-séance is
    attributed to the UM of its last RUM (an RSS-séance has one RUM), so rows add up to the total."""
    result = service.seances_activity(read.session, read.principal, start=start, end=end, by=by)
    return read.answer(result, fmt, service.seances_table)


@router.get("/activity/ghm", response_model=GhmActivity)
def activity_ghm(
    read: Reading, start: Start, end: End, level: Level = "ghm", fmt: ExportFormatQuery = ExportFormat.JSON
) -> Any:
    """Case-mix: RSS per GHM (or CMD), labelled from the loaded GHM nomenclature of the period's last
    year, else the built-in CMD and CMD 28 labels. RSS without GHM are the `key: null` row."""
    result = service.ghm_activity(read.session, read.principal, start=start, end=end, level=level)
    return read.answer(result, fmt, service.ghm_table)


@router.get("/activity/ssr-cm", response_model=SsrCmActivity)
def activity_ssr_cm(
    read: Reading, start: WeekStart, end: WeekEnd, fmt: ExportFormatQuery = ExportFormat.JSON
) -> Any:
    """SSR/SMR activity per catégorie majeure (CM) of the grouped RHS: weeks (RHS), days of presence,
    distinct stays. An RHS belongs to the period containing the Monday of its week."""
    result = service.ssr_cm_activity(read.session, read.principal, start=start, end=end)
    return read.answer(result, fmt, service.ssr_cm_table)
