"""A booking's preview is its submission without the write (`submissions.preview_booking`):
the same read and the same pure decision as `submit_booking`, so the price, the approval
and the refusal the page shows are what submitting does, and a preview writes nothing."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from booking.db.models import Booking, BookingHistory, SlotClaim
from booking.services.bookings import NewBooking
from booking.services.rulebook import current_rules
from booking.services.submissions import preview_booking, submit_booking
from booking.settings import from_environment
from common.errors import CodedError
from common.localtime import resolve_local
from pricing import BookingDetails
from tests.world import build_world

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
TUESDAY = "2026-09-08"


async def town(db):
    """The test world, the default rules, and settings as in production without Stripe keys."""
    world = await build_world(db.session)
    settings = from_environment({"BOOKING_DATABASE_URL": db.url, "BOOKING_ENV": "production"})
    return world, await current_rules(db.session), settings


async def rows(db) -> tuple[int, int, int]:
    async with db.sessions() as s:
        return tuple(
            [await s.scalar(select(func.count()).select_from(m)) for m in (Booking, SlotClaim, BookingHistory)]
        )


def asked(world, slug, start, end, *, who="person", club=True, details=BookingDetails("Møte", 10, "adults")):
    return NewBooking(
        slug,
        resolve_local(datetime.fromisoformat(f"{TUESDAY}T{start}")),
        resolve_local(datetime.fromisoformat(f"{TUESDAY}T{end}")),
        world.person_id if who == "person" else world.minor_id,
        world.organisation_id if club else None,
        details,
        payment_method="invoice",
    )


# name → (the request, the code it is refused with or None, whether the price is shown)
CASES = {
    "free": (lambda w: asked(w, w.room, "18:00", "20:00"), None, True),
    "needs approval": (
        lambda w: asked(w, w.hall, "18:00", "20:00", details=BookingDetails("Cup", 150, "adults")),
        None,
        True,
    ),
    "over capacity": (
        lambda w: asked(w, w.room, "18:00", "20:00", details=BookingDetails("Fest", 21, "adults")),
        "over_capacity",
        True,
    ),
    "under 18": (lambda w: asked(w, w.room, "18:00", "20:00", who="minor", club=False), "under_18", True),
    "outside opening hours": (lambda w: asked(w, w.classroom, "14:00", "15:00"), "outside_opening_hours", False),
    "not a delegate": (lambda w: asked(w, w.room, "18:00", "20:00", who="minor"), "not_a_delegate", False),
}


@pytest.mark.parametrize("case", CASES)
async def test_the_preview_says_what_submitting_does_and_writes_nothing(db, case):
    world, rules, settings = await town(db)
    make, code, priced = CASES[case]
    new = make(world)
    before = await rows(db)
    preview = await preview_booking(db.session, settings, rules, new, now=NOW)
    assert await rows(db) == before
    assert (preview.quote is not None, preview.payment is not None) == (priced, priced)
    if code is not None:
        assert preview.refusal.code == code and not preview.needs_approval and preview.approval_reasons == ()
        with pytest.raises(CodedError) as refused:
            await submit_booking(db.session, settings, rules, new, None, now=NOW)
        assert refused.value.code == code
        assert await rows(db) == before
        return
    assert preview.refusal is None
    booking, made = await submit_booking(db.session, settings, rules, new, None, now=NOW)
    assert made and booking.status == ("requested" if preview.needs_approval else "confirmed")
    assert booking.price_total == preview.quote.total and booking.price_snapshot == preview.quote.to_snapshot()
    assert preview.payment.methods == ("invoice",)


async def test_a_taken_time_is_refused_beside_its_price_and_the_reasons_come_in_both_languages(db):
    world, rules, settings = await town(db)
    cup = asked(world, world.hall, "18:00", "20:00", details=BookingDetails("Cup", 150, "adults"))
    first = await preview_booking(db.session, settings, rules, cup, now=NOW)
    assert first.needs_approval and first.approval_reasons == (
        ("Mer enn 100 deltakere krever godkjenning.", "More than 100 attendees need approval."),
    )
    await submit_booking(db.session, settings, rules, cup, None, now=NOW)
    again = await preview_booking(db.session, settings, rules, cup, now=NOW)
    assert again.refusal.code == "conflict" and again.quote == first.quote
    assert again.quote.total == Decimal("1145")  # 2 h × 1145 × 0.5 (voluntary organisation)
