"""Running the coding-quality rules on stored RSS versions and keeping their findings.

Ingestion hook: the ingestion loads the context once per batch (`load_context`), its block workers
run the rules (`findings_of`), and it stores each block's findings (`store_findings` with a
`Checked`, ``superseded={rss_number: previous_version_id, ...}``).

Findings keep their identity across versions of an RSS through a fingerprint
(rule code, RUM number, field, value): a finding the new version still triggers keeps its row
(id, review status, comment) re-pointed to the new version; one it no longer triggers is closed.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, TypeVar

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.clock import hospital_today
from app.core.copying import copied
from app.core.dates import check_order
from app.core.line_errors import LineError
from app.core.pagination import id_cursor, next_page
from app.core.problems import Conflict, NotFound
from app.ingestion.parser import parse_line
from app.ingestion.records import Rss, Rum
from app.reference import repository as reference_repository
from app.reference import service as reference_service
from app.rules import metrics, repository
from app.rules.catalog import REGISTRY
from app.rules.engine import (
    AuthorisationHistory,
    CcamCode,
    CimCode,
    RuleContext,
    Severity,
    UnitPeriods,
)
from app.rules.engine import Finding as Hit
from app.rules.models import Finding
from app.rules.repository import Carried, NewFinding, OpenFinding

# Here for the ingestion workers, which must not import this module's database and web stack.
from app.rules.rss_findings import RssFindings as RssFindings
from app.rules.rss_findings import findings_of as findings_of
from app.rules.schemas import (
    TRANSITIONS,
    FindingCounts,
    FindingFilter,
    FindingRead,
    FindingReview,
    FindingStatus,
    ReviewStatus,
    RuleRead,
    SummaryCounts,
    SummaryRow,
    ValidationRunResult,
)
from app.structure import repository as structure_repository
from app.structure.models import OPEN_START

__all__ = [
    "FindingCounts",
    "load_context",
    "run_validation",
    "store_findings",
]

logger = logging.getLogger(__name__)

VALIDATION_CHUNK: Final = 2000  # RSS versions re-checked per round trip
Fingerprint = tuple[str, str, str, str]
_Code = TypeVar("_Code", CimCode, CcamCode)


# --------------------------------------------------------------------------------------------------
# Context


@dataclass(frozen=True, slots=True)
class _Nomenclatures:
    generation: int
    # CIM-10, CCAM (by year), GHM labels and bounds; `load_context` adds the structure and today.
    references: RuleContext


_cache_lock = threading.Lock()
_cached: _Nomenclatures | None = None


def _deleted_label(label: str) -> bool:
    # ATIH keeps withdrawn codes in the file with a "*** SU17 *** ..." label.
    return label.startswith("***") and "SU" in label[:12]


def _versions(
    tables: Mapping[int, Mapping[str, _Code]], as_context: Callable[[Mapping[str, _Code]], RuleContext]
) -> tuple[Mapping[str, _Code] | None, Mapping[int, RuleContext] | None]:
    """(the newest year's table, year -> context of that year's table when several are loaded)."""
    if not tables:
        return None, None
    newest = tables[max(tables)]
    if len(tables) == 1:  # one version: it judges every stay
        return newest, None
    # Several years: each stay is judged by its year's version (app.rules.catalog.versions); the
    # newest year's table is the context's own, for the rules that need "a" version loaded.
    return newest, {year: as_context(table) for year, table in tables.items()}


def _ghm_bounds(
    session: Session,
) -> tuple[Mapping[tuple[int, str], tuple[str, int, int]] | None, Mapping[int, date] | None]:
    """(campaign, GHM) -> (GHS, low bound, high bound) where the campaign's table settles the GHS:
    the GHM has one valued GHS, or several that share their bounds (the lowest GHS is named)."""
    tariffs = reference_repository.ghs_tariffs(session)
    if not tariffs:
        return None, None
    by_ghm: dict[tuple[int, str], list[tuple[str, int, int]]] = defaultdict(list)
    for row in tariffs:
        if row.valued and row.low_bound is not None and row.high_bound is not None:
            by_ghm[(row.campaign, row.ghm)].append((row.ghs, row.low_bound, row.high_bound))
    bounds: dict[tuple[int, str], tuple[str, int, int]] = {}
    for key, rows in by_ghm.items():
        if len({(low, high) for _, low, high in rows}) == 1:
            bounds[key] = min(rows)
    return bounds, reference_repository.campaign_starts(session)


def _build_nomenclatures(session: Session, generation: int) -> _Nomenclatures:
    # One loaded year judges every stay; with several, each stay is judged by its year's version
    # (app.rules.catalog.versions). Withdrawals are known from the ATIH "*** SUaa ***" labels, not
    # inferred from a code missing in a later year.
    cim10: dict[int, dict[str, CimCode]] = defaultdict(dict)
    for code, year, type_mco, label in reference_repository.cim10_codes(session):
        cim10[year][code] = CimCode(code, label, type_mco, deleted=_deleted_label(label))
    ccam: dict[int, dict[str, CcamCode]] = defaultdict(dict)
    for code, year, start, end, activities, label in reference_repository.ccam_acts(session):
        ccam[year][code] = CcamCode(
            code, label, frozenset(activities) if activities else None, valid_from=start, valid_to=end
        )
    ghm: dict[str, str] = {}
    for code, _year, label in reference_repository.ghm_labels(session):
        ghm[code] = label
    cim10_table, cim10_years = _versions(cim10, lambda table: RuleContext(cim10=table))
    ccam_table, ccam_years = _versions(ccam, lambda table: RuleContext(ccam=table))
    bounds, starts = _ghm_bounds(session)
    references = RuleContext(
        cim10=cim10_table,
        ccam=ccam_table,
        ghm_labels=ghm or None,
        cim10_years=cim10_years,
        ccam_years=ccam_years,
        ghm_bounds=bounds,
        campaign_starts=starts,
    )
    return _Nomenclatures(generation, references)


def _nomenclatures(session: Session) -> _Nomenclatures:
    """The nomenclature lookups, rebuilt only when a load happened since the last build."""
    global _cached
    generation = reference_service.generation(session)
    cached = _cached
    if cached is not None and cached.generation == generation:
        return cached
    with _cache_lock:
        cached = _cached
        if cached is None or cached.generation != generation:
            cached = _build_nomenclatures(session, generation)
            _cached = cached
    return cached


def load_context(session: Session, *, today: date | None = None) -> RuleContext:
    """Reference data for one batch: nomenclatures (cached per load generation), structure and
    fichier d'UM (small, read each time). A reference with no row is None, so the rules needing
    it are reported as skipped."""
    nomenclatures = _nomenclatures(session)
    periods: dict[str, list[tuple[date | None, date | None]]] = defaultdict(list)
    for unit in structure_repository.list_units(session):
        start = None if unit.valid_from == OPEN_START else unit.valid_from
        periods[unit.code].append((start, unit.valid_to))
    authorisations = [
        (line.unit_code, line.effect_date, line.auth_type)
        for line in structure_repository.list_authorisations(session)
    ]
    return dataclasses.replace(
        nomenclatures.references,
        units=UnitPeriods(periods) if periods else None,
        authorisations=AuthorisationHistory(authorisations) if authorisations else None,
        today=today or hospital_today(),
    )


# --------------------------------------------------------------------------------------------------
# Checking and storing


@dataclass(slots=True)
class _Outcome:
    counts: FindingCounts
    opened: int
    closed: int
    carried: int
    per_rule: Counter[tuple[str, str]]


def _fingerprint(rule_code: str, rum_number: str | None, field: str | None, value: str | None) -> Fingerprint:
    return (rule_code, rum_number or "", field or "", value or "")


@dataclass(slots=True)
class Checked:
    """RSS versions (rss_version.id) with the findings the rules gave them, not yet stored."""

    items: list[tuple[int, RssFindings]]
    skipped: set[str]


def check(ctx: RuleContext, items: Sequence[tuple[int, Rss]]) -> Checked:
    """Run the rules on `items` ((rss_version.id, Rss)): pure, no database."""
    checked: list[tuple[int, RssFindings]] = []
    skipped: set[str] = set()
    for version_id, rss in items:
        result, skipped = findings_of(rss, ctx)  # the same skipped set for every RSS of a context
        checked.append((version_id, result))
    return Checked(checked, skipped)


def _reconcile(
    session: Session,
    ctx: RuleContext,
    items: Sequence[tuple[int, Rss]],
    previous_versions: Mapping[str, int],
) -> _Outcome:
    return _store_checked(session, check(ctx, items), previous_versions, new_versions=False)


def _store_checked(
    session: Session, checked: Checked, previous_versions: Mapping[str, int], *, new_versions: bool
) -> _Outcome:
    """Make the stored findings match `checked`: carry over the still-triggered findings of the
    previous version (`previous_versions`: rss_number -> version id, possibly the same version for
    a re-check), close the others, insert the new ones."""
    previous: dict[int, dict[Fingerprint, list[OpenFinding]]] = defaultdict(lambda: defaultdict(list))
    stored = repository.open_findings_of_versions(session, version_ids=list(previous_versions.values()))
    for old in stored:
        fingerprint = _fingerprint(old.rule_code, old.rum_number, old.field, old.value)
        previous[old.rss_version_id][fingerprint].append(old)
    new_rows: list[NewFinding] = []
    carried: list[Carried] = []
    unchanged = 0
    to_close: list[int] = []
    per_rule: Counter[tuple[str, str]] = Counter()

    def keep(version_id: int, exit_date: date | None, found: Hit, unit: str, old: OpenFinding) -> None:
        nonlocal unchanged
        severity = found.severity.value
        if (
            old.rss_version_id == version_id
            and old.severity == severity
            and old.rum_index == found.rum_index
            and old.message == found.message
            and old.unit == unit
            and old.rss_exit_date == exit_date
        ):
            unchanged += 1
        else:
            carried.append(
                Carried(old.id, version_id, severity, found.rum_index, found.message, unit, exit_date)
            )

    for version_id, (rss_number, exit_date, findings, units) in checked.items:
        previous_id = previous_versions.get(rss_number)
        old_by_fingerprint = previous.pop(previous_id, None) if previous_id is not None else None
        if not findings:
            if old_by_fingerprint:
                to_close.extend(old.id for bucket in old_by_fingerprint.values() for old in bucket)
            continue
        # An open finding is unique per version, rule, RUM position, field and value (the schema's
        # uq_rule_finding_open_location): a hit repeated at one location (a code listed twice) is
        # one finding. A previous finding at the very location is kept first, so that re-pointing
        # the others never crosses a location still held in the same UPDATE.
        locations: set[tuple[str, int | None, str, str]] = set()
        unmatched: list[tuple[Hit, str]] = []
        for found, unit in zip(findings, units, strict=True):
            location = (found.rule_code, found.rum_index, found.field, found.value)
            if location in locations:
                continue
            locations.add(location)
            per_rule[(found.rule_code, found.severity.value)] += 1
            bucket = (
                old_by_fingerprint.get(
                    _fingerprint(found.rule_code, found.rum_number or None, found.field, found.value)
                )
                if old_by_fingerprint
                else None
            )
            if bucket:
                same_place = next(
                    (k for k, old in enumerate(bucket) if old.rum_index == found.rum_index), None
                )
                if same_place is not None:
                    keep(version_id, exit_date, found, unit, bucket.pop(same_place))
                    continue
            unmatched.append((found, unit))
        for found, unit in unmatched:
            rum_number = found.rum_number or None
            if old_by_fingerprint:
                bucket = old_by_fingerprint.get(
                    _fingerprint(found.rule_code, rum_number, found.field, found.value)
                )
                if bucket:
                    keep(version_id, exit_date, found, unit, bucket.pop(0))
                    continue
            new_rows.append(
                (
                    version_id,
                    rss_number,
                    found.rule_code,
                    found.severity.value,
                    rum_number,
                    found.rum_index,
                    found.field,
                    found.value,
                    found.message,
                    unit,
                    exit_date,
                )
            )
        if old_by_fingerprint:
            to_close.extend(old.id for bucket in old_by_fingerprint.values() for old in bucket)
    # Closed first, then re-pointed, then opened: no step meets a location another still holds.
    repository.close_findings(session, ids=to_close)
    repository.carry_findings(session, carried)
    opened = repository.insert_findings(session, new_rows, new_versions=new_versions)
    by_severity: Counter[str] = Counter()
    for (_rule, severity), count in per_rule.items():
        by_severity[severity] += count
    counts = FindingCounts(
        blocking=by_severity[Severity.BLOCKING.value],
        warning=by_severity[Severity.WARNING.value],
        info=by_severity[Severity.INFO.value],
        skipped=frozenset(checked.skipped),
    )
    return _Outcome(counts, opened, len(to_close), len(carried) + unchanged, per_rule)


def store_findings(session: Session, checked: Checked, *, superseded: Mapping[str, int]) -> FindingCounts:
    """Store the findings of RSS versions just stored and checked (`findings_of`), never committing.

    `superseded`: rss_number -> id of the version the new one replaced, whose open findings are
    carried over (same fingerprint) or closed. One query reads those, one INSERT writes the new
    findings, one UPDATE re-points the carried ones. The versions were created by this transaction
    (ingestion), so their findings are written with COPY."""
    if not checked.items:
        return FindingCounts()
    outcome = _store_checked(session, checked, superseded, new_versions=True)
    metrics.count_findings(outcome.per_rule)
    return outcome.counts


def _rss_of(rss_number: str, lines: Sequence[tuple[int, str]]) -> Rss | None:
    rums: list[Rum] = []
    for line, line_text in lines:
        parsed = parse_line(line_text.encode("utf-8"), line)
        if isinstance(parsed, LineError):
            return None
        rums.append(parsed)
    return Rss(rss_number, rums) if rums else None


def _current_chunks(session: Session, chunk: int) -> Iterator[list[tuple[int, Rss]]]:
    after_id = 0
    while True:
        versions = repository.current_versions(session, after_id=after_id, limit=chunk)
        if not versions:
            return
        after_id = versions[-1][0]
        lines: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for version_id, line, line_text in repository.rum_lines(
            session, version_ids=[version_id for version_id, _ in versions]
        ):
            lines[version_id].append((line, line_text))
        items: list[tuple[int, Rss]] = []
        unreadable = 0
        for version_id, rss_number in versions:
            rss = _rss_of(rss_number, lines.get(version_id, ()))
            if rss is None:
                # Stored lines were accepted once; only a parser change could reject them now.
                unreadable += 1
                continue
            items.append((version_id, rss))
        if unreadable:
            logger.warning("stored RSS versions no longer parse; not re-checked", extra={"count": unreadable})
        yield items


def launch_validation(session: Session, principal: Principal) -> ValidationRunResult:
    """POST /validation-runs: `run_validation` started by `principal`, audited."""
    result = run_validation(session, started_by=principal.name)
    audit_service.record(session, principal, action="write", object_type="validation_run")
    return result


def run_validation(
    session: Session, *, started_by: str | None = None, chunk: int = VALIDATION_CHUNK
) -> ValidationRunResult:
    """Re-check every current RSS version against the references loaded now (after a nomenclature
    or structure change), by chunks of stored lines re-parsed with the ingestion parser.

    One run at a time: the run holds a lock until its transaction ends, and a run started meanwhile
    is a Conflict naming the running one (`started_by`: the token starting this one)."""
    _lock_validation_run(session, started_by or "?")
    ctx = load_context(session)
    checked = opened = closed = unchanged = 0
    skipped: set[str] = set()
    for items in _current_chunks(session, chunk):
        if not items:
            continue
        outcome = _reconcile(session, ctx, items, {rss.rss_number: version_id for version_id, rss in items})
        checked += len(items)
        opened += outcome.opened
        closed += outcome.closed
        unchanged += outcome.carried
        skipped |= outcome.counts.skipped
    if not checked:
        skipped = set(_skipped_codes(ctx))
    return ValidationRunResult(
        rss_checked=checked,
        findings_opened=opened,
        findings_closed=closed,
        findings_unchanged=unchanged,
        skipped_rules=sorted(skipped),
    )


def _lock_validation_run(session: Session, started_by: str) -> None:
    """Take the run lock, or Conflict naming the run holding it. A run that ends between the
    refused attempt and the look at its holder has freed the lock: this run takes it then."""
    for _attempt in range(3):  # a few: another run may take the lock in between
        if repository.try_lock_validation_run(session, started_by=started_by):
            return
        label, started_at = repository.running_validation_run(session)
        if label is not None or started_at is not None:
            break
    raise Conflict(_running_detail(label, started_at))


def _running_detail(label: str | None, started_at: datetime | None) -> str:
    if label is not None and label.startswith(repository.RUN_LABEL_PREFIX):
        who = f" by {label.removeprefix(repository.RUN_LABEL_PREFIX)!r}"
    else:
        who = ""
    since = f" since {started_at.astimezone(UTC).isoformat(timespec='seconds')}" if started_at else ""
    return (
        f"A validation run is already running (started{who}{since}); "
        "retry when it has finished: one run at a time."
    )


# --------------------------------------------------------------------------------------------------
# Catalogue, listing and review


def _skipped_codes(ctx: RuleContext) -> list[str]:
    return [code for code, item in REGISTRY.items() if not all(ctx.has(need) for need in item.needs)]


def list_rules(session: Session) -> list[RuleRead]:
    """The catalogue, each rule flagged `skipped` when a reference it needs is not loaded now."""
    ctx = load_context(session)
    skipped = set(_skipped_codes(ctx))
    rules = sorted(REGISTRY.values(), key=lambda item: item.code)
    return [RuleRead.model_validate({**item.as_dict(), "skipped": item.code in skipped}) for item in rules]


def _status(finding: Finding) -> FindingStatus:
    return FindingStatus.CLOSED if finding.closed_at is not None else FindingStatus(finding.status)


def to_read(finding: Finding) -> FindingRead:
    return copied(
        FindingRead,
        finding,
        rule=finding.rule_code,
        severity=Severity(finding.severity),
        status=_status(finding),
        exit_date=finding.rss_exit_date,
    )


def _check_period(date_from: date | None, date_to: date | None) -> None:
    if date_from is not None and date_to is not None:
        check_order(date_from, date_to)


def list_findings(
    session: Session,
    principal: Principal,
    *,
    rss_number: str | None = None,
    rule: str | None = None,
    severity: Severity | None = None,
    unit: str | None = None,
    pole: str | None = None,
    service: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    status: FindingStatus | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[FindingRead], str | None]:
    """One page of findings (ascending id) and the cursor of the next page, None at the end.
    Patient-level (RSS numbers): audited with the RSS numbers returned."""
    _check_period(date_from, date_to)
    where = FindingFilter(
        rss_number=rss_number,
        rule=rule,
        severity=severity.value if severity else None,
        unit=unit,
        pole=pole,
        service=service,
        date_from=date_from,
        date_to=date_to,
        status=status.value if status else None,
    )
    rows = repository.list_findings(
        session, units=principal.units, where=where, after_id=id_cursor(cursor), limit=limit + 1
    )
    page, next_cursor = next_page(rows, limit)
    items = [to_read(row) for row in page]
    audit_service.record(
        session,
        principal,
        action="read",
        object_type="rss",
        object_ids=list(dict.fromkeys(item.rss_number for item in items)),
        units=[item.unit for item in items],
    )
    return items, next_cursor


def summarise(
    session: Session, principal: Principal, *, date_from: date | None, date_to: date | None
) -> list[SummaryRow]:
    """Counts of live findings per rule and service for discharges in the period (no RSS numbers)."""
    _check_period(date_from, date_to)
    return [
        SummaryRow(
            rule=rule,
            severity=Severity(severity),
            service=service,
            open=opened,
            acknowledged=acknowledged,
            dismissed=dismissed,
            findings=findings,
        )
        for rule, severity, service, opened, acknowledged, dismissed, findings in repository.summary(
            session, units=principal.units, date_from=date_from, date_to=date_to
        )
    ]


def summary_total(rows: list[SummaryRow]) -> SummaryCounts:
    return SummaryCounts(
        open=sum(row.open for row in rows),
        acknowledged=sum(row.acknowledged for row in rows),
        dismissed=sum(row.dismissed for row in rows),
        findings=sum(row.findings for row in rows),
    )


def review(session: Session, principal: Principal, *, finding_id: int, body: FindingReview) -> FindingRead:
    """Apply a DIM review (status and comment) to a finding; see TRANSITIONS."""
    finding = repository.get(session, finding_id=finding_id)
    if finding is None or not principal.sees_unit(finding.unit):
        raise NotFound(f"finding {finding_id} does not exist")
    if finding.closed_at is not None:
        raise Conflict(f"finding {finding_id} is closed: a newer version of its RSS no longer triggers it")
    current = ReviewStatus(finding.status)
    if body.status not in TRANSITIONS[current]:
        raise Conflict(f"a finding {current.value} cannot become {body.status.value}; reopen it first")
    finding.status = body.status.value
    if body.comment is not None:
        finding.comment = body.comment.strip() or None
    finding.reviewed_by = principal.name
    finding.reviewed_at = datetime.now(UTC)
    session.flush()
    audit_service.record(
        session,
        principal,
        action="write",
        object_type="finding",
        object_ids=[finding_id],
        units=[finding.unit],
    )
    return to_read(finding)
