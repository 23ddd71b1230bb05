"""Every route of the app, with every role, against the table of who may use it.

The table is the decision: a route added without an entry here fails
`test_every_route_has_a_guard_decision`, so nobody ships a page without saying who may
open it. `test_every_route_allows_and_denies_as_decided` then asks each route as each
role: a denial is a redirect to the login page (pages) or 401 (API) when logged out,
403 when logged in; anything else (200, 404 for the made-up ids used here, 422 for an
empty form …) counts as allowed. No answer may be a 500."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from booking.settings import from_environment
from booking.web.app import create_app
from tests.integration.booking_web_support import app_for
from tests.integration.test_staff import EMAILS, PASSWORD, build_staff_world, csrf

ROLES = ("anonymous", "person", "delegate", "caretaker", "department_staff", "admin")
ANYONE = frozenset(ROLES)
LOGGED_IN = ANYONE - {"anonymous"}
STAFF = frozenset({"department_staff", "admin"})
ADMIN = frozenset({"admin"})
CARETAKER = frozenset({"caretaker", "admin"})

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    # public pages and the read API: no login
    ("GET", "/"): ANYONE,
    ("GET", "/lokaler/{slug:str}"): ANYONE,
    ("GET", "/priser-og-vilkar"): ANYONE,
    ("GET", "/branninstruks"): ANYONE,
    ("GET", "/logg-inn"): ANYONE,
    ("POST", "/logg-inn"): ANYONE,
    ("POST", "/logg-ut"): ANYONE,
    ("POST", "/sprak"): ANYONE,
    ("GET", "/static/{file_path:path}"): ANYONE,
    ("GET", "/kalender/lokaler/{filename:str}"): ANYONE,
    ("GET", "/bilder/{key:str}"): ANYONE,  # pictures of premises, shown on the public pages
    ("GET", "/kalender/{filename:str}"): ANYONE,  # a secret-URL feed: the token is the key
    ("GET", "/api/v1/premises"): ANYONE,
    ("GET", "/api/v1/premises/{slug:str}"): ANYONE,
    ("GET", "/api/v1/premises/{slug:str}/availability"): ANYONE,
    ("POST", "/api/v1/quotes"): ANYONE,
    ("GET", "/api/v1/terms"): ANYONE,
    ("GET", "/hva-skjer"): ANYONE,
    ("GET", "/hva-skjer.ics"): ANYONE,
    ("POST", "/api/v1/auth/token"): ANYONE,
    ("POST", "/webhooks/{provider:str}"): ANYONE,  # the payment provider: trusted only by re-fetching
    # the test mode's hosted checkout (never in production): its unguessable link is the key, as at Stripe
    ("GET", "/testbetaling/{reference:str}"): ANYONE,
    ("POST", "/testbetaling/{reference:str}"): ANYONE,
    **{
        ("GET", path): ANYONE
        for path in (
            "/schema",
            "/schema/elements",
            "/schema/oauth2-redirect.html",
            "/schema/openapi.json",
            "/schema/openapi.yaml",
            "/schema/openapi.yml",
            "/schema/rapidoc",
            "/schema/redoc",
            "/schema/swagger",
            "/schema/{path:str}",
        )
    },
    # booking and my pages: any logged-in person
    ("GET", "/bestill/{slug:str}"): LOGGED_IN,
    ("POST", "/bestill/{slug:str}"): LOGGED_IN,
    ("GET", "/bestill/{slug:str}/serie"): LOGGED_IN,
    ("POST", "/bestill/{slug:str}/serie"): LOGGED_IN,
    ("GET", "/mine-bestillinger"): LOGGED_IN,
    ("GET", "/mine-bestillinger/{booking_id:int}"): LOGGED_IN,
    ("GET", "/betaling/{booking_id:int}"): LOGGED_IN,
    ("GET", "/saksbehandling/betalinger"): STAFF,
    ("GET", "/betaling/{booking_id:int}/ferdig"): LOGGED_IN,
    ("GET", "/betaling/{booking_id:int}/avbrutt"): LOGGED_IN,
    ("GET", "/mine-bestillinger/{booking_id:int}/avbestill"): LOGGED_IN,
    ("POST", "/mine-bestillinger/{booking_id:int}/avbestill"): LOGGED_IN,
    ("GET", "/kalender/booking/{filename:str}"): LOGGED_IN,
    ("GET", "/mine-kalendere"): LOGGED_IN,
    ("POST", "/mine-kalendere"): LOGGED_IN,
    ("GET", "/mine-organisasjoner"): LOGGED_IN,
    ("POST", "/mine-organisasjoner"): LOGGED_IN,
    ("POST", "/api/v1/bookings"): LOGGED_IN,
    ("GET", "/api/v1/bookings/{booking_id:int}"): LOGGED_IN,
    ("POST", "/api/v1/bookings/{booking_id:int}/cancel"): LOGGED_IN,
    ("GET", "/api/v1/me"): LOGGED_IN,
    ("GET", "/api/v1/me/bookings"): LOGGED_IN,
    ("POST", "/api/v1/series"): LOGGED_IN,
    # open events: the service says whose booking may be one
    ("POST", "/mine-bestillinger/{booking_id:int}/arrangement"): LOGGED_IN,
    ("POST", "/mine-bestillinger/{booking_id:int}/arrangement/fjern"): LOGGED_IN,
    **{(method, "/api/v1/bookings/{booking_id:int}/open-event"): LOGGED_IN for method in ("GET", "PUT", "DELETE")},
    # seasonal time: any logged-in person (the pages say who may apply and why not)
    ("GET", "/sesong"): LOGGED_IN,
    ("GET", "/sesong/{season_id:int}/soknad"): LOGGED_IN,
    ("POST", "/sesong/{season_id:int}/soknad"): LOGGED_IN,
    ("GET", "/min-sesongtid"): LOGGED_IN,
    ("POST", "/min-sesongtid/{allocation_id:int}/gi-tilbake"): LOGGED_IN,
    # staff work: department staff (their own department) and administrators
    ("GET", "/saksbehandling"): STAFF,
    ("POST", "/saksbehandling/bestillinger/{booking_id:int}/godkjenn"): STAFF,
    ("POST", "/saksbehandling/bestillinger/{booking_id:int}/avvis"): STAFF,
    ("POST", "/saksbehandling/serier/{series_id:int}/godkjenn"): STAFF,
    ("POST", "/saksbehandling/serier/{series_id:int}/avvis"): STAFF,
    ("GET", "/saksbehandling/organisasjoner"): STAFF,
    ("POST", "/saksbehandling/organisasjoner/{organisation_id:int}/kontroller"): STAFF,
    ("GET", "/saksbehandling/lokaler"): STAFF,
    ("GET", "/saksbehandling/lokaler/{slug:str}"): STAFF,
    ("POST", "/saksbehandling/lokaler/{slug:str}"): STAFF,
    ("POST", "/saksbehandling/lokaler/{slug:str}/bilder"): STAFF,
    ("POST", "/saksbehandling/lokaler/{slug:str}/bilder/{photo_id:int}/flytt"): STAFF,
    ("POST", "/saksbehandling/lokaler/{slug:str}/bilder/{photo_id:int}/slett"): STAFF,
    ("GET", "/saksbehandling/stenginger"): STAFF,
    ("POST", "/saksbehandling/stenginger"): STAFF,
    ("POST", "/saksbehandling/stenginger/{closure_id:int}/slett"): STAFF,
    ("GET", "/saksbehandling/rapporter"): STAFF,
    ("GET", "/saksbehandling/rapporter.csv"): STAFF,
    ("GET", "/saksbehandling/takstunntak"): STAFF,
    ("GET", "/saksbehandling/takstunntak.csv"): STAFF,
    ("GET", "/saksbehandling/arrangementer"): STAFF,
    ("POST", "/saksbehandling/arrangementer/{booking_id:int}/skjul"): STAFF,
    ("POST", "/saksbehandling/arrangementer/{booking_id:int}/vis"): STAFF,
    # seasonal allocation: staff set rounds up and decide them; anyone logged in reads a
    # round and applies through the API (the service says who may apply for whom)
    ("GET", "/saksbehandling/sesonger"): STAFF,
    ("POST", "/saksbehandling/sesonger"): STAFF,
    ("GET", "/saksbehandling/sesonger/ubrukt"): STAFF,
    ("GET", "/saksbehandling/sesonger/{season_id:int}"): STAFF,
    **{
        ("POST", f"/saksbehandling/sesonger/{{season_id:int}}/{action}"): STAFF
        for action in ("apne", "lukk", "forslag", "publiser")
    },
    **{
        ("POST", f"/saksbehandling/sesonger/{{season_id:int}}/tildelinger/{{allocation_id:int}}/{action}"): STAFF
        for action in ("fest", "flytt", "trekk")
    },
    # staff's decisions on requests through the API: the same role guard as the queue
    **{
        ("POST", f"/api/v1/{kind}/{{{key}:int}}/{action}"): STAFF
        for kind, key in (("bookings", "booking_id"), ("series", "series_id"))
        for action in ("approve", "reject")
    },
    ("POST", "/api/v1/seasons"): STAFF,
    ("GET", "/api/v1/seasons/{season_id:int}"): LOGGED_IN,
    ("POST", "/api/v1/seasons/{season_id:int}/applications"): LOGGED_IN,
    ("GET", "/api/v1/seasons/{season_id:int}/applications/{application_id:int}"): LOGGED_IN,
    **{
        ("POST", f"/api/v1/seasons/{{season_id:int}}/{action}"): STAFF
        for action in ("open", "close", "proposal", "publish")
    },
    ("GET", "/api/v1/seasons/{season_id:int}/proposal"): STAFF,
    # administrators only: the tariff and its exceptions
    ("POST", "/saksbehandling/takstunntak"): ADMIN,
    ("POST", "/saksbehandling/takstunntak/{exception_id:int}/slett"): ADMIN,
    ("GET", "/saksbehandling/regler"): ADMIN,
    ("POST", "/saksbehandling/regler/utkast"): ADMIN,
    ("GET", "/saksbehandling/regler/utkast/{draft_id:int}"): ADMIN,
    ("POST", "/saksbehandling/regler/utkast/{draft_id:int}"): ADMIN,
    ("GET", "/saksbehandling/regler/utkast/{draft_id:int}/toml"): ADMIN,
    ("POST", "/saksbehandling/regler/utkast/{draft_id:int}/toml"): ADMIN,
    ("POST", "/saksbehandling/regler/utkast/{draft_id:int}/publiser"): ADMIN,
    ("POST", "/saksbehandling/regler/utkast/{draft_id:int}/slett"): ADMIN,
    # the caretaker's list
    ("GET", "/vaktmester"): CARETAKER,
    ("POST", "/vaktmester/ikke-brukt/{booking_id:int}"): CARETAKER,
}

# Made-up values: a handler behind an open guard answers 404, and nothing is changed.
PARAMETERS = {"slug": "finnes-ikke", "filename": "finnes-ikke.ics", "file_path": "site.css", "path": "openapi.json"}
LAST = {("POST", "/logg-inn"), ("POST", "/logg-ut"), ("POST", "/sprak")}  # they change the session


def app_routes(app) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, methods in app.route_handler_method_map.items()
        for method in methods
        if method not in ("HEAD", "OPTIONS")
    }


def concrete(path: str) -> str:
    def value(match: re.Match) -> str:
        name, kind = match.group(1), match.group(2)
        return "999999" if kind == "int" else PARAMETERS.get(name, "x")

    return re.sub(r"\{(\w+):(\w+)\}", value, path)


def test_every_route_has_a_guard_decision():
    app = create_app(from_environment({"BOOKING_DATABASE_URL": "sqlite+aiosqlite:///:memory:"}))
    routes = app_routes(app)
    undecided = sorted(routes - set(EXPECTED))
    assert not undecided, f"routes without a guard decision in EXPECTED: {undecided}"
    gone = sorted(set(EXPECTED) - routes)
    assert not gone, f"EXPECTED names routes the app no longer has: {gone}"


async def ask(client, role: str, method: str, path: str):
    url = concrete(path)
    email = EMAILS.get(role, EMAILS["person"])
    if method == "GET":
        return await client.get(url, follow_redirects=False)
    if path.startswith("/api/"):
        body = {"email": email, "password": PASSWORD} if path == "/api/v1/auth/token" else {}
        return await client.request(
            method, url, json=body, headers={"x-csrftoken": csrf(client) or ""}, follow_redirects=False
        )
    data = {"_csrf_token": csrf(client)}
    if path == "/logg-inn":
        data.update(email=email, password=PASSWORD, neste="/")
    return await client.post(url, data=data, follow_redirects=False)


def verdict(role: str, answer) -> str:
    location = answer.headers.get("location", "")
    if answer.status_code in (302, 303) and location.startswith("/logg-inn"):
        return "login"
    if answer.status_code == 401:
        return "login"
    if answer.status_code == 403:
        return "forbidden"
    return "allowed"


async def test_every_route_allows_and_denies_as_decided(db):
    await build_staff_world(db.session)
    app = app_for(db, "development")
    routes = sorted(app_routes(app), key=lambda route: (route in LAST, route[0] != "GET", route))
    wrong = []
    async with AsyncTestClient(app=app) as client:
        for role in ROLES:
            client.cookies.clear()
            await client.get("/logg-inn")
            if role != "anonymous":
                answer = await client.post(
                    "/logg-inn",
                    data={"email": EMAILS[role], "password": PASSWORD, "neste": "/", "_csrf_token": csrf(client)},
                    follow_redirects=False,
                )
                assert answer.status_code == 303
            for method, path in routes:
                answer = await ask(client, role, method, path)
                allowed = role in EXPECTED.get((method, path), frozenset())
                expected = "allowed" if allowed else ("login" if role == "anonymous" else "forbidden")
                got = verdict(role, answer)
                if got != expected or answer.status_code >= 500:
                    wrong.append(f"{role:16} {method:4} {path}: expected {expected}, got {answer.status_code}")
    assert not wrong, "\n".join(wrong)
