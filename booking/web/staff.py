"""Staff work: the approval queue at /saksbehandling (a weekly series decided at once or
a date at a time), and what every staff page shares
(the role guards, the sub-navigation, reading a form). Department staff handle their
own department's premises; administrators handle everything."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Person
from booking.services.approvals import approval_queue, decide, decide_series
from booking.services.premises_admin import FormValues, InvalidForm, StaffScope
from booking.services.rulebook import current_rules
from booking.web.auth import requires
from booking.web.i18n import N_, message_of

STAFF = requires("department_staff", "admin")
ADMIN = requires("admin")
CARETAKER = requires("caretaker", "admin")

# The templates translate these (message ids are the Norwegian text).
TARGET_GROUPS_NB = {"children_youth": N_("Barn og unge"), "adults": N_("Voksne"), "all": N_("Alle aldre")}
CUSTOMER_GROUPS_NB = {
    "barn_og_unge": N_("barn og unge"),
    "frivillig": N_("frivillig organisasjon"),
    "privat": N_("privat"),
    "kommersiell": N_("kommersiell"),
    "kommunal": N_("kommunal"),
}

STAFF_ROLES, ADMIN_ROLES, CARETAKER_ROLES = {"department_staff", "admin"}, {"admin"}, {"caretaker", "admin"}
SECTIONS = (
    ("queue", "/saksbehandling", N_("Godkjenning"), STAFF_ROLES),
    ("organisations", "/saksbehandling/organisasjoner", N_("Organisasjoner til kontroll"), STAFF_ROLES),
    ("premises", "/saksbehandling/lokaler", N_("Lokaler"), STAFF_ROLES),
    ("closures", "/saksbehandling/stenginger", N_("Stenginger"), STAFF_ROLES),
    ("reports", "/saksbehandling/rapporter", N_("Rapporter"), STAFF_ROLES),
    ("exceptions", "/saksbehandling/takstunntak", N_("Takstunntak"), STAFF_ROLES),
    ("payments", "/saksbehandling/betalinger", N_("Betalinger og faktura"), STAFF_ROLES),
    ("seasons", "/saksbehandling/sesonger", N_("Sesongfordeling"), STAFF_ROLES),
    ("events", "/saksbehandling/arrangementer", N_("Åpne arrangementer"), STAFF_ROLES),
    ("rules", "/saksbehandling/regler", N_("Priser og vilkår (regelsett)"), ADMIN_ROLES),
    ("caretaker", "/vaktmester", N_("Vaktmesterliste"), CARETAKER_ROLES),
)


def staff_nav(person: Person, current: str) -> list[dict]:
    """The staff pages this person may open; a caretaker alone has only their list."""
    roles = set(person.roles)
    items = [
        {"key": key, "href": href, "label": label, "current": key == current}
        for key, href, label, allowed in SECTIONS
        if allowed & roles
    ]
    return items if len(items) > 1 else []


def page(template: str, person: Person, section: str, status_code: int = 200, **context) -> Template:
    return Template(
        f"staff/{template}",
        status_code=status_code,
        context={
            "nav": staff_nav(person, section),
            "scope": StaffScope.of(person),
            "target_groups": TARGET_GROUPS_NB,
            "customer_groups": CUSTOMER_GROUPS_NB,
            **context,
        },
    )


async def form_of(request: Request) -> FormValues:
    form = await request.form()
    return FormValues({key: form.getall(key) for key in form.keys() if key != "_csrf_token"})


def field_errors(request: Request, invalid: InvalidForm) -> dict[str, str]:
    """A form's problems by field, each in the reader's language."""
    return {p.field: message_of(request, p) for p in invalid.problems}


DONE = {
    "godkjent": N_("Bestillingen er godkjent. Den som bestilte, får beskjed."),
    "avvist": N_("Bestillingen er avvist. Den som bestilte, får beskjed med begrunnelsen."),
    "serie-godkjent": N_("Datoene i serien er godkjent. Den som bestilte, får én e-post om dem."),
    "serie-avvist": N_("Datoene i serien er avvist. Den som bestilte, får én e-post om dem med begrunnelsen."),
}


class ApprovalPages(Controller):
    path = "/saksbehandling"
    guards = [STAFF]

    async def _queue(
        self,
        db,
        person: Person,
        now: datetime,
        *,
        status_code: int = 200,
        errors: dict | None = None,
        values: dict | None = None,
        done: str | None = None,
    ) -> Template:
        scope = StaffScope.of(person)
        rules = await current_rules(db)
        entries = await approval_queue(db, scope, now)
        # Each reason as (Norwegian, English), from the rule that gave it; the template picks the reader's.
        # A series shows each reason its dates have, once.
        why = {
            e.key: list(
                dict.fromkeys(
                    reason
                    for r in e.requests
                    for reason in rules.approval_reasons_of(r.booking, r.why_approval, r.why_codes)
                )
            )
            for e in entries
        }
        return page(
            "queue.html",
            person,
            "queue",
            status_code,
            entries=entries,
            why=why,
            errors=errors or {},
            values=values or {},
            done=DONE.get(done or ""),
        )

    @get("/", name="staff_queue")
    async def queue(self, db: AsyncSession, person: Person, now: datetime, utfort: str | None = None) -> Template:
        return await self._queue(db, person, now, done=utfort)

    async def _decide(
        self,
        request: Request,
        db,
        person: Person,
        now: datetime,
        approve: bool,
        *,
        booking_id: int | None = None,
        series_id: int | None = None,
    ) -> Template | Redirect:
        """One booking's request, or (`series_id`) every date of a series still waiting."""
        form = await form_of(request)
        reason = form.text("begrunnelse")
        settings, scope = request.app.state.settings, StaffScope.of(person)
        try:
            if series_id is None:
                await decide(db, settings, scope, booking_id, approve=approve, reason=reason, now=now)
            else:
                await decide_series(db, settings, scope, series_id, approve=approve, reason=reason, now=now)
        except InvalidForm as invalid:  # the reason: shown at this request's own field
            field = f"begrunnelse-{booking_id}" if series_id is None else f"begrunnelse-serie-{series_id}"
            errors = {field: message for message in field_errors(request, invalid).values()}
            return await self._queue(db, person, now, status_code=422, errors=errors, values={field: reason})
        done = (
            ("godkjent" if approve else "avvist")
            if series_id is None
            else ("serie-godkjent" if approve else "serie-avvist")
        )
        return Redirect(f"/saksbehandling?utfort={done}", status_code=303)

    @post("/bestillinger/{booking_id:int}/godkjenn", status_code=303)
    async def approve(
        self,
        request: Request,
        db: AsyncSession,
        person: Person,
        now: datetime,
        booking_id: int,
    ) -> Template | Redirect:
        return await self._decide(request, db, person, now, True, booking_id=booking_id)

    @post("/bestillinger/{booking_id:int}/avvis", status_code=303)
    async def reject(
        self,
        request: Request,
        db: AsyncSession,
        person: Person,
        now: datetime,
        booking_id: int,
    ) -> Template | Redirect:
        return await self._decide(request, db, person, now, False, booking_id=booking_id)

    @post("/serier/{series_id:int}/godkjenn", status_code=303)
    async def approve_series(
        self,
        request: Request,
        db: AsyncSession,
        person: Person,
        now: datetime,
        series_id: int,
    ) -> Template | Redirect:
        return await self._decide(request, db, person, now, True, series_id=series_id)

    @post("/serier/{series_id:int}/avvis", status_code=303)
    async def reject_series(
        self,
        request: Request,
        db: AsyncSession,
        person: Person,
        now: datetime,
        series_id: int,
    ) -> Template | Redirect:
        return await self._decide(request, db, person, now, False, series_id=series_id)
