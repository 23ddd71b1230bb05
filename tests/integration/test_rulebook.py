"""Rule-set versions through the engine: the version in force on a booking's start
date prices it, confirmed bookings keep their snapshot, published versions are frozen."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from booking.db.engine import write_transaction
from booking.db.models import RuleSetVersion
from booking.domain.errors import DomainError
from booking.services.bookings import NewBooking, create_booking, get_booking
from booking.services.rulebook import (
    DEFAULT_RULES,
    current_rules,
    default_rule_set,
    ensure_default_published,
    publish,
    read_draft,
)
from pricing import BookingDetails
from tests.conftest import alone
from tests.integration.test_bookings import at
from tests.world import build_world

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)


def gym_price_draft() -> str:
    return DEFAULT_RULES.read_text(encoding="utf-8").replace(
        '[tariff.moterom]\nname_nb = "Møterom"\nname_en = "Meeting room"\nunit = "hour"\nrate = 150',
        '[tariff.moterom]\nname_nb = "Møterom"\nname_en = "Meeting room"\nunit = "hour"\nrate = 200',
    )


async def book(db, world, start, end):
    rules = await current_rules(db.session)
    return await create_booking(
        db.session,
        NewBooking(world.room, at(start), at(end), world.person_id, details=BookingDetails("Møte", 10, "adults")),
        rules=rules,
        now=NOW,
    )


async def test_new_version_prices_from_its_date_and_snapshots_stay(db):
    world = await build_world(db.session)
    before = await book(db, world, "2026-10-06T18:00", "2026-10-06T20:00")
    assert before.price_total == Decimal("300") and before.price_snapshot["rule_set_version"] == "2026-01-01"
    draft = await read_draft(db.session, gym_price_draft())
    await publish(db.session, draft, valid_from=date(2026, 10, 15), author="Admin", reason="Ny sats", now=NOW)
    early = await book(db, world, "2026-10-13T18:00", "2026-10-13T20:00")
    late = await book(db, world, "2026-10-20T18:00", "2026-10-20T20:00")
    assert (early.price_total, late.price_total) == (Decimal("300"), Decimal("400"))
    async with db.sessions() as s:
        assert (await get_booking(s, before.id)).price_total == Decimal("300")


async def test_publish_refuses_the_past_and_versions_are_frozen(db):
    await build_world(db.session)
    draft = await read_draft(db.session, gym_price_draft())
    with pytest.raises(DomainError) as refused:
        await publish(db.session, draft, valid_from=date(2026, 8, 1), author="A", reason="r", now=NOW)
    assert refused.value.code == "valid_from_in_past"
    await ensure_default_published(db.session, NOW)  # as the app's start does
    with pytest.raises(Exception, match="frozen"):
        async with write_transaction(db.session) as s:
            await s.execute(text("UPDATE rule_set_version SET reason = 'changed'"))


async def test_the_default_published_on_first_start_carries_the_allocation_rules(db):
    """The first start publishes seed_data/rules/default.toml as it is, priority rules
    included; a version stored without them is kept as it was and read with none."""
    import pricing

    rules = await current_rules(db.session)
    default = default_rule_set()
    assert rules.in_force(NOW) == default and rules.in_force(NOW).allocation.tiers[0].key == "children_youth"
    without = {k: v for k, v in pricing.rule_set_to_dict(default).items() if k != "allocation"}
    await publish(
        db.session,
        pricing.rule_set_from_dict(without),
        valid_from=date(2027, 1, 1),
        author="Admin",
        reason="Uten fordeling",
        now=NOW,
    )
    again = await current_rules(db.session)
    assert len(again.versions) == 2 and again.in_force(date(2027, 1, 1)).allocation is None


async def test_the_rules_are_parsed_once_per_version_and_a_publish_elsewhere_is_seen_next(db, monkeypatch):
    """Each request reads the rules in force: the stored versions are parsed once per
    process, and a version published by another process (here: another engine on the same
    database, as another worker would) is in force from the next call on."""
    import pricing
    from booking.db.engine import make_engine, session_factory

    await build_world(db.session)
    await ensure_default_published(db.session, NOW)  # as the app's start does
    await alone(db.sessions, current_rules)  # the default version, parsed
    parsed = []
    real = pricing.rule_set_from_dict
    monkeypatch.setattr(pricing, "rule_set_from_dict", lambda *a, **k: parsed.append(1) or real(*a, **k))
    for _ in range(3):  # each call as a request of its own, on a session of its own
        assert (await alone(db.sessions, current_rules)).in_force(date(2026, 10, 20)).version == "2026-01-01"
    assert parsed == []
    other_worker = make_engine(db.url)
    try:
        draft = await read_draft(db.session, gym_price_draft())
        await alone(
            session_factory(other_worker),
            publish,
            draft,
            valid_from=date(2026, 10, 15),
            author="Admin",
            reason="Ny sats",
            now=NOW,
        )
    finally:
        await other_worker.dispose()
    parsed.clear()
    rules = await alone(db.sessions, current_rules)
    assert len(rules.versions) == 2 and rules.in_force(date(2026, 10, 20)).valid_from == date(2026, 10, 15)
    assert len(parsed) == 2  # both versions, read again once
    parsed.clear()
    await alone(db.sessions, current_rules)
    assert parsed == []


async def test_before_any_publish_the_default_is_in_force_and_nothing_is_written(db):
    """Reading the rules never writes (and needs no clock): before the app's first start has
    published the default, the default is in force, read-only; the first publish keeps it
    in force before the new version."""
    rules = await current_rules(db.session)
    assert rules.versions == [default_rule_set()]
    assert await db.session.scalar(select(func.count(RuleSetVersion.id))) == 0
    draft = await read_draft(db.session, gym_price_draft())
    await publish(db.session, draft, valid_from=date(2027, 1, 1), author="Admin", reason="Ny sats", now=NOW)
    stored = await alone(db.sessions, current_rules)
    assert [v.valid_from for v in stored.versions] == [default_rule_set().valid_from, date(2027, 1, 1)]
