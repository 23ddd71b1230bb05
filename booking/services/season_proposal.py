"""A round's proposal: load the round for the pure allocation core, let it decide, and
keep the result (allocations as rows staff can pin and move; unmet wishes and the
summary on the season). Staff may compute it at any time before publishing; a re-run
keeps what staff pinned."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

import allocation

# The solver (OR-Tools, which imports pandas) loads with this module, not on the first
# proposal inside a worker thread: a slow first request otherwise, and under the tests'
# frozen clock importing pandas crashes the interpreter.
import allocation.solver  # noqa: F401
from allocation.facts import can_be_let, collide
from allocation.outcome import unmet_wishes
from booking.db.engine import end_reads, write_transaction
from booking.db.models import Premises, Season, SeasonAllocation
from booking.domain.errors import DomainError, InvalidTransition, NotFound
from booking.domain.premises import WEEKDAYS
from booking.services import seasons as rounds
from booking.services.rulebook import current_rules


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def minute(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def priority_rules(rule_book, season: Season) -> allocation.PriorityRules:
    """The priority rules of the rule-set version in force on the season's first day."""
    found = rule_book.in_force(season.starts).allocation
    if found is None:
        raise DomainError(
            "no_priority_rules",
            "Regelsettet som gjelder for sesongen, har ingen regler for fordeling av tid.",
            f"The rule set in force on {season.starts} has no [allocation] priority rules.",
        )
    return found


async def previous_slots(session: AsyncSession, season: Season) -> frozenset[tuple[str, allocation.Slot]]:
    """What each organisation held in the last published season before this one."""
    earlier = await session.scalar(
        select(Season.id)
        .where(Season.state == "published", Season.starts < season.starts, Season.id != season.id)
        .order_by(Season.starts.desc())
        .limit(1)
    )
    if earlier is None:
        return frozenset()
    return frozenset(
        (
            str(a.application.organisation_id),
            allocation.Slot(a.premises.slug, a.weekday, minute(a.start_time), minute(a.end_time)),
        )
        for a in await rounds.allocations(session, earlier, ("published",))
    )


async def load_round(session: AsyncSession, season: Season) -> allocation.Round:
    premises = await rounds.premises_of_round(session, season.id)
    needs = []
    for application in await rounds.applications(session, season.id):
        for index, data in enumerate(application.needs):
            needs.append(
                rounds.need_from_data(
                    data,
                    index,
                    application_id=application.id,
                    organisation=str(application.organisation_id),
                    based_in_municipality=application.organisation.based_in_municipality,
                )
            )
    pins = tuple(
        allocation.Pin(a.application_id, a.need, slot_of(a))
        for a in await rounds.allocations(session, season.id, ("proposed",))
        if a.pinned
    )
    return allocation.Round(tuple(premises.values()), tuple(needs), pins, await previous_slots(session, season))


def slot_of(row: SeasonAllocation) -> allocation.Slot:
    return allocation.Slot(row.premises.slug, row.weekday, minute(row.start_time), minute(row.end_time))


def reason_data(reason: allocation.Reason) -> dict:
    return {"code": reason.code, "tier": reason.tier, "rank": reason.rank}


def reason_of(data: dict) -> allocation.Reason:
    return allocation.Reason(data["code"], data.get("tier"), data.get("rank"))


async def propose(session: AsyncSession, season_id: int, *, rule_book, now: datetime) -> allocation.Proposal:
    """Compute and keep a proposal. The solver runs outside the write transaction (it
    may take seconds); what it was given is checked again before its result is kept."""
    season = await rounds.get_season(session, season_id)
    if season.state == "published":
        raise InvalidTransition(
            "already_published",
            "Sesongen er publisert; forslaget kan ikke lages på nytt.",
            f"Season {season_id} is published.",
        )
    rules = priority_rules(rule_book, season)
    round_ = await load_round(session, season)
    await end_reads(session)  # no transaction is held while the solver works
    proposal = await asyncio.to_thread(allocation.propose, round_, rules)
    async with write_transaction(session):
        season = await rounds.get_season(session, season_id)
        if await load_round(session, season) != round_:
            raise DomainError(
                "round_changed",
                "Søknadene ble endret mens forslaget ble laget. Prøv igjen.",
                "The round changed while the proposal was computed; try again.",
            )
        slugs = dict(
            (
                await session.execute(
                    select(Premises.slug, Premises.id).where(
                        Premises.slug.in_({a.slot.premises for a in proposal.allocations})
                    )
                )
            ).all()
        )
        await session.execute(
            delete(SeasonAllocation).where(
                SeasonAllocation.season_id == season_id, SeasonAllocation.state == "proposed"
            )
        )
        session.add_all(
            [
                SeasonAllocation(
                    season_id=season_id,
                    application_id=a.application_id,
                    need=a.need,
                    wish=a.wish,
                    premises_id=slugs[a.slot.premises],
                    weekday=a.slot.weekday,
                    start_time=clock(a.slot.start),
                    end_time=clock(a.slot.end),
                    tier=a.tier,
                    reasons=[reason_data(r) for r in a.reasons],
                    pinned=a.pinned,
                    state="proposed",
                    created_at=now,
                )
                for a in proposal.allocations
            ]
        )
        season.proposal = {
            "computed_at": now.isoformat(),
            "summary": proposal.summary,
            "unmet": [
                {
                    "application_id": u.application_id,
                    "need": u.need,
                    "wish": u.wish,
                    "reasons": [reason_data(r) for r in u.reasons],
                }
                for u in proposal.unmet
            ],
        }
        season.updated_at = now
    return proposal


async def pin(session: AsyncSession, allocation_id: int, *, pinned: bool, now: datetime) -> SeasonAllocation:
    """Pin an allocation (a re-run keeps it) or let the solver decide it again."""
    async with write_transaction(session):
        row = await _proposed(session, allocation_id)
        row.pinned = pinned
        await _refresh_outcome(session, row.season_id)
        return row


async def move(
    session: AsyncSession,
    allocation_id: int,
    *,
    premises_slug: str,
    weekday: str,
    start: str,
    end: str,
    now: datetime,
) -> SeasonAllocation:
    """Staff move an allocation to another slot of the round; it is then pinned. The new
    slot must lie in the round's seasonal hours on the premises' grid and overlap no other
    allocation (a whole hall against its halves)."""
    async with write_transaction(session):
        row = await _proposed(session, allocation_id)
        premises = await rounds.premises_of_round(session, row.season_id)
        if weekday not in WEEKDAYS:
            raise DomainError("invalid_wish", "Velg en ukedag.", f"Unknown weekday {weekday!r}.")
        slot = allocation.Slot(
            premises_slug, WEEKDAYS.index(weekday), rounds._clock(start, row.need), rounds._clock(end, row.need)
        )
        place = premises.get(premises_slug)
        if place is None:
            raise DomainError(
                "premises_not_in_round",
                "Lokalet er ikke med i denne søknadsrunden.",
                f"Premises {premises_slug!r} is not in the round.",
            )
        if not can_be_let(slot, place):
            raise DomainError(
                "outside_seasonal_hours",
                "Tiden må ligge innenfor sesongtimene og følge lokalets tidsinndeling.",
                "The slot must lie within the seasonal hours, on the premises' grid.",
            )
        others = [a for a in await rounds.allocations(session, row.season_id, ("proposed",)) if a.id != row.id]
        if any(collide(slot, place, slot_of(other), premises[other.premises.slug]) for other in others):
            raise DomainError(
                "allocation_overlaps",
                "Tiden overlapper en annen tildeling i samme lokale.",
                "The slot overlaps another allocation on the same premises or a part of it.",
            )
        target = (await session.execute(select(Premises).where(Premises.slug == premises_slug))).scalar_one()
        row.premises_id, row.premises = target.id, target
        row.weekday, row.start_time, row.end_time = slot.weekday, clock(slot.start), clock(slot.end)
        row.pinned = True
        wishes = rounds.need_from_data(
            row.application.needs[row.need],
            row.need,
            application_id=row.application_id,
            organisation="",
            based_in_municipality=True,
        ).wishes
        row.wish = wishes.index(slot) if slot in wishes else None
        row.reasons = [
            {"code": "pinned_by_staff" if row.wish is not None else "moved_by_staff", "tier": None, "rank": row.wish}
        ]
        await session.flush()
        await _refresh_outcome(session, row.season_id)
        return row


async def _refresh_outcome(session: AsyncSession, season_id: int) -> None:
    """After staff changed an allocation, the unmet wishes and the summary say what the
    allocations now are, not what the solver last proposed."""
    season = await rounds.get_season(session, season_id)
    if season.proposal is None:
        return
    rules = priority_rules(await current_rules(session), season)
    round_ = await load_round(session, season)
    rows = await rounds.allocations(session, season_id, ("proposed",))
    current = [
        allocation.Allocation(
            r.application_id, r.need, slot_of(r), r.wish, r.tier, tuple(reason_of(x) for x in r.reasons), r.pinned
        )
        for r in rows
    ]
    unmet = unmet_wishes(round_.needs, {p.slug: p for p in round_.premises}, rules, current)
    season.proposal = {
        **season.proposal,
        "summary": allocation.summarise(round_, rules, current),
        "unmet": [
            {
                "application_id": u.application_id,
                "need": u.need,
                "wish": u.wish,
                "reasons": [reason_data(r) for r in u.reasons],
            }
            for u in unmet
        ],
    }


async def _proposed(session: AsyncSession, allocation_id: int) -> SeasonAllocation:
    row = await session.get(SeasonAllocation, allocation_id)
    if row is None:
        raise NotFound("unknown_allocation", "Fant ikke tildelingen.", f"No allocation {allocation_id}.")
    if row.state != "proposed":
        raise InvalidTransition(
            "already_published",
            "Tildelingen er publisert og kan ikke endres her.",
            f"Allocation {allocation_id} is {row.state}.",
        )
    return row
