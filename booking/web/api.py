"""JSON API v1 (read side and quotes). Times are ISO 8601; without an offset they are
Europe/Oslo wall time. Errors are application/problem+json with a stable code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from litestar import Controller, get, post
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.models import Organisation
from booking.domain.errors import DomainError, NotFound
from booking.domain.intervals import Interval
from booking.services.catalogue import SearchFilters, availability, matching, premises_by_slug, search
from booking.services.photos import photos_of
from booking.services.quotes import quote_request
from booking.services.rulebook import HarmonisedRules
from booking.web.present import interval_json, photo_json, premises_json
from common.localtime import parse_instant
from pricing import BookingDetails

MAX_WINDOW = timedelta(days=62)


def window_of(start: str, end: str) -> Interval:
    window = Interval(parse_instant(start), parse_instant(end))
    if window.end <= window.start:
        raise DomainError(
            "end_not_after_start", "Sluttidspunktet må være etter starttidspunktet.", "`to` must be after `from`."
        )
    if window.duration > MAX_WINDOW:
        raise DomainError(
            "window_too_long", "Du kan se på høyst 62 dager om gangen.", "The window may be at most 62 days."
        )
    return window


@dataclass
class QuoteRequest:
    premises: str
    start: str
    end: str
    customer_group: str | None = None
    organisation_id: int | None = None
    attendees: int = 1
    target_group: str = "all"
    alcohol: bool = False


class PremisesApi(Controller):
    path = "/api/v1"

    @get("/premises")
    async def list_premises(
        self,
        db: AsyncSession,
        now: datetime,
        free_from: str | None = None,
        free_to: str | None = None,
        district: str | None = None,
        kind: str | None = None,
        min_capacity: int = 0,
        equipment: list[str] | None = None,
        accessibility: list[str] | None = None,
    ) -> dict:
        if bool(free_from) != bool(free_to):
            raise DomainError(
                "incomplete_window", "Oppgi både free_from og free_to.", "Give both free_from and free_to."
            )
        window = window_of(free_from, free_to) if free_from else None
        filters = SearchFilters(
            window or Interval(now, now + timedelta(minutes=1)),
            district,
            kind,
            min_capacity,
            tuple(equipment or ()),
            tuple(accessibility or ()),
        )
        rows = await (matching(db, filters) if window is None else search(db, filters, now=now))
        return {"items": [premises_json(p) for p in rows], "count": len(rows)}

    @get("/premises/{slug:str}")
    async def get_premises(self, slug: str, db: AsyncSession) -> dict:
        """The premises, with its pictures in order (URLs on this site, sizes, alt texts)."""
        premises = await premises_by_slug(db, slug)
        photos = await photos_of(db, premises.id)
        return {**premises_json(premises), "photos": [photo_json(photo) for photo in photos]}

    @get("/premises/{slug:str}/availability")
    async def get_availability(
        self,
        slug: str,
        db: AsyncSession,
        now: datetime,
        from_: str | None = QueryParameter(name="from", default=None),
        to: str | None = None,
    ) -> dict:
        if not from_ or not to:
            raise DomainError("incomplete_window", "Oppgi både from og to.", "Give both `from` and `to`.")
        window = window_of(from_, to)
        avail = await availability(db, slug, window, now=now)
        return {
            "premises": slug,
            "from": window.start.isoformat(),
            "to": window.end.isoformat(),
            "open": [interval_json(i.start, i.end) for i in avail.open],
            "free": [interval_json(i.start, i.end) for i in avail.free],
            "busy": [interval_json(b.interval.start, b.interval.end) for b in avail.busy],
            "closures": [
                {**interval_json(c.interval.start, c.interval.end), "reason": c.reason} for c in avail.closures
            ],
        }

    @post("/quotes", status_code=200)
    async def create_quote(self, data: QuoteRequest, db: AsyncSession, rules: HarmonisedRules) -> dict:
        interval = Interval(parse_instant(data.start), parse_instant(data.end))
        if data.customer_group is None and data.organisation_id is None:
            raise DomainError(
                "missing_customer", "Oppgi kundegruppe eller organisasjon.", "Give customer_group or organisation_id."
            )
        organisation = None
        if data.organisation_id is not None:
            organisation = await db.get(Organisation, data.organisation_id)
            if organisation is None:
                raise NotFound("unknown_organisation", "Fant ikke organisasjonen.", "No such organisation.")
        quote = await quote_request(
            db,
            rules,
            premises_slug=data.premises,
            interval=interval,
            person=None,
            organisation=organisation,
            details=BookingDetails(target_group=data.target_group, attendees=data.attendees, alcohol=data.alcohol),
            group=data.customer_group,
        )
        return quote.to_snapshot()

    @get("/terms")
    async def terms(self, rules: HarmonisedRules, now: datetime) -> dict:
        return pricing.terms_document(rules.in_force(now))
