"""A seasonal round on both databases, through the services: set up, apply, propose,
publish as weekly series (idempotently), give back, and the seasonal hours held while
the round runs and released after it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.db.engine import write_transaction
from booking.db.models import Booking, OutboxMail, SeasonAllocation
from booking.domain.errors import DomainError
from booking.domain.intervals import Interval
from booking.notify.sender import render_pending
from booking.services import feeds, season_proposal, season_publish, seasons
from booking.services.bookings import NewBooking, create_booking
from booking.services.catalogue import SearchFilters, search
from booking.services.rulebook import current_rules
from common.localtime import resolve_local
from pricing import BookingDetails
from tests.integration.season_support import ADULTS, CHILDREN, DEADLINE, NOW, SETUP
from tests.world import build_world


def local(day: str, clock: str) -> datetime:
    return resolve_local(datetime.fromisoformat(f"{day}T{clock}"))


async def open_round(db):
    world = await build_world(db.session)
    season = await seasons.create_season(db.session, SETUP, actor_id=None, now=NOW)
    await seasons.move_season(db.session, season.id, "open", now=NOW)
    rules = await current_rules(db.session)
    return world, season, rules


async def apply(db, world, season, rules, needs, now=NOW):
    return await seasons.submit_application(
        db.session,
        season.id,
        person_id=world.person_id,
        organisation_id=world.organisation_id,
        needs=needs,
        rules=rules.in_force(SETUP.starts).allocation,
        now=now,
    )


async def published_round(db, needs):
    """A round applied for with `needs`, proposed, closed and published."""
    world, season, rules = await open_round(db)
    await apply(db, world, season, rules, needs)
    await season_proposal.propose(db.session, season.id, rule_book=rules, now=NOW)
    await seasons.move_season(db.session, season.id, "close", now=NOW)
    await season_publish.publish(db.session, season.id, rule_book=rules, actor_id=None, now=NOW)
    return world, season, rules


async def test_a_round_from_application_to_published_series(db):
    world, season, rules = await open_round(db)
    first = await apply(db, world, season, rules, [ADULTS])
    again = await apply(db, world, season, rules, [CHILDREN, ADULTS])  # changed before the deadline
    assert first.created and not again.created and again.id == first.id
    proposal = await season_proposal.propose(db.session, season.id, rule_book=rules, now=NOW)
    given = sorted((a.need, a.slot.premises, a.slot.weekday, a.wish) for a in proposal.allocations)
    # The children's team takes hall A on Monday, so the adults' whole hall that Monday is
    # lost to a higher tier and they get their second wish.
    assert given == [(0, "hallen-a", 0, 0), (1, "hallen-b", 1, 1)]
    (lost,) = proposal.unmet
    assert (lost.need, lost.wish) == (1, 0) and lost.reasons[0].code == "lower_tier"
    assert lost.reasons[0].tier == "children_youth"

    with pytest.raises(DomainError) as refused:
        await season_publish.publish(db.session, season.id, rule_book=rules, actor_id=None, now=NOW)
    assert refused.value.code == "round_not_closed"
    await seasons.move_season(db.session, season.id, "close", now=NOW)
    published = await season_publish.publish(db.session, season.id, rule_book=rules, actor_id=None, now=NOW)
    # Four Mondays and four Tuesdays in January 2027, less the excluded 18th and 19th.
    assert (published.series, published.bookings, published.collisions) == (2, 6, [])
    await render_pending(db.session)  # the sender writes the mail stored as an event
    async with db.sessions() as s:
        bookings = list((await s.execute(select(Booking).order_by(Booking.start_at))).scalars())
        published_mails = list(
            (await s.execute(select(OutboxMail).where(OutboxMail.subject.like("Tildelt sesongtid%")))).scalars()
        )
        mails = [mail.subject for mail in published_mails]
    assert len(bookings) == 6 and {b.status for b in bookings} == {"confirmed"}
    assert date(2027, 1, 18) not in {b.occurrence_date for b in bookings}
    assert {b.payment_method for b in bookings if b.price_total} <= {"invoice"}
    assert mails == ["Tildelt sesongtid: Vinter 2027"]  # one mail for the organisation
    (mail,) = published_mails
    assert "Minihåndball: mandag 17:00–18:30, Hallen A, Bygget (3 datoer" in mail.body_text
    assert mail.attachments[0]["content"].count("BEGIN:VEVENT") == 6  # every date, in one calendar file

    twice = await season_publish.publish(db.session, season.id, rule_book=rules, actor_id=None, now=NOW)
    assert twice == published
    async with db.sessions() as s:
        assert await s.scalar(select(func.count(Booking.id))) == 6


async def test_seasonal_hours_are_held_during_the_round_and_what_is_given_back_is_free(db):
    world, season, rules = await open_round(db)
    await apply(db, world, season, rules, [CHILDREN])
    ad_hoc = NewBooking(
        "hallen-b",
        local("2027-01-04", "20:00"),
        local("2027-01-04", "21:00"),
        world.person_id,
        world.organisation_id,
        BookingDetails("Trening", 10),
    )
    with pytest.raises(DomainError) as held:
        await create_booking(db.session, ad_hoc, rules=rules, now=NOW)
    assert held.value.code == "closed"
    await season_proposal.propose(db.session, season.id, rule_book=rules, now=NOW)
    await seasons.move_season(db.session, season.id, "close", now=NOW)
    await season_publish.publish(db.session, season.id, rule_book=rules, actor_id=None, now=NOW)
    # Published: what was not allocated is free to anyone at once.
    assert (await create_booking(db.session, ad_hoc, rules=rules, now=NOW)).status == "confirmed"
    allocated = NewBooking(
        "hallen-a",
        local("2027-01-11", "17:00"),
        local("2027-01-11", "18:30"),
        world.person_id,
        world.organisation_id,
        BookingDetails("Trening", 10),
    )
    with pytest.raises(DomainError) as taken:
        await create_booking(db.session, allocated, rules=rules, now=NOW)
    assert taken.value.code == "conflict"
    async with db.sessions() as s:
        row = (await s.execute(select(SeasonAllocation))).scalar_one()
    assert (
        await season_publish.give_back(db.session, row.id, person_id=world.person_id, days=[date(2027, 1, 11)], now=NOW)
        == 1
    )
    assert (await create_booking(db.session, allocated, rules=rules, now=NOW)).status == "confirmed"
    await render_pending(db.session)  # the sender writes the mail from the stored event
    async with db.sessions() as s:
        receipts = list(
            (
                await s.execute(select(OutboxMail.body_text).where(OutboxMail.subject.like("Sesongtid gitt tilbake%")))
            ).scalars()
        )
    assert len(receipts) == 1 and "11. januar 2027" in receipts[0]  # one mail for the give-back, not one per date


@pytest.mark.parametrize(
    "change, code",
    [
        (
            {"wishes": [{"premises": "motesalen", "weekday": "mon", "start": "17:00", "end": "18:00"}]},
            "premises_not_in_round",
        ),
        (
            {"wishes": [{"premises": "hallen", "weekday": "wed", "start": "17:00", "end": "18:00"}]},
            "outside_seasonal_hours",
        ),
        ({"wishes": [{"premises": "hallen", "weekday": "mon", "start": "17:10", "end": "18:10"}]}, "off_grid"),
        ({"hours_per_week": 0.5}, "hours_unfillable"),
        ({"age_group": "babies"}, "invalid_age_group"),
    ],
)
async def test_an_application_that_cannot_be_met_is_refused_and_nothing_is_saved(db, change, code):
    world, season, rules = await open_round(db)
    with pytest.raises(DomainError) as refused:
        await apply(db, world, season, rules, [{**CHILDREN, **change}])
    assert refused.value.code == code
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMail)) == 0
        assert await seasons.applications(s, season.id) == []


async def test_applying_after_the_deadline_is_refused(db):
    world, season, rules = await open_round(db)
    with pytest.raises(DomainError) as refused:
        await apply(db, world, season, rules, [CHILDREN], now=DEADLINE + timedelta(minutes=1))
    assert refused.value.code == "deadline_passed"


async def test_a_date_that_collides_with_an_existing_booking_is_reported_not_forced(db):
    world = await build_world(db.session)
    rules = await current_rules(db.session)
    # Booked before the round opened: the whole hall on the second Tuesday.
    existing = await create_booking(
        db.session,
        NewBooking(
            "hallen",
            local("2027-01-12", "18:00"),
            local("2027-01-12", "19:00"),
            world.person_id,
            world.organisation_id,
            BookingDetails("Cup", 10),
        ),
        rules=rules,
        now=NOW,
    )
    season = await seasons.create_season(db.session, SETUP, actor_id=None, now=NOW)
    await seasons.move_season(db.session, season.id, "open", now=NOW)
    await apply(db, world, season, rules, [ADULTS])
    await season_proposal.propose(db.session, season.id, rule_book=rules, now=NOW)
    await seasons.move_season(db.session, season.id, "close", now=NOW)
    published = await season_publish.publish(db.session, season.id, rule_book=rules, actor_id=None, now=NOW)
    assert [(c["day"], c["premises"], c["code"]) for c in published.collisions] == [
        ("2027-01-12", "hallen-b", "slot_taken")
    ]
    async with db.sessions() as s:
        kept = await s.get(Booking, existing.id)
        assert kept.status == "confirmed"
        assert await s.scalar(select(func.count(Booking.id)).where(Booking.series_id.is_not(None))) == 5


async def test_a_staff_move_is_pinned_and_the_unmet_wishes_say_what_the_plan_now_is(db):
    world, season, rules = await open_round(db)
    await apply(db, world, season, rules, [CHILDREN, ADULTS])
    await season_proposal.propose(db.session, season.id, rule_book=rules, now=NOW)
    async with db.sessions() as s:
        children = (await s.execute(select(SeasonAllocation).where(SeasonAllocation.need == 0))).scalar_one()
    moved = await season_proposal.move(
        db.session, children.id, premises_slug="hallen-a", weekday="tue", start="16:00", end="17:30", now=NOW
    )
    assert (moved.pinned, moved.wish, moved.reasons[0]["code"]) == (True, None, "moved_by_staff")
    async with db.sessions() as s:
        unmet = (await seasons.get_season(s, season.id)).proposal["unmet"]
    # Monday's whole hall is no longer taken by the children's team: not lost to a higher tier.
    (adults_first,) = [u for u in unmet if (u["need"], u["wish"]) == (1, 0)]
    assert "lower_tier" not in [r["code"] for r in adults_first["reasons"]]
    with pytest.raises(DomainError) as overlapping:
        await season_proposal.move(
            db.session, children.id, premises_slug="hallen", weekday="tue", start="18:00", end="19:30", now=NOW
        )
    assert overlapping.value.code == "allocation_overlaps"  # the adults hold hall B then


async def test_published_time_is_in_the_feed_and_time_given_back_shows_in_search(db):
    world, season, rules = await published_round(db, [CHILDREN])
    async with db.sessions() as s:
        feed = await feeds.public_feed(s, "hallen-a")
    _, body = await feeds.feed_body(db.session, feed, NOW)
    assert body.count(b"BEGIN:VEVENT") == 3  # the three Mondays (the 18th is excluded)

    monday = SearchFilters(Interval(local("2027-01-11", "17:00"), local("2027-01-11", "18:30")), kind="hall")
    async with db.sessions() as s:
        assert "hallen-a" not in [p.slug for p in await search(s, monday, now=NOW)]
        row = (await s.execute(select(SeasonAllocation))).scalar_one()
    await season_publish.give_back(db.session, row.id, person_id=world.person_id, days=[date(2027, 1, 11)], now=NOW)
    async with db.sessions() as s:
        assert "hallen-a" in [p.slug for p in await search(s, monday, now=NOW)]


async def test_after_publishing_allocations_cannot_change_and_a_changed_round_is_not_published_again(db):
    world, season, rules = await published_round(db, [CHILDREN])
    async with db.sessions() as s:
        row = (await s.execute(select(SeasonAllocation))).scalar_one()
    for change in (
        lambda: season_proposal.move(
            db.session, row.id, premises_slug="hallen-a", weekday="tue", start="17:00", end="18:30", now=NOW
        ),
        lambda: season_proposal.propose(db.session, season.id, rule_book=rules, now=NOW),
    ):
        with pytest.raises(DomainError) as refused:
            await change()
        assert refused.value.code == "already_published"
    # Changed behind the app's back (the app itself refuses it): publishing again is refused.
    async with db.sessions() as s, write_transaction(s):
        stored = await s.get(SeasonAllocation, row.id)
        stored.start_time = "17:30"
    with pytest.raises(DomainError) as again:
        await season_publish.publish(db.session, season.id, rule_book=rules, actor_id=None, now=NOW)
    assert again.value.code == "published_with_changes"
