"""Public pages, no login: search, premises page with a week view, prices and terms."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.models import District, Organisation, Person
from booking.domain.errors import DomainError
from booking.domain.intervals import Interval
from booking.services.catalogue import Availability, SearchFilters, availability, search
from booking.services.photos import first_photos, photos_of
from booking.services.rulebook import HarmonisedRules, booker_facts, current_rules
from booking.services.self_service import organisations_of
from booking.web.i18n import N_, tr
from booking.web.present import LABELS, opening_rows
from common.localtime import OSLO, local_day_start, resolve_local

GROUPS = ("barn_og_unge", "frivillig", "privat", "kommersiell", "kommunal")


def _parse_day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def _parse_clock(text: str | None, default: time) -> time:
    try:
        return time.fromisoformat(text) if text else default
    except ValueError:
        return default


# The week view's words, one per cell: the word says it, the colour only repeats it.
FREE, BUSY, CLOSED, PASSED = N_("Ledig"), N_("Opptatt"), N_("Stengt"), N_("Passert")


def week_grid(avail: Availability, monday: date, now: datetime) -> dict:
    """Hour rows × day columns, each cell (word, the closure's public reason or "")."""
    days = [monday + timedelta(days=n) for n in range(7)]
    hours = {s.start.astimezone(OSLO).hour for s in avail.open} | {
        (s.end - timedelta(minutes=1)).astimezone(OSLO).hour for s in avail.open
    }
    first, last = (min(hours), max(hours)) if hours else (8, 21)
    rows = []
    for hour in range(first, last + 1):
        cells = []
        for day in days:
            try:
                cell = Interval(
                    resolve_local(datetime.combine(day, time(hour))),
                    resolve_local(datetime.combine(day, time(hour))) + timedelta(hours=1),
                )
            except DomainError:  # the hour that does not exist on the spring-forward day
                cells.append((CLOSED, ""))
                continue
            if cell.start < now:  # begun or over: no longer bookable, whatever it was
                cells.append((PASSED, ""))
            elif not any(o.overlaps(cell) for o in avail.open):
                cells.append((CLOSED, ""))
            elif (closure := next((c for c in avail.closures if c.interval.overlaps(cell)), None)) is not None:
                cells.append((CLOSED, closure.reason))
            elif any(f.contains(cell) for f in avail.free):
                cells.append((FREE, ""))
            else:
                cells.append((BUSY, ""))
        rows.append((f"{hour:02d}:00", cells))
    return {"days": days, "rows": rows}


def default_group(person: Person | None, organisations: list[Organisation]) -> str:
    """The group whose prices the search shows first: the one the visitor would book as.
    Anonymous: a private person. Logged in: as the booking form books by default (their
    first organisation, else themselves), decided by pricing's one group rule."""
    if person is None:
        return "privat"
    organisation = organisations[0] if organisations else None
    return pricing.customer_group(booker_facts(person, organisation), pricing.BookingDetails())[0]


class PublicPages(Controller):
    @get("/", name="search")
    async def search_page(
        self,
        request: Request,
        db: AsyncSession,
        now: datetime,
        dato: str | None = None,
        fra: str | None = None,
        til: str | None = None,
        kommunedel: str | None = None,
        type: str | None = None,
        kapasitet: int | None = None,
        utstyr: list[str] | None = None,
        tilgjengelighet: list[str] | None = None,
        gruppe: str | None = None,
        person: Person | None = None,
    ) -> Template:
        tomorrow = now.astimezone(OSLO).date() + timedelta(days=1)
        day = _parse_day(dato, tomorrow)
        start_clock, end_clock = _parse_clock(fra, time(18)), _parse_clock(til, time(20))
        errors, results, photos = [], [], {}
        filters = None
        try:
            window = Interval(
                resolve_local(datetime.combine(day, start_clock)), resolve_local(datetime.combine(day, end_clock))
            )
            if window.end <= window.start:
                errors.append("Til-tidspunktet må være etter fra-tidspunktet.")
            else:
                filters = SearchFilters(
                    window,
                    kommunedel or None,
                    type or None,
                    kapasitet or 0,
                    tuple(u for u in utstyr or () if u in LABELS["equipment"]),
                    tuple(t for t in tilgjengelighet or () if t in LABELS["accessibility"]),
                )
        except DomainError as error:  # a local time that does not exist, or exists twice
            errors.append(error.message_nb)
        if filters and filters.window.start <= now:
            errors.append(tr(request, "Tiden du søkte på, har allerede begynt. Velg et senere tidspunkt."))
        if gruppe in GROUPS:
            group = gruppe
        else:
            organisations = await organisations_of(db, person.id) if person else []
            group = default_group(person, organisations)
        districts = list((await db.execute(select(District).order_by(District.name))).scalars())
        if filters:
            found = await search(db, filters, now=now)
            rules = await current_rules(db)
            rule_set = rules.in_force(filters.window.start)
            for premises in found:
                price = pricing.quote(
                    rules.facts(premises),
                    filters.window.start,
                    filters.window.end,
                    booker_facts(None, None),
                    pricing.BookingDetails(),
                    rule_set,
                    group=group,
                )
                results.append((premises, price))
            photos = await first_photos(db, [premises.id for premises in found])
        return Template(
            "public/search.html",
            context={
                "day": day,
                "fra": start_clock.strftime("%H:%M"),
                "til": end_clock.strftime("%H:%M"),
                "districts": districts,
                "chosen": {
                    "kommunedel": kommunedel,
                    "type": type,
                    "kapasitet": kapasitet,
                    "utstyr": utstyr or [],
                    "tilgjengelighet": tilgjengelighet or [],
                    "gruppe": group,
                },
                "groups": GROUPS,
                "results": results,
                "photos": photos,
                "errors": errors,
                "searched": filters is not None,
                "labels": LABELS,
            },
        )

    @get("/lokaler/{slug:str}", name="premises")
    async def premises_page(
        self, slug: str, db: AsyncSession, rules: HarmonisedRules, now: datetime, uke: str | None = None
    ) -> Template:
        today = now.astimezone(OSLO).date()
        monday = _parse_day(uke, today)
        monday -= timedelta(days=monday.weekday())
        window = Interval(local_day_start(monday), local_day_start(monday + timedelta(days=7)))
        avail = await availability(db, slug, window, now=now)
        photos = await photos_of(db, avail.premises.id)
        rule_set = rules.in_force(max(window.start, now))
        terms = pricing.terms_document(rule_set)
        category = next((t for t in terms["tariff"] if t["key"] == avail.premises.tariff_category), None)
        facts = rules.facts(avail.premises)
        return Template(
            "public/premises.html",
            context={
                "p": avail.premises,
                "photos": photos,
                "grid": week_grid(avail, monday, now),
                "monday": monday,
                "previous": monday - timedelta(days=7),
                "next": monday + timedelta(days=7),
                "opening": opening_rows(avail.premises),
                "labels": LABELS,
                "category": category,
                "terms": terms,
                "prices": pricing.premises_prices(rule_set, facts),
                "rate_override": facts.rate_override,
                "tomorrow": today + timedelta(days=1),
            },
        )

    @get("/priser-og-vilkar", name="terms")
    async def terms_page(self, rules: HarmonisedRules, now: datetime) -> Template:
        return Template("public/terms.html", context={"terms": pricing.terms_document(rules.in_force(now))})
