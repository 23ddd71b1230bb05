"""The iCal feeds through the app, on SQLite and PostgreSQL, parsed back with icalendar
and with the independent `ics` parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import ics
import pytest
from icalendar import Calendar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, func, select, update

import booking.web.app as web_app
from booking.db.engine import write_transaction
from booking.db.models import Booking, Building, Closure, FeedEventCache, FeedToken, Membership, Person, Premises
from booking.domain.errors import Forbidden, NotFound
from booking.domain.lifecycle import Status
from booking.services import feeds
from booking.services.bookings import NewBooking, change_status, create_booking
from booking.services.lending import Assessment, PremisesApprovalOnly
from booking.settings import from_environment
from common.localtime import resolve_local
from pricing import BookingDetails
from tests.world import build_world

UTC = timezone.utc
OSLO = ZoneInfo("Europe/Oslo")
BOOKED = datetime(2026, 2, 15, 8, 0, tzinfo=UTC)  # when the bookings are made
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # the feeds' clock: both 2026 DST days lie ahead
RULES = PremisesApprovalOnly()
PERSONAL = (
    "Kari",
    "Nordmann",
    "912 34 567",
    "kari@example.no",
    "Bragernes IL",
    "Per Hansen",
    "Årsmøte",
    "nøkkel",
    "Kontaktperson",
)


def at(text: str) -> datetime:
    return resolve_local(datetime.fromisoformat(text))


@dataclass
class Town:
    client: AsyncTestClient
    db: object
    clock: dict
    world: object
    ids: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    building_id: int = 0

    async def get(self, path: str, **headers):
        return await self.client.get(path, headers=headers)

    async def token(self, kind: str, subject_id: int, owner: str, actor: str | None = None) -> str:
        async with write_transaction(self.db.session) as session:
            issued = await feeds.create_token(
                session,
                feed=kind,
                subject_id=subject_id,
                owner_id=self.people[owner],
                actor_id=self.people[actor] if actor else None,
                now=self.clock["now"],
            )
        return issued.path

    async def premises_id(self, slug: str) -> int:
        async with self.db.sessions() as session:
            return await session.scalar(select(Premises.id).where(Premises.slug == slug))

    async def cancel(self, name: str, when: datetime) -> None:
        async with write_transaction(self.db.session) as session:
            await change_status(
                session, self.ids[name], Status.CANCELLED, actor_id=self.people["kari"], reason="Avlyst", now=when
            )


async def _book(db, slug, start, end, person_id, organisation_id=None, rules=RULES, **details) -> int:
    new = NewBooking(
        premises_slug=slug,
        start=start,
        end=end,
        person_id=person_id,
        organisation_id=organisation_id,
        details=BookingDetails(**details),
    )
    return (await create_booking(db.session, new, rules=rules, now=BOOKED)).id


@pytest.fixture
async def town(db, monkeypatch):
    world = await build_world(db.session)
    async with write_transaction(db.session) as s:
        s.add_all(
            [
                Person(name="Per Hansen", email="per@example.no", roles=["person"]),
                Person(name="Vera Vaktmester", email="vera@example.no", roles=["person", "caretaker"]),
                Person(name="Sara Saksbehandler", email="sara@example.no", roles=["person", "department_staff"]),
            ]
        )
        await s.flush()
        people = {p.email.split("@")[0]: p.id for p in (await s.execute(select(Person))).scalars()}
        await s.execute(update(Person).where(Person.id == world.person_id).values(phone="912 34 567"))
        building_id = await s.scalar(select(Building.id))
        await s.execute(
            update(Building)
            .where(Building.id == building_id)
            .values(caretaker_id=people["vera"], postcode="3015", city="Drammen")
        )
        await s.execute(update(Premises).where(Premises.slug == "klasserom-1").values(requires_approval=True))
    kari, club = world.person_id, world.organisation_id
    ids = {
        "spring": await _book(
            db,
            "motesalen",
            at("2026-03-29T18:00"),
            at("2026-03-29T20:00"),
            kari,
            club,
            purpose="Årsmøte",
            attendees=18,
            target_group="children_youth",
        ),
        "spring_gap": await _book(db, "motesalen", at("2026-03-29T01:00"), at("2026-03-29T04:00"), kari),
        "autumn": await _book(db, "motesalen", at("2026-10-25T18:00"), at("2026-10-25T20:00"), people["per"]),
        "autumn_repeat": await _book(db, "motesalen", at("2026-10-25T01:00"), at("2026-10-25T04:00"), kari, club),
        # 02:30 in the second (CET) run of the repeated hour: only UTC can say which one.
        "repeated_hour": await _book(
            db, "hallen-b", datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 2, 30, tzinfo=UTC), kari
        ),
        "requested": await _book(db, "klasserom-1", at("2026-03-31T18:00"), at("2026-03-31T20:00"), kari, club),
        "to_cancel": await _book(db, "hallen-a", at("2026-04-07T18:00"), at("2026-04-07T20:00"), kari, club),
    }
    async with write_transaction(db.session) as s:
        await s.execute(
            update(Booking).where(Booking.id == ids["spring"]).values(caretaker_notes="Trenger nøkkel til lageret.")
        )
    clock = {"now": NOW}
    monkeypatch.setattr(web_app, "provide_now", lambda: clock["now"])
    app = web_app.create_app(from_environment({"BOOKING_DATABASE_URL": db.url}))
    async with AsyncTestClient(app=app) as client:
        yield Town(client, db, clock, world, ids, {**people, "kari": kari}, building_id)


def by_icalendar(body: bytes) -> dict[str, dict]:
    calendar = Calendar.from_ical(body)
    # In UTC: Python subtracts two datetimes of one zone by wall time, which is wrong across DST.
    return {
        str(e["UID"]): {
            "start": e.decoded("DTSTART").astimezone(UTC),
            "end": e.decoded("DTEND").astimezone(UTC),
            "status": str(e["STATUS"]),
            "sequence": int(e["SEQUENCE"]),
            "summary": str(e["SUMMARY"]),
            "description": str(e.get("DESCRIPTION", "")),
            "location": str(e.get("LOCATION", "")),
        }
        for e in calendar.walk("VEVENT")
    }


def by_ics(body: bytes) -> dict[str, ics.Event]:
    return {event.uid: event for event in ics.Calendar(body.decode("utf-8")).events}


def uid(town: Town, name: str) -> str:
    return f"booking-{town.ids[name]}@lokaler"


async def feed_paths(town: Town) -> dict[str, str]:
    w = town.world
    return {
        "public": "/kalender/lokaler/motesalen.ics",
        "premises": await town.token("premises", await town.premises_id("hallen-a"), "vera"),
        "building": await town.token("building", town.building_id, "vera"),
        "caretaker": await town.token("caretaker", town.people["vera"], "vera"),
        "organisation": await town.token("organisation", w.organisation_id, "kari"),
        "person": await town.token("person", w.person_id, "kari"),
    }


EXPECTED = {
    "public": {"spring", "spring_gap", "autumn", "autumn_repeat"},
    "premises": {"to_cancel"},  # Hallen A: its own bookings and the whole hall's, not Hallen B's
    "building": {"spring", "spring_gap", "autumn", "autumn_repeat", "repeated_hour", "requested", "to_cancel"},
    "caretaker": {"spring", "spring_gap", "autumn", "autumn_repeat", "repeated_hour", "requested", "to_cancel"},
    "organisation": {"spring", "autumn_repeat", "requested", "to_cancel"},
    "person": {"spring", "spring_gap", "autumn_repeat", "repeated_hour", "requested", "to_cancel"},
}


async def test_every_feed_kind_is_served_and_parses_with_both_parsers(town):
    for kind, path in (await feed_paths(town)).items():
        response = await town.get(path)
        assert response.status_code == 200, kind
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        assert response.headers["etag"].startswith('"') and response.headers["last-modified"].endswith("GMT")
        expected = {uid(town, name) for name in EXPECTED[kind]}
        assert set(by_icalendar(response.content)) == expected, kind
        assert set(by_ics(response.content)) == expected, kind
        assert "set-cookie" not in response.headers
        # The one-query validators agree with the ETag the full answer carried.
        again = await town.get(path, **{"If-None-Match": response.headers["etag"]})
        assert (again.status_code, again.content) == (304, b""), kind


async def test_times_on_both_dst_days_are_right_in_both_parsers(town):
    body = (await town.get((await feed_paths(town))["building"])).content
    parsed, other = by_icalendar(body), by_ics(body)
    cases = {  # name: (UTC start, duration)
        "spring": (datetime(2026, 3, 29, 16, 0, tzinfo=UTC), timedelta(hours=2)),  # 18:00 CEST
        "spring_gap": (datetime(2026, 3, 29, 0, 0, tzinfo=UTC), timedelta(hours=2)),  # 01:00-04:00 loses an hour
        "autumn": (datetime(2026, 10, 25, 17, 0, tzinfo=UTC), timedelta(hours=2)),  # 18:00 CET
        "autumn_repeat": (datetime(2026, 10, 24, 23, 0, tzinfo=UTC), timedelta(hours=4)),  # gains an hour
        "repeated_hour": (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), timedelta(hours=1)),
    }
    for name, (start, duration) in cases.items():
        event = parsed[uid(town, name)]
        assert (event["start"], event["end"] - event["start"]) == (start, duration), name
        event2 = other[uid(town, name)]
        assert event2.begin.datetime.astimezone(UTC) == start, name
        assert event2.end.datetime.astimezone(UTC) - event2.begin.datetime.astimezone(UTC) == duration, name
    assert parsed[uid(town, "spring")]["start"].astimezone(OSLO).hour == 18
    assert parsed[uid(town, "autumn")]["start"].astimezone(OSLO).hour == 18
    assert b"DTSTART;TZID=Europe/Oslo:20260329T180000" in body
    assert b"DTSTART;TZID=Europe/Oslo:20261025T180000" in body
    assert b"DTSTART:20261025T013000Z" in body  # the repeated hour is written in UTC


async def test_full_feed_tells_the_caretaker_who_comes_and_what_they_need(town):
    body = (await town.get((await feed_paths(town))["building"])).content
    spring = by_icalendar(body)[uid(town, "spring")]
    assert spring["summary"] == "Møtesalen – Bragernes IL"
    assert spring["location"] == "Møtesalen, Bygget, Torget 1, 3015 Drammen"
    for line in (
        "Arrangør: Bragernes IL",
        "Formål: Årsmøte",
        "Kontaktperson: Kari Nordmann, tlf. 912 34 567",
        "Forventet antall: 18",
        "Målgruppe: barn og unge",
        "Status: bekreftet",
        "Merknad til vaktmester: Trenger nøkkel til lageret.",
    ):
        assert line in spring["description"].splitlines()
    requested = by_icalendar(body)[uid(town, "requested")]
    assert requested["status"] == "TENTATIVE" and "Status: venter på godkjenning" in requested["description"]
    assert by_icalendar(body)[uid(town, "spring_gap")]["summary"] == "Møtesalen – Egenorganisert"
    assert by_ics(body)[uid(town, "requested")].status == "TENTATIVE"


async def test_public_feed_shows_busy_times_only(town):
    response = await town.get("/kalender/lokaler/motesalen.ics")
    assert response.headers["cache-control"] == "public, max-age=300"
    text = response.content.decode("utf-8")
    for personal in PERSONAL:
        assert personal not in text
    assert "DESCRIPTION:" not in text.replace("X-WR-CALDESC", "").split("BEGIN:VEVENT", 1)[1]
    assert {event["summary"] for event in by_icalendar(response.content).values()} == {"Opptatt"}
    token_response = await town.get((await feed_paths(town))["person"])
    assert token_response.headers["cache-control"] == "private, max-age=300"


async def test_uids_stay_and_sequence_grows_when_a_booking_is_cancelled(town):
    path = (await feed_paths(town))["building"]
    first = await town.get(path)
    again = await town.get(path)
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    before = by_icalendar(first.content)[uid(town, "to_cancel")]
    assert before["status"] == "CONFIRMED"

    cancelled_at = NOW + timedelta(days=1)
    await town.cancel("to_cancel", cancelled_at)
    town.clock["now"] = cancelled_at + timedelta(hours=1)
    after = await town.get(path)
    assert set(by_icalendar(after.content)) == set(by_icalendar(first.content))
    event = by_icalendar(after.content)[uid(town, "to_cancel")]
    assert event["status"] == "CANCELLED" and event["sequence"] > before["sequence"]
    assert by_ics(after.content)[uid(town, "to_cancel")].status == "CANCELLED"
    assert after.headers["etag"] != first.headers["etag"]
    assert b"TRANSP:TRANSPARENT" in after.content

    town.clock["now"] = cancelled_at + timedelta(days=31)  # kept as CANCELLED for 30 days, then gone
    later = by_icalendar((await town.get(path)).content)
    assert uid(town, "to_cancel") not in later and uid(town, "autumn") in later


async def test_etag_changes_with_any_booking_in_the_feed_only(town):
    paths = await feed_paths(town)
    per = await town.token("person", town.people["per"], "per")
    before = {kind: (await town.get(path)).headers["etag"] for kind, path in {**paths, "per": per}.items()}
    await town.cancel("requested", NOW)  # a club booking in the classroom
    after = {kind: (await town.get(path)).headers["etag"] for kind, path in {**paths, "per": per}.items()}
    for kind in ("building", "caretaker", "organisation", "person"):
        assert after[kind] != before[kind], kind
    for kind in ("public", "premises", "per"):  # feeds without that booking keep their ETag
        assert after[kind] == before[kind], kind


async def test_conditional_requests_get_304_without_a_body(town):
    path = (await feed_paths(town))["building"]
    first = await town.get(path)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-Modified-Since": last_modified},
    ):
        response = await town.get(path, **headers)
        assert response.status_code == 304, headers
        assert response.content == b"" and response.headers["etag"] == etag
    earlier = format_datetime(datetime(2026, 2, 1, tzinfo=UTC), usegmt=True)
    assert (await town.get(path, **{"If-Modified-Since": earlier})).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110).
    assert (await town.get(path, **{"If-None-Match": '"stale"', "If-Modified-Since": last_modified})).status_code == 200
    public = await town.get("/kalender/lokaler/motesalen.ics")
    assert (
        await town.get("/kalender/lokaler/motesalen.ics", **{"If-None-Match": public.headers["etag"]})
    ).status_code == 304


async def test_unknown_revoked_and_rotated_tokens_are_plain_404s(town):
    missing_page = await town.get("/finnes/ikke")
    assert missing_page.status_code == 404
    path = await town.token("person", town.world.person_id, "kari")
    async with town.db.sessions() as s:
        token_id = await s.scalar(select(FeedToken.id).order_by(FeedToken.id.desc()))
    assert (await town.get(path)).status_code == 200
    async with write_transaction(town.db.session) as s:
        rotated = await feeds.rotate_token(s, token_id, actor_id=town.people["kari"], now=NOW)
    assert (await town.get(rotated.path)).status_code == 200
    revoked = path
    for probe in (
        revoked,
        "/kalender/" + "A" * 32 + ".ics",
        "/kalender/x.ics",
        "/kalender/lokaler/finnes-ikke.ics",
        "/kalender/lokaler/motesalen",
        rotated.path.removesuffix(".ics"),
    ):
        response = await town.get(probe)
        # The page names the path asked for (a "log in and come back" link), nothing else.
        assert (response.status_code, response.text.replace(probe, "/finnes/ikke")) == (404, missing_page.text), probe
    async with write_transaction(town.db.session) as s:
        await feeds.revoke_token(s, rotated.record.id, actor_id=town.people["sara"], now=NOW)  # staff may
    assert (await town.get(rotated.path)).status_code == 404


async def test_only_owners_and_staff_manage_tokens_and_only_entitled_owners_get_feeds(town):
    with pytest.raises(Forbidden) as refused:  # Per is not a delegate of the club
        await town.token("organisation", town.world.organisation_id, "per")
    assert refused.value.code == "feed_not_allowed"
    with pytest.raises(Forbidden):  # nor may he make one for Kari
        await town.token("person", town.world.person_id, "kari", actor="per")
    with pytest.raises(NotFound) as nothing:  # a caretaker feed is for someone who looks after a building
        await town.token("caretaker", town.people["per"], "per")
    assert nothing.value.code == "unknown_feed_subject"
    staff_made = await town.token("building", town.building_id, "vera", actor="sara")
    building = await town.token("building", town.building_id, "vera")
    organisation = await town.token("organisation", town.world.organisation_id, "kari")
    async with town.db.sessions() as s:
        token_id = await s.scalar(select(FeedToken.id).where(FeedToken.owner_id == town.people["kari"]))
    async with write_transaction(town.db.session) as s:
        with pytest.raises(Forbidden):
            await feeds.revoke_token(s, token_id, actor_id=town.people["per"], now=NOW)
        listed = await feeds.list_tokens(s, owner_id=town.people["vera"], actor_id=town.people["sara"])
    assert len(listed) == 2
    assert (await town.get(staff_made)).status_code == 200
    # A new caretaker and a delegate who leaves: the old feed URLs stop working.
    async with write_transaction(town.db.session) as s:
        await s.execute(update(Building).values(caretaker_id=town.people["per"]))
        await s.execute(delete(Membership).where(Membership.person_id == town.people["kari"]))
    assert (await town.get(building)).status_code == 404
    assert (await town.get(organisation)).status_code == 404


async def test_closures_appear_in_building_caretaker_and_premises_feeds(town):
    async with write_transaction(town.db.session) as s:
        s.add(
            Closure(
                scope="building",
                building_id=town.building_id,
                start_at=at("2026-05-17T00:00"),
                end_at=at("2026-05-18T00:00"),
                reason="17. mai",
                source="manual",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await s.flush()
        closure_id = await s.scalar(select(func.max(Closure.id)))
    paths = await feed_paths(town)
    closure = f"closure-{closure_id}@lokaler"
    for kind in ("building", "caretaker", "premises", "public"):
        body = (await town.get(paths[kind])).content
        event = by_icalendar(body)[closure]
        assert (event["start"], event["end"]) == (
            datetime(2026, 5, 16, 22, tzinfo=UTC),
            datetime(2026, 5, 17, 22, tzinfo=UTC),
        ), kind
        assert event["summary"] == ("Stengt" if kind == "public" else "Stengt: 17. mai")
        assert closure in by_ics(body)
    for kind in ("organisation", "person"):
        assert closure not in by_icalendar((await town.get(paths[kind])).content)


async def test_cached_texts_give_the_same_bytes_and_follow_renames(town):
    path = (await feed_paths(town))["building"]
    first = await town.get(path)
    async with town.db.sessions() as s:
        stored = await s.scalar(select(func.count()).select_from(FeedEventCache))
    assert stored == len(EXPECTED["building"])
    assert (await town.get(path)).content == first.content
    async with town.db.sessions() as s:  # the database finds every stored text by the key Python stored it under
        feed = await feeds.describe_feed(s, "building", town.building_id)
        state = await feeds.feed_state(s, feed, NOW)
        body, fresh = await feeds.feed_texts(s, state, NOW)
    assert fresh == [] and body == first.content
    # A new phone number stamps no booking: the ETag stays (it is made of the bookings'
    # stamps), but the cached texts know what they were built from, so a full answer has it.
    async with write_transaction(town.db.session) as s:
        await s.execute(update(Person).where(Person.id == town.people["kari"]).values(phone="400 00 000"))
    renumbered = await town.get(path)
    assert renumbered.headers["etag"] == first.headers["etag"]
    assert "tlf. 400 00 000" in by_icalendar(renumbered.content)[uid(town, "spring")]["description"]
    # Renaming the building renames the feed, and so changes its ETag, and every LOCATION.
    async with write_transaction(town.db.session) as s:
        await s.execute(update(Building).values(name="Nybygget"))
    renamed = await town.get(path)
    assert renamed.headers["etag"] != first.headers["etag"]
    assert by_icalendar(renamed.content)[uid(town, "spring")]["location"].startswith("Møtesalen, Nybygget")


async def test_a_lapsed_hold_is_published_as_cancelled(town):
    class PayFirst(PremisesApprovalOnly):
        def assess(self, request) -> Assessment:
            return Assessment(False, (), True, 15, super().assess(request).price_total, None)

    held = await _book(
        town.db, "hallen-b", at("2026-04-01T18:00"), at("2026-04-01T19:00"), town.world.person_id, rules=PayFirst()
    )
    path = (await feed_paths(town))["person"]
    town.clock["now"] = BOOKED + timedelta(minutes=5)
    event = by_icalendar((await town.get(path)).content)[f"booking-{held}@lokaler"]
    assert (event["status"], event["sequence"]) == ("TENTATIVE", 0)
    town.clock["now"] = BOOKED + timedelta(minutes=20)
    event = by_icalendar((await town.get(path)).content)[f"booking-{held}@lokaler"]
    assert (event["status"], event["sequence"]) == ("CANCELLED", 1)


async def test_single_booking_ics_and_feed_urls(town):
    async with town.db.sessions() as s:
        body = await feeds.booking_ics(s, town.ids["spring"])
    (event,) = by_icalendar(body).values()
    assert event["start"] == datetime(2026, 3, 29, 16, tzinfo=UTC) and event["status"] == "CONFIRMED"
    assert "Kontaktperson: Kari Nordmann, tlf. 912 34 567" in event["description"]
    assert feeds.feed_urls("https://lokaler.example/", "/kalender/abc.ics") == {
        "https": "https://lokaler.example/kalender/abc.ics",
        "webcal": "webcal://lokaler.example/kalender/abc.ics",
    }
