"""A server killed while it writes (SIGKILL, as a crash or the kernel's OOM killer would)
loses no booking it answered and leaves nothing half-written: every answered booking is
there with its slot claims and history, no claim or history row lacks its booking,
nothing overlaps, and after a restart the same requests again (same Idempotency-Key)
answer with the booking they made, or make it now: never a second one."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from itertools import count

import httpx
from sqlalchemy import func, select

from booking.db.models import Booking, BookingHistory, SlotClaim
from booking.domain.lifecycle import SLOT_HOLDING
from booking.services.accounts import issue_api_token
from tests.e2e.conftest import _free_port
from tests.world import build_world

REAL_CLOCK = True  # the server is a process of its own, on the real clock
CLIENTS = 8
KILL_AFTER_ANSWERS = 12


def slots(first: date, organisation_id: int):
    """Distinct two-hour slots in the meeting room, each a booking of its own, for the club."""
    for n in count():
        day = first + timedelta(days=n // 5)
        hour = 8 + 3 * (n % 5)  # an hour apart, more than the room's buffers
        yield (
            n,
            {
                "premises": "motesalen",
                "start": f"{day}T{hour:02d}:00",
                "end": f"{day}T{hour + 2:02d}:00",
                "purpose": "Styremøte",
                "attendees": 5,
                "target_group": "adults",
                "accept_terms": True,
                "accept_fire_instructions": True,
                "organisation_id": organisation_id,
                "payment_method": "invoice",
            },
        )


async def wait_until_serving(url: str, process: subprocess.Popen) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(150):
            if process.poll() is not None:
                raise AssertionError("the server stopped: " + process.stderr.read().decode(errors="replace")[-2000:])
            try:
                if (await http.get(f"{url}/api/v1/premises")).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the server did not start")


def start_server(db, port: int) -> subprocess.Popen:
    env = {**os.environ, "BOOKING_DATABASE_URL": db.url, "BOOKING_BASE_URL": f"http://127.0.0.1:{port}"}
    return subprocess.Popen(
        [sys.executable, "-m", "booking.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_a_server_killed_mid_write_loses_no_answered_booking(db):
    world = await build_world(db.session)
    now = datetime.now(timezone.utc)
    headers = {"Authorization": "Bearer " + await issue_api_token(db.session, world.person_id, label="kill", now=now)}
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(db, port)
    answered: dict[int, int] = {}  # request number → the booking id the server answered with
    unanswered: dict[int, dict] = {}  # sent, but the server died before it answered
    sent = slots(now.date() + timedelta(days=14), world.organisation_id)
    enough = asyncio.Event()

    async def client() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            while server.poll() is None:
                number, body = next(sent)
                try:
                    answer = await http.post(
                        f"{url}/api/v1/bookings", json=body, headers={**headers, "Idempotency-Key": f"kill-{number}"}
                    )
                except httpx.TransportError:
                    unanswered[number] = body
                    return
                assert answer.status_code == 201, answer.text
                answered[number] = answer.json()["id"]
                if len(answered) >= KILL_AFTER_ANSWERS:
                    enough.set()

    try:
        await wait_until_serving(url, server)
        clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]
        await asyncio.wait_for(enough.wait(), timeout=120)
        server.send_signal(signal.SIGKILL)  # mid-write: the other clients' requests are in flight
        await asyncio.gather(*clients)
        assert unanswered, "the kill came when no request was in flight; nothing was tested"

        async with db.sessions() as s:
            bookings = {b.id: b for b in (await s.execute(select(Booking))).scalars()}
            claims = list((await s.execute(select(SlotClaim))).scalars())
            history = list((await s.execute(select(BookingHistory))).scalars())
        assert set(answered.values()) <= set(bookings), "an answered booking was lost"
        holding = {b.id for b in bookings.values() if b.status in {s.value for s in SLOT_HOLDING}}
        assert {c.booking_id for c in claims} == holding, "a booking without its claims, or a claim without its booking"
        assert {h.booking_id for h in history} == set(bookings), "a booking without its history"
        assert len(bookings) <= len(answered) + len(unanswered)
        for a in claims:
            assert not any(
                b.id != a.id and b.unit_id == a.unit_id and a.busy_from < b.busy_to and b.busy_from < a.busy_to
                for b in claims
            ), "overlapping claims"

        server = start_server(db, port)
        await wait_until_serving(url, server)
        async with httpx.AsyncClient(timeout=30) as http:
            for number, body in sorted(unanswered.items()):
                again = await http.post(
                    f"{url}/api/v1/bookings", json=body, headers={**headers, "Idempotency-Key": f"kill-{number}"}
                )
                assert again.status_code in (200, 201), again.text  # made before the kill, or made now
            for number, booking_id in sorted(answered.items())[:3]:
                _, body = next(
                    (n, b) for n, b in slots(now.date() + timedelta(days=14), world.organisation_id) if n == number
                )
                again = await http.post(
                    f"{url}/api/v1/bookings", json=body, headers={**headers, "Idempotency-Key": f"kill-{number}"}
                )
                assert (again.status_code, again.json()["id"]) == (200, booking_id)
        async with db.sessions() as s:
            total = await s.scalar(select(func.count()).select_from(Booking))
        assert total == len(answered) + len(unanswered)  # one booking per request, never two
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=10)
