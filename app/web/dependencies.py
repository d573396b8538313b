"""Sessions, roles, CSRF and security headers of the web interface, and its HTML rendering.

Pages apply the API's roles (app.auth.dependencies: the same role sets, attached the same way so
the access table lists them) and its unit scoping: the principal is the session's API token."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.dependencies import ACCESS, Access
from app.auth.schemas import Principal, Role
from app.core.db import SessionDep
from app.core.problems import AppError
from app.core.uploads import read_capped
from app.turnaround.export import service_label
from app.web import charts, service

logger = logging.getLogger(__name__)

WEB_PREFIX = "/web"
SESSION_COOKIE = "dimqa_session"
LOGIN_COOKIE = "dimqa_login"  # the sign-in form's CSRF value (double submit: no session yet)
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
MAX_FORM_BYTES = 64 * 1024

# No inline script or style anywhere: every script and stylesheet is a file of app/web/static.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

# A RUM file's line errors as the DIM's staff read them, by code; the API's message (in English, for
# the interfaces that send the files) is shown beside as the detail.
LINE_ERROR_REASONS = {
    "line_length": "Longueur de ligne incorrecte pour son format",
    "not_numeric": "Zone numérique mal renseignée",
    "invalid_character": "Caractère de contrôle dans la ligne",
    "unknown_format": "Format de RUM inconnu",
    "version_mismatch": "Format du RUM incohérent avec le format du RSS groupé",
    "missing_rss_number": "N° de RSS absent",
    "duplicate_rss_in_batch": "RSS en double dans le fichier",
    "split_rss": "Lignes du RSS non consécutives",
    "unit_out_of_scope": "UM hors du périmètre du jeton",
}

ROLE_LABELS = {
    Role.INGEST: "alimentation",
    Role.READER: "lecteur",
    Role.DIM: "DIM",
    Role.ADMIN: "administrateur",
}

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["percent"] = charts.percent_label
templates.filters["euro"] = charts.euro_label
templates.filters["number"] = charts.number_label
# First letter up, the rest as written (Jinja's `capitalize` lowers "GHM" to "Ghm").
templates.filters["heading"] = lambda text: text[:1].upper() + text[1:]
templates.globals["role_labels"] = ROLE_LABELS
templates.globals["error_reason"] = lambda code: LINE_ERROR_REASONS.get(code, code)
# A group's name as the files write it: `unmapped` (a UM outside the structure) is "Non rattaché".
templates.globals["group_label"] = service_label


class SecurityHeadersMiddleware:
    """The strict policy on every page of the interface, its error pages and redirects included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_web_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_wrapper)


def is_web_path(path: str) -> bool:
    return path == "/" or path == WEB_PREFIX or path.startswith(WEB_PREFIX + "/")


@dataclass(frozen=True, slots=True)
class WebUser:
    principal: Principal
    csrf: str
    session_id: str

    @property
    def role(self) -> Role:
        return self.principal.role


class SignInRequired(Exception):
    """No live session: answered by a redirection to the sign-in page."""


def render(
    request: Request, template: str, *, user: WebUser | None = None, status: int = 200, **context: Any
) -> HTMLResponse:
    page = templates.get_template(template).render(
        request=request, user=user, path=request.url.path, **context
    )
    return HTMLResponse(page, status_code=status)


def web_user(request: Request, session: SessionDep) -> WebUser:
    session_id = request.cookies.get(SESSION_COOKIE, "")
    principal = service.resolve(session, session_id=session_id) if session_id else None
    if principal is None:
        raise SignInRequired()
    request.state.principal = principal
    user = WebUser(principal, service.csrf_token(session_id), session_id)
    request.state.web_user = user  # the error pages keep the navigation
    return user


def page_access(roles: frozenset[Role]) -> Callable[[WebUser], Awaitable[WebUser]]:
    """A page for `roles`; any other signed-in role gets the French 403 page."""
    allowed = ", ".join(ROLE_LABELS[r] for r in sorted(roles))

    async def dependency(user: Annotated[WebUser, Depends(web_user)]) -> WebUser:  # no I/O
        if user.role not in roles:
            raise PageForbidden(
                f"Votre rôle ({ROLE_LABELS[user.role]}) ne donne pas accès à cette page "
                f"(rôles admis : {allowed})."
            )
        return user

    setattr(dependency, ACCESS, Access(roles))
    return dependency


class PageForbidden(AppError):
    status, slug, title = 403, "forbidden", "Accès refusé"


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form (the only kind the pages send), capped at MAX_FORM_BYTES."""
    body = await read_capped(request, MAX_FORM_BYTES)
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=50))


Form = Annotated[dict[str, str], Depends(form_fields)]


def check_csrf(user: WebUser, submitted: str | None) -> None:
    if not service.csrf_matches(user.session_id, submitted):
        raise PageForbidden(
            "Jeton de sécurité du formulaire absent ou invalide : rechargez la page et recommencez."
        )


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{WEB_PREFIX}/connexion?suite={quote(target)}", status_code=303)


def install_error_pages(app: FastAPI) -> None:
    """On /web paths: errors as French HTML pages, a missing session as a redirection to sign-in.
    The API keeps its problem+json answers."""
    api_handler = app.exception_handlers[AppError]

    async def app_error(request: Request, exc: Exception) -> Response:
        if not is_web_path(request.url.path):
            return await api_handler(request, exc)  # type: ignore[no-any-return,misc]
        assert isinstance(exc, AppError)
        if request.headers.get(CSRF_HEADER) is not None:  # the upload script reads JSON
            return await api_handler(request, exc)  # type: ignore[no-any-return,misc]
        user = getattr(request.state, "web_user", None)
        return render(request, "error.html", user=user, status=exc.status, title=exc.title, detail=exc.detail)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        if request.method != "GET":
            return render(
                request, "error.html", status=401, title="Session expirée",
                detail="Votre session a expiré ou a été fermée : reconnectez-vous.",
            )  # fmt: skip
        return sign_in_redirect(request)

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(SignInRequired, sign_in_required)
    # A database down or hung (503) was answered on the pages as the API answers it: the DIM's
    # staff saw a raw problem+json in English instead of a page. Same status and Retry-After.
    for kind in (DBAPIError, PoolTimeout, DisconnectionError):
        app.add_exception_handler(kind, _as_page(app.exception_handlers[kind]))


_DATABASE_PAGES = {
    503: (
        "Service momentanément indisponible",
        "La base de données ne répond pas : réessayez dans quelques instants.",
    ),
    400: ("Requête invalide", "Une valeur de la requête est hors des limites de son champ."),
    500: ("Erreur interne", "Une erreur inattendue s'est produite ; elle a été journalisée."),
}


def _as_page(api_handler: Any) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        answer: Response = await api_handler(request, exc)  # logs it, as for the API
        if not is_web_path(request.url.path) or request.headers.get(CSRF_HEADER) is not None:
            return answer  # the API, and the upload script, which reads JSON
        title, detail = _DATABASE_PAGES.get(answer.status_code, _DATABASE_PAGES[500])
        user = getattr(request.state, "web_user", None)
        page = render(request, "error.html", user=user, status=answer.status_code, title=title, detail=detail)
        if "retry-after" in answer.headers:
            page.headers["Retry-After"] = answer.headers["retry-after"]
        return page

    return handler
