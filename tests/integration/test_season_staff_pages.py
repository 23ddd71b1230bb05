"""The staff pages for seasonal allocation through the app on SQLite and PostgreSQL: set a
round up by form (an error shown at its field, then valid), compute the proposal and see
the week plan and the reasons as sentences, move an allocation by form (it is then
pinned, and a re-run keeps it), publish and see the result, withdraw, and the queue of
time often marked not used."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from sqlalchemy import func, select

from booking.db.engine import write_transaction
from booking.db.models import Booking, Closure, OutboxMail, Person, Premises, Season, SeasonAllocation
from booking.notify.sender import render_pending
from booking.services import season_publish, seasons
from booking.services.rulebook import current_rules
from common.localtime import resolve_local
from tests.integration.season_support import ADULTS, CHILDREN, SETUP
from tests.integration.test_staff import EMAILS, login_as, post_form, staff  # noqa: F401 (the fixture)

NOW = datetime(2026, 9, 1, 10, tzinfo=timezone.utc)
ENGLISH = {"Accept-Language": "en"}
HIGHER_TIER_NB = (
    "Tiden gikk til en gruppe med høyere prioritet: Barn og unge, og aktivitet for personer med funksjonsnedsettelse."
)
HIGHER_TIER_EN = (
    "The time went to a group with higher priority: Children and youth, and activities for people with disabilities."
)
VALID = {
    "navn": "Vinter 2027",
    "forste_dato": "2027-01-04",
    "siste_dato": "2027-01-31",
    "frist_dato": "2026-10-01",
    "frist_tid": "23:00",
    "lokaler": ["hallen-a", "hallen-b"],
    "apent_mon": "16:00-22:30",
    "apent_tue": "16:00–20:00, 20:30-22:30",
    "unntak": "2027-01-18–2027-01-19\n2027-01-26",
}


async def round_with_applications(staff) -> int:
    """The services' own round (tests/integration/test_seasons.py): open, and the club applied."""
    db, world = staff.db, staff.staff.world
    season = await seasons.create_season(db.session, SETUP, actor_id=None, now=NOW)
    await seasons.move_season(db.session, season.id, "open", now=NOW)
    rules = await current_rules(db.session)
    await seasons.submit_application(
        db.session,
        season.id,
        person_id=world.person_id,
        organisation_id=world.organisation_id,
        needs=[CHILDREN, ADULTS],
        rules=rules.in_force(SETUP.starts).allocation,
        now=NOW,
    )
    return season.id


async def allocation_rows(db, season_id: int) -> dict[int, SeasonAllocation]:
    async with db.sessions() as s:
        return {
            row.need: row
            for row in await seasons.allocations(s, season_id, ("proposed", "published", "given_back", "withdrawn"))
        }


async def test_a_season_is_set_up_by_form_with_errors_at_their_fields(staff):
    await login_as(staff, "department_staff")
    empty = await staff.get("/saksbehandling/sesonger")
    assert empty.status_code == 200 and "Ingen sesonger er satt opp ennå." in empty.text
    assert 'id="lokale-hallen-a"' in empty.text and "<legend>Bygget</legend>" in empty.text  # grouped by building
    assert 'id="lokale-motesalen"' not in empty.text  # rooms get no seasonal time

    bad_hours = await post_form(staff, "/saksbehandling/sesonger", {**VALID, "apent_mon": "16-22"})
    assert bad_hours.status_code == 422
    assert re.search(r'id="apent_mon-error">Åpningstiden «16-22» må skrives som TT:MM-TT:MM\.<', bad_hours.text)
    assert 'id="apent_mon" name="apent_mon" value="16-22"' in bad_hours.text  # what was typed is kept
    assert 'id="lokale-hallen-b" name="lokaler" value="hallen-b" checked' in bad_hours.text
    backwards = await post_form(staff, "/saksbehandling/sesonger", {**VALID, "siste_dato": "2027-01-01"})
    assert backwards.status_code == 422
    assert 'id="siste_dato-error">Siste dato må være etter første dato.<' in backwards.text  # the service's words
    assert 'aria-invalid="true"' in backwards.text
    english = await post_form(staff, "/saksbehandling/sesonger", {**VALID, "lokaler": []}, headers=ENGLISH)
    assert english.status_code == 422 and "A round needs at least one premises." in english.text
    async with staff.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Season)) == 0

    created = await post_form(staff, "/saksbehandling/sesonger", VALID)
    assert created.status_code == 303, created.text
    assert re.fullmatch(r"/saksbehandling/sesonger/\d+\?utfort=opprettet", created.headers["location"])
    shown = await staff.get(created.headers["location"])
    assert "Sesongen er opprettet som utkast" in shown.text and "Utkast (ikke åpnet)" in shown.text
    assert "Åpne for søknader" in shown.text and "Publiser" not in shown.text
    async with staff.db.sessions() as s:
        season = (await s.execute(select(Season))).scalar_one()
        hours = {row.premises.slug: row.hours for row in await seasons.round_premises(s, season.id)}
    assert season.excluded == [{"from": "2027-01-18", "to": "2027-01-19"}, {"from": "2027-01-26", "to": "2027-01-26"}]
    assert season.application_deadline == datetime(2026, 10, 1, 21, tzinfo=timezone.utc)
    assert hours == {
        slug: {"mon": ["16:00-22:30"], "tue": ["16:00-20:00", "20:30-22:30"]} for slug in ("hallen-a", "hallen-b")
    }
    listed = await staff.get("/saksbehandling/sesonger")
    assert "Vinter 2027" in listed.text and "Utkast (ikke åpnet)" in listed.text


async def test_the_proposal_shows_a_week_plan_and_why_a_wish_was_not_met(staff):
    season_id = await round_with_applications(staff)
    await login_as(staff, "department_staff")
    computed = await post_form(staff, f"/saksbehandling/sesonger/{season_id}/forslag")
    assert computed.status_code == 303
    assert computed.headers["location"] == f"/saksbehandling/sesonger/{season_id}?utfort=forslag#oppsummering"
    page = (await staff.get(f"/saksbehandling/sesonger/{season_id}")).text
    plan = page[page.index('<caption id="plan-hallen-a">') :]
    plan = plan[: plan.index("</table>")]
    assert '<th scope="col">Mandag</th><th scope="col">Tirsdag</th>' in plan
    assert '<th scope="row">17:00</th>' in plan
    # The children's team on Monday 17:00–18:30: three half-hour rows, labelled in words.
    cell = re.search(r'<td rowspan="3" class="tildelt">(.*?)</td>', plan).group(1)
    assert "Bragernes IL" in cell and "Minihåndball" in cell and "Barn og unge, og aktivitet" in cell
    assert "17:00–18:30" in cell
    assert HIGHER_TIER_NB in page  # why the adults' first wish went elsewhere
    assert "Dere fikk tiden dere ønsket dere mest (1. ønske)." in page
    assert "Andel av tiden til barn og unge" in page and "Bragernes" in page  # the summary, by district
    english = (await staff.get(f"/saksbehandling/sesonger/{season_id}", headers=ENGLISH)).text
    assert HIGHER_TIER_EN in english and '<th scope="col">Monday</th>' in english
    assert "Children and youth, and activities for people with disabilities" in english


async def test_moving_an_allocation_by_form_pins_it_and_a_new_proposal_keeps_it(staff):
    season_id = await round_with_applications(staff)
    await login_as(staff, "department_staff")
    await post_form(staff, f"/saksbehandling/sesonger/{season_id}/forslag")
    rows = await allocation_rows(staff.db, season_id)
    adults = rows[1]
    path = f"/saksbehandling/sesonger/{season_id}/tildelinger/{adults.id}"

    overlapping = await post_form(
        staff, f"{path}/flytt", {"lokale": "hallen", "ukedag": "mon", "fra": "17:00", "til": "19:00"}
    )
    assert overlapping.status_code == 422
    assert f'id="flytt-{adults.id}-error" role="alert">Tiden overlapper en annen tildeling' in overlapping.text
    outside = await post_form(
        staff, f"{path}/flytt", {"lokale": "hallen-b", "ukedag": "wed", "fra": "18:00", "til": "20:00"}
    )
    assert outside.status_code == 422 and "innenfor sesongtimene" in outside.text

    moved = await post_form(
        staff, f"{path}/flytt", {"lokale": "hallen-b", "ukedag": "tue", "fra": "20:00", "til": "22:00"}
    )
    assert moved.status_code == 303 and moved.headers["location"].endswith(f"utfort=flyttet#tildeling-{adults.id}")
    row = (await allocation_rows(staff.db, season_id))[1]
    assert (row.premises.slug, row.weekday, row.start_time, row.end_time, row.pinned) == (
        "hallen-b",
        1,
        "20:00",
        "22:00",
        True,
    )
    page = (await staff.get(moved.headers["location"])).text
    item = page[page.index(f'<li id="tildeling-{adults.id}">') :]
    item = item[: item.index("</article>")]
    assert "tirsdag 20:00–22:00" in item and "festet" in item and ">Løsne<" in item
    assert "Kommunens saksbehandler har gitt dere en annen tid enn dere ønsket" in item

    again = await post_form(staff, f"/saksbehandling/sesonger/{season_id}/forslag")
    assert again.status_code == 303
    kept = (await allocation_rows(staff.db, season_id))[1]
    assert (kept.premises.slug, kept.weekday, kept.start_time, kept.pinned) == ("hallen-b", 1, "20:00", True)
    unpinned = await post_form(
        staff, f"/saksbehandling/sesonger/{season_id}/tildelinger/{kept.id}/fest", {"festet": "nei"}
    )
    assert unpinned.status_code == 303
    assert not (await allocation_rows(staff.db, season_id))[1].pinned
    other = await post_form(staff, f"/saksbehandling/sesonger/{season_id + 1}/tildelinger/{kept.id}/fest")
    assert other.status_code == 404  # the allocation is not in that season


async def test_publishing_shows_the_result_and_published_time_can_be_withdrawn(staff):
    season_id = await round_with_applications(staff)
    async with staff.db.sessions() as s, write_transaction(s):  # hall A closed one Monday: that date cannot be booked
        hall_a = (await s.execute(select(Premises).where(Premises.slug == "hallen-a"))).scalar_one()
        s.add(
            Closure(
                scope="premises",
                premises_id=hall_a.id,
                reason="Gulvlakk",
                start_at=resolve_local(datetime(2027, 1, 11, 8)),
                end_at=resolve_local(datetime(2027, 1, 11, 23)),
                created_at=NOW,
                updated_at=NOW,
            )
        )
    await login_as(staff, "admin")
    base = f"/saksbehandling/sesonger/{season_id}"
    await post_form(staff, f"{base}/forslag")
    too_early = await post_form(staff, f"{base}/publiser")
    assert too_early.status_code == 409 and "Søknadsrunden må lukkes før tiden kan publiseres." in too_early.text
    assert (await post_form(staff, f"{base}/lukk")).status_code == 303
    page = (await staff.get(base)).text
    assert "Lukket for søknader" in page and ">Publiser<" in page

    published = await post_form(staff, f"{base}/publiser")
    assert published.status_code == 303 and published.headers["location"].endswith("utfort=publisert#resultat")
    page = (await staff.get(published.headers["location"])).text
    assert "2 faste bestillinger med 5 datoer i alt." in page
    collisions = page[page.index('id="kollisjoner"') : page.index("</table>", page.index('id="kollisjoner"'))]
    assert "mandag 11. januar 2027" in collisions and "Hallen A" in collisions and "Minihåndball" in collisions
    assert ">Trekk tilbake<" in page and ">Lag forslag<" not in page
    again = await post_form(staff, f"{base}/publiser")  # a second click publishes nothing new
    assert again.status_code == 303
    async with staff.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Booking).where(Booking.series_id.is_not(None))) == 5

    children = (await allocation_rows(staff.db, season_id))[0]
    withdrawn = await post_form(staff, f"{base}/tildelinger/{children.id}/trekk")
    assert withdrawn.status_code == 303
    await render_pending(staff.db.session)  # the sender writes the published mail stored as an event
    async with staff.db.sessions() as s:
        statuses = set(
            (await s.execute(select(Booking.status).where(Booking.series_id == children.series_id))).scalars()
        )
        assert (
            await s.scalar(
                select(func.count()).select_from(OutboxMail).where(OutboxMail.subject.like("Tildelt sesongtid%"))
            )
            == 1
        )
    assert statuses == {"cancelled"}
    page = (await staff.get(f"{base}?utfort=trukket")).text
    assert "Tildelingen er trukket tilbake." in page and "Trukket tilbake" in page


async def test_time_often_marked_not_used_is_listed_for_staff(staff):
    season_id = await round_with_applications(staff)
    rules = await current_rules(staff.db.session)
    from booking.services import season_proposal

    await season_proposal.propose(staff.db.session, season_id, rule_book=rules, now=NOW)
    await seasons.move_season(staff.db.session, season_id, "close", now=NOW)
    await season_publish.publish(staff.db.session, season_id, rule_book=rules, actor_id=None, now=NOW)
    children = (await allocation_rows(staff.db, season_id))[0]
    async with staff.db.sessions() as s:
        dates = list(
            (
                await s.execute(
                    select(Booking.id).where(Booking.series_id == children.series_id).order_by(Booking.start_at)
                )
            ).scalars()
        )
        caretaker = (await s.execute(select(Person).where(Person.email == EMAILS["caretaker"]))).scalar_one()
    later = datetime(2027, 2, 1, tzinfo=timezone.utc)  # when the dates have been
    await login_as(staff, "department_staff")
    for booking_id in dates[:2]:
        await season_publish.mark_not_used(staff.db.session, booking_id, caretaker_id=caretaker.id, now=later)
    assert "Ingen tildelinger er meldt ubrukt" in (await staff.get("/saksbehandling/sesonger/ubrukt")).text
    await season_publish.mark_not_used(staff.db.session, dates[2], caretaker_id=caretaker.id, now=later)
    page = (await staff.get("/saksbehandling/sesonger/ubrukt")).text  # the default rules: 3 times
    row = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "Bragernes IL: Minihåndball" in row and "Vinter 2027" in row and "Mandag 17:00–18:30" in row
    assert "<td>3</td>" in row
    await login_as(staff, "caretaker")
    assert (await staff.get("/saksbehandling/sesonger/ubrukt")).status_code == 403
