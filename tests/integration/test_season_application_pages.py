"""Seasonal time in the browser, on SQLite and PostgreSQL: a delegate applies through the
form (and gets the receipt), sees refusals next to the field with nothing saved, finds no
form outside the application period, never sees a proposal before it is published, gives
time back after publishing (which is then bookable by anyone); the caretaker marks a
seasonal date that was not used. The round itself is set up through the services."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

# The solver loads OR-Tools, which loads pandas; pandas' C code crashes when it is first
# imported under freezegun's clock (tests/integration/conftest.py), so load it now.
import allocation.solver  # noqa: F401
from booking.db.engine import write_transaction
from booking.db.models import (
    Booking,
    Building,
    Membership,
    Organisation,
    OutboxMail,
    Person,
    SeasonAllocation,
    SeasonDateUnused,
)
from booking.notify.sender import render_pending
from booking.services import season_proposal, season_publish, seasons
from booking.services.rulebook import current_rules
from tests.integration.booking_web_support import PASSWORD, csrf, log_in
from tests.integration.season_support import ADULTS as SEASON_ADULTS
from tests.integration.season_support import CHILDREN
from tests.world import password_hash

DEADLINE = datetime(2026, 10, 1, 22, tzinfo=timezone.utc)  # the clock stands at 2026-09-01 08:00 UTC
WINTER = seasons.SeasonSetup(
    name="Vinter 2027",
    starts=date(2027, 1, 4),
    ends=date(2027, 1, 31),
    application_deadline=DEADLINE,
    premises=("hallen", "hallen-a", "hallen-b"),
    seasonal_hours={"mon": ["16:00-22:30"], "tue": ["16:00-22:30"]},
)
ADULTS = {**SEASON_ADULTS, "hours_per_week": 2}


def now() -> datetime:
    return datetime.now(timezone.utc)


async def open_round(client, setup: seasons.SeasonSetup = WINTER, *, at: datetime | None = None):
    season = await seasons.create_season(client.db.session, setup, actor_id=None, now=at or now())
    await seasons.move_season(client.db.session, season.id, "open", now=at or now())
    return season


async def apply(client, season, needs, *, person_id=None, organisation_id=None, at: datetime | None = None):
    rules = await current_rules(client.db.session)
    return await seasons.submit_application(
        client.db.session,
        season.id,
        person_id=person_id or client.world.person_id,
        organisation_id=organisation_id or client.world.organisation_id,
        needs=needs,
        rules=rules.in_force(season.starts).allocation,
        now=at or now(),
    )


async def publish(client, season, *, at: datetime | None = None):
    rules = await current_rules(client.db.session)
    await season_proposal.propose(client.db.session, season.id, rule_book=rules, now=at or now())
    await seasons.move_season(client.db.session, season.id, "close", now=at or now())
    return await season_publish.publish(client.db.session, season.id, rule_book=rules, actor_id=None, now=at or now())


def need_form(client, **changes) -> dict:
    form = {
        "_csrf_token": csrf(client),
        "for": str(client.world.organisation_id),
        "behov": "",
        "versjon": "",
        "handling": "lagre",
        "aktivitet": "Minihåndball",
        "aldersgruppe": "under_13",
        "deltakere": "24",
        "timer": "1,5",
        "hallidrett": "ja",
        "onske-1-lokale": "hallen-a",
        "onske-1-dag": "mon",
        "onske-1-fra": "17:00",
        "onske-1-til": "18:30",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def version(page) -> str:
    return re.search(r'name="versjon" value="([^"]*)"', page.text).group(1)


async def stored_needs(client, season) -> list[dict]:
    async with client.db.sessions() as s:
        return [need for a in await seasons.applications(s, season.id) for need in a.needs]


async def outbox(client) -> list[OutboxMail]:
    await render_pending(client.db.session)  # the sender writes the receipts from their stored events
    async with client.db.sessions() as s:
        return list((await s.execute(select(OutboxMail).order_by(OutboxMail.id))).scalars())


async def other_club(client, name: str = "Konkurrent IL", email: str = "kim@example.no") -> tuple[int, int]:
    """A second checked club with a delegate of its own: (person id, organisation id)."""
    async with client.db.sessions() as s, write_transaction(s):
        person = Person(
            name="Kim Konkurrent",
            email=email,
            birth_date=date(1979, 3, 3),
            roles=["person", "delegate"],
            password_hash=password_hash(PASSWORD),
        )
        club = Organisation(
            name=name,
            orgnr="923609016",
            works_for_children_youth=True,
            sports_club=True,
            verified_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        )
        s.add_all([person, club])
        await s.flush()
        s.add(Membership(organisation_id=club.id, person_id=person.id))
        return person.id, club.id


# ------------------------------------------------------------------ applying


async def test_a_delegate_applies_through_the_form_and_gets_the_receipt(client):
    season = await open_round(client)
    await log_in(client, "kari@example.no")
    rounds = await client.get("/sesong")
    assert rounds.status_code == 200 and f'href="/sesong/{season.id}/soknad"' in rounds.text
    assert 'href="/sesong"' in (await client.get("/mine-bestillinger")).text  # from my pages and the menu
    page = await client.get(f"/sesong/{season.id}/soknad")
    assert page.status_code == 200
    assert "Vinter 2027" in page.text and "Hallen A" in page.text and "16:00–22:30" in page.text
    assert 'href="/priser-og-vilkar#fordeling">Slik fordeler vi tid</a>' in page.text
    assert 'id="onske-3-lokale"' in page.text and '<label for="onske-1-fra">' in page.text

    saved = await client.post(f"/sesong/{season.id}/soknad", data=need_form(client), follow_redirects=False)
    assert saved.status_code == 303, saved.text
    page = await client.get(saved.headers["location"])
    assert "Søknaden er lagret" in page.text and "Gruppe 1: Minihåndball" in page.text
    assert "Mandag 17:00–18:30, Hallen A" in page.text
    (receipt,) = await outbox(client)
    assert receipt.to_address == "kari@example.no" and receipt.subject == "Søknad om sesongtid mottatt: Vinter 2027"
    assert "Minihåndball" in receipt.body_text and "mandag 17:00–18:30, Hallen A" in receipt.body_text
    assert f"/sesong/{season.id}/soknad" in receipt.body_text

    # A second need with two ranked wishes, then the first changed and the second removed.
    second = need_form(
        client,
        versjon=version(page),
        aktivitet="Bedriftsfotball",
        aldersgruppe="adults",
        deltakere="14",
        timer="2",
        **{
            "onske-1-lokale": "hallen",
            "onske-1-til": "19:00",
            "onske-2-lokale": "hallen-b",
            "onske-2-dag": "tue",
            "onske-2-fra": "18:00",
            "onske-2-til": "20:00",
        },
    )
    assert (await client.post(f"/sesong/{season.id}/soknad", data=second)).status_code == 200
    needs = await stored_needs(client, season)
    assert [n["activity"] for n in needs] == ["Minihåndball", "Bedriftsfotball"]
    assert [w["premises"] for w in needs[1]["wishes"]] == ["hallen", "hallen-b"]
    editing = await client.get(f"/sesong/{season.id}/soknad", params={"endre": "0"})
    assert 'value="Minihåndball"' in editing.text and 'value="1,5"' in editing.text and "Endre gruppe 1" in editing.text
    changed = need_form(client, versjon=version(editing), behov="0", deltakere="30")
    assert (await client.post(f"/sesong/{season.id}/soknad", data=changed)).status_code == 200
    page = await client.get(f"/sesong/{season.id}/soknad")
    removed = await client.post(
        f"/sesong/{season.id}/soknad",
        data={
            "_csrf_token": csrf(client),
            "for": str(client.world.organisation_id),
            "behov": "1",
            "versjon": version(page),
            "handling": "fjern",
        },
    )
    assert removed.status_code == 200 and "Behovet er fjernet" in removed.text
    needs = await stored_needs(client, season)
    assert [(n["activity"], n["participants"]) for n in needs] == [("Minihåndball", 30)]
    # A receipt for each change, saying what was applied for then: all three are written
    # by the sender only now, after the last change, from the needs each event keeps.
    receipts = [m.body_text for m in await outbox(client)]
    assert len(receipts) == 4
    assert "Bedriftsfotball" in receipts[1] and "Minihåndball (under 13 år, 24 aktive deltakere" in receipts[1]
    assert "Bedriftsfotball" in receipts[2] and "Minihåndball (under 13 år, 30 aktive deltakere" in receipts[2]
    assert "Bedriftsfotball" not in receipts[3] and "30 aktive deltakere" in receipts[3]


async def test_changing_a_need_sent_with_more_wishes_than_the_form_offers_keeps_them(client):
    season = await open_round(client)
    wishes = [
        {"premises": slug, "weekday": day, "start": "17:00", "end": "18:30"}
        for slug in ("hallen-a", "hallen-b")
        for day in ("mon", "tue")
    ]
    await apply(client, season, [{**CHILDREN, "wishes": wishes}])  # e.g. through the API
    await log_in(client, "kari@example.no")
    editing = await client.get(f"/sesong/{season.id}/soknad", params={"endre": "0"})
    assert 'id="onske-4-lokale"' in editing.text and "4. ønske" in editing.text
    form = need_form(client, versjon=version(editing), behov="0", deltakere="20")
    for row, wish in enumerate(wishes, start=1):
        form.update(
            {
                f"onske-{row}-lokale": wish["premises"],
                f"onske-{row}-dag": wish["weekday"],
                f"onske-{row}-fra": wish["start"],
                f"onske-{row}-til": wish["end"],
            }
        )
    assert (await client.post(f"/sesong/{season.id}/soknad", data=form)).status_code == 200
    (need,) = await stored_needs(client, season)
    assert need["participants"] == 20 and need["wishes"] == wishes


async def test_a_form_from_before_someone_elses_change_is_refused(client):
    season = await open_round(client)
    await log_in(client, "kari@example.no")
    page = await client.get(f"/sesong/{season.id}/soknad")
    await apply(client, season, [ADULTS])  # another delegate saves meanwhile
    stale = await client.post(f"/sesong/{season.id}/soknad", data=need_form(client, versjon=version(page)))
    assert stale.status_code == 409 and 'data-code="application_changed"' in stale.text
    assert [n["activity"] for n in await stored_needs(client, season)] == ["Bedriftsfotball"]


@pytest.mark.parametrize(
    "change, code, field",
    [
        ({"onske-1-fra": "17:10", "onske-1-til": "18:40"}, "off_grid", "onske-1-fra"),
        ({"onske-1-dag": "wed"}, "outside_seasonal_hours", "onske-1-fra"),
        ({"onske-1-lokale": "motesalen"}, "premises_not_in_round", "onske-1-lokale"),
        (
            {"onske-2-lokale": "hallen-b", "onske-2-dag": "tue", "onske-2-fra": "18:00", "onske-2-til": "17:00"},
            "end_not_after_start",
            "onske-2-til",
        ),
        ({"timer": "0,5"}, "hours_unfillable", "timer"),
        ({"aktivitet": ""}, "activity_required", "aktivitet"),
        ({"deltakere": "mange"}, "invalid_participants", "deltakere"),
        ({"aldersgruppe": ""}, "invalid_age_group", "aldersgruppe"),
    ],
)
async def test_a_bad_need_shows_the_service_refusal_at_its_field_and_saves_nothing(client, change, code, field):
    season = await open_round(client)
    await log_in(client, "kari@example.no")
    refused = await client.post(f"/sesong/{season.id}/soknad", data=need_form(client, **change))
    assert refused.status_code == 422
    assert f'data-code="{code}"' in refused.text and f'id="{field}-feil"' in refused.text
    assert f'href="#{field}"' in refused.text and 'aria-invalid="true"' in refused.text
    assert "Søknaden er ikke lagret" in refused.text
    assert await stored_needs(client, season) == [] and await outbox(client) == []
    assert 'name="handling" value="lagre"' in refused.text  # the form again, as it was filled in
    assert f'value="{change.get("aktivitet", "Minihåndball")}"' in refused.text


async def test_a_refusal_in_english(client):
    season = await open_round(client)
    await log_in(client, "kari@example.no")
    refused = await client.post(
        f"/sesong/{season.id}/soknad",
        data=need_form(client, **{"onske-1-dag": "wed"}),
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 422 and 'data-code="outside_seasonal_hours"' in refused.text
    assert "seasonal hours that day" in refused.text and "Seasonal time application" in refused.text


async def test_after_the_deadline_and_before_the_round_opens_there_is_no_form(client):
    season = await open_round(client)
    await apply(client, season, [CHILDREN])
    async with client.db.sessions() as s, write_transaction(s):
        from booking.db.models import Season

        await s.execute(
            update(Season).where(Season.id == season.id).values(application_deadline=now() - timedelta(hours=1))
        )
    await log_in(client, "kari@example.no")
    page = await client.get(f"/sesong/{season.id}/soknad")
    assert page.status_code == 200 and 'data-code="deadline_passed"' in page.text
    assert "Gruppe 1: Minihåndball" in page.text  # what was applied for is still shown
    assert 'name="handling"' not in page.text and "Endre" not in page.text
    late = await client.post(f"/sesong/{season.id}/soknad", data=need_form(client))
    assert late.status_code == 403 and "Søknaden er ikke lagret" in late.text and 'name="handling"' not in late.text
    assert [n["activity"] for n in await stored_needs(client, season)] == ["Minihåndball"]
    assert f'href="/sesong/{season.id}/soknad"' not in (await client.get("/sesong")).text  # no longer open

    draft = await seasons.create_season(client.db.session, WINTER, actor_id=None, now=now())
    page = await client.get(f"/sesong/{draft.id}/soknad")
    assert 'data-code="round_not_open"' in page.text and 'name="handling"' not in page.text
    refused = await client.post(f"/sesong/{draft.id}/soknad", data=need_form(client))
    assert refused.status_code == 403 and 'data-code="round_not_open"' in refused.text
    assert await stored_needs(client, draft) == []


async def test_someone_who_is_not_a_delegate_of_a_checked_organisation_is_told_why(client):
    season = await open_round(client)
    async with client.db.sessions() as s, write_transaction(s):
        s.add(
            Person(
                name="Pål Privat",
                email="pal@example.no",
                birth_date=date(1990, 1, 1),
                roles=["person"],
                password_hash=password_hash(PASSWORD),
            )
        )
    await log_in(client, "pal@example.no")
    page = await client.get(f"/sesong/{season.id}/soknad")
    assert page.status_code == 200 and 'data-code="not_a_delegate"' in page.text and 'name="handling"' not in page.text
    assert 'data-code="not_a_delegate"' in (await client.get("/sesong")).text
    refused = await client.post(f"/sesong/{season.id}/soknad", data=need_form(client))
    assert refused.status_code == 403 and "not_a_delegate" in refused.text

    async with client.db.sessions() as s, write_transaction(s):
        await s.execute(update(Organisation).values(verified_at=None))
    client.cookies.clear()
    await log_in(client, "kari@example.no")
    page = await client.get(f"/sesong/{season.id}/soknad")
    assert 'data-code="organisation_unverified"' in page.text and 'name="handling"' not in page.text
    refused = await client.post(f"/sesong/{season.id}/soknad", data=need_form(client))
    assert refused.status_code == 403 and 'data-code="organisation_unverified"' in refused.text
    assert await stored_needs(client, season) == []


async def test_a_delegate_of_several_organisations_chooses_which_one_applies(client):
    season = await open_round(client)
    _, other = await other_club(client)
    async with client.db.sessions() as s, write_transaction(s):
        s.add(Membership(organisation_id=other, person_id=client.world.person_id))
    await log_in(client, "kari@example.no")
    page = await client.get(f"/sesong/{season.id}/soknad", params={"for": str(other)})
    assert '<select id="for" name="for" class="ds-input">' in page.text and "Søknaden fra Konkurrent IL" in page.text
    saved = await client.post(f"/sesong/{season.id}/soknad", data=need_form(client, **{"for": str(other)}))
    assert saved.status_code == 200
    async with client.db.sessions() as s:
        assert [a.organisation_id for a in await seasons.applications(s, season.id)] == [other]


# ------------------------------------------------------------------ after publishing


async def test_a_delegate_never_sees_the_proposal_before_publishing(client):
    season = await open_round(client)
    kim, rival = await other_club(client)
    await apply(client, season, [ADULTS])
    await apply(client, season, [CHILDREN], person_id=kim, organisation_id=rival)
    rules = await current_rules(client.db.session)
    await season_proposal.propose(client.db.session, season.id, rule_book=rules, now=now())
    await seasons.move_season(client.db.session, season.id, "close", now=now())
    await log_in(client, "kari@example.no")
    for path in ("/min-sesongtid", f"/sesong/{season.id}/soknad", "/sesong"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert 'class="allocation"' not in page.text and "Tiden gikk til" not in page.text, path
        assert "Dere fikk" not in page.text and "Hvorfor dere fikk tiden" not in page.text, path
    mine = await client.get("/min-sesongtid")
    assert 'data-code="not_published"' in mine.text and "Vinter 2027" in mine.text and "Hallen B" not in mine.text

    await season_publish.publish(client.db.session, season.id, rule_book=rules, actor_id=None, now=now())
    mine = await client.get("/min-sesongtid")
    assert 'data-code="not_published"' not in mine.text
    # Bragernes' adults got their second wish; the first went to the rival club's children.
    assert "Bedriftsfotball: Tirsdag 18:00–20:00, Hallen B" in mine.text and "Dere fikk 2. ønske." in mine.text
    assert "Bedriftsfotball, 1. ønske: Mandag 17:00–19:00, Hallen." in mine.text
    assert "Tiden gikk til en gruppe med høyere prioritet: Barn og unge" in mine.text
    assert "Konkurrent IL" not in mine.text and "Minihåndball" not in mine.text  # never another club
    english = await client.get("/min-sesongtid", headers={"Accept-Language": "en"})
    assert "The time went to a group with higher priority" in english.text and "1st wish" in english.text


async def test_give_back_one_date_and_then_the_whole_allocation(client):
    season = await open_round(client)
    await apply(client, season, [CHILDREN])
    await publish(client, season)
    await log_in(client, "kari@example.no")
    booking_page = {
        "dato": "2027-01-11",
        "fra": "17:00",
        "til": "18:30",
        "for": str(client.world.organisation_id),
        "deltakere": "10",
        "malgruppe": "adults",
    }
    taken = await client.get("/bestill/hallen-a", params=booking_page)
    assert "Kan ikke bestilles" in taken.text  # the club's seasonal time

    mine = await client.get("/min-sesongtid")
    assert "Minihåndball: Mandag 17:00–18:30, Hallen A" in mine.text and "4 i alt, 4 kommende" in mine.text
    assert "Dere fikk tiden dere ønsket dere mest (1. ønske)." in mine.text
    async with client.db.sessions() as s:
        row = (await s.execute(select(SeasonAllocation))).scalar_one()
    action = f"/min-sesongtid/{row.id}/gi-tilbake"
    assert f'action="{action}"' in mine.text and 'value="2027-01-11"' in mine.text
    given = await client.post(
        action, data={"_csrf_token": csrf(client), "hva": "dato", "dato": "2027-01-11"}, follow_redirects=False
    )
    assert given.status_code == 303
    page = await client.get(given.headers["location"])
    assert "Gitt tilbake: 1 datoer. Tiden er nå ledig" in page.text and "4 i alt, 3 kommende" not in page.text
    assert "3 i alt, 3 kommende" in page.text and 'value="2027-01-11"' not in page.text

    # The date is free for anyone: the ordinary booking page books it.
    free = await client.get("/bestill/hallen-a", params=booking_page)
    assert "Kan ikke bestilles" not in free.text
    booked = await client.post(
        "/bestill/hallen-a",
        data={
            **booking_page,
            "_csrf_token": csrf(client),
            "betaling": "invoice",
            "alkohol": "nei",
            "formal": "Cupkamp",
            "ansvarlig_navn": "Kari Nordmann",
            "ansvarlig_telefon": "+47 900 00 000",
            "ansvarlig_voksen": "ja",
            "vilkar": "ja",
            "branninstruks": "ja",
            "nokkel": "etter-sesong",
        },
        follow_redirects=False,
    )
    assert booked.status_code == 303 and booked.headers["location"].startswith("/mine-bestillinger/"), booked.text
    async with client.db.sessions() as s:
        fresh = (await s.execute(select(Booking).where(Booking.series_id.is_(None)))).scalar_one()
    assert fresh.status == "confirmed" and fresh.occurrence_date is None

    # The whole allocation: not without the confirmation, then all coming dates at once.
    unconfirmed = await client.post(action, data={"_csrf_token": csrf(client), "hva": "hele"})
    assert unconfirmed.status_code == 422 and 'data-code="confirm_required"' in unconfirmed.text
    assert f'id="bekreft-{row.id}-feil"' in unconfirmed.text
    whole = await client.post(action, data={"_csrf_token": csrf(client), "hva": "hele", "bekreft": "ja"})
    assert whole.status_code == 200 and "Gitt tilbake: 3 datoer" in whole.text and "Gitt tilbake</dd>" in whole.text
    async with client.db.sessions() as s:
        assert (await s.get(SeasonAllocation, row.id)).state == "given_back"
        assert (
            await s.scalar(
                select(func.count(Booking.id)).where(Booking.series_id == row.series_id, Booking.status == "confirmed")
            )
            == 0
        )
    assert f'action="{action}"' not in whole.text


async def test_only_the_organisations_delegates_give_time_back(client):
    season = await open_round(client)
    await apply(client, season, [CHILDREN])
    await publish(client, season)
    await other_club(client)
    async with client.db.sessions() as s:
        row = (await s.execute(select(SeasonAllocation))).scalar_one()
    await log_in(client, "kim@example.no")
    assert "Minihåndball" not in (await client.get("/min-sesongtid")).text
    refused = await client.post(
        f"/min-sesongtid/{row.id}/gi-tilbake", data={"_csrf_token": csrf(client), "hva": "dato", "dato": "2027-01-11"}
    )
    assert refused.status_code == 403 and "not_a_delegate" in refused.text
    client.cookies.clear()
    await log_in(client, "kari@example.no")
    unknown = await client.post(
        f"/min-sesongtid/{row.id}/gi-tilbake", data={"_csrf_token": csrf(client), "hva": "dato", "dato": "2027-01-12"}
    )
    assert unknown.status_code == 422 and 'data-code="unknown_date"' in unknown.text
    async with client.db.sessions() as s:
        assert await s.scalar(select(func.count(Booking.id)).where(Booking.status == "confirmed")) == 4


# ------------------------------------------------------------------ the caretaker


async def test_the_caretaker_marks_a_seasonal_date_that_has_begun_as_not_used(client):
    july = datetime(2026, 7, 1, 10, tzinfo=timezone.utc)
    autumn = seasons.SeasonSetup(
        name="Høst 2026",
        starts=date(2026, 8, 17),
        ends=date(2026, 9, 27),
        application_deadline=datetime(2026, 8, 1, 22, tzinfo=timezone.utc),
        premises=("hallen-a",),
        seasonal_hours={"mon": ["16:00-22:30"]},
    )
    season = await open_round(client, autumn, at=july)
    await apply(client, season, [CHILDREN], at=july)
    await publish(client, season, at=july)
    async with client.db.sessions() as s, write_transaction(s):
        vera = Person(
            name="Vera Vaktmester",
            email="vera@example.no",
            birth_date=date(1970, 1, 1),
            roles=["person", "caretaker"],
            password_hash=password_hash(PASSWORD),
        )
        other = Person(
            name="Otto Annen",
            email="otto@example.no",
            birth_date=date(1970, 1, 1),
            roles=["person", "caretaker"],
            password_hash=password_hash(PASSWORD),
        )
        s.add_all([vera, other])
        await s.flush()
        await s.execute(update(Building).values(caretaker_id=vera.id))
        dates = {b.occurrence_date: b.id for b in (await s.execute(select(Booking))).scalars()}
    begun, coming = dates[date(2026, 8, 24)], dates[date(2026, 9, 7)]

    await log_in(client, "vera@example.no")
    week = await client.get("/vaktmester", params={"uke": "2026-08-24"})
    assert week.status_code == 200 and f'action="/vaktmester/ikke-brukt/{begun}"' in week.text
    assert "Ikke brukt" in week.text and "sesongtid" in week.text
    later = await client.get("/vaktmester", params={"uke": "2026-09-07"})
    assert "Minihåndball" in later.text and "/vaktmester/ikke-brukt/" not in later.text  # not begun yet

    marked = await client.post(
        f"/vaktmester/ikke-brukt/{begun}",
        data={"_csrf_token": csrf(client), "uke": "2026-08-24"},
        follow_redirects=False,
    )
    assert marked.status_code == 303 and marked.headers["location"].startswith("/vaktmester?uke=2026-08-24")
    page = await client.get(marked.headers["location"])
    assert "Merket som ikke brukt" in page.text and f"/vaktmester/ikke-brukt/{begun}" not in page.text
    again = await client.post(
        f"/vaktmester/ikke-brukt/{begun}", data={"_csrf_token": csrf(client)}, follow_redirects=False
    )
    assert again.status_code == 303  # marking twice changes nothing
    not_yet = await client.post(f"/vaktmester/ikke-brukt/{coming}", data={"_csrf_token": csrf(client)})
    assert not_yet.status_code == 422 and "not_yet" in not_yet.text

    client.cookies.clear()
    await log_in(client, "otto@example.no")
    refused = await client.post(
        f"/vaktmester/ikke-brukt/{dates[date(2026, 8, 31)]}", data={"_csrf_token": csrf(client)}
    )
    assert refused.status_code == 403 and "not_your_building" in refused.text
    async with client.db.sessions() as s:
        assert list((await s.execute(select(SeasonDateUnused.booking_id))).scalars()) == [begun]
