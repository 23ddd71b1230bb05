"""JSON API v1, the booking side: create (once per Idempotency-Key), read, cancel, my
bookings, weekly series (with a preview). Authenticated by the browser session or
`Authorization: Bearer`; a session-authenticated unsafe call must also send the
`x-csrftoken` header equal to the `csrftoken` cookie (Litestar's CSRF middleware leaves
/api/ alone). Errors are application/problem+json with a stable code."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from litestar import Controller, Response, get, post
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import HeaderParameter
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Booking, Person
from booking.domain.errors import DomainError, FieldProblem, Forbidden
from booking.domain.intervals import Interval
from booking.domain.premises import WEEKDAYS
from booking.domain.recurrence import WeeklyPattern
from booking.services.bookings import NewBooking
from booking.services.cancellation import terms_of
from booking.services.lending import Responsible
from booking.services.rulebook import HarmonisedRules
from booking.services.self_service import (
    InvalidFields,
    booking_for,
    bookings_of,
    cancel,
    cancellation_preview,
    check_details,
    may_cancel,
    organisations_of,
)
from booking.services.submissions import SeriesSubmission, submit_booking, submit_series
from booking.settings import Settings
from booking.web.auth import requires
from booking.web.booking_pages import payment_url
from booking.web.present import interval_json
from common.localtime import parse_instant
from pricing import BookingDetails
from pricing.money import decimal_text

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_KEY = 150


async def session_csrf(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A browser session must prove the call comes from our own pages."""
    if connection.method in SAFE_METHODS or connection.headers.get("authorization", "").lower().startswith("bearer "):
        return
    cookie = connection.cookies.get("csrftoken", "")
    header = connection.headers.get("x-csrftoken", "")
    if not cookie or not header or not hmac.compare_digest(cookie.encode(), header.encode()):
        raise Forbidden(
            "csrf_token_mismatch",
            "Forespørselen mangler gyldig CSRF-token.",
            "Session-authenticated calls must send the x-csrftoken header equal to the csrftoken cookie.",
        )


def booking_json(b: Booking) -> dict:
    snapshot = b.price_snapshot or {}
    return {
        "id": b.id,
        "status": b.status,
        "premises": {"slug": b.premises.slug, "name": b.premises.name},
        **interval_json(b.start_at, b.end_at),
        "organisation": {"id": b.organisation.id, "name": b.organisation.name} if b.organisation else None,
        "booked_by": {"id": b.person_id, "name": b.person.name},
        "purpose": b.purpose,
        "attendees": b.attendees,
        "target_group": b.target_group,
        "alcohol": b.alcohol,
        "price": {
            "total": decimal_text(Decimal(b.price_total or 0)),
            "currency": "NOK",
            "vat_total": snapshot.get("vat_total"),
            "customer_group": snapshot.get("customer_group"),
            "rule_set_version": snapshot.get("rule_set_version"),
            "explanation_nb": snapshot.get("explanation_nb"),
            "explanation_en": snapshot.get("explanation_en"),
            "lines": snapshot.get("lines", []),
        },
        "hold_expires_at": b.hold_expires_at.isoformat() if b.hold_expires_at else None,
        "series_id": b.series_id,
        "cancellation_reason": b.cancellation_reason,
        "created_at": b.created_at.isoformat(),
        "updated_at": b.updated_at.isoformat(),
        "links": {
            "self": f"/api/v1/bookings/{b.id}",
            "ics": f"/kalender/booking/{b.id}.ics",
            "cancel": f"/api/v1/bookings/{b.id}/cancel",
            "page": f"/mine-bestillinger/{b.id}",
            **({"payment": payment_url(b.id)} if b.status == "held" else {}),
        },
    }


def terms_json(terms) -> dict:
    return {
        "fee": decimal_text(terms.fee),
        "refund": decimal_text(terms.refund),
        "credit": decimal_text(terms.credit),
        "explanation_nb": terms.explanation_nb,
        "explanation_en": terms.explanation_en,
    }


async def with_cancellation(
    db: AsyncSession, person: Person, b: Booking, rules, now: datetime, *, just_made: bool = False
) -> dict:
    """The booking, and while it can be cancelled, what cancelling now would cost; for a
    booking `just_made` by this person nothing is read: they booked it, nothing is paid yet."""
    body = booking_json(b)
    if may_cancel(b, now):
        terms = (
            terms_of(b, rules, now, by_staff=False)
            if just_made
            else await cancellation_preview(db, person, b, rules, now)
        )
        body["cancellation"] = terms_json(terms)
    return body


@dataclass
class BookingRequest:
    premises: str
    start: str
    end: str
    organisation_id: int | None = None  # None: self-organised
    purpose: str = ""
    attendees: int = 1
    target_group: str = "all"
    alcohol: bool = False
    responsible_name: str | None = None  # None: the booker answers for the event
    responsible_phone: str = ""
    responsible_adult: bool = True
    accept_terms: bool = False
    accept_fire_instructions: bool = False
    payment_method: str | None = None  # "card" | "invoice"; without it, the only method the rules allow


@dataclass
class CancelRequest:
    reason: str = ""


@dataclass
class SeriesRequest:
    premises: str
    weekdays: list[str]  # "mon" … "sun"
    start_time: str  # local wall time, HH:MM
    end_time: str
    first_date: str
    last_date: str
    organisation_id: int | None = None  # None: self-organised
    purpose: str = ""
    attendees: int = 1
    target_group: str = "all"
    alcohol: bool = False
    responsible_name: str | None = None
    responsible_phone: str = ""
    responsible_adult: bool = True
    accept_terms: bool = False
    accept_fire_instructions: bool = False
    payment_method: str | None = None  # "card" | "invoice"; without it, the only method the rules allow
    preview: bool = False


def _checked(data: BookingRequest | SeriesRequest, person: Person, extra: list[FieldProblem] = ()) -> Responsible:
    responsible = Responsible((data.responsible_name or person.name).strip(), data.responsible_phone.strip())
    problems = [
        *extra,
        *check_details(
            purpose=data.purpose,
            attendees=data.attendees,
            target_group=data.target_group,
            responsible_name=responsible.name,
            responsible_phone=responsible.phone,
            responsible_adult=data.responsible_adult,
            accept_terms=data.accept_terms,
            accept_fire_instructions=data.accept_fire_instructions,
        ),
    ]
    if problems:
        raise InvalidFields(problems)
    return responsible


def _interval(data: BookingRequest) -> tuple[Interval, list[FieldProblem]]:
    problems, instants = [], {}
    for name in ("start", "end"):
        try:
            instants[name] = parse_instant(getattr(data, name))
        except DomainError as error:
            problems.append(FieldProblem(name, error.code, error.message_nb, error.message_en))
    if not problems and instants["end"] <= instants["start"]:
        problems.append(
            FieldProblem(
                "end",
                "end_not_after_start",
                "Sluttidspunktet må være etter starttidspunktet.",
                "The end must be after the start.",
            )
        )
    return (Interval(instants["start"], instants["end"]) if not problems else None), problems


class BookingsApi(Controller):
    path = "/api/v1"
    guards = [requires(), session_csrf]

    @post("/bookings", status_code=201)
    async def create(
        self,
        data: BookingRequest,
        db: AsyncSession,
        settings: Settings,
        rules: HarmonisedRules,
        now: datetime,
        person: Person,
        idempotency_key: str | None = HeaderParameter(name="Idempotency-Key", default=None),
    ) -> Response:
        key = (idempotency_key or "").strip()
        extra = []
        if not key or len(key) > MAX_KEY:
            extra.append(
                FieldProblem(
                    "Idempotency-Key",
                    "idempotency_key_required",
                    f"Send en Idempotency-Key-header (1–{MAX_KEY} tegn).",
                    f"Send an Idempotency-Key header of 1 to {MAX_KEY} characters.",
                )
            )
        wanted, problems = _interval(data)
        responsible = _checked(data, person, [*extra, *problems])
        details = BookingDetails(data.purpose.strip(), data.attendees, data.target_group, data.alcohol)
        asked = NewBooking(
            data.premises,
            wanted.start,
            wanted.end,
            person.id,
            data.organisation_id,
            details,
            idempotency_key=f"api:{key}",
            payment_method=data.payment_method,
        )
        booking, created = await submit_booking(db, settings, rules, asked, responsible, now=now)
        return Response(
            await with_cancellation(db, person, booking, rules, now, just_made=created),
            status_code=201 if created else 200,
        )

    @get("/bookings/{booking_id:int}")
    async def read(
        self, booking_id: int, db: AsyncSession, rules: HarmonisedRules, now: datetime, person: Person
    ) -> dict:
        booking = await booking_for(db, person, booking_id)
        return await with_cancellation(db, person, booking, rules, now)

    @post("/bookings/{booking_id:int}/cancel", status_code=200)
    async def cancel(
        self,
        booking_id: int,
        db: AsyncSession,
        settings: Settings,
        rules: HarmonisedRules,
        now: datetime,
        person: Person,
        data: CancelRequest | None = None,
    ) -> dict:
        terms = await cancel(
            db,
            settings,
            booking_id,
            actor=person,
            rules=rules,
            now=now,
            reason=(data.reason if data else ""),
        )
        booking = await booking_for(db, person, booking_id)
        return {**booking_json(booking), "cancellation_fee": terms_json(terms)}

    @get("/me/bookings")
    async def mine(self, db: AsyncSession, now: datetime, person: Person) -> dict:
        upcoming, past = await bookings_of(db, person, now)
        return {"upcoming": [booking_json(b) for b in upcoming], "past": [booking_json(b) for b in past]}

    @post("/series", status_code=201)
    async def series(
        self,
        data: SeriesRequest,
        db: AsyncSession,
        settings: Settings,
        rules: HarmonisedRules,
        now: datetime,
        person: Person,
        idempotency_key: str | None = HeaderParameter(name="Idempotency-Key", default=None),
    ) -> Response:
        """Preview (`preview: true`) or create a weekly series. A priced series needs
        `payment_method` like one booking; with "card" every date is held and
        `links.payment` leads to one checkout for all of them. With an Idempotency-Key,
        the same request again answers with the series made the first time."""
        problems, pattern = [], None
        unknown = [d for d in data.weekdays if d not in WEEKDAYS]
        if unknown or not data.weekdays:
            problems.append(
                FieldProblem(
                    "weekdays",
                    "invalid_weekdays",
                    "Velg minst én ukedag (mon–sun).",
                    "Give one or more weekdays: mon, tue, wed, thu, fri, sat, sun.",
                )
            )
        parsed = {}
        for name, kind in (("start_time", time), ("end_time", time), ("first_date", date), ("last_date", date)):
            try:
                parsed[name] = kind.fromisoformat(getattr(data, name))
            except ValueError:
                problems.append(
                    FieldProblem(
                        name,
                        "invalid_format",
                        "Ugyldig format (TT:MM eller ÅÅÅÅ-MM-DD).",
                        f"{name} must be ISO 8601 ({'HH:MM' if kind is time else 'YYYY-MM-DD'}).",
                    )
                )
        if not problems:
            try:
                pattern = WeeklyPattern(
                    tuple(WEEKDAYS.index(d) for d in data.weekdays),
                    parsed["start_time"],
                    parsed["end_time"],
                    parsed["first_date"],
                    parsed["last_date"],
                )
            except DomainError as error:
                place = {"end_not_after_start": "end_time", "invalid_series_range": "last_date"}.get(
                    error.code, "weekdays"
                )
                problems.append(FieldProblem(place, error.code, error.message_nb, error.message_en))
        key = (idempotency_key or "").strip()
        if len(key) > MAX_KEY:
            problems.append(
                FieldProblem(
                    "Idempotency-Key",
                    "idempotency_key_too_long",
                    f"Idempotency-Key kan ha høyst {MAX_KEY} tegn.",
                    f"An Idempotency-Key has at most {MAX_KEY} characters.",
                )
            )
        responsible = _checked(data, person, problems)
        organisations = await organisations_of(db, person.id)
        organisation = next((o for o in organisations if o.id == data.organisation_id), None)
        if data.organisation_id is not None and organisation is None:
            raise Forbidden(
                "not_a_delegate",
                "Du kan bare bestille serier for organisasjoner du representerer.",
                "Only a delegate of the organisation can request a series for it.",
            )
        submitted = await submit_series(
            db,
            settings,
            rules,
            SeriesSubmission(
                data.premises,
                pattern,
                person,
                organisation,
                BookingDetails(data.purpose.strip(), data.attendees, data.target_group, data.alcohol),
                responsible,
                data.payment_method,
                f"api-serie:{key}" if key else None,
            ),
            now=now,
            preview=data.preview,
        )
        result, options = submitted.result, submitted.payment
        body = {
            "preview": data.preview,
            "series_id": result.series_id,
            "created": result.created,
            "total": decimal_text(result.total),
            "currency": "NOK",
            "payment_methods": list(options.methods),
            "occurrences": [
                {
                    "date": o.day.isoformat(),
                    "booking_id": o.booking_id,
                    "status": o.status,
                    "ok": o.status is not None,
                    "code": o.error_code,
                    "price": decimal_text(o.price) if o.price is not None else None,
                    "message_nb": o.message_nb,
                    "message_en": o.message_en,
                }
                for o in result.occurrences
            ],
            "links": {"payment": payment_url(result.first_held)} if result.first_held else {},
        }
        return Response(body, status_code=200 if data.preview else 201)
