"""Staff check an organisation before what it claims counts, through the app on SQLite and
PostgreSQL. An organisation registered on the site starts unchecked; every booking on its
behalf needs approval (reason `organisation_unverified`, in both languages, in the booking
page's preview, the booking's history and the staff queue) at the price quoted; staff mark
it checked on their own page, and its later bookings follow the usual rules."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from booking.db.engine import make_engine, write_transaction
from booking.db.migrate import upgrade
from booking.db.models import Booking, BookingHistory, Organisation, Person
from booking.services.organisations import register_organisation
from booking.services.rulebook import ORGANISATION_UNVERIFIED
from booking.services.seed import SAMPLE, load_catalogue
from tests import pg
from tests.conftest import asyncpg_url, require_postgres
from tests.integration.booking_web_support import at, weekday_ahead
from tests.integration.test_staff import EMAILS, csrf, login_as, post_form, staff  # noqa: F401 (fixture)

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
JSON = {"Accept": "application/json"}
NEW_ORGNR = "991012133"
REASON_NB = "Organisasjonen er ikke kontrollert av kommunen ennå."
REASON_EN = "The organisation has not yet been checked by the municipality."


def booking_form(client, day, organisation_id: int, key: str) -> dict:
    return {
        "_csrf_token": csrf(client),
        "dato": day.isoformat(),
        "fra": "18:00",
        "til": "20:00",
        "for": str(organisation_id),
        "betaling": "invoice",
        "deltakere": "12",
        "malgruppe": "adults",
        "alkohol": "nei",
        "formal": "Korøvelse",
        "ansvarlig_navn": "Kari Nordmann",
        "ansvarlig_telefon": "+47 900 00 000",
        "ansvarlig_voksen": "ja",
        "vilkar": "ja",
        "branninstruks": "ja",
        "nokkel": key,
    }


async def organisation(db, orgnr: str) -> Organisation:
    async with db.sessions() as s:
        return await s.scalar(select(Organisation).where(Organisation.orgnr == orgnr))


async def person_id(db, email: str) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(Person.id).where(Person.email == email))


async def test_a_new_organisation_books_by_request_until_staff_have_checked_it(staff):
    db = staff.db
    await login_as(staff, "delegate")
    made = await post_form(
        staff,
        "/mine-organisasjoner",
        {"navn": "Nytt kor", "orgnr": NEW_ORGNR, "in_frivillighetsregisteret": "ja", "based_in_municipality": "ja"},
    )
    assert made.status_code == 303
    choir = await organisation(db, NEW_ORGNR)
    assert choir.verified_at is None and choir.verified_by_id is None
    assert choir.registered_by_id == staff.staff.world.person_id and choir.registered_at is not None

    # The delegate is told, in words, what waiting for the check means.
    mine = await staff.get("/mine-organisasjoner")
    nytt_kor = mine.text.split('id="org-%d"' % choir.id)[1].split("</section>")[0]
    assert "Venter på kommunens kontroll." in nytt_kor and "må kommunen godkjenne hver bestilling" in nytt_kor
    club = mine.text.split('id="org-%d"' % staff.staff.world.organisation_id)[1].split("</section>")[0]
    assert "Kontrollert av kommunen." in club
    assert "Waiting for the municipality's check." in (await staff.get("/mine-organisasjoner", headers=ENGLISH)).text

    # The booking page says before booking why it must be approved, at the price quoted.
    day = weekday_ahead(2)
    wanted = f"/bestill/motesalen?dato={day}&fra=18:00&til=20:00&for={choir.id}&deltakere=12&malgruppe=adults"
    preview = await staff.get(wanted)
    assert "Må godkjennes:" in preview.text and f"<li>{REASON_NB}</li>" in preview.text
    assert "Kundegruppe: Frivillig organisasjon" in preview.text and "150\u00a0kr" in preview.text
    assert f"<li>{REASON_EN}</li>" in (await staff.get(wanted, headers=ENGLISH)).text

    answer = await staff.post(
        "/bestill/motesalen", data=booking_form(staff, day, choir.id, "kor-1"), follow_redirects=False
    )
    assert answer.status_code == 303
    async with db.sessions() as s:
        booking = await s.scalar(select(Booking).where(Booking.organisation_id == choir.id))
        stored = await s.scalar(select(BookingHistory.reason).where(BookingHistory.booking_id == booking.id))
    assert (booking.status, booking.price_total, booking.payment_method) == ("requested", 150, "invoice")
    assert booking.start_at == at(day, "18:00") and stored == REASON_NB
    mine = await staff.get(f"/mine-bestillinger/{booking.id}", headers=ENGLISH)  # the booker's own page
    assert REASON_EN in mine.text and REASON_NB not in mine.text

    # The queue gives the reason in both languages and leads to the check.
    await login_as(staff, "department_staff")
    queue = await staff.get("/saksbehandling")
    assert REASON_NB in queue.text and "Organisasjonen er ikke kontrollert ennå." in queue.text
    assert f'href="/saksbehandling/organisasjoner#org-{choir.id}"' in queue.text
    assert f"{REASON_EN}</dd>" in (await staff.get("/saksbehandling", headers=ENGLISH)).text

    waiting = await staff.get("/saksbehandling/organisasjoner")
    assert waiting.status_code == 200 and 'href="/saksbehandling/organisasjoner" aria-current="page"' in waiting.text
    assert f'id="org-{choir.id}">Nytt kor</h2>' in waiting.text and NEW_ORGNR in waiting.text
    assert "Registrert i Frivillighetsregisteret; Holder til i kommunen" in waiting.text
    assert "Kari Nordmann, kari@example.no" in waiting.text
    assert f'href="https://data.brreg.no/enhetsregisteret/oppslag/enheter/{NEW_ORGNR}"' in waiting.text
    assert f'action="/saksbehandling/organisasjoner/{choir.id}/kontroller"' in waiting.text
    assert "Bragernes IL" not in waiting.text  # checked already
    assert (
        "Registered in the Register of Non-Profit Organisations"
        in (await staff.get("/saksbehandling/organisasjoner", headers=ENGLISH)).text
    )

    checked = await post_form(staff, f"/saksbehandling/organisasjoner/{choir.id}/kontroller")
    assert (checked.status_code, checked.headers["location"]) == (
        303,
        "/saksbehandling/organisasjoner?utfort=kontrollert",
    )
    done = await staff.get(checked.headers["location"])
    assert "Organisasjonen er markert som kontrollert." in done.text
    assert "Ingen organisasjoner venter på kontroll." in done.text
    choir = await organisation(db, NEW_ORGNR)
    assert choir.verified_at is not None and choir.verified_by_id == await person_id(db, EMAILS["department_staff"])

    # The request made before the check stays in the queue, still saying why, in English too.
    queue = await staff.get("/saksbehandling", headers=ENGLISH)
    assert f"{REASON_EN}</dd>" in queue.text and "Nytt kor" in queue.text
    assert "/saksbehandling/organisasjoner#org-" not in queue.text

    # Booked after the check, it follows the usual rules: confirmed at once.
    await login_as(staff, "delegate")
    later = await staff.get(wanted.replace(f"dato={day}", f"dato={day + timedelta(days=7)}"))
    assert "Bestillingen blir bekreftet med en gang" in later.text and REASON_NB not in later.text
    assert (
        "Kontrollert av kommunen." in (await staff.get("/mine-organisasjoner")).text.split('id="org-%d"' % choir.id)[1]
    )


async def test_marking_checked_is_for_staff_and_refuses_what_it_cannot_do(staff):
    db = staff.db
    choir = await register_organisation(
        db.session,
        name="Nytt kor",
        orgnr=NEW_ORGNR,
        delegate_id=staff.staff.world.person_id,
        now=datetime.now(timezone.utc),
    )
    path = f"/saksbehandling/organisasjoner/{choir.id}/kontroller"

    await login_as(staff, "delegate")
    assert (await staff.get("/saksbehandling/organisasjoner")).status_code == 403
    assert (await post_form(staff, path, headers=JSON)).json()["code"] == "forbidden"
    await login_as(staff, "caretaker")
    assert (await post_form(staff, path)).status_code == 403

    await login_as(staff, "department_staff")
    unknown = await post_form(staff, "/saksbehandling/organisasjoner/999999/kontroller", headers=JSON)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_organisation")
    assert unknown.json()["detail"] == "Fant ikke organisasjonen."
    page = await post_form(staff, "/saksbehandling/organisasjoner/999999/kontroller")
    assert page.status_code == 404 and "Fant ikke organisasjonen." in page.text
    stale = await staff.post(path, data={"_csrf_token": "stale"}, headers=JSON, follow_redirects=False)
    assert (stale.status_code, stale.json()["code"]) == (403, "csrf_failed")
    assert (await organisation(db, NEW_ORGNR)).verified_at is None  # nothing written

    await login_as(staff, "admin")
    assert (await post_form(staff, path)).status_code == 303
    first = await organisation(db, NEW_ORGNR)
    await login_as(staff, "department_staff")
    assert (await post_form(staff, path)).status_code == 303  # again: a no-op
    again = await organisation(db, NEW_ORGNR)
    assert (again.verified_at, again.verified_by_id) == (first.verified_at, await person_id(db, EMAILS["admin"]))


def test_the_reason_has_its_code_and_both_languages():
    assert ORGANISATION_UNVERIFIED.code == "organisation_unverified"
    assert (ORGANISATION_UNVERIFIED.rule_nb, ORGANISATION_UNVERIFIED.rule_en) == (REASON_NB, REASON_EN)


async def test_the_sample_organisations_come_checked_and_seeding_again_changes_nothing(db):
    import tomllib

    data = tomllib.loads(SAMPLE.read_text(encoding="utf-8"))
    first, later = datetime(2026, 3, 2, 9, tzinfo=timezone.utc), datetime(2026, 3, 9, 9, tzinfo=timezone.utc)
    async with write_transaction(db.session) as session:
        assert (await load_catalogue(session, data, first))["organisations"] == len(data["organisations"])
    async with write_transaction(db.session) as session:
        assert set((await load_catalogue(session, data, later)).values()) == {0}
    async with db.sessions() as s:
        checked = set((await s.execute(select(Organisation.verified_at))).scalars())
    assert checked == {first}


# ------------------------------------------------------------------ the migration


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_database(request, tmp_path):
    """A database with no schema yet, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    server = require_postgres()
    name = await pg.create_database(server)
    yield asyncpg_url(pg.with_database(server, name))
    await pg.drop_database(server, name)


async def test_the_migration_marks_existing_organisations_checked(empty_database):
    await asyncio.to_thread(upgrade, empty_database, "0005")
    engine = make_engine(empty_database, autocommit=False)  # as migrations run: every statement in a transaction
    try:
        async with engine.begin() as connection:  # an organisation with a delegate, from before the check
            await connection.execute(
                text(
                    "INSERT INTO person (id, name, email, phone, roles, language) "
                    "VALUES (1, 'Kari Nordmann', 'kari@example.no', '', '[]', 'nb')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO organisation (id, name, orgnr, works_for_children_youth, in_frivillighetsregisteret, "
                    "sports_club, based_in_municipality, commercial, municipal) "
                    "VALUES (1, 'Gamle kor', '974760673', false, true, false, true, false, false)"
                )
            )
            await connection.execute(text("INSERT INTO membership (organisation_id, person_id) VALUES (1, 1)"))
        await asyncio.to_thread(upgrade, empty_database, "head")
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT verified_at, verified_by_id, registered_at FROM organisation WHERE id = 1")
                )
            ).one()
            assert row.verified_at is not None and row.verified_by_id is None and row.registered_at is None
            await connection.execute(
                text(
                    "INSERT INTO organisation (id, name, works_for_children_youth, "
                    "in_frivillighetsregisteret, sports_club, based_in_municipality, commercial, "
                    "municipal, verified_by_id) "
                    "VALUES (2, 'Nytt', false, false, false, true, false, false, 1)"
                )
            )
            assert (await connection.scalar(text("SELECT verified_at FROM organisation WHERE id = 2"))) is None
            with pytest.raises(Exception):  # verified_by_id refers to a person
                await connection.execute(text("UPDATE organisation SET verified_by_id = 99 WHERE id = 2"))
            await connection.rollback()
    finally:
        await engine.dispose()
