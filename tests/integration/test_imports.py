"""External calendars imported as closures, on SQLite and PostgreSQL: uploads and URLs
(from a local HTTP server), idempotent re-imports, collisions, and bad input that
leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time as clock
from datetime import datetime, time, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from booking import cli
from booking.db.engine import write_transaction
from booking.db.models import Booking, Building, CalendarSource, Closure
from booking.domain.text import CONTROL_CHARACTERS
from booking.services import feeds, imports
from booking.services.bookings import NewBooking, create_booking
from booking.services.lending import PremisesApprovalOnly
from booking.settings import ROOT, get_settings
from common.localtime import resolve_local
from tests.integration.booking_web_support import app_for
from tests.world import build_world

# These tests run `booking` commands as processes, which have the real clock (conftest.py).
REAL_CLOCK = True

UTC = timezone.utc
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def calendar(*events: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fjell skole//Kalender//NO\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    ).encode("utf-8")


def vevent(uid: str, *lines: str) -> str:
    body = "".join(f"{line}\r\n" for line in (f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines))
    return f"BEGIN:VEVENT\r\n{body}END:VEVENT\r\n"


MEETING = vevent(
    "foreldremote@skole",
    "DTSTART;TZID=Europe/Oslo:20260329T170000",
    "DTEND;TZID=Europe/Oslo:20260329T190000",
    "SUMMARY:Foreldremøte",
)
MAY_17 = vevent("17mai@skole", "DTSTART;VALUE=DATE:20260517", "DTEND;VALUE=DATE:20260518", "SUMMARY:17. mai")
BAND = vevent(
    "korps@skole",
    "DTSTART;TZID=Europe/Oslo:20260324T180000",
    "DTEND;TZID=Europe/Oslo:20260324T200000",
    "RRULE:FREQ=WEEKLY;COUNT=3",
    "SUMMARY:Korpsøvelse",
)
SCHOOL = calendar(MEETING, MAY_17, BAND)


async def closures(db) -> list[tuple]:
    async with db.sessions() as s:
        rows = (await s.execute(select(Closure).order_by(Closure.start_at, Closure.source_uid))).scalars()
        return [(c.id, c.source_uid, c.start_at, c.end_at, c.reason, c.updated_at) for c in rows]


async def source_for(db, *, url: str | None = None, name: str = "Fjell skole", **target) -> int:
    target = target or {"building_slug": "bygget"}
    async with write_transaction(db.session) as s:
        return (await imports.find_or_attach(s, name=name, url=url, now=NOW, **target)).id


async def last_error(db, source_id: int) -> str | None:
    async with db.sessions() as s:
        return (await s.get(CalendarSource, source_id)).last_error


@pytest.fixture
async def world(db):
    world = await build_world(db.session)
    # Overlaps the parents' meeting (17:00-19:00) on the spring DST day.
    new = NewBooking(
        premises_slug="motesalen",
        start=resolve_local(datetime(2026, 3, 29, 18)),
        end=resolve_local(datetime(2026, 3, 29, 20)),
        person_id=world.person_id,
    )
    world.booking_id = (await create_booking(db.session, new, rules=PremisesApprovalOnly(), now=NOW)).id
    return world


@pytest.fixture
def calendar_server():
    """A local HTTP server: path -> (status, body, delay in seconds), changeable by the test."""
    routes: dict[str, tuple[int, bytes, float]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            status, body, delay = routes.get(self.path, (404, b"", 0))
            clock.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (the timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", routes
    server.shutdown()
    server.server_close()


async def test_upload_becomes_closures_and_collisions_are_reported(db, world):
    source_id = await source_for(db)
    report = await imports.import_source(db.session, source_id, data=SCHOOL, now=NOW)
    assert (report.added, report.updated, report.removed) == (5, 0, 0)
    rows = await closures(db)

    def utc(month: int, day: int, hour: int) -> datetime:
        return datetime(2026, month, day, hour, tzinfo=UTC)

    assert [(uid, start, end) for _, uid, start, end, _, _ in rows] == [
        ("korps@skole/2026-03-24T17:00:00Z", utc(3, 24, 17), utc(3, 24, 19)),
        ("foreldremote@skole", utc(3, 29, 15), utc(3, 29, 17)),
        # after the change to summer time the weekly 18:00 is still 18:00 local
        ("korps@skole/2026-03-31T16:00:00Z", utc(3, 31, 16), utc(3, 31, 18)),
        ("korps@skole/2026-04-07T16:00:00Z", utc(4, 7, 16), utc(4, 7, 18)),
        ("17mai@skole", utc(5, 16, 22), utc(5, 17, 22)),  # a whole local day
    ]
    (collision,) = report.collisions
    assert (collision.booking_id, collision.premises, collision.event_uid) == (
        world.booking_id,
        "Møtesalen",
        "foreldremote@skole",
    )
    assert collision.to_json()["start"] == "2026-03-29T16:00:00+00:00"
    async with db.sessions() as s:
        assert (await s.get(Booking, world.booking_id)).status == "confirmed"  # reported, not overridden
        source = await s.get(CalendarSource, source_id)
        assert (source.last_imported_at, source.last_error) == (NOW, None)
        closure = (await s.execute(select(Closure).limit(1))).scalar_one()
        assert (closure.source, closure.source_ref, closure.scope) == (
            "ical_import",
            f"calendar_source:{source_id}",
            "building",
        )


async def test_reimport_is_idempotent_and_follows_the_source(db, world):
    source_id = await source_for(db)
    await imports.import_source(db.session, source_id, data=SCHOOL, now=NOW)
    before = await closures(db)
    async with db.sessions() as s:
        feed = await feeds.describe_feed(s, "building", (await s.scalar(select(Building.id))))
        etag = (await feeds.feed_state(s, feed, NOW)).etag
    again = await imports.import_source(db.session, source_id, data=SCHOOL, now=NOW + timedelta(hours=1))
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 5)
    assert await closures(db) == before
    async with db.sessions() as s:
        assert (await feeds.feed_state(s, feed, NOW)).etag == etag  # subscribers see no change

    moved = MEETING.replace("T170000", "T160000")
    later = NOW + timedelta(hours=2)
    report = await imports.import_source(db.session, source_id, data=calendar(moved, BAND), now=later)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 1, 3)
    after = {uid: (closure_id, start, updated) for closure_id, uid, start, _, _, updated in await closures(db)}
    assert "17mai@skole" not in after
    meeting_id = next(row[0] for row in before if row[1] == "foreldremote@skole")
    assert after["foreldremote@skole"] == (meeting_id, datetime(2026, 3, 29, 14, tzinfo=UTC), later)
    async with db.sessions() as s:
        state = await feeds.feed_state(s, feed, later)
    assert state.etag != etag and len([stamp for stamp in state.stamps if stamp.is_closure]) == 4


async def test_url_import_from_a_local_server(db, world, calendar_server):
    base, routes = calendar_server
    for refused in ("file:///etc/passwd", "ftp://example.no/skole.ics", "javascript:alert(1)"):
        with pytest.raises(imports.ImportRefused) as refusal:
            await source_for(db, url=refused)
        assert refusal.value.code == "url_not_allowed"
    async with db.sessions() as s:
        assert (await s.execute(select(CalendarSource))).first() is None
    routes["/skole.ics"] = (200, SCHOOL, 0)
    source_id = await source_for(db, url=f"{base}/skole.ics", premises_slug="motesalen")
    assert source_id == await source_for(db, url=f"{base}/skole.ics", premises_slug="motesalen")  # found again
    with pytest.raises(imports.ImportRefused) as refused:  # private addresses need the setting
        await imports.import_source(db.session, source_id, now=NOW)
    assert refused.value.code == "url_not_allowed" and await closures(db) == []
    assert (await last_error(db, source_id)).startswith("url_not_allowed")
    report = await imports.import_source(db.session, source_id, now=NOW, allow_private=True)
    assert report.added == 5 and [c.booking_id for c in report.collisions] == [world.booking_id]
    async with db.sessions() as s:
        assert {c.scope for c in (await s.execute(select(Closure))).scalars()} == {"premises"}
    assert await last_error(db, source_id) is None


BAD = {
    "not_icalendar": dict(data=b"<html>Dette er ikke en kalender</html>"),
    "too_large": dict(data=SCHOOL, max_bytes=200),
    "missing_dtstart": dict(data=calendar(MEETING, vevent("uten-start@skole", "SUMMARY:Når?"))),
    "empty": dict(data=calendar()),
    "fetch_timeout": dict(route=(200, SCHOOL, 3), timeout=0.5),
    "fetch_failed": dict(route=(500, b"", 0)),
}


@pytest.mark.parametrize("code", sorted(BAD))
async def test_bad_input_is_refused_with_a_code_and_changes_nothing(db, world, calendar_server, code):
    case = BAD[code]
    base, routes = calendar_server
    routes["/skole.ics"] = (200, SCHOOL, 0)
    url = f"{base}/skole.ics" if "route" in case else None
    source_id = await source_for(db, url=url)
    await imports.import_source(db.session, source_id, data=None if url else SCHOOL, now=NOW, allow_private=True)
    before = await closures(db)
    if url:
        routes["/skole.ics"] = case["route"]
    options = {key: case[key] for key in ("max_bytes", "timeout") if key in case}
    with pytest.raises(imports.ImportRefused) as refused:
        await imports.import_source(
            db.session, source_id, data=case.get("data"), now=NOW + timedelta(hours=1), allow_private=True, **options
        )
    assert refused.value.code == code and refused.value.status == 422
    assert refused.value.message_nb and refused.value.message_en
    assert await closures(db) == before
    assert (await last_error(db, source_id)).startswith(code)
    async with db.sessions() as s:
        assert (await s.get(CalendarSource, source_id)).last_imported_at == NOW


async def test_a_failure_inside_the_write_rolls_everything_back(db, world, monkeypatch):
    source_id = await source_for(db)
    await imports.import_source(db.session, source_id, data=SCHOOL, now=NOW)
    before = await closures(db)

    async def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(imports, "find_collisions", broken)  # after the upserts and deletes
    with pytest.raises(RuntimeError):
        await imports.import_source(db.session, source_id, data=calendar(MAY_17), now=NOW + timedelta(hours=1))
    assert await closures(db) == before
    assert "database went away" in await last_error(db, source_id)


async def test_command_line_import_refresh_and_feed_token(db, world, tmp_path, monkeypatch, capsys, calendar_server):
    async with write_transaction(db.session) as s:
        await s.execute(update(Building).values(caretaker_id=world.person_id))
    # The command uses the real clock, so this calendar and booking are a month from today.
    day = datetime.now(UTC).date() + timedelta(days=30)
    event = vevent(
        "kommende@skole",
        f"DTSTART;TZID=Europe/Oslo:{day:%Y%m%d}T170000",
        f"DTEND;TZID=Europe/Oslo:{day:%Y%m%d}T190000",
        "SUMMARY:Foreldremøte",
    )
    new = NewBooking(
        premises_slug="motesalen",
        start=resolve_local(datetime.combine(day, time(18))),
        end=resolve_local(datetime.combine(day, time(20))),
        person_id=world.person_id,
    )
    booking_id = (await create_booking(db.session, new, rules=PremisesApprovalOnly(), now=datetime.now(UTC))).id
    path = tmp_path / "skole.ics"
    path.write_bytes(calendar(event))
    base, routes = calendar_server
    routes["/kommune.ics"] = (200, calendar(event.replace("kommende@skole", "kommune@kommunen")), 0)
    url_source = await source_for(db, url=f"{base}/kommune.ics", name="Kommunens kalender")
    monkeypatch.setenv("BOOKING_ALLOW_PRIVATE_IMPORTS", "1")
    monkeypatch.setenv("BOOKING_DATABASE_URL", db.url)
    monkeypatch.setenv("BOOKING_BASE_URL", "https://lokaler.example")
    get_settings.cache_clear()
    try:
        code = await asyncio.to_thread(cli.main, ["calendars", "import", "--building", "bygget", "--file", str(path)])
        assert code == 0
        printed = capsys.readouterr().out
        assert "1 added" in printed and f"collision: booking {booking_id}" in printed
        code = await asyncio.to_thread(cli.main, ["calendars", "import", "--building", "bygget", "--file", str(path)])
        assert code == 0 and "0 added, 0 updated, 0 removed, 1 unchanged" in capsys.readouterr().out
        bad = tmp_path / "bad.ics"
        bad.write_bytes(b"not a calendar")
        code = await asyncio.to_thread(cli.main, ["calendars", "import", "--building", "bygget", "--file", str(bad)])
        assert code == 2 and "error [not_icalendar]" in capsys.readouterr().err
        code = await asyncio.to_thread(cli.main, ["calendars", "refresh"])  # the URL calendars only
        assert code == 0
        assert capsys.readouterr().out.startswith(f"calendar {url_source} (Kommunens kalender): 1 added")
        code = await asyncio.to_thread(
            cli.main,
            ["feeds", "token", "create", "--feed", "building", "--subject", "bygget", "--owner", "kari@example.no"],
        )
        assert code == 0
        lines = capsys.readouterr().out.splitlines()
    finally:
        get_settings.cache_clear()
    https = next(line for line in lines if line.startswith("https://lokaler.example/kalender/"))
    assert f"webcal://{https.removeprefix('https://')}" in lines

    app = app_for(db, "development")
    async with AsyncTestClient(app=app) as client:
        response = await client.get(https.removeprefix("https://lokaler.example"))
    assert response.status_code == 200
    assert b"SUMMARY:Stengt: Foreldrem\xc3\xb8te" in response.content


async def test_control_characters_in_an_imported_calendar_are_removed(db, world):
    """Regression: SUMMARY:Ctrl<BEL>bell became a closure reason shown on public pages."""
    ringing = vevent(
        "bell\x07@skole",
        "DTSTART;TZID=Europe/Oslo:20260329T170000",
        "DTEND;TZID=Europe/Oslo:20260329T190000",
        "SUMMARY:Ctrl\x07bell\x1b[31m",
    )
    report = await imports.import_source(db.session, await source_for(db), data=calendar(ringing), now=NOW)
    assert report.added == 1
    ((_, uid, _, _, reason, _),) = await closures(db)
    assert reason == "Ctrlbell[31m"
    assert not CONTROL_CHARACTERS.search(uid) and uid.startswith("sha256:")
    (collision,) = report.collisions
    assert collision.event_summary == "Ctrlbell[31m"
    again = await imports.import_source(db.session, report.source_id, data=calendar(ringing), now=NOW)
    assert (again.added, again.unchanged) == (0, 1)  # the stored uid is stable


@pytest.fixture
def command(db):
    """The `booking` command as an operator runs it, against the test's database."""
    env = {key: value for key, value in os.environ.items() if key != "BOOKING_ALLOW_PRIVATE_IMPORTS"}
    env["BOOKING_DATABASE_URL"] = db.url

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "booking.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )

    return run


async def sources(db) -> list[int]:
    async with db.sessions() as s:
        return list((await s.execute(select(CalendarSource.id))).scalars())


async def test_a_refused_first_import_saves_no_calendar(db, world, command, tmp_path):
    """Regression: a refused import left its calendar behind, and every refresh after it failed."""
    refused = command("calendars", "import", "--building", "bygget", "--url", "http://127.0.0.1:9/x.ics")
    assert refused.returncode == 2 and refused.stderr.startswith("error [url_not_allowed]"), refused.stderr
    not_a_calendar = tmp_path / "hostname"
    not_a_calendar.write_text("lokaler-1\n", encoding="utf-8")
    refused = command("calendars", "import", "--building", "bygget", "--file", str(not_a_calendar))
    assert refused.returncode == 2 and refused.stderr.startswith("error [not_icalendar]"), refused.stderr
    assert await sources(db) == [] and await closures(db) == []
    refreshed = command("calendars", "refresh")
    assert (refreshed.returncode, refreshed.stdout, refreshed.stderr) == (0, "", "")
    listed = command("calendars", "list")
    assert (listed.returncode, listed.stdout) == (0, "")


async def test_a_calendar_is_listed_and_removed_with_its_closures(db, world, command, tmp_path):
    day = datetime.now(UTC).date() + timedelta(days=30)  # the command uses the real clock
    event = vevent(
        "kommende@skole",
        f"DTSTART;TZID=Europe/Oslo:{day:%Y%m%d}T170000",
        f"DTEND;TZID=Europe/Oslo:{day:%Y%m%d}T190000",
        "SUMMARY:Foreldremøte",
    )
    path = tmp_path / "skole.ics"
    path.write_bytes(calendar(event))
    imported = command("calendars", "import", "--building", "bygget", "--file", str(path))
    assert imported.returncode == 0 and "1 added" in imported.stdout, imported.stderr
    # A subscribed calendar that has since stopped answering makes every refresh fail.
    dead = await source_for(db, url="http://127.0.0.1:9/borte.ics", name="Nedlagt")
    assert command("calendars", "refresh").returncode == 1
    (upload,) = [source for source in await sources(db) if source != dead]
    listed = command("calendars", "list").stdout.splitlines()
    assert listed[0].split("\t")[:4] == [str(upload), "bygget", "skole.ics", "(uploaded file)"]
    assert listed[1].split("\t")[:5] == [
        str(dead),
        "bygget",
        "Nedlagt",
        "http://127.0.0.1:9/borte.ics",
        "imported never",
    ]
    assert listed[1].split("\t")[5].startswith("error url_not_allowed")

    removed = command("calendars", "remove", str(dead))
    assert (removed.returncode, removed.stdout) == (0, f"calendar {dead} removed with its 0 closure(s)\n")
    assert command("calendars", "refresh").returncode == 0
    assert len(await closures(db)) == 1
    removed = command("calendars", "remove", str(upload))
    assert removed.returncode == 0 and "its 1 closure(s)" in removed.stdout
    assert await sources(db) == [] and await closures(db) == []
    again = command("calendars", "remove", str(upload))
    assert again.returncode == 2 and again.stderr.startswith("error [unknown_calendar_source]")
