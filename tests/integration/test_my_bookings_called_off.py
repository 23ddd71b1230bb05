"""My bookings, regression tests for what a tester found: a cancelled booking stayed under
"Kommende" with its full price, and the booking page kept the responsible person and the
cancellation in Norwegian on the English page. SQLite and PostgreSQL, through the app."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from booking.services.bookings import NewBooking
from booking.services.lending import Responsible
from booking.services.rulebook import current_rules
from booking.services.submissions import submit_booking
from booking.settings import from_environment
from common.localtime import OSLO
from pricing import BookingDetails
from tests.integration.booking_web_support import at, csrf, log_in, weekday_ahead

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


async def _book(client, start: datetime, end: datetime, key: str) -> int:
    """Kari books the meeting room for her club, invoiced, as the booking page does."""
    booking, _ = await submit_booking(
        client.db.session,
        from_environment({"BOOKING_DATABASE_URL": client.db.url}),
        await current_rules(client.db.session),
        NewBooking(
            "motesalen",
            start,
            end,
            client.world.person_id,
            client.world.organisation_id,
            BookingDetails("Styremøte", 8, "adults"),
            payment_method="invoice",
            idempotency_key=key,
        ),
        Responsible("Per Voksen", "99887766"),
        now=datetime.now(timezone.utc),
    )
    return booking.id


async def _late_cancelled(client) -> int:
    """A confirmed, invoiced booking (150 kr) cancelled inside 48 hours: 75 kr fee, 75 kr credited."""
    soon = (datetime.now(timezone.utc) + timedelta(hours=30)).astimezone(OSLO)
    start = soon.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)
    booking_id = await _book(client, start, start + timedelta(hours=2), "late")
    done = await client.post(
        f"/mine-bestillinger/{booking_id}/avbestill",
        data={"_csrf_token": csrf(client), "begrunnelse": "Flyttet møtet"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return booking_id


def _section(page: str, heading_id: str) -> str:
    """The HTML from a section's heading to the next heading of the same level."""
    start = page.index(f'<h2 id="{heading_id}">')
    end = page.find("<h2", start + 1)
    return page[start : end if end != -1 else None]


async def test_a_cancelled_booking_leaves_upcoming_and_shows_the_fee_it_cost(client):
    await log_in(client, "kari@example.no")
    kept = await _book(client, at(weekday_ahead(), "18:00"), at(weekday_ahead(), "20:00"), "kept")
    cancelled = await _late_cancelled(client)
    page = (await client.get("/mine-bestillinger")).text
    upcoming, called_off = _section(page, "kommende"), _section(page, "avbestilte")
    assert "Kommende (1)" in upcoming and f'/mine-bestillinger/{kept}"' in upcoming
    assert f'/mine-bestillinger/{cancelled}"' not in upcoming
    assert "Avbestilte og avslåtte (1)" in called_off and f'/mine-bestillinger/{cancelled}"' in called_off
    assert "Avbestillingsgebyr 75\u00a0kr · 75\u00a0kr ikke fakturert" in called_off
    assert "150\u00a0kr" not in called_off  # not the full price
    # The JSON API reads the same list: only a booking that still holds its slot is upcoming.
    mine = (await client.get("/api/v1/me/bookings")).json()
    assert [b["id"] for b in mine["upcoming"]] == [kept] and [b["id"] for b in mine["past"]] == [cancelled]

    english = (await client.get("/mine-bestillinger", headers=ENGLISH)).text
    assert (
        "Cancelled and rejected (1)" in english and "Cancellation fee NOK\u00a075 · NOK\u00a075 not invoiced" in english
    )


async def test_the_booking_page_says_the_responsible_person_and_the_cancellation_in_english(client):
    await log_in(client, "kari@example.no")
    cancelled = await _late_cancelled(client)
    english = (await client.get(f"/mine-bestillinger/{cancelled}", headers=ENGLISH)).text
    assert "Responsible person (18+): Per Voksen, tel. 99887766" in english
    assert re.search(r"Cancelled by Kari Nordmann on [\d/]+ \d\d:\d\d\. Reason: Flyttet møtet</dd>", english)
    assert "What it cost</dt><dd>Cancellation fee NOK\u00a075 · NOK\u00a075 not invoiced</dd>" in english
    for norwegian in (
        "Ansvarlig person",
        "tlf.",
        "Avbestilt av",
        "Avbestillingsgebyr",
        "Begrunnelse",
        "Avbestilling er gratis",
    ):
        assert norwegian not in english, norwegian

    norsk = (await client.get(f"/mine-bestillinger/{cancelled}")).text
    assert "Ansvarlig person (18+): Per Voksen, tlf. 99887766" in norsk
    assert "Avbestilt av Kari Nordmann" in norsk and "Begrunnelse: Flyttet møtet</dd>" in norsk
    assert "Avbestillingsgebyr 75\u00a0kr · 75\u00a0kr ikke fakturert" in norsk


async def test_a_reason_that_looks_like_a_fee_sentence_is_kept_whole(client):
    """The canceller's words end where the fee sentence the engine appends begins: the last one."""
    await log_in(client, "kari@example.no")
    booking_id = await _book(client, at(weekday_ahead(), "10:00"), at(weekday_ahead(), "11:00"), "words")
    reason = "Gratis lokale fikk vi likevel. <b>Takk</b>"
    await client.post(
        f"/mine-bestillinger/{booking_id}/avbestill", data={"_csrf_token": csrf(client), "begrunnelse": reason}
    )
    english = (await client.get(f"/mine-bestillinger/{booking_id}", headers=ENGLISH)).text
    assert "Reason: Gratis lokale fikk vi likevel. &lt;b&gt;Takk&lt;/b&gt;</dd>" in english
    assert "What it cost</dt><dd>No charge · NOK\u00a075 not invoiced</dd>" in english
