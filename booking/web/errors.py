"""The one exception-to-HTTP mapper. API paths answer application/problem+json
(RFC 9457) with a stable `code`; pages answer an error page in the reader's language,
with a way back. Unexpected errors are logged in English and never shown as a stack trace."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, PermissionDeniedException, ValidationException
from litestar.response import Redirect, Template

from booking.db.failures import database_unavailable
from booking.services.accounts import STAFF_ROLES
from booking.web.account import retry_headers
from booking.web.i18n import N_
from common.errors import CodedError

log = logging.getLogger("booking.web")

GENERIC = {
    400: ("bad_request", "Forespørselen kunne ikke forstås.", "The request could not be understood."),
    401: ("unauthorized", "Du må logge inn.", "Authentication required."),
    403: ("forbidden", "Du har ikke tilgang til dette.", "Forbidden."),
    404: ("not_found", "Siden finnes ikke.", "Not found."),
    405: ("method_not_allowed", "Metoden er ikke tillatt.", "Method not allowed."),
    413: (
        "too_large",
        "Det du sendte, er for stort. Et bilde kan være høyst 10 MB.",
        "The request is too large; a picture can be at most 10 MB.",
    ),
    429: ("rate_limited", "For mange forsøk. Vent litt og prøv igjen.", "Too many requests."),
    500: ("internal_error", "Noe gikk galt hos oss. Prøv igjen senere.", "Internal server error."),
}

# The database cannot be reached or will not serve now: ask to come back, never a 500.
DATABASE_UNAVAILABLE = (
    "database_unavailable",
    "Tjenesten er midlertidig utilgjengelig. Prøv igjen om litt.",
    "The service is temporarily unavailable. Please try again shortly.",
)
RETRY_AFTER_SECONDS = 30

# Litestar's CSRF middleware refuses with a plain PermissionDeniedException carrying this
# detail (it has no exception class of its own); a test posts a stale token through the app.
CSRF_DETAIL = "CSRF token verification failed"
CSRF_FAILED = (
    "csrf_failed",
    "Skjemaet er utløpt eller ble sendt fra en annen side. Last inn siden på nytt og prøv igjen.",
    "The form has expired or was sent from another page. Reload the page and try again.",
)

# Where an error page leads back to. Staff pages lead back to their own section (the
# approval queue by default), everyone else to the search.
SEARCH = ("/", N_("Tilbake til søket"))
STAFF_HOME = "/saksbehandling"
STAFF_SECTIONS = (
    ("/saksbehandling/lokaler", N_("Tilbake til lokalene")),
    ("/saksbehandling/stenginger", N_("Tilbake til stengingene")),
    ("/saksbehandling/rapporter", N_("Tilbake til rapportene")),
    ("/saksbehandling/takstunntak", N_("Tilbake til takstunntakene")),
    ("/saksbehandling/betalinger", N_("Tilbake til betalingene")),
    ("/saksbehandling/regler", N_("Tilbake til regelsettet")),
    ("/saksbehandling/sesonger", N_("Tilbake til sesongene")),
    ("/saksbehandling/arrangementer", N_("Tilbake til arrangementene")),
    (STAFF_HOME, N_("Tilbake til godkjenningskøen")),
)


def wants_problem(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def back_link(request: Request) -> tuple[str, str]:
    """(href, Norwegian label) for the error page's way back."""
    path = request.url.path
    person = request.state.get("person")  # known once a guard or before_request has run
    if path != STAFF_HOME and not path.startswith(STAFF_HOME + "/"):
        return SEARCH
    if person is not None and not set(STAFF_ROLES) & set(person.roles):
        return SEARCH  # not staff: the staff pages would only refuse them again
    return next((href, label) for href, label in STAFF_SECTIONS if path.startswith(href))


def problem(
    request: Request,
    status: int,
    code: str,
    message_nb: str,
    message_en: str,
    headers: dict[str, str] | None = None,
    **extra,
) -> Response:
    if wants_problem(request):
        body = {
            "type": f"https://lokaler.example/problems/{code}",
            "title": message_en,
            "status": status,
            "code": code,
            "detail": message_nb,
            **extra,
        }
        return Response(body, status_code=status, media_type="application/problem+json", headers=headers)
    back_href, back_label = back_link(request)
    return Template(
        "public/error.html",
        context={
            "status": status,
            "code": code,
            "message": message_nb,
            "message_en": message_en,
            "back_href": back_href,
            "back_label": back_label,
        },
        status_code=status,
        media_type=MediaType.HTML,
        headers=headers,
    )


def _caused_by(error: BaseException | None, kind: type[BaseException]) -> bool:
    while error is not None:
        if isinstance(error, kind):
            return True
        error = error.__cause__
    return False


def handle(request: Request, error: Exception) -> Response:
    if isinstance(error, CodedError):
        return problem(
            request,
            error.status,
            error.code,
            error.message_nb,
            error.message_en,
            headers=retry_headers(error),
            **error.details,
        )
    if isinstance(error, ValidationException):
        fields = [
            {"field": item.get("key") or "", "message": item.get("message", "")}
            for item in (error.extra or [])
            if isinstance(item, dict)
        ]
        return problem(
            request,
            422,
            "invalid_input",
            "Noen felt er ikke fylt ut riktig.",
            "Some fields are invalid.",
            errors=fields,
        )
    if isinstance(error, HTTPException):
        if error.status_code == 401 and not wants_problem(request):
            wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return Redirect(f"/logg-inn?neste={quote(wanted)}", status_code=303)
        if isinstance(error, PermissionDeniedException) and error.detail == CSRF_DETAIL:
            return problem(request, 403, *CSRF_FAILED)
        code, nb, en = GENERIC.get(error.status_code, GENERIC[400])
        return problem(request, error.status_code, code, nb, en)
    if database_unavailable(error):
        log.warning("database unavailable on %s %s: %r", request.method, request.url.path, error)
        return problem(request, 503, *DATABASE_UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if _caused_by(error, OverflowError):  # the database driver's, too, wrapped by SQLAlchemy
        # Date arithmetic past year 1 or 9999, or a number larger than the database holds:
        # only a value far outside anything the service stores gets here.
        log.info("value out of range on %s %s: %s", request.method, request.url.path, error)
        return problem(
            request,
            422,
            "out_of_range",
            "En dato eller et tall er utenfor det tjenesten kan regne med.",
            "A date or number is outside the range the service can handle.",
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(request, 500, *GENERIC[500])
