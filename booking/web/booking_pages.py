"""Booking in the browser (logged in): choose a time → the quote with its explanation →
details → the result; refusals in words with alternatives; weekly series with every
occurrence's result and price shown before confirming, paid like one booking."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Organisation, Person
from booking.domain.errors import DomainError
from booking.domain.intervals import Interval
from booking.domain.lifecycle import Status
from booking.domain.premises import WEEKDAYS
from booking.domain.recurrence import WeeklyPattern
from booking.notify.booking_mail import PAY_PATH
from booking.services.bookings import NewBooking
from booking.services.catalogue import premises_by_slug
from booking.services.lending import Responsible
from booking.services.rulebook import HarmonisedRules
from booking.services.self_service import InvalidFields, check_details, organisations_of
from booking.services.submissions import SeriesSubmission, preview_booking, submit_booking, submit_series
from booking.services.suggestions import Alternatives, alternatives_for
from booking.settings import Settings
from booking.web.auth import requires
from booking.web.i18n import N_, message_of, tr
from booking.web.present import LABELS
from common.errors import CodedError
from common.localtime import OSLO, resolve_local
from pricing import BookingDetails

TARGET_GROUPS = {"all": N_("Alle aldre"), "children_youth": N_("Barn og unge (under 20 år)"), "adults": N_("Voksne")}
WEEKDAY_NAMES = (N_("mandag"), N_("tirsdag"), N_("onsdag"), N_("torsdag"), N_("fredag"), N_("lørdag"), N_("søndag"))
# API field names → the ids of the form fields that hold them.
FIELD_IDS = {
    "purpose": "formal",
    "attendees": "deltakere",
    "target_group": "malgruppe",
    "responsible_name": "ansvarlig_navn",
    "responsible_phone": "ansvarlig_telefon",
    "responsible_adult": "ansvarlig_voksen",
    "accept_terms": "vilkar",
    "accept_fire_instructions": "branninstruks",
    "payment_method": "betaling",
}
SELF = "selv"
PAYMENT_METHODS = {
    "card": N_("Kort – betal nå, tiden holdes av mens du betaler"),
    "invoice": N_("Faktura til organisasjonen etterpå"),
}


def payment_url(booking_id: int) -> str:
    """Where a held booking goes on to pay (payment_pages.py); for a date of a weekly
    series, the one checkout for all its held dates. (While no card provider is
    configured, card is not offered and nothing is `held`.)"""
    return PAY_PATH.format(id=booking_id)


@dataclass
class Problems:
    """Field id → the message shown next to that field, in the reader's language."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, field_id: str, message: str) -> None:
        self.by_field.setdefault(field_id, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)


def _day(text: str | None, default: date, problems: Problems, request: Request, field_id: str = "dato") -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        problems.add(field_id, tr(request, "Skriv datoen som dd.mm.åååå."))
        return default


def _clock(text: str | None, default: str, problems: Problems, request: Request, field_id: str) -> str:
    text = (text or default).strip()
    try:
        return time.fromisoformat(text).strftime("%H:%M")
    except ValueError:
        problems.add(field_id, tr(request, "Skriv klokkeslettet som tt:mm."))
        return default


def _whole(text: str | None, problems: Problems, request: Request, field_id: str) -> int | None:
    try:
        value = int((text or "").strip())
    except ValueError:
        problems.add(field_id, tr(request, "Skriv et helt tall."))
        return None
    if value < 1:
        problems.add(field_id, tr(request, "Skriv et tall som er 1 eller større."))
        return None
    return value


@dataclass
class Choice:
    """What the booker has chosen so far; it decides the quote."""

    day: date
    start: str
    end: str
    organisation: str  # an organisation id, or SELF
    attendees_text: str
    attendees: int | None
    target_group: str
    alcohol: bool
    wanted: Interval | None

    @property
    def organisation_id(self) -> int | None:
        return None if self.organisation == SELF else int(self.organisation)

    @property
    def details(self) -> BookingDetails:
        return BookingDetails(attendees=self.attendees or 1, target_group=self.target_group, alcohol=self.alcohol)

    def query(self, **changes: Any) -> str:
        values = {
            "dato": self.day.isoformat(),
            "fra": self.start,
            "til": self.end,
            "for": self.organisation,
            "deltakere": self.attendees_text,
            "malgruppe": self.target_group,
            "alkohol": "ja" if self.alcohol else "nei",
            **changes,
        }
        return urlencode(values)


def chosen_organisation(request: Request, value: str, organisations: list[Organisation], problems: Problems) -> str:
    """One of the booker's organisations (its id), or SELF."""
    if value != SELF and value not in {str(o.id) for o in organisations}:
        problems.add("for", tr(request, "Velg en av dine organisasjoner, eller «meg selv»."))
        return SELF
    return value


def read_choice(
    request: Request, values: Mapping[str, Any], organisations: list[Organisation], today: date, problems: Problems
) -> Choice:
    day = _day(values.get("dato"), today + timedelta(days=1), problems, request)
    start = _clock(values.get("fra"), "18:00", problems, request, "fra")
    end = _clock(values.get("til"), "20:00", problems, request, "til")
    organisation = chosen_organisation(
        request, values.get("for") or (str(organisations[0].id) if organisations else SELF), organisations, problems
    )
    attendees_text = (values.get("deltakere") or "1").strip()
    attendees = _whole(attendees_text, problems, request, "deltakere")
    target_group = values.get("malgruppe") or "all"
    if target_group not in TARGET_GROUPS:
        problems.add("malgruppe", tr(request, "Velg hvem arrangementet er for."))
        target_group = "all"
    wanted = None
    if not {"dato", "fra", "til"} & problems.by_field.keys():
        try:
            wanted = Interval(
                resolve_local(datetime.combine(day, time.fromisoformat(start))),
                resolve_local(datetime.combine(day, time.fromisoformat(end))),
            )
        except DomainError as error:
            problems.add("fra", message_of(request, error))
        else:
            if wanted.end <= wanted.start:
                problems.add("til", tr(request, "Til-tidspunktet må være etter fra-tidspunktet."))
                wanted = None
    return Choice(
        day, start, end, organisation, attendees_text, attendees, target_group, values.get("alkohol") == "ja", wanted
    )


def _details_form(values: Mapping[str, Any], person: Person) -> dict[str, Any]:
    return {
        "formal": values.get("formal", ""),
        "ansvarlig_navn": values.get("ansvarlig_navn", person.name),
        "ansvarlig_telefon": values.get("ansvarlig_telefon", person.phone or ""),
        "ansvarlig_voksen": bool(values.get("ansvarlig_voksen")),
        "vilkar": bool(values.get("vilkar")),
        "branninstruks": bool(values.get("branninstruks")),
    }


def check_details_form(request: Request, form: Mapping[str, Any], choice: Choice, problems: Problems) -> Responsible:
    entered = {key: (form.get(key) or "").strip() for key in ("formal", "ansvarlig_navn", "ansvarlig_telefon")}
    for problem in check_details(
        purpose=entered["formal"],
        attendees=choice.attendees or 1,
        target_group=choice.target_group,
        responsible_name=entered["ansvarlig_navn"],
        responsible_phone=entered["ansvarlig_telefon"],
        responsible_adult=bool(form.get("ansvarlig_voksen")),
        accept_terms=bool(form.get("vilkar")),
        accept_fire_instructions=bool(form.get("branninstruks")),
    ):
        problems.add(FIELD_IDS[problem.field], message_of(request, problem))
    return Responsible(entered["ansvarlig_navn"], entered["ansvarlig_telefon"])


def refusal_context(request: Request, refusal: Exception, found: Alternatives, choice: Choice) -> dict:
    collisions = [c for c in getattr(refusal, "collisions", [])]
    return {
        "refusal": message_of(request, refusal),
        "refusal_code": getattr(refusal, "code", "refused"),
        "collisions": collisions,
        "alternatives": found,
        "time_links": [
            (
                slot,
                choice.query(
                    fra=slot.start.astimezone(OSLO).strftime("%H:%M"), til=slot.end.astimezone(OSLO).strftime("%H:%M")
                ),
            )
            for slot in found.times
        ],
        "premises_links": [(p, choice.query()) for p in found.premises],
    }


def form_key(key: str, slug: str, choice: Choice) -> str:
    """The idempotency key of one submission: the form's token plus what it asks for, so a
    double click books once while a changed time after "back" books anew."""
    wanted = choice.wanted
    digest = hashlib.sha256(
        f"{slug}|{wanted.start.isoformat()}|{wanted.end.isoformat()}|{choice.organisation}".encode()
    ).hexdigest()[:16]
    return f"web:{key[:64]}:{digest}"


def payment_refusal(request: Request, refusal: Exception, problems: Problems) -> bool:
    """A refusal of how the booking was to be paid is shown at the payment field."""
    if isinstance(refusal, InvalidFields) and all(p.field == "payment_method" for p in refusal.problems):
        problems.add(FIELD_IDS["payment_method"], message_of(request, refusal.problems[0]))
        return True
    if getattr(refusal, "code", None) == "payment_method_not_allowed":
        problems.add(FIELD_IDS["payment_method"], message_of(request, refusal))
        return True
    return False


class BookingPages(Controller):
    guards = [requires()]

    async def _page(
        self,
        request: Request,
        db: AsyncSession,
        settings: Settings,
        rules: HarmonisedRules,
        now: datetime,
        person: Person,
        slug: str,
        values: Mapping[str, Any],
        *,
        problems: Problems | None = None,
        refusal: Exception | None = None,
        status_code: int = 200,
    ) -> Template:
        """The booking page: the choice so far, its preview (the submission without the
        write: price, approval, how to pay) and, for a refusal, alternatives."""
        problems = problems if problems is not None else Problems()
        premises = await premises_by_slug(db, slug)
        organisations = await organisations_of(db, person.id)
        choice = read_choice(request, values, organisations, now.astimezone(OSLO).date(), problems)
        context: dict[str, Any] = {"refusal": None}
        preview = None
        if choice.wanted is not None and choice.attendees is not None:
            wanted = choice.wanted
            asked = NewBooking(slug, wanted.start, wanted.end, person.id, choice.organisation_id, choice.details)
            preview = await preview_booking(db, settings, rules, asked, now=now)
            shown = refusal or preview.refusal
            if shown is not None:
                found = await alternatives_for(db, slug, wanted, shown, now)
                context = refusal_context(request, shown, found, choice)
        return Template(
            "booking/book.html",
            status_code=status_code,
            context={
                "p": premises,
                "choice": choice,
                "preview": preview,
                "organisations": organisations,
                "problems": problems.by_field,
                "details": _details_form(values, person),
                "key": values.get("nokkel") or uuid.uuid4().hex,
                "target_groups": TARGET_GROUPS,
                "labels": LABELS,
                "self_value": SELF,
                "payment_methods": PAYMENT_METHODS,
                "payment": preview.payment if preview else None,
                "payment_chosen": values.get("betaling"),
                **context,
            },
        )

    @get("/bestill/{slug:str}", name="book")
    async def booking_page(
        self,
        request: Request,
        slug: str,
        db: AsyncSession,
        settings: Settings,
        rules: HarmonisedRules,
        now: datetime,
        person: Person,
    ) -> Template:
        return await self._page(request, db, settings, rules, now, person, slug, request.query_params)

    @post("/bestill/{slug:str}", status_code=303)
    async def place(
        self,
        request: Request,
        slug: str,
        db: AsyncSession,
        settings: Settings,
        rules: HarmonisedRules,
        now: datetime,
        person: Person,
    ) -> Template | Redirect:
        form = await request.form()
        problems = Problems()
        organisations = await organisations_of(db, person.id)
        choice = read_choice(request, form, organisations, now.astimezone(OSLO).date(), problems)
        responsible = check_details_form(request, form, choice, problems)
        if problems or choice.wanted is None:
            return await self._page(
                request, db, settings, rules, now, person, slug, form, problems=problems, status_code=422
            )
        details = BookingDetails(
            form.get("formal", "").strip(), choice.attendees or 1, choice.target_group, choice.alcohol
        )
        new = NewBooking(
            slug,
            choice.wanted.start,
            choice.wanted.end,
            person.id,
            choice.organisation_id,
            details,
            idempotency_key=form_key(form.get("nokkel") or uuid.uuid4().hex, slug, choice),
            payment_method=form.get("betaling") or None,
        )
        try:
            booking, _ = await submit_booking(db, settings, rules, new, responsible, now=now)
        except CodedError as refusal:
            if not payment_refusal(request, refusal, problems):
                return await self._page(
                    request,
                    db,
                    settings,
                    rules,
                    now,
                    person,
                    slug,
                    form,
                    refusal=refusal,
                    status_code=getattr(refusal, "status", 422),
                )
            return await self._page(
                request, db, settings, rules, now, person, slug, form, problems=problems, status_code=422
            )
        return self._after(booking.id, booking.status)

    @staticmethod
    def _after(booking_id: int, status: str) -> Redirect:
        """The result page; a held booking goes on to payment (payment_url)."""
        if status == Status.HELD.value:
            return Redirect(payment_url(booking_id), status_code=303)
        return Redirect(f"/mine-bestillinger/{booking_id}?ny=1", status_code=303)

    # ---------------------------------------------------------------- weekly series

    async def _series_page(
        self,
        request: Request,
        db: AsyncSession,
        now: datetime,
        person: Person,
        slug: str,
        values: Mapping[str, Any],
        *,
        problems: Problems | None = None,
        result=None,
        payment=None,
        created: int | None = None,
        status_code: int = 200,
    ) -> Template:
        premises = await premises_by_slug(db, slug)
        organisations = await organisations_of(db, person.id)
        today = now.astimezone(OSLO).date()
        weekdays = values.getall("ukedag", []) if hasattr(values, "getall") else values.get("ukedag", [])
        return Template(
            "booking/series.html",
            status_code=status_code,
            context={
                "p": premises,
                "organisations": organisations,
                "problems": (problems or Problems()).by_field,
                "values": {
                    "ukedag": [d for d in weekdays if d in WEEKDAYS],
                    "fra": values.get("fra", "18:00"),
                    "til": values.get("til", "20:00"),
                    "forste": values.get("forste", (today + timedelta(days=7)).isoformat()),
                    "siste": values.get("siste", (today + timedelta(days=7 * 12)).isoformat()),
                    "for": values.get("for", str(organisations[0].id) if organisations else SELF),
                    "deltakere": values.get("deltakere", str(min(15, premises.capacity or 15))),  # never over capacity
                    "malgruppe": values.get("malgruppe", "children_youth"),
                    "alkohol": values.get("alkohol") == "ja",
                    "betaling": values.get("betaling"),
                    **_details_form(values, person),
                },
                "weekdays": list(zip(WEEKDAYS, WEEKDAY_NAMES)),
                "target_groups": TARGET_GROUPS,
                "self_value": SELF,
                "results": result.occurrences if result else None,
                "total": result.total if result else 0,
                "payment": payment,
                "payment_methods": PAYMENT_METHODS,
                "created": created,
                "key": values.get("nokkel") or uuid.uuid4().hex,
            },
        )

    @get("/bestill/{slug:str}/serie", name="book_series")
    async def series_page(
        self, request: Request, slug: str, db: AsyncSession, now: datetime, person: Person
    ) -> Template:
        return await self._series_page(request, db, now, person, slug, request.query_params)

    @post("/bestill/{slug:str}/serie", status_code=200)
    async def series(
        self,
        request: Request,
        slug: str,
        db: AsyncSession,
        settings: Settings,
        rules: HarmonisedRules,
        now: datetime,
        person: Person,
    ) -> Template | Redirect:
        """Preview every date with its price and how it can be paid; on "bekreft", book the
        dates that are free, paid as chosen: a card payment goes on to one checkout."""
        form = await request.form()
        problems = Problems()
        organisations = await organisations_of(db, person.id)
        organisation = chosen_organisation(request, form.get("for") or SELF, organisations, problems)
        today = now.astimezone(OSLO).date()
        first = _day(form.get("forste"), today, problems, request, "forste")
        last = _day(form.get("siste"), today, problems, request, "siste")
        if "forste" not in problems.by_field and first <= today:
            problems.add("forste", tr(request, "Første dato må være etter i dag."))
        start = _clock(form.get("fra"), "18:00", problems, request, "fra")
        end = _clock(form.get("til"), "20:00", problems, request, "til")
        weekdays = tuple(WEEKDAYS.index(d) for d in form.getall("ukedag", []) if d in WEEKDAYS)
        if not weekdays:
            problems.add("ukedag", tr(request, "Velg minst én ukedag."))
        attendees = _whole(form.get("deltakere"), problems, request, "deltakere")
        target_group = form.get("malgruppe", "all")
        choice = Choice(
            today,
            start,
            end,
            organisation,
            form.get("deltakere", ""),
            attendees,
            target_group if target_group in TARGET_GROUPS else "all",
            form.get("alkohol") == "ja",
            None,
        )
        responsible = check_details_form(request, form, choice, problems)
        pattern = None
        if not problems:
            try:
                pattern = WeeklyPattern(weekdays, time.fromisoformat(start), time.fromisoformat(end), first, last)
            except DomainError as error:
                problems.add(
                    {"end_not_after_start": "til", "invalid_series_range": "siste"}.get(error.code, "ukedag"),
                    message_of(request, error),
                )
        if problems or pattern is None:
            return await self._series_page(request, db, now, person, slug, form, problems=problems, status_code=422)
        details = BookingDetails(form.get("formal", "").strip(), attendees or 1, choice.target_group, choice.alcohol)
        asked = SeriesSubmission(
            slug,
            pattern,
            person,
            next((o for o in organisations if o.id == choice.organisation_id), None),
            details,
            responsible,
            form.get("betaling") or None,
            f"web-serie:{(form.get('nokkel') or uuid.uuid4().hex)[:64]}",
        )
        confirmed = form.get("handling") == "bekreft"
        try:
            submitted = await submit_series(db, settings, rules, asked, now=now, preview=not confirmed)
        except CodedError as error:
            if payment_refusal(request, error, problems):  # shown with the preview it was refused on
                preview = await submit_series(db, settings, rules, asked, now=now, preview=True)
                return await self._series_page(
                    request,
                    db,
                    now,
                    person,
                    slug,
                    form,
                    problems=problems,
                    result=preview.result,
                    payment=preview.payment,
                    status_code=422,
                )
            problems.add("siste", message_of(request, error))  # e.g. more dates than a series may have, none free
            return await self._series_page(
                request, db, now, person, slug, form, problems=problems, status_code=getattr(error, "status", 422)
            )
        result, payment = submitted.result, submitted.payment
        if not confirmed:
            return await self._series_page(request, db, now, person, slug, form, result=result, payment=payment)
        if result.first_held is not None:
            return Redirect(payment_url(result.first_held), status_code=303)
        return await self._series_page(
            request,
            db,
            now,
            person,
            slug,
            form,
            result=result,
            payment=payment,
            created=result.created,
            status_code=201,
        )


class InfoPages(Controller):
    @get("/branninstruks", name="fire_instructions")
    async def fire_instructions(self) -> Template:
        return Template("booking/fire.html")
