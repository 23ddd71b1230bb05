"""Weekly series on both databases: wall-clock stability across DST, per-occurrence
results, preview without writing, and edits by scope that keep exceptions."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from sqlalchemy import func, select

from booking.db.models import Booking, BookingSeries
from booking.domain.recurrence import WeeklyPattern
from booking.services.bookings import create_booking
from booking.services.lending import PremisesApprovalOnly
from booking.services.series import create_series, edit_series, skip_occurrence
from common.localtime import to_local
from pricing import BookingDetails
from tests.integration.test_bookings import at, request
from tests.world import build_world

NOW = datetime(2026, 2, 1, tzinfo=timezone.utc)
RULES = PremisesApprovalOnly()
TUESDAYS = WeeklyPattern((1,), time(18), time(20), date(2026, 3, 10), date(2026, 11, 3))


async def live(db, series_id=None):
    async with db.sessions() as s:
        query = select(Booking).where(Booking.status == "confirmed").order_by(Booking.start_at)
        if series_id is not None:
            query = query.where(Booking.series_id == series_id)
        return list((await s.execute(query)).scalars())


async def test_series_stays_at_1800_local_across_both_dst_changes(db):
    world = await build_world(db.session)
    result = await create_series(
        db.session,
        premises_slug=world.room,
        pattern=TUESDAYS,
        person_id=world.person_id,
        organisation_id=world.organisation_id,
        details=BookingDetails("Trening", 15),
        rules=RULES,
        now=NOW,
    )
    bookings = await live(db, result.series_id)
    assert len(bookings) == result.created == 35
    assert {to_local(b.start_at).hour for b in bookings} == {18}
    assert {b.start_at.hour for b in bookings} == {16, 17}  # UTC moves, wall time does not


async def test_occurrences_report_their_own_result_and_preview_writes_nothing(db):
    world = await build_world(db.session)
    await create_booking(
        db.session, request(world, world.room, "2026-03-17T19:00", "2026-03-17T21:00"), rules=RULES, now=NOW
    )
    preview = await create_series(
        db.session,
        premises_slug=world.room,
        pattern=TUESDAYS,
        person_id=world.person_id,
        organisation_id=None,
        details=BookingDetails(),
        rules=RULES,
        now=NOW,
        preview=True,
    )
    refused = [o for o in preview.occurrences if o.error_code]
    assert [(o.day, o.error_code) for o in refused] == [(date(2026, 3, 17), "conflict")]
    assert len(await live(db)) == 1
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(BookingSeries)) == 0
    real = await create_series(
        db.session,
        premises_slug=world.room,
        pattern=TUESDAYS,
        person_id=world.person_id,
        organisation_id=None,
        details=BookingDetails(),
        rules=RULES,
        now=NOW,
    )
    assert real.created == 34 and len(await live(db)) == 35


async def test_edit_scopes_keep_exceptions(db):
    world = await build_world(db.session)
    pattern = WeeklyPattern((1,), time(18), time(20), date(2026, 9, 1), date(2026, 9, 29))
    result = await create_series(
        db.session,
        premises_slug=world.room,
        pattern=pattern,
        person_id=world.person_id,
        organisation_id=None,
        details=BookingDetails(),
        rules=RULES,
        now=NOW,
    )
    sid = result.series_id
    await edit_series(
        db.session,
        sid,
        day=date(2026, 9, 8),
        scope="this",
        start_time=time(10),
        end_time=time(12),
        actor_id=world.person_id,
        rules=RULES,
        now=NOW,
    )
    await skip_occurrence(db.session, sid, date(2026, 9, 22), actor_id=world.person_id, reason="Høstferie", now=NOW)
    await edit_series(
        db.session,
        sid,
        day=date(2026, 9, 1),
        scope="all",
        start_time=time(19),
        end_time=time(21),
        actor_id=world.person_id,
        rules=RULES,
        now=NOW,
    )
    hours = {b.occurrence_date.day: to_local(b.start_at).hour for b in await live(db)}
    assert hours == {1: 19, 8: 10, 15: 19, 29: 19}  # the moved date kept, the skipped one stays away
    split = await edit_series(
        db.session,
        sid,
        day=date(2026, 9, 15),
        scope="following",
        start_time=time(17),
        end_time=time(18),
        actor_id=world.person_id,
        rules=RULES,
        now=NOW,
    )
    assert split.series_id != sid
    rows = await live(db)
    assert {b.occurrence_date.day: (to_local(b.start_at).hour, b.series_id == sid) for b in rows} == {
        1: (19, True),
        8: (10, True),
        15: (17, False),
        29: (17, False),
    }
    async with db.sessions() as s:
        old, new = await s.get(BookingSeries, sid), await s.get(BookingSeries, split.series_id)
    assert old.pattern["last_date"] == "2026-09-14" and new.pattern["first_date"] == "2026-09-15"
    assert new.pattern["skipped"] == ["2026-09-22"] and new.pattern["start_time"] == "17:00"


async def test_conflicting_edit_changes_nothing(db):
    world = await build_world(db.session)
    pattern = WeeklyPattern((1,), time(18), time(20), date(2026, 9, 1), date(2026, 9, 15))
    result = await create_series(
        db.session,
        premises_slug=world.room,
        pattern=pattern,
        person_id=world.person_id,
        organisation_id=None,
        details=BookingDetails(),
        rules=RULES,
        now=NOW,
    )
    await create_booking(
        db.session, request(world, world.room, "2026-09-15T08:00", "2026-09-15T09:00"), rules=RULES, now=NOW
    )
    before = [(b.id, b.start_at) for b in await live(db)]
    import pytest

    from booking.domain.errors import Conflict

    with pytest.raises(Conflict):
        await edit_series(
            db.session,
            result.series_id,
            day=date(2026, 9, 1),
            scope="all",
            start_time=time(8),
            end_time=time(9),
            actor_id=world.person_id,
            rules=RULES,
            now=NOW,
        )
    assert [(b.id, b.start_at) for b in await live(db)] == before
    assert at("2026-09-15T08:00") in [b.start_at for b in await live(db)]


async def test_a_priced_organisation_series_is_invoiced(db):
    from booking.services.rulebook import current_rules

    world = await build_world(db.session)
    rules = await current_rules(db.session)
    pattern = WeeklyPattern((1,), time(18), time(20), date(2026, 12, 1), date(2026, 12, 15))
    result = await create_series(
        db.session,
        premises_slug=world.room,
        pattern=pattern,
        person_id=world.person_id,
        organisation_id=world.organisation_id,
        details=BookingDetails("Styremøte", 10, "adults"),
        rules=rules,
        now=datetime(2026, 11, 1, tzinfo=timezone.utc),
        payment_method="invoice",
    )
    bookings = await live(db, result.series_id)
    assert len(bookings) == 3
    assert {(b.payment_method, str(b.price_total)) for b in bookings} == {("invoice", "150.00")}
