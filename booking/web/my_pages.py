"""My pages (logged in): my and my organisations' bookings, one booking with its price
and status, cancelling with the fee shown first, a booking as an .ics file, my
calendar feeds, and my organisations with their delegates."""

from __future__ import annotations

import re
from datetime import datetime

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.models import Booking, BookingHistory, OpenEvent, Person
from booking.domain.errors import DomainError, NotFound
from booking.domain.lifecycle import Status
from booking.domain.open_events import AUDIENCES, may_open, visibility
from booking.services.feeds import (
    IssuedToken,
    booking_ics,
    change_link,
    feed_urls,
    list_tokens,
)
from booking.services.open_events import PAGE_PATH, event_of
from booking.services.organisations import make_delegate, register_organisation
from booking.services.payments import paid_in_test_mode
from booking.services.rulebook import HarmonisedRules, current_rules
from booking.services.self_service import (
    booking_for,
    bookings_of,
    cancel,
    cancellation_of,
    cancellation_preview,
    costs_of,
    delegates_of,
    holds_slot,
    may_cancel,
    organisations_of,
)
from booking.settings import Settings, get_settings
from booking.web.auth import requires
from booking.web.booking_pages import TARGET_GROUPS, Problems, payment_url
from booking.web.i18n import N_, message_of, tr
from common.errors import CodedError

STATUS_NAMES = {
    "held": N_("Reservert – venter på betaling"),
    "requested": N_("Venter på godkjenning"),
    "confirmed": N_("Bekreftet"),
    "rejected": N_("Avslått"),
    "cancelled": N_("Avbestilt"),
    "expired": N_("Utløpt"),
}
ORGANISATION_FLAGS = (
    ("works_for_children_youth", N_("Vi har aktivitet for barn og unge")),
    ("in_frivillighetsregisteret", N_("Vi er registrert i Frivillighetsregisteret")),
    ("sports_club", N_("Vi er et idrettslag")),
    ("based_in_municipality", N_("Vi holder til i kommunen")),
    ("commercial", N_("Vi driver kommersielt")),
)
ICS_NAME = re.compile(r"^(\d{1,12})\.ics$")
# Where a refusal from register_organisation belongs in the form.
ORGANISATION_FIELDS = {"name_required": "navn", "invalid_orgnr": "orgnr", "duplicate_orgnr": "orgnr"}

# What the booking page says after the open-event form (?arrangement=…).
EVENT_DONE = {
    "lagret": N_("Det åpne arrangementet er lagret."),
    "fjernet": N_("Bestillingen er ikke lenger et åpent arrangement."),
}
EVENT_VISIBILITY = {
    "listed": N_("Vises på «Hva skjer»."),
    "awaiting_confirmation": N_("Vises på «Hva skjer» når bestillingen er bekreftet."),
    "hidden": N_(
        "Skjult av kommunen: vises ikke på «Hva skjer». Endringer du gjør, vises ikke før kommunen viser "
        "arrangementet igjen."
    ),
    "not_listed": N_("Vises ikke på «Hva skjer»: bestillingen er over eller er ikke lenger aktiv."),
}


def event_context(booking: Booking, event: OpenEvent | None, now: datetime) -> dict:
    """The booking page's open-event section: the event, whether the public sees it, and
    whether it can be marked or changed now."""
    return {
        "event": event,
        "audiences": AUDIENCES,
        "events_page": PAGE_PATH,
        "visibility_texts": EVENT_VISIBILITY,
        "can_open": may_open(booking.status, booking.end_at, now),
        "event_visibility": visibility(booking.status, event.hidden_at is not None, booking.end_at, now)
        if event
        else None,
        "event_done": None,
        "event_values": None,
        "event_errors": {},
    }


async def booking_page(
    db: AsyncSession,
    person: Person,
    booking_id: int,
    now: datetime,
    *,
    status_code: int = 200,
    **context,
) -> Template:
    """One booking with its price, status, history and open event; `context` adds to it
    (what was just done, or the open-event form's values and problems)."""
    rules = await current_rules(db)
    booking = await booking_for(db, person, booking_id)
    history = list(
        (
            await db.execute(
                select(BookingHistory).where(BookingHistory.booking_id == booking.id).order_by(BookingHistory.id)
            )
        ).scalars()
    )
    fee = await cancellation_preview(db, person, booking, rules, now) if may_cancel(booking, now) else None
    cost = (await costs_of(db, [booking])).get(booking.id)
    cancellation = await cancellation_of(db, booking, history)
    event = await event_of(db, booking.id)
    test_payment = await paid_in_test_mode(db, booking.id)
    # Why a request waits for approval, in either language (the history keeps Norwegian).
    approval = {
        h.id: rules.approval_reasons_of(booking, h.reason, h.reason_codes)
        for h in history
        if h.to_status == Status.REQUESTED.value and h.reason
    }
    quote = pricing.Quote.from_snapshot(booking.price_snapshot) if booking.price_snapshot else None
    return Template(
        "mine/booking.html",
        status_code=status_code,
        context={
            "b": booking,
            "quote": quote,
            "history": history,
            "status_names": STATUS_NAMES,
            "target_groups": TARGET_GROUPS,
            "new": False,
            "cancelled_now": False,
            "can_cancel": may_cancel(booking, now),
            "fee": fee,
            "cost": cost,
            "cancellation": cancellation,
            "approval": approval,
            "payment_url": payment_url(booking.id) if booking.status == "held" else None,
            "test_payment": test_payment,
            **event_context(booking, event, now),
            **context,
        },
    )


class MyPages(Controller):
    guards = [requires()]

    @get("/mine-bestillinger", name="my_bookings")
    async def my_bookings(self, db: AsyncSession, now: datetime, person: Person) -> Template:
        upcoming, past = await bookings_of(db, person, now)
        called_off = [b for b in past if not holds_slot(b)][:100]
        costs = await costs_of(db, called_off)
        return Template(
            "mine/bookings.html",
            context={
                "upcoming": upcoming,
                "called_off": called_off,
                "past": [b for b in past if holds_slot(b)][:100],
                "costs": costs,
                "status_names": STATUS_NAMES,
                "me": person,
            },
        )

    @get("/mine-bestillinger/{booking_id:int}", name="my_booking")
    async def my_booking(
        self,
        booking_id: int,
        db: AsyncSession,
        now: datetime,
        person: Person,
        ny: str | None = None,
        avbestilt: str | None = None,
        arrangement: str | None = None,
    ) -> Template:
        return await booking_page(
            db,
            person,
            booking_id,
            now,
            new=ny is not None,
            cancelled_now=avbestilt is not None,
            event_done=EVENT_DONE.get(arrangement or ""),
        )

    @get("/mine-bestillinger/{booking_id:int}/avbestill", name="cancel_booking")
    async def cancel_page(
        self, booking_id: int, db: AsyncSession, rules: HarmonisedRules, now: datetime, person: Person
    ) -> Template | Redirect:
        booking = await booking_for(db, person, booking_id)
        if not may_cancel(booking, now):
            return Redirect(f"/mine-bestillinger/{booking_id}", status_code=303)
        fee = await cancellation_preview(db, person, booking, rules, now)
        return Template("mine/cancel.html", context={"b": booking, "fee": fee, "error": None})

    @post("/mine-bestillinger/{booking_id:int}/avbestill", status_code=303)
    async def cancel(
        self,
        request: Request,
        booking_id: int,
        db: AsyncSession,
        settings: Settings,
        rules: HarmonisedRules,
        now: datetime,
        person: Person,
    ) -> Template | Redirect:
        form = await request.form()
        try:
            await cancel(
                db,
                settings,
                booking_id,
                actor=person,
                rules=rules,
                now=now,
                reason=form.get("begrunnelse", ""),
            )
        except CodedError as refusal:
            if isinstance(refusal, NotFound) or getattr(refusal, "code", "") == "not_your_booking":
                raise
            booking = await booking_for(db, person, booking_id)
            return Template(
                "mine/cancel.html",
                status_code=getattr(refusal, "status", 409),
                context={"b": booking, "fee": None, "error": message_of(request, refusal)},
            )
        return Redirect(f"/mine-bestillinger/{booking_id}?avbestilt=1", status_code=303)

    @get("/kalender/booking/{filename:str}", name="booking_ics")
    async def booking_calendar_file(self, filename: str, db: AsyncSession, now: datetime, person: Person) -> Response:
        match = ICS_NAME.match(filename)
        if match is None:
            raise NotFound("not_found", "Siden finnes ikke.", "Not found.")
        booking = await booking_for(db, person, int(match.group(1)))
        body = await booking_ics(db, booking.id, now=now)
        return Response(
            body,
            media_type="text/calendar",
            headers={
                "Content-Disposition": f'attachment; filename="bestilling-{booking.id}.ics"',
                "Cache-Control": "private, no-store",
            },
        )

    # ---------------------------------------------------------------- calendar feed links

    async def _feeds_page(
        self,
        request: Request,
        db: AsyncSession,
        person: Person,
        *,
        issued: IssuedToken | None = None,
        status_code: int = 200,
    ) -> Template:
        organisations = await organisations_of(db, person.id)
        tokens = await list_tokens(db, owner_id=person.id, actor_id=person.id)
        names = {("person", person.id): tr(request, "Mine egne bestillinger")}
        names.update({("organisation", o.id): o.name for o in organisations})
        base = get_settings().base_url
        return Template(
            "mine/feeds.html",
            status_code=status_code,
            context={
                "tokens": [(t, names.get((t.feed, t.subject_id), tr(request, "Annen kalender"))) for t in tokens],
                "choices": list(names.items()),
                "issued": feed_urls(base, issued.path) if issued else None,
                "issued_name": names.get((issued.record.feed, issued.record.subject_id)) if issued else None,
            },
        )

    @get("/mine-kalendere", name="my_feeds")
    async def my_feeds(self, request: Request, db: AsyncSession, person: Person) -> Template:
        return await self._feeds_page(request, db, person)

    @post("/mine-kalendere", status_code=200)
    async def change_feed(self, request: Request, db: AsyncSession, now: datetime, person: Person) -> Template:
        """Make a new link (shown once: only its hash is kept), replace one, or delete one."""
        form = await request.form()
        issued = await change_link(
            db,
            form.get("handling", ""),
            calendar=form.get("kalender", ""),
            link=form.get("lenke", ""),
            person_id=person.id,
            now=now,
        )
        return await self._feeds_page(request, db, person, issued=issued)

    # ---------------------------------------------------------------- organisations

    async def _organisations_page(
        self,
        db: AsyncSession,
        person: Person,
        *,
        values=None,
        problems: Problems | None = None,
        new_id: int | None = None,
        status_code: int = 200,
    ) -> Template:
        organisations = await organisations_of(db, person.id)
        delegates = await delegates_of(db, [o.id for o in organisations])
        values = values or {}
        return Template(
            "mine/organisations.html",
            status_code=status_code,
            context={
                "organisations": organisations,
                "delegates": delegates,
                "flags": ORGANISATION_FLAGS,
                "problems": (problems or Problems()).by_field,
                "new_id": new_id,
                "values": {
                    "navn": values.get("navn", ""),
                    "orgnr": values.get("orgnr", ""),
                    "flags": [key for key, _ in ORGANISATION_FLAGS if values.get(key)]
                    if values
                    else ["based_in_municipality"],
                },
            },
        )

    @get("/mine-organisasjoner", name="my_organisations")
    async def my_organisations(self, db: AsyncSession, person: Person, ny: int | None = None) -> Template:
        return await self._organisations_page(db, person, new_id=ny)

    @post("/mine-organisasjoner", status_code=303)
    async def register(self, request: Request, db: AsyncSession, now: datetime, person: Person) -> Template | Redirect:
        form = await request.form()
        name, orgnr = form.get("navn", "").strip(), form.get("orgnr", "").strip()
        problems, status = Problems(), 422
        if len(name) > 200:
            problems.add("navn", tr(request, "Navnet kan ha høyst 200 tegn."))
        if not problems:
            try:
                organisation = await register_organisation(
                    db,
                    name=name,
                    orgnr=orgnr[:40],
                    delegate_id=person.id,
                    now=now,
                    **{key: bool(form.get(key)) for key, _ in ORGANISATION_FLAGS},
                )
            except DomainError as refusal:
                status = refusal.status
                problems.add(ORGANISATION_FIELDS.get(refusal.code, "orgnr"), message_of(request, refusal))
            else:
                await make_delegate(db, person.id)
                return Redirect(f"/mine-organisasjoner?ny={organisation.id}", status_code=303)
        return await self._organisations_page(db, person, values=form, problems=problems, status_code=status)
