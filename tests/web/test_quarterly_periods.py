"""The quarterly review computes its five periods (three months, the quarter, the previous one)
in one pass: the stays of the span classified once, its events read once. Its figures must be
those of each domain's own aggregate run per period (`quarterly.period_figures`, the reports'
path), on a slice of the demo year across two quarters and several months: many services, RSS
received at known dates (coded late, not yet coded, re-sent), stays known from their RSS only,
reports stored late, an `as_of` before some discharges and reports, and unit-restricted callers."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.auth.schemas import Principal, Role
from app.core import db
from app.exhaustivity import quarterly
from app.exhaustivity.schemas import QuarterlyRead
from app.ingestion import service as ingestion_service
from app.ingestion.writer import write_rss
from app.turnaround import intake
from tests.fixtures.realistic import Realistic
from tests.turnaround.test_service_support import add_rss, moment
from tests.web.conftest import RESTRICTED_UNIT, demo

FIRST_EXIT = date(2022, 6, 22)  # the slice: stays that left from late June to mid-July 2022
LAST_EXIT = date(2022, 7, 12)
REPORTS_STORED_LATE = datetime(2022, 7, 14, 9, tzinfo=UTC)  # a back-load of every 9th report
ADMIN = Principal(name="test-admin", role=Role.ADMIN, units=None)


@pytest.fixture()
def loaded(realistic: Realistic) -> None:
    data = demo()
    chosen = [r for r in data.rss if r.exit_date is not None and FIRST_EXIT <= r.exit_date <= LAST_EXIT]
    stays = {rum.admin_number for r in chosen for rum in r.rums}
    # A third of the RSS through the ingestion (received now: not coded as of 2022), a third stored
    # received 0 to 40 days after the exit (every 5th re-sent ten days later), a third never sent;
    # the stays of the RSS sent without their movements are known from their RSS only.
    ingested, dated = chosen[0::3], chosen[1::3]
    body = ("\n".join(line for r in ingested for line in write_rss(r)) + "\n").encode()
    without_movements = {r.rums[0].admin_number for r in dated[::4]}
    with db.new_session() as session, session.begin():
        ingestion_service.ingest_rss_file(session, io.BytesIO(body), principal=ADMIN, source="demo")
        for position, rss in enumerate(dated):
            assert rss.exit_date is not None
            received = moment(rss.exit_date + timedelta(days=position % 41), 8 + position % 12)
            for resent in range(2 if position % 5 == 0 else 1):
                add_rss(
                    session,
                    stay_number=rss.rums[0].admin_number,
                    exit_date=rss.exit_date,
                    exit_unit=rss.last.unit,
                    care_type=rss.care_type,
                    received_at=received + timedelta(days=10 * resent),
                    rss_number=rss.rss_number,
                )
        events = [e for e in data.stay_events if e.stay_number in stays - without_movements]
        intake.store_events(session, "stay", events)
        documents = [e for e in data.document_events if e.stay_number in stays]
        late = documents[::9]
        intake.store_events(session, "document", [e for e in documents if e not in late])
        intake.store_events(session, "document", late, recorded_at=REPORTS_STORED_LATE)


def _reference(session: Session, principal: Principal, quarter: str, as_of: date) -> QuarterlyRead:
    """The review assembled from each period's own three aggregates."""
    first, last = quarterly.quarter_bounds(quarter)
    before = quarterly.previous_quarter(quarter)
    periods = [*quarterly.months(first), (quarter, first, last), (before, *quarterly.quarter_bounds(before))]
    figures = {label: quarterly.period_figures(session, principal, as_of, s, e) for label, s, e in periods}
    return quarterly.review(as_of, periods, figures)


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize("units", [None, (RESTRICTED_UNIT,), (RESTRICTED_UNIT, "7702", "7600")])
@pytest.mark.parametrize(
    ("quarter", "as_of"),
    [
        ("2022-Q3", date(2022, 7, 5)),  # before some discharges, most reports and every late one
        ("2022-Q3", date(2022, 7, 20)),  # after the back-load, before some RSS and re-sendings
        ("2022-Q3", date(2026, 12, 1)),  # everything known, the ingested RSS too
        ("2022-Q2", date(2022, 7, 20)),  # the slice's June in the quarter, July after it
    ],
)
def test_one_pass_review_equals_the_per_period_aggregates(
    units: tuple[str, ...] | None, quarter: str, as_of: date
) -> None:
    principal = Principal(name="test-dim", role=Role.DIM, units=units)
    with db.new_session() as session, session.begin():
        review = quarterly.quarterly_review(session, principal, quarter=quarter, as_of=as_of)
        reference = _reference(session, principal, quarter, as_of)
    assert review.model_dump() == reference.model_dump()
    # The comparison means something: the slice's month holds stays, coded and not, reports on
    # time and not, and their events, in many services (checked hospital-wide).
    month = review.hospital.months[2 if quarter == "2022-Q2" else 0].figures
    assert month.stays > 0 and month.not_coded > 0 and month.documents > 0
    if units is None:
        assert len(review.services) >= 10
        assert month.rate_coded is not None and 0 < month.rate_coded < 1
        assert month.reports_within_8_days > 0
        # Windows closed by as_of: in the month, or in the previous quarter's late June.
        assert sum(f.missing + f.late for f in (month, review.hospital.previous_quarter)) > 0
