"""Public pages, regression tests for what a tester found: past hours in the week view read
"Ledig", a closure read only "Opptatt", the search showed volunteer prices to anonymous
visitors, and "Priser og vilkår" never said what needs approval. SQLite and PostgreSQL,
through the app."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from booking.db.engine import write_transaction
from booking.db.models import Closure, Premises
from booking.services.rulebook import DEFAULT_RULES, publish, read_draft
from common.localtime import OSLO, resolve_local
from tests.integration.booking_web_support import log_in

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
ROW = re.compile(r'<tr><th scope="row">(\d\d:00)</th>(.*?)</tr>')
CELL = re.compile(r'<td class="[a-z]+">(.*?)</td>')


def _today() -> date:
    return datetime.now(timezone.utc).astimezone(OSLO).date()


async def _week(client, monday: date, headers=None) -> dict[str, list[str]]:
    """{"HH:00": the seven cells' text, Monday first} of the week view starting `monday`."""
    page = await client.get("/lokaler/motesalen", params={"uke": monday.isoformat()}, headers=headers or {})
    assert page.status_code == 200
    return {hour: CELL.findall(cells) for hour, cells in ROW.findall(page.text)}


async def test_hours_gone_by_are_passed_not_free(client):
    yesterday = _today() - timedelta(days=1)
    week = await _week(client, yesterday)
    column = yesterday.weekday()
    assert len(week) == 24 and {cells[column] for cells in week.values()} == {"Passert"}
    ahead = await _week(client, _today() + timedelta(days=7))
    ahead_cells = {cell for cells in ahead.values() for cell in cells}
    assert "Ledig" in ahead_cells and "Passert" not in ahead_cells
    english = await _week(client, yesterday, ENGLISH)
    assert {cells[column] for cells in english.values()} == {"Passed"}


async def test_a_closure_reads_closed_with_its_public_reason(client):
    day = _today() + timedelta(days=8)
    now = datetime.now(timezone.utc)
    async with client.db.sessions() as s, write_transaction(s):
        room = (await s.execute(select(Premises).where(Premises.slug == "motesalen"))).scalar_one()
        s.add(
            Closure(
                scope="premises",
                premises_id=room.id,
                reason="Vannskade i gulvet",
                start_at=resolve_local(datetime.combine(day, time(10))),
                end_at=resolve_local(datetime.combine(day, time(14))),
                source="manual",
                created_at=now,
                updated_at=now,
            )
        )
    week = await _week(client, day)
    column = day.weekday()
    assert [week[f"{h:02d}:00"][column] for h in range(9, 15)] == [
        "Ledig",
        *["Stengt: Vannskade i gulvet"] * 4,
        "Ledig",
    ]
    english = await _week(client, day, ENGLISH)
    assert english["10:00"][column] == "Closed: Vannskade i gulvet"


def _chosen_group(page: str) -> str:
    return re.search(r'<option value="([a-z_]+)" selected>', page[page.index('id="gruppe"') :]).group(1)


async def test_search_shows_the_price_the_visitor_would_pay(client):
    search = {"dato": "2026-12-01", "fra": "18:00", "til": "20:00"}
    anonymous = (await client.get("/", params=search)).text
    assert _chosen_group(anonymous) == "privat"
    assert "300\u00a0kr" in anonymous  # the meeting room, 150 kr an hour for a private person
    await log_in(client, "kari@example.no")  # a delegate of a club with a valid orgnr: books as it
    delegate = (await client.get("/", params=search)).text
    assert _chosen_group(delegate) == "frivillig" and "150\u00a0kr" in delegate
    chosen = (await client.get("/", params={**search, "gruppe": "kommersiell"})).text
    assert _chosen_group(chosen) == "kommersiell"


async def test_a_person_without_an_organisation_sees_private_prices(client):
    await log_in(client, "ola@example.no")
    page = (await client.get("/", params={"dato": "2026-12-01", "fra": "18:00", "til": "20:00"})).text
    assert _chosen_group(page) == "privat"


async def test_terms_say_what_needs_approval_from_the_rules_in_force(client):
    page = (await client.get("/priser-og-vilkar")).text
    approval = page[page.index('id="godkjenning"') :]
    for rule in (
        "Uteområder krever godkjenning.",
        "Servering av alkohol krever godkjenning.",
        "Mer enn 100 deltakere krever godkjenning.",
    ):
        assert rule in approval, rule
    assert "Til det er gjort, må bestillingene den gjør, godkjennes." in approval  # an organisation not yet checked
    english = (await client.get("/priser-og-vilkar", headers=ENGLISH)).text
    assert "When a booking needs approval" in english and "More than 100 attendees need approval." in english
    assert "Until that is done, its bookings must be approved." in english

    stricter = (
        DEFAULT_RULES.read_text(encoding="utf-8")
        .replace("approval_attendees_over = 100", "approval_attendees_over = 50")
        .replace("approval_for_alcohol = true", "approval_for_alcohol = false")
    )
    draft = await read_draft(client.db.session, stricter)
    await publish(
        client.db.session,
        draft,
        valid_from=_today(),
        author="Admin",
        reason="Strengere",
        now=datetime.now(timezone.utc),
    )
    changed = (await client.get("/priser-og-vilkar")).text
    approval = changed[changed.index('id="godkjenning"') :]
    assert "Mer enn 50 deltakere krever godkjenning." in approval
    assert "Mer enn 100 deltakere" not in approval and "alkohol krever godkjenning" not in approval


async def test_terms_say_how_time_is_allocated_from_the_rules_in_force(client):
    """ "Slik fordeler vi tid": the priority tiers in order in a table with headers, and
    the other allocation rules, in both languages, from the same rules the solver gets."""
    page = (await client.get("/priser-og-vilkar")).text
    section = page[page.index('<h2 id="fordeling">Slik fordeler vi tid</h2>') :]
    assert '<caption id="fordeling-grupper">Prioritetsgrupper, høyest først</caption>' in section
    assert '<th scope="col">Prioritet</th><th scope="col">Prioritetsgruppe</th>' in section
    tiers = re.findall(r'<tr><td>(\d)</td><th scope="row">(.*?)</th><td>(.*?)</td></tr>', section)
    assert [(rank, name) for rank, name, _ in tiers] == [
        ("1", "Barn og unge, og aktivitet for personer med funksjonsnedsettelse"),
        ("2", "Andre lag og foreninger i kommunen"),
        ("3", "Andre"),
    ]
    assert "aktiviteten er for personer med funksjonsnedsettelse og organisasjonen hører hjemme" in tiers[0][2]
    for rule in (
        "I haller går hallidrett foran annen aktivitet i samme prioritetsgruppe.",
        "Kjernetid: tid for barn under 13 år slutter senest kl. 20:30.",
        "Et lag som hadde samme tid forrige sesong, får beholde den når det går (vekt 3).",
        "Tiden deles i forhold til antall aktive deltakere (vekt 1).",
        "Blir tildelt tid meldt som ikke brukt 3 ganger i en sesong, får kommunen beskjed.",
    ):
        assert f"<li>{rule}</li>" in section, rule
    assert '<tr><th scope="row">4. ønske og senere</th><td>25</td></tr>' in section

    english = (await client.get("/priser-og-vilkar", headers=ENGLISH)).text
    section = english[english.index('<h2 id="fordeling">How we allocate time</h2>') :]
    assert "Priority tiers, highest first" in section and "Children and youth, and activities for people" in section
    assert "<li>Core time: time for children under 13 ends by 20:30.</li>" in section
    assert '<tr><th scope="row">1st wish</th><td>100</td></tr>' in section and "Slik fordeler" not in english

    later = (
        DEFAULT_RULES.read_text(encoding="utf-8")
        .replace("not_used_limit = 3", "not_used_limit = 2")
        .replace('core_time_end = "20:30"', 'core_time_end = "21:00"')
    )
    draft = await read_draft(client.db.session, later)
    await publish(
        client.db.session,
        draft,
        valid_from=_today(),
        author="Admin",
        reason="Senere kjernetid",
        now=datetime.now(timezone.utc),
    )
    changed = (await client.get("/priser-og-vilkar")).text
    assert "slutter senest kl. 21:00." in changed and "ikke brukt 2 ganger i en sesong" in changed
    assert "kl. 20:30" not in changed
