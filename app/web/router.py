"""The web interface's pages (French), outside the OpenAPI document: each calls the services the
API routes call, with the session's token as principal (same roles, same unit scoping, same audit)."""

from __future__ import annotations

import json
import secrets
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.activity import service as activity_service
from app.auth.dependencies import AGGREGATE_READERS, FEED_WRITERS, REVIEWERS
from app.auth.schemas import PATIENT_READERS, Role
from app.core.dates import in_range
from app.core.db import LongExports, LongStatements, SessionDep
from app.core.exports import XLSX_MEDIA_TYPE, ExportFormat, File, download
from app.core.exports import render as render_file
from app.core.problems import InvalidInput
from app.core.uploads import media_type, require_media_type, spool_request
from app.exhaustivity import export as exhaustivity_export
from app.exhaustivity import quarterly
from app.exhaustivity import service as exhaustivity_service
from app.exhaustivity.schemas import Channel, ExhaustivityRead, parse_quarter
from app.ingestion import reads as ingestion_reads
from app.ingestion import service as ingestion_service
from app.ingestion import visibility
from app.medeco import annual
from app.medeco import casemix as casemix_service
from app.medeco.schemas import Casemix, CasemixGroup
from app.rules import service as rules_service
from app.rules.schemas import FindingReview, FindingStatus, ReviewStatus
from app.rules.severity import Severity
from app.turnaround import export, reports
from app.turnaround.schemas import GroupBy, parse_iso_week
from app.web import charts, pages, repository, service
from app.web.dependencies import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    WEB_PREFIX,
    Form,
    PageForbidden,
    WebUser,
    check_csrf,
    page_access,
    render,
    web_user,
)

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
STATIC_FILES = {p.name: p for p in STATIC.iterdir() if p.suffix in STATIC_TYPES}
FINDINGS_PER_PAGE = 50
BATCHES_PER_PAGE = 20
ANNUAL_YEARS = 6  # years offered for the annual report, the last discharge's first
INGESTION_ROLES = FEED_WRITERS | PATIENT_READERS
UPLOAD_FIELD = "fichier"  # the upload form's file input
UPLOAD_FORM_FIELDS = 2  # the CSRF token and the file
UPLOAD_ERRORS_SHOWN = 50

SignedIn = Annotated[WebUser, Depends(web_user)]
Reader = Annotated[WebUser, Depends(page_access(AGGREGATE_READERS))]
ReviewerPage = Annotated[WebUser, Depends(page_access(REVIEWERS))]
IngestionPage = Annotated[WebUser, Depends(page_access(INGESTION_ROLES))]
Uploader = Annotated[WebUser, Depends(page_access(FEED_WRITERS))]


def export_format(format: str) -> ExportFormat:
    """The `format` a page's download asks for: csv or xlsx. Called in the route's body, not as a
    dependency, so that a missing required parameter is still reported first (422)."""
    if format not in (ExportFormat.CSV.value, ExportFormat.XLSX.value):
        raise InvalidInput("Format de téléchargement inconnu (csv ou xlsx).")
    return ExportFormat(format)


SEVERITY_LABELS = {
    Severity.BLOCKING: "bloquante",
    Severity.WARNING: "avertissement",
    Severity.INFO: "information",
}
STATUS_LABELS = {
    FindingStatus.OPEN: "à revoir",
    FindingStatus.ACKNOWLEDGED: "prise en compte",
    FindingStatus.DISMISSED: "écartée",
    FindingStatus.CLOSED: "close",
}
GROUP_LABELS = {GroupBy.POLE: "pôle", GroupBy.SERVICE: "service", GroupBy.UNIT: "unité médicale (UM)"}
CASEMIX_LABELS = {
    CasemixGroup.POLE: "pôle", CasemixGroup.SERVICE: "service", CasemixGroup.UNIT: "unité médicale (UM)",
    CasemixGroup.GHM: "GHM", CasemixGroup.CMD: "CMD",
}  # fmt: skip
NOT_VALUED_LABELS = {
    "no_ghm": "sans GHM", "error_ghm": "GHM en erreur", "ambiguous_ghs": "GHS ambigu",
    "no_tariff": "sans tarif",
}  # fmt: skip


def _date(raw: str | None, field: str, default: date) -> date:
    if not raw:
        return default
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{field} : « {raw} » n'est pas une date (AAAA-MM-JJ).") from None
    if not in_range(value):
        raise InvalidInput(f"{field} : {raw} est hors de la plage 1900-2100.")
    return value


def _period(
    session: SessionDep, raw_from: str | None, raw_to: str | None, *, quarter: bool = False
) -> tuple[date, date]:
    """Default: up to the last discharge known (else today), from the start of its year, or with
    `quarter` from the start of its month two months earlier (three calendar months)."""
    latest = repository.latest_discharge_date(session) or reports.today()
    first = date(latest.year, 1, 1)
    if quarter:
        month = latest.month - 2
        first = date(latest.year - (month <= 0), (month - 1) % 12 + 1, 1)
    start = _date(raw_from, "Du", first)
    end = _date(raw_to, "Au", latest)
    if end < start:
        raise InvalidInput("La date de fin précède la date de début.")
    return start, end


def _safe_next(target: str | None) -> str:
    """Only a page of the interface: never another site (an open redirection)."""
    if target and target.startswith(WEB_PREFIX + "/") and "//" not in target and "\\" not in target:
        return target
    return WEB_PREFIX + "/"


@router.get("/")
def root() -> RedirectResponse:
    """The sign-in page (or the home page when signed in) at the server's root."""
    return RedirectResponse(WEB_PREFIX + "/", status_code=303)


@router.get(WEB_PREFIX + "/")
def home(user: SignedIn) -> RedirectResponse:
    """Each role's first page."""
    first = "/integration" if user.role is Role.INGEST else "/hebdomadaire"
    return RedirectResponse(WEB_PREFIX + first, status_code=303)


@router.get(WEB_PREFIX + "/static/{name}")
def static_file(name: str) -> Response:
    path = STATIC_FILES.get(name)
    if path is None:
        return Response("Fichier inconnu", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(path.read_bytes(), media_type=STATIC_TYPES[path.suffix])


def _login_page(
    request: Request, *, error: str | None = None, status: int = 200, notice: str | None = None
) -> Response:
    value = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", status=status, login_csrf=value, error=error, notice=notice,
        suite=_safe_next(request.query_params.get("suite")),
    )  # fmt: skip
    response.set_cookie(
        LOGIN_COOKIE, value, max_age=1800, path=WEB_PREFIX, httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )  # fmt: skip
    return response


@router.get(WEB_PREFIX + "/connexion")
def login_form(request: Request) -> Response:
    """The sign-in form: an API token opens a session with its role and units."""
    notice = "Vous êtes déconnecté." if request.query_params.get("sortie") else None
    return _login_page(request, notice=notice)


@router.post(WEB_PREFIX + "/connexion")
def login(request: Request, session: SessionDep, form: Form) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    submitted = form.get(CSRF_FIELD, "")
    if not expected or not secrets.compare_digest(expected.encode(), submitted.encode()):
        return _login_page(
            request, status=403, error="Le formulaire a expiré (ou les cookies sont bloqués) : recommencez."
        )
    opened = service.sign_in(session, secret=form.get("token", ""))
    if opened is None:
        return _login_page(request, status=401, error="Jeton inconnu ou révoqué.")
    response = RedirectResponse(_safe_next(form.get("suite")), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, opened.session_id, max_age=opened.max_age, path="/", httponly=True,
        samesite="strict", secure=request.url.scheme == "https",
    )  # fmt: skip
    response.delete_cookie(LOGIN_COOKIE, path=WEB_PREFIX)
    return response


@router.post(WEB_PREFIX + "/deconnexion")
def logout(request: Request, session: SessionDep, user: SignedIn, form: Form) -> Response:
    check_csrf(user, form.get(CSRF_FIELD))
    service.sign_out(session, session_id=user.session_id)
    response = RedirectResponse(WEB_PREFIX + "/connexion?sortie=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get(WEB_PREFIX + "/hebdomadaire")
def weekly(
    request: Request, session: SessionDep, user: Reader, week: str | None = None, detail: bool = False
) -> Response:
    """The weekly deliverable: per service, table and bars, the 12-week trend, downloads; with
    `detail` (dim, admin) the late and missing stays, an audited patient-level read."""
    if detail and user.role not in PATIENT_READERS:
        raise PageForbidden(
            "La liste des séjours en retard ou manquants est réservée aux rôles DIM et administrateur."
        )
    chosen = _week((week or "").strip() or pages.default_week(session))
    data = pages.weekly_page(session, user.principal, week=chosen, detail=detail)
    return render(
        request, "weekly.html", user=user, page=data, week=chosen,
        can_detail=user.role in PATIENT_READERS,
    )  # fmt: skip


@router.get(WEB_PREFIX + "/hebdomadaire/export")
def weekly_export(session: SessionDep, user: Reader, week: str, format: str = "csv") -> Response:
    fmt = export_format(format)
    data = reports.weekly_report(session, user.principal, week=_week(week))
    if fmt is ExportFormat.CSV:
        return download(export.weekly_csv(data.report, data.summaries, data.total))
    return download(export.weekly_xlsx(data.report, data.summaries, data.total))


@router.get(WEB_PREFIX + "/delais")
def turnaround_page(
    request: Request,
    session: SessionDep,
    user: Reader,
    group_by: str = GroupBy.SERVICE.value,
) -> Response:
    """Turnaround over any period, per pôle, service or UM (by default the last three months)."""
    start, end = _period(
        session, request.query_params.get("from"), request.query_params.get("to"), quarter=True
    )
    try:
        grouping = GroupBy(group_by)
    except ValueError:
        raise InvalidInput("Regroupement inconnu (pole, service ou unit).") from None
    figures = reports.turnaround(session, user.principal, reports.PeriodScope(start, end), group_by=grouping)
    return render(
        request, "turnaround.html", user=user, figures=figures, start=start, end=end, grouping=grouping,
        group_labels=GROUP_LABELS,
    )  # fmt: skip


def _finding_filters(request: Request) -> dict[str, str]:
    keys = ("rule", "severity", "service", "status")
    return {key: request.query_params.get(key, "").strip() for key in keys}


@router.get(WEB_PREFIX + "/anomalies")
def findings_page(
    request: Request, session: SessionDep, user: ReviewerPage, cursor: str | None = None
) -> Response:
    """Findings to review (DIM, admin), filtered as the API filters them; the service audits the read."""
    filters = _finding_filters(request)
    try:
        severity = Severity(filters["severity"]) if filters["severity"] else None
        status = FindingStatus(filters["status"]) if filters["status"] else None
    except ValueError:
        raise InvalidInput("Filtre de gravité ou de statut inconnu.") from None
    items, next_cursor = rules_service.list_findings(
        session, user.principal, rule=filters["rule"] or None, severity=severity,
        service=filters["service"] or None, status=status, cursor=cursor, limit=FINDINGS_PER_PAGE,
    )  # fmt: skip
    chosen = {k: v for k, v in filters.items() if v}
    next_query = urlencode({**chosen, "cursor": next_cursor}) if next_cursor else None
    reviewed = request.query_params.get("reviewed")
    return render(
        request, "findings.html", user=user, items=items, filters=filters, query=urlencode(chosen),
        next_query=next_query,
        severity_labels=SEVERITY_LABELS, status_labels=STATUS_LABELS, reviewed=reviewed,
    )  # fmt: skip


@router.post(WEB_PREFIX + "/anomalies/{finding_id}/revue")
def review_finding(
    finding_id: int, request: Request, session: SessionDep, user: ReviewerPage, form: Form
) -> Response:
    """Acknowledge, dismiss (comment required) or reopen a finding, as PATCH /findings/{id} does."""
    check_csrf(user, form.get(CSRF_FIELD))
    comment = form.get("comment", "").strip() or None
    try:
        body = FindingReview(status=ReviewStatus(form.get("status", "")), comment=comment)
    except (ValueError, ValidationError):
        raise InvalidInput(
            "Revue refusée : choisissez un statut, et écrivez un commentaire pour écarter une anomalie."
        ) from None
    rules_service.review(session, user.principal, finding_id=finding_id, body=body)
    back = form.get("back", "")
    separator = "&" if back else ""
    return RedirectResponse(f"{WEB_PREFIX}/anomalies?{back}{separator}reviewed={finding_id}", status_code=303)


@router.get(WEB_PREFIX + "/activite")
def activity_page(request: Request, session: SessionDep, user: Reader) -> Response:
    """Types of care, RUM per pôle and UM, séances per UM."""
    start, end = _period(session, request.query_params.get("from"), request.query_params.get("to"))
    principal = user.principal
    return render(
        request, "activity.html", user=user, start=start, end=end,
        care_types=activity_service.care_types_activity(session, principal, start=start, end=end),
        units=activity_service.units_activity(session, principal, start=start, end=end),
        seances=activity_service.seances_activity(session, principal, start=start, end=end, by="unit"),
    )  # fmt: skip


@router.get(WEB_PREFIX + "/integration")
def ingestion_page(
    request: Request, session: SessionDep, user: IngestionPage, cursor: str | None = None
) -> Response:
    """Batches received with their errors (DIM, admin: audited when RSS numbers show), and the
    RUM/RSS file upload (ingest, admin)."""
    batches: list[Any] = []
    next_cursor = None
    if user.role in PATIENT_READERS:
        page = ingestion_reads.list_batches(session, cursor=cursor, limit=BATCHES_PER_PAGE)
        batches = visibility.shown_to(session, user.principal, page.items)
        next_cursor = page.next_cursor
    return render(
        request, "ingestion.html", user=user, batches=batches, next_cursor=next_cursor,
        can_upload=user.role in FEED_WRITERS, can_list=user.role in PATIENT_READERS,
    )  # fmt: skip


@router.post(WEB_PREFIX + "/integration/fichier")
async def upload_file(
    request: Request, session: SessionDep, _long: LongStatements, user: Uploader
) -> Response:
    """A RUM/RSS file stored as POST /rum-batches stores it. Sent by the page's script (raw body,
    CSRF token in a header), it answers the batch as JSON for the progress panel; sent by the plain
    form without JavaScript (multipart, CSRF token in a field), a page with the batch's outcome."""
    if media_type(request) == "multipart/form-data":
        return await _upload_form(request, session, user)
    if not service.csrf_matches(user.session_id, request.headers.get(CSRF_HEADER)):
        raise PageForbidden("Jeton de sécurité absent ou invalide : rechargez la page.")
    require_media_type(request, ("application/octet-stream", "text/plain"))
    upload = await spool_request(request)
    with upload.file:
        batch, created = await run_in_threadpool(
            lambda: ingestion_service.ingest_rss_file(
                session, upload.file, principal=user.principal, source="web", sha256=upload.sha256,
            )
        )  # fmt: skip
    return JSONResponse(
        json.loads(batch.model_dump_json()) | {"created": created}, status_code=201 if created else 200
    )


async def _upload_form(request: Request, session: SessionDep, user: WebUser) -> Response:
    """The no-JavaScript upload: python-multipart spools the file part to disk past 1 MB (the app's
    body limit still caps the request); one file and the CSRF field, nothing else is read."""
    async with request.form(max_files=1, max_fields=UPLOAD_FORM_FIELDS) as form:
        check_csrf(user, _text_field(form.get(CSRF_FIELD)))
        part = form.get(UPLOAD_FIELD)
        if not isinstance(part, UploadFile) or not part.filename:
            raise InvalidInput("Choisissez un fichier RSS à envoyer.")
        batch, created = await run_in_threadpool(
            lambda: ingestion_service.ingest_rss_file(
                session, part.file, principal=user.principal, source="web"
            )
        )
    return render(
        request, "upload_result.html", user=user, batch=batch, created=created, filename=part.filename,
        errors_shown=UPLOAD_ERRORS_SHOWN,
        status=201 if created else 200,
    )  # fmt: skip


def _text_field(value: UploadFile | str | None) -> str | None:
    return value if isinstance(value, str) else None


def _casemix(request: Request, session: SessionDep, user: WebUser, group_by: str) -> Casemix:
    start, end = _period(session, request.query_params.get("from"), request.query_params.get("to"))
    try:
        grouping = CasemixGroup(group_by)
    except ValueError:
        raise InvalidInput("Regroupement inconnu (pole, service, unit, ghm ou cmd).") from None
    compare = request.query_params.get("compare") == "previous_year"
    return casemix_service.casemix(
        session, user.principal, group_by=grouping, start=start, end=end, compare=compare
    )


@router.get(WEB_PREFIX + "/casemix")
def casemix_page(
    request: Request, session: SessionDep, user: Reader, group_by: str = CasemixGroup.POLE.value
) -> Response:
    """Case-mix and valuation per pôle, service, UM, GHM or CMD, optionally with the year before
    (GET /casemix's figures: aggregates, reader, dim, admin)."""
    result = _casemix(request, session, user, group_by)
    chart = charts.value_chart(
        [(export.service_label(row.key, row.label), row.valuation_total) for row in result.rows],
        ident="valorisation", legend="Valorisation totale (€)", label=charts.euro_label,
        title=f"Valorisation par {CASEMIX_LABELS[result.group_by]}",
    )  # fmt: skip
    query = {
        "from": result.period.start.isoformat(), "to": result.period.end.isoformat(),
        "group_by": result.group_by.value,
        **({"compare": "previous_year"} if result.previous_period else {}),
    }  # fmt: skip
    return render(
        request, "casemix.html", user=user, result=result, chart=chart, group_labels=CASEMIX_LABELS,
        reasons=NOT_VALUED_LABELS, query=urlencode(query),
    )  # fmt: skip


@router.get(WEB_PREFIX + "/casemix/export")
def casemix_export(
    request: Request,
    session: SessionDep,
    user: Reader,
    group_by: str = CasemixGroup.POLE.value,
    format: str = "csv",
) -> Response:
    """The page's table as GET /casemix?format= downloads it (the same file)."""
    fmt = export_format(format)
    return render_file(casemix_service.casemix_table(_casemix(request, session, user, group_by)), fmt)


def _exhaustivity(
    request: Request, session: SessionDep, user: WebUser, group_by: str, *, detail: bool
) -> ExhaustivityRead:
    if detail and user.role not in PATIENT_READERS:
        raise PageForbidden("La liste des séjours non codés est réservée aux rôles DIM et administrateur.")
    start, end = _period(session, request.query_params.get("from"), request.query_params.get("to"))
    raw_as_of = request.query_params.get("as_of")
    as_of = _date(raw_as_of, "Situation au", start) if raw_as_of else None
    try:
        grouping = GroupBy(group_by)
    except ValueError:
        raise InvalidInput("Regroupement inconnu (pole, service ou unit).") from None
    return exhaustivity_service.exhaustivity(
        session, user.principal, reports.PeriodScope(start, end, as_of), group_by=grouping, detail=detail
    )


@router.get(WEB_PREFIX + "/exhaustivite")
def exhaustivity_page(
    request: Request, session: SessionDep, user: Reader, group_by: str = GroupBy.SERVICE.value,
    detail: bool = False,
) -> Response:  # fmt: skip
    """Coding exhaustivity per pôle, service or UM (GET /exhaustivity's figures); with `detail`
    (dim, admin) the stays not coded, a patient-level read the service audits."""
    report = _exhaustivity(request, session, user, group_by, detail=detail)
    chart = charts.value_chart(
        [(export.service_label(row.group, row.label), row.rate_coded) for row in report.rows],
        ident="exhaustivite", legend="Séjours codés (%)", label=charts.percent_label, maximum=1.0,
        title=f"Taux de séjours codés par {GROUP_LABELS[report.group_by]}",
    )  # fmt: skip
    query = {
        "from": report.date_from.isoformat(), "to": report.date_to.isoformat(),
        "as_of": report.as_of.isoformat(), "group_by": report.group_by.value,
    }  # fmt: skip
    return render(
        request, "exhaustivity.html", user=user, report=report, chart=chart, group_labels=GROUP_LABELS,
        query=urlencode(query), can_detail=user.role in PATIENT_READERS,
    )  # fmt: skip


@router.get(WEB_PREFIX + "/exhaustivite/export")
def exhaustivity_export_file(
    request: Request,
    session: SessionDep,
    user: Reader,
    group_by: str = GroupBy.SERVICE.value,
    format: str = "csv",
) -> Response:
    """The page's table as GET /exhaustivity?format= downloads it (aggregates only)."""
    fmt = export_format(format)
    report = _exhaustivity(request, session, user, group_by, detail=False)
    return download(exhaustivity_export.exhaustivity_file(report, fmt))


def _week(chosen: str) -> str:
    try:
        parse_iso_week(chosen)
    except ValueError:
        raise InvalidInput(
            f"Semaine « {chosen} » inconnue : écrivez-la AAAA-Wss, par exemple 2026-W05."
        ) from None
    return chosen


def _quarter(raw: str | None, default: str) -> str:
    chosen = (raw or "").strip() or default
    try:
        parse_quarter(chosen)
    except ValueError:
        raise InvalidInput(
            f"Trimestre « {chosen} » inconnu : écrivez-le AAAA-Qn, par exemple 2026-Q1."
        ) from None
    return chosen


def _report_years(session: SessionDep) -> list[int]:
    latest = (repository.latest_discharge_date(session) or reports.today()).year
    return list(range(latest, latest - ANNUAL_YEARS, -1))


@router.get(WEB_PREFIX + "/trimestre")
def quarterly_page(
    request: Request, session: SessionDep, _long: LongExports, user: Reader, quarter: str | None = None
) -> Response:
    """The quarterly review (GET /reports/quarterly's figures, the same scoping): per service and
    month, the previous quarter beside, the largest falls of the on-time rate, the channel mix;
    and the annual report's download for the direction."""
    latest = pages.default_quarter(session)
    chosen = _quarter(quarter, latest)
    review = quarterly.quarterly_review(session, user.principal, quarter=chosen)
    by_code = {row.service: row for row in review.services}
    chart = charts.value_chart(
        [(export.service_label(row.service, row.label), row.quarter.rate_j8) for row in review.services],
        ident="trimestre", legend="Reçus à J8 (%)", label=charts.percent_label, maximum=1.0,
        title=f"Comptes rendus reçus à J8 par service, {pages.quarter_label(chosen)}",
    )  # fmt: skip
    return render(
        request, "quarterly.html", user=user, review=review, chart=chart,
        falls=[by_code[code] for code in review.largest_falls], channels=[c.value for c in Channel],
        choices=pages.quarter_choices(latest, chosen),
        years=_report_years(session), quarter_label=pages.quarter_label, month_label=pages.month_label,
        query=urlencode({"quarter": chosen}),
    )  # fmt: skip


@router.get(WEB_PREFIX + "/trimestre/export")
def quarterly_export(
    session: SessionDep, _long: LongExports, user: Reader, quarter: str, format: str = "csv"
) -> Response:
    """The review as GET /reports/quarterly?format= downloads it (the same file)."""
    fmt = export_format(format)
    review = quarterly.quarterly_review(session, user.principal, quarter=_quarter(quarter, ""))
    return download(exhaustivity_export.quarterly_file(review, fmt))


@router.get(WEB_PREFIX + "/rapport-annuel")
def annual_export(session: SessionDep, _long: LongExports, user: Reader, year: str = "") -> Response:
    """The annual medico-economic report's workbook, as GET /reports/annual?format=xlsx gives it."""
    if not year.isdigit() or not 1900 <= int(year) <= 2100:
        raise InvalidInput(f"Année « {year} » invalide : écrivez-la sur quatre chiffres (1900 à 2100).")
    report = annual.annual_report(session, user.principal, year=int(year))
    return download(File(annual.to_xlsx(report), XLSX_MEDIA_TYPE, f"rapport-annuel-{year}.xlsx"))
