"""The booking engine against real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from booking.db.engine import write_transaction
from booking.db.models import Booking, BookingHistory, Closure, Premises, SlotClaim
from booking.domain.errors import Conflict, DomainError, InvalidTransition, NotFound
from booking.domain.lifecycle import Status
from booking.services.bookings import NewBooking, change_status, create_booking, release_expired_holds
from booking.services.lending import Assessment, PremisesApprovalOnly
from common.localtime import resolve_local
from pricing import BookingDetails
from tests.conftest import alone
from tests.world import build_world

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
RULES = PremisesApprovalOnly()


def at(text_: str) -> datetime:
    return resolve_local(datetime.fromisoformat(text_))


def request(world, slug, start, end, **kw) -> NewBooking:
    return NewBooking(premises_slug=slug, start=at(start), end=at(end), person_id=world.person_id, **kw)


async def count(db, model) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_a_booking_is_confirmed_and_recorded(db):
    world = await build_world(db.session)
    booking = await create_booking(
        db.session, request(world, world.room, "2026-09-08T18:00", "2026-09-08T20:00"), rules=RULES, now=NOW
    )
    assert booking.status == "confirmed"
    assert booking.start_at == datetime(2026, 9, 8, 16, 0, tzinfo=timezone.utc)
    async with db.sessions() as s:
        claims = (await s.execute(select(SlotClaim))).scalars().all()
        rows = (await s.execute(select(BookingHistory))).scalars().all()
    # The claim includes the room's 15-minute buffers on both sides.
    assert [(c.busy_from, c.busy_to) for c in claims] == [
        (datetime(2026, 9, 8, 15, 45, tzinfo=timezone.utc), datetime(2026, 9, 8, 18, 15, tzinfo=timezone.utc))
    ]
    assert [(r.from_status, r.to_status) for r in rows] == [(None, "confirmed")]


async def test_spring_forward_booking_lasts_two_hours(db):
    world = await build_world(db.session)
    booking = await create_booking(
        db.session,
        request(world, world.room, "2026-03-29T01:00", "2026-03-29T04:00"),
        rules=RULES,
        now=datetime(2026, 3, 1, tzinfo=timezone.utc),
    )
    assert booking.end_at - booking.start_at == timedelta(hours=2)


async def test_buffers_keep_bookings_apart(db):
    world = await build_world(db.session)
    await create_booking(
        db.session, request(world, world.room, "2026-09-08T18:00", "2026-09-08T20:00"), rules=RULES, now=NOW
    )
    with pytest.raises(Conflict) as refused:
        await create_booking(
            db.session, request(world, world.room, "2026-09-08T20:15", "2026-09-08T21:00"), rules=RULES, now=NOW
        )
    assert refused.value.code == "conflict"
    # Half an hour after the end both buffers fit.
    later = await create_booking(
        db.session, request(world, world.room, "2026-09-08T20:30", "2026-09-08T21:00"), rules=RULES, now=NOW
    )
    assert later.status == "confirmed"


@pytest.mark.parametrize(
    "start,end,code",
    [
        ("2026-09-08T18:00", "2026-09-08T18:00", "end_not_after_start"),
        ("2026-09-08T18:10", "2026-09-08T19:00", "off_granularity"),
        ("2026-09-08T14:00", "2026-09-08T16:00", "outside_opening_hours"),
        ("2026-09-08T16:00", "2026-09-08T16:30", "too_short"),
        ("2026-09-08T16:00", "2026-09-08T21:00", "too_long"),
        ("2026-05-14T17:00", "2026-05-14T19:00", "public_holiday"),  # Kristi himmelfartsdag
    ],
)
async def test_bad_requests_get_their_own_code_and_write_nothing(db, start, end, code):
    world = await build_world(db.session)
    with pytest.raises(DomainError) as refused:
        await create_booking(
            db.session,
            request(world, world.classroom, start, end),
            rules=RULES,
            now=datetime(2026, 5, 1, tzinfo=timezone.utc),
        )
    assert refused.value.code == code
    assert refused.value.message_nb and refused.value.message_en
    assert await count(db, Booking) == 0
    assert await count(db, SlotClaim) == 0


async def test_more_people_than_the_premises_holds_is_refused(db):
    world = await build_world(db.session)
    full = dataclasses.replace(
        request(world, world.room, "2026-09-08T18:00", "2026-09-08T20:00"),
        details=BookingDetails("Årsmøte", 21, "adults"),
    )  # the room holds 20
    with pytest.raises(DomainError) as refused:
        await create_booking(db.session, full, rules=RULES, now=NOW)
    assert refused.value.code == "over_capacity" and "plass til 20" in refused.value.message_nb
    assert await count(db, Booking) == 0
    exactly = dataclasses.replace(full, details=BookingDetails("Årsmøte", 20, "adults"))
    assert (await create_booking(db.session, exactly, rules=RULES, now=NOW)).status == "confirmed"


async def test_unknown_premises_is_not_found(db):
    world = await build_world(db.session)
    with pytest.raises(NotFound) as refused:
        await create_booking(
            db.session, request(world, "finnes-ikke", "2026-09-08T18:00", "2026-09-08T19:00"), rules=RULES, now=NOW
        )
    assert refused.value.code == "unknown_premises"


async def close_on_8_september(db, reason: str, **where) -> None:
    """A closure all of 8 September 2026: `scope` and where (`building_id`, `premises_id`)."""
    async with write_transaction(db.session) as s:
        s.add(
            Closure(
                start_at=at("2026-09-08T00:00"),
                end_at=at("2026-09-09T00:00"),
                reason=reason,
                source="manual",
                created_at=NOW,
                updated_at=NOW,
                **where,
            )
        )


async def test_closure_refuses_with_its_reason(db):
    world = await build_world(db.session)
    await close_on_8_september(db, "Valgdag", scope="municipality")
    with pytest.raises(DomainError) as refused:
        await create_booking(
            db.session, request(world, world.room, "2026-09-08T18:00", "2026-09-08T19:00"), rules=RULES, now=NOW
        )
    assert refused.value.code == "closed" and "Valgdag" in refused.value.message_nb


@pytest.mark.parametrize(
    ("closed", "refused", "free"),
    [
        ("hallen-a", {"hallen", "hallen-a"}, {"hallen-b", "motesalen"}),  # a half: the whole hall and itself
        ("hallen", {"hallen", "hallen-a", "hallen-b"}, {"motesalen"}),  # the whole hall: its halves too
        ("building", {"hallen", "hallen-a", "hallen-b", "motesalen"}, set()),  # the building: everything in it
    ],
)
async def test_a_closure_applies_to_the_premises_its_halls_and_parts_and_no_other(db, closed, refused, free):
    world = await build_world(db.session)
    slugs = {p.slug: p for p in (await db.session.execute(select(Premises))).scalars()}
    if closed == "building":
        await close_on_8_september(db, "Vannlekkasje", scope="building", building_id=slugs["hallen"].building_id)
    else:
        await close_on_8_september(db, "Vannlekkasje", scope="premises", premises_id=slugs[closed].id)
    outcome = {}
    for slug in sorted(refused | free):
        try:
            await create_booking(
                db.session, request(world, slug, "2026-09-08T18:00", "2026-09-08T19:00"), rules=RULES, now=NOW
            )
            outcome[slug] = "booked"
        except DomainError as error:
            outcome[slug] = error.code
    assert outcome == {slug: "closed" for slug in refused} | {slug: "booked" for slug in free}


async def test_same_idempotency_key_gives_the_same_booking(db):
    world = await build_world(db.session)
    new = request(world, world.room, "2026-09-08T18:00", "2026-09-08T20:00", idempotency_key="abc-1")
    first = await create_booking(db.session, new, rules=RULES, now=NOW)
    again = await create_booking(db.session, new, rules=RULES, now=NOW)
    assert first.id == again.id
    assert await count(db, Booking) == 1


async def test_concurrent_same_idempotency_key_gives_one_booking(db):
    world = await build_world(db.session)
    new = request(world, world.room, "2026-09-08T18:00", "2026-09-08T20:00", idempotency_key="race")
    results = await asyncio.gather(*(alone(db.sessions, create_booking, new, rules=RULES, now=NOW) for _ in range(10)))
    assert len({b.id for b in results}) == 1
    assert await count(db, Booking) == 1


async def test_fifty_concurrent_overlapping_attempts_give_one_booking(db):
    world = await build_world(db.session)
    attempts = [
        request(world, world.room, f"2026-09-08T{18 + (i % 3)}:00", f"2026-09-08T{20 + (i % 3)}:00") for i in range(50)
    ]
    results = await asyncio.gather(
        *(alone(db.sessions, create_booking, a, rules=RULES, now=NOW) for a in attempts), return_exceptions=True
    )
    won = [r for r in results if isinstance(r, Booking)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1 and len(lost) == 49, [r for r in results if not isinstance(r, (Booking, Conflict))]
    for error in lost:
        assert error.collisions and error.collisions[0].premises == "Møtesalen"
        assert error.details["collisions"][0]["reference"] == f"booking:{won[0].id}"
    assert await count(db, Booking) == 1


async def test_whole_hall_and_half_race_has_one_winner(db):
    world = await build_world(db.session)
    attempts = [
        request(world, slug, "2026-09-08T18:00", "2026-09-08T20:00") for slug in [world.hall, world.half_a] * 10
    ]
    results = await asyncio.gather(
        *(alone(db.sessions, create_booking, a, rules=RULES, now=NOW) for a in attempts), return_exceptions=True
    )
    won = [r for r in results if isinstance(r, Booking)]
    assert len(won) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Booking))


async def test_halves_can_be_booked_side_by_side_but_block_the_whole(db):
    world = await build_world(db.session)
    for half in (world.half_a, world.half_b):
        await create_booking(
            db.session, request(world, half, "2026-09-08T18:00", "2026-09-08T20:00"), rules=RULES, now=NOW
        )
    with pytest.raises(Conflict) as refused:
        await create_booking(
            db.session, request(world, world.hall, "2026-09-08T19:00", "2026-09-08T21:00"), rules=RULES, now=NOW
        )
    assert {c.premises for c in refused.value.collisions} == {"Hallen A", "Hallen B"}


class HoldForPayment:
    def assess(self, request):
        return Assessment(False, (), True, 15, 0, None)


async def test_held_slot_is_busy_until_it_expires_then_free(db):
    world = await build_world(db.session)
    held = await create_booking(
        db.session, request(world, world.room, "2026-09-08T18:00", "2026-09-08T20:00"), rules=HoldForPayment(), now=NOW
    )
    assert held.status == "held" and held.hold_expires_at == NOW + timedelta(minutes=15)
    with pytest.raises(Conflict):
        await create_booking(
            db.session,
            request(world, world.room, "2026-09-08T18:00", "2026-09-08T19:00"),
            rules=RULES,
            now=NOW + timedelta(minutes=14),
        )
    later = NOW + timedelta(minutes=16)
    taken = await create_booking(
        db.session, request(world, world.room, "2026-09-08T18:00", "2026-09-08T19:00"), rules=RULES, now=later
    )
    assert taken.status == "confirmed"
    async with db.sessions() as s:
        assert (await s.get(Booking, held.id)).status == "expired"


async def test_expire_holds_releases_each_hold_once_across_workers(db):
    world = await build_world(db.session)
    for hour in (10, 12, 14):
        await create_booking(
            db.session,
            request(world, world.room, f"2026-09-08T{hour}:00", f"2026-09-08T{hour + 1}:00"),
            rules=HoldForPayment(),
            now=NOW,
        )

    async def worker():
        async with db.sessions() as session, write_transaction(session) as s:
            return await release_expired_holds(s, NOW + timedelta(hours=1))

    released = await asyncio.gather(*(worker() for _ in range(4)))
    assert sorted(i for ids in released for i in ids) == [1, 2, 3]
    assert await count(db, SlotClaim) == 0
    async with db.sessions() as s:
        expired = await s.scalar(
            select(func.count()).select_from(BookingHistory).where(BookingHistory.to_status == "expired")
        )
    assert expired == 3


async def test_state_machine_cancel_frees_slot_and_forbids_nonsense(db):
    world = await build_world(db.session)
    booking = await create_booking(
        db.session, request(world, world.room, "2026-09-08T18:00", "2026-09-08T20:00"), rules=RULES, now=NOW
    )
    async with write_transaction(db.session) as s:
        await change_status(s, booking.id, Status.CANCELLED, actor_id=world.person_id, reason="Syk", now=NOW)
    assert await count(db, SlotClaim) == 0
    with pytest.raises(InvalidTransition):
        async with write_transaction(db.session) as s:
            await change_status(s, booking.id, Status.CONFIRMED, actor_id=None, reason="", now=NOW)
    again = await create_booking(
        db.session, request(world, world.room, "2026-09-08T18:00", "2026-09-08T20:00"), rules=RULES, now=NOW
    )
    assert again.status == "confirmed"


async def test_history_is_append_only(db):
    world = await build_world(db.session)
    await create_booking(
        db.session, request(world, world.room, "2026-09-08T18:00", "2026-09-08T20:00"), rules=RULES, now=NOW
    )
    for statement in ("UPDATE booking_history SET reason = 'x'", "DELETE FROM booking_history"):
        with pytest.raises(Exception, match="append-only"):
            async with write_transaction(db.session) as s:
                await s.execute(text(statement))
    assert await count(db, BookingHistory) == 1


async def test_delegate_only_for_own_organisation(db):
    world = await build_world(db.session)
    from booking.domain.errors import Forbidden

    new = NewBooking(
        premises_slug=world.room,
        start=at("2026-09-08T18:00"),
        end=at("2026-09-08T19:00"),
        person_id=world.minor_id,
        organisation_id=world.organisation_id,
    )
    with pytest.raises(Forbidden):
        await create_booking(db.session, new, rules=RULES, now=NOW)
