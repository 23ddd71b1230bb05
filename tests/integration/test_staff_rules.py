"""The rule-set editor and premises-level tariff exceptions through the app, on SQLite
and PostgreSQL: a draft is edited, refused with the place of each error, previewed,
published, and changes the quote; an exception changes the quote and is reported."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

import pricing
from booking.db.models import RuleSetVersion
from booking.services.bookings import NewBooking, create_booking
from booking.services.rulebook import current_rules, publish
from booking.web.staff_rules import rule_fields, shown, value_at
from common.localtime import to_local
from pricing import BookingDetails
from tests.integration.test_staff import login_as, next_weekday, post_form, staff  # noqa: F401 (fixture)


def form_from(content: dict, **changes) -> dict:
    """What the draft form submits when nothing but `changes` (by place) is edited."""
    data: dict = {}
    for _, fields in rule_fields(content):
        for field in fields:
            value = changes.get(field.place, shown(field, value_at(content, field.place)))
            if field.kind == "bool":
                if value:
                    data[field.place] = "true"
            else:
                data[field.place] = value
    return data


async def quote_total(client, slug: str, start, hours: int = 2, group: str = "privat") -> dict:
    answer = await client.post(
        "/api/v1/quotes",
        json={
            "premises": slug,
            "start": start.isoformat(),
            "end": (start + timedelta(hours=hours)).isoformat(),
            "customer_group": group,
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def draft_content(db, draft_id: int) -> dict:
    async with db.sessions() as s:
        return (await s.get(RuleSetVersion, draft_id)).content


async def start_draft(client) -> int:
    answer = await post_form(client, "/saksbehandling/regler/utkast")
    assert answer.status_code == 303
    return int(answer.headers["location"].rsplit("/", 1)[1])


# ------------------------------------------------------------------ rule-set editor


async def test_draft_edit_preview_publish_changes_the_quote(staff):
    await login_as(staff, "admin")
    overview = await staff.get("/saksbehandling/regler")
    assert overview.status_code == 200 and "versjon 2026-01-01" in overview.text
    draft_id = await start_draft(staff)
    page = await staff.get(f"/saksbehandling/regler/utkast/{draft_id}")
    assert page.status_code == 200
    assert 'id="r-tariff--moterom--rate" name="tariff.moterom.rate" value="150"' in page.text
    assert "Utkastet er ennå likt versjon 2026-01-01" in page.text
    content = await draft_content(staff.db, draft_id)

    saved = await post_form(
        staff,
        f"/saksbehandling/regler/utkast/{draft_id}",
        form_from(content, **{"tariff.moterom.rate": "200", "groups.frivillig.factor": "0,4"}),
    )
    assert saved.status_code == 303
    content = await draft_content(staff.db, draft_id)
    assert (content["tariff"]["moterom"]["rate"], content["groups"]["frivillig"]["factor"]) == ("200", "0.4")
    page = await staff.get(f"/saksbehandling/regler/utkast/{draft_id}")
    assert "<code>tariff.moterom.rate</code>" in page.text and "<code>groups.frivillig.factor</code>" in page.text
    assert 'id="impact-changed">1<' in page.text  # the confirmed meeting next week: 300 → 400 kr

    published = await post_form(
        staff,
        f"/saksbehandling/regler/utkast/{draft_id}/publiser",
        {
            "valid_from": (to_local(staff.staff.start).date() - timedelta(days=1)).isoformat(),
            "label": "",
            "reason": "Ny sats for møterom",
        },
    )
    assert published.status_code == 303 and "publisert=" in published.headers["location"]
    assert (await staff.get(f"/saksbehandling/regler/utkast/{draft_id}")).status_code == 404  # used up
    history = await staff.get("/saksbehandling/regler")
    assert "Ny sats for møterom" in history.text and "<code>tariff.moterom.rate</code>" in history.text
    assert "Den første versjonen" in history.text
    quote = await quote_total(staff, "motesalen", staff.staff.start)
    assert quote["total"] == "400" and quote["rule_set_version"] != "2026-01-01"


async def test_invalid_values_are_shown_at_their_field_and_not_saved(staff):
    await login_as(staff, "admin")
    draft_id = await start_draft(staff)
    content = await draft_content(staff.db, draft_id)
    negative = await post_form(
        staff, f"/saksbehandling/regler/utkast/{draft_id}", form_from(content, **{"tariff.moterom.rate": "-5"})
    )
    assert negative.status_code == 422
    assert "Prisen kan ikke være negativ" in negative.text and 'href="#r-tariff--moterom--rate"' in negative.text
    assert 'id="r-tariff--moterom--rate-error"' in negative.text and 'value="-5"' in negative.text
    typo = await post_form(
        staff,
        f"/saksbehandling/regler/utkast/{draft_id}",
        form_from(content, **{"groups.privat.factor": "en", "lending.min_age": "atten"}),
    )
    assert typo.status_code == 422 and "Skriv et tall" in typo.text and "Skriv et helt tall" in typo.text
    too_big = await post_form(
        staff, f"/saksbehandling/regler/utkast/{draft_id}", form_from(content, **{"groups.privat.factor": "9"})
    )
    assert too_big.status_code == 422 and "Faktoren må være mellom 0 og 5" in too_big.text
    assert await draft_content(staff.db, draft_id) == content


async def test_toml_editor_validates_the_whole_rule_set(staff):
    await login_as(staff, "admin")
    draft_id = await start_draft(staff)
    page = await staff.get(f"/saksbehandling/regler/utkast/{draft_id}/toml")
    assert page.status_code == 200 and '<label for="toml">' in page.text and "[tariff.moterom]" in page.text
    text = page.text.split('spellcheck="false"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]
    import html

    text = html.unescape(text)
    broken = await post_form(staff, f"/saksbehandling/regler/utkast/{draft_id}/toml", {"toml": text + "\n[["})
    assert broken.status_code == 422 and "ikke gyldig TOML" in broken.text
    from booking.services.rulebook import DEFAULT_RULES

    a_file_name = await post_form(staff, f"/saksbehandling/regler/utkast/{draft_id}/toml", {"toml": str(DEFAULT_RULES)})
    assert a_file_name.status_code == 422 and "ikke gyldig TOML" in a_file_name.text  # text, never opened
    without = text.replace("[tariff.klasserom]", "[tariff.klasserom_ny]")
    missing = await post_form(staff, f"/saksbehandling/regler/utkast/{draft_id}/toml", {"toml": without})
    assert missing.status_code == 422 and "<code>tariff.klasserom.rate</code>" in missing.text
    renamed = text.replace('name_nb = "Møterom"', 'name_nb = "Møterom og grupperom"')
    saved = await post_form(staff, f"/saksbehandling/regler/utkast/{draft_id}/toml", {"toml": renamed})
    assert saved.status_code == 303
    assert (await draft_content(staff.db, draft_id))["tariff"]["moterom"]["name_nb"] == "Møterom og grupperom"


async def test_a_price_edit_keeps_the_allocation_rules_as_they_are(staff):
    """Regression guard: the form edits field by field, so a draft must carry the tiers
    and the wish weights, which it has no fields for, unchanged."""
    await login_as(staff, "admin")
    draft_id = await start_draft(staff)
    before = await draft_content(staff.db, draft_id)
    assert before["allocation"]["tiers"][0]["key"] == "children_youth"
    saved = await post_form(
        staff, f"/saksbehandling/regler/utkast/{draft_id}", form_from(before, **{"tariff.gymsal.rate": "375"})
    )
    assert saved.status_code == 303
    after = await draft_content(staff.db, draft_id)
    assert after["tariff"]["gymsal"]["rate"] == "375" and after["allocation"] == before["allocation"]
    page = await staff.get(f"/saksbehandling/regler/utkast/{draft_id}/toml")
    assert "[[allocation.tiers]]" in page.text


async def test_the_allocation_numbers_are_edited_in_the_form_and_checked_at_their_field(staff):
    await login_as(staff, "admin")
    draft_id = await start_draft(staff)
    content = await draft_content(staff.db, draft_id)
    page = await staff.get(f"/saksbehandling/regler/utkast/{draft_id}")
    assert "<legend>Sesongfordeling</legend>" in page.text
    assert 'name="allocation.core_time_end" value="20:30"' in page.text
    assert "Kjernetid: tid for barn under 13 år slutter senest" in page.text

    late = await post_form(
        staff, f"/saksbehandling/regler/utkast/{draft_id}", form_from(content, **{"allocation.core_time_end": "25:00"})
    )
    assert late.status_code == 422
    assert 'id="r-allocation--core_time_end-error"' in late.text and 'href="#r-allocation--core_time_end"' in late.text
    assert 'value="25:00"' in late.text
    assert await draft_content(staff.db, draft_id) == content
    never = await post_form(
        staff, f"/saksbehandling/regler/utkast/{draft_id}", form_from(content, **{"allocation.not_used_limit": "0"})
    )
    assert never.status_code == 422 and 'id="r-allocation--not_used_limit-error"' in never.text
    assert "Skal være 1 eller mer." in never.text

    saved = await post_form(
        staff,
        f"/saksbehandling/regler/utkast/{draft_id}",
        form_from(
            content,
            **{
                "allocation.core_time_end": "21:00",
                "allocation.continuity_weight": "5",
                "allocation.hall_sport_first": False,
            },
        ),
    )
    assert saved.status_code == 303
    edited = (await draft_content(staff.db, draft_id))["allocation"]
    assert (edited["core_time_end"], edited["continuity_weight"], edited["hall_sport_first"]) == ("21:00", 5, False)
    assert edited["tiers"] == content["allocation"]["tiers"]
    page = await staff.get(f"/saksbehandling/regler/utkast/{draft_id}")
    in_words = "Kjernetid: tid for barn under 13 år slutter senest kl. 21:00."
    assert f"<code>allocation.core_time_end</code><br>{in_words}" in page.text
    assert "(vekt 5)" in page.text


async def test_a_draft_of_a_version_without_allocation_rules_gets_no_allocation_fields(staff):
    """A version published before there were allocation rules is edited as it is."""
    await login_as(staff, "admin")
    rules = (await current_rules(staff.db.session)).in_force(staff.staff.start)
    older = {k: v for k, v in pricing.rule_set_to_dict(rules).items() if k != "allocation"}
    await publish(
        staff.db.session,
        pricing.rule_set_from_dict(older),
        valid_from=date(2099, 1, 1),
        author="Admin",
        reason="Uten fordeling",
        now=datetime.now(timezone.utc),
    )
    draft_id = await start_draft(staff)
    content = await draft_content(staff.db, draft_id)
    assert "allocation" not in content
    page = await staff.get(f"/saksbehandling/regler/utkast/{draft_id}")
    assert page.status_code == 200 and "<legend>Sesongfordeling</legend>" not in page.text
    saved = await post_form(
        staff, f"/saksbehandling/regler/utkast/{draft_id}", form_from(content, **{"tariff.gymsal.rate": "375"})
    )
    assert saved.status_code == 303 and "allocation" not in await draft_content(staff.db, draft_id)


async def test_publish_refuses_the_past_a_missing_reason_and_a_taken_date(staff):
    await login_as(staff, "admin")
    draft_id = await start_draft(staff)
    past = await post_form(
        staff, f"/saksbehandling/regler/utkast/{draft_id}/publiser", {"valid_from": "2026-01-02", "reason": "Test"}
    )
    assert past.status_code == 422 and "dato som har vært" in past.text
    no_reason = await post_form(
        staff, f"/saksbehandling/regler/utkast/{draft_id}/publiser", {"valid_from": "2099-01-01", "reason": " "}
    )
    assert no_reason.status_code == 422 and "Skriv hvorfor reglene endres" in no_reason.text
    no_date = await post_form(
        staff, f"/saksbehandling/regler/utkast/{draft_id}/publiser", {"valid_from": "", "reason": "Test"}
    )
    assert no_date.status_code == 422 and "Velg datoen" in no_date.text
    taken = await post_form(
        staff,
        f"/saksbehandling/regler/utkast/{draft_id}/publiser",
        {"valid_from": "2099-01-01", "label": "2026-01-01", "reason": "Test"},
    )
    assert taken.status_code == 422 and "allerede brukt" in taken.text
    async with staff.db.sessions() as s:
        assert (
            len((await s.execute(select(RuleSetVersion).where(RuleSetVersion.status == "published"))).scalars().all())
            == 1
        )
    discarded = await post_form(staff, f"/saksbehandling/regler/utkast/{draft_id}/slett")
    assert discarded.status_code == 303
    assert "Det finnes ingen utkast" in (await staff.get("/saksbehandling/regler?forkastet=true")).text


async def test_only_administrators_edit_the_rule_set(staff):
    for role in ("department_staff", "caretaker", "delegate", "person"):
        await login_as(staff, role)
        assert (await staff.get("/saksbehandling/regler")).status_code == 403
        assert (await post_form(staff, "/saksbehandling/regler/utkast")).status_code == 403


# ------------------------------------------------------------------ tariff exceptions


async def test_a_tariff_exception_changes_quotes_and_bookings_and_is_reported(staff):
    before = await quote_total(staff, "motesalen", staff.staff.start)
    assert before["total"] == "300"
    await login_as(staff, "admin")
    answer = await post_form(
        staff,
        "/saksbehandling/takstunntak",
        {"premises": "motesalen", "rate": "100,00", "reason": "Kjellerrom uten dagslys"},
    )
    assert answer.status_code == 303
    after = await quote_total(staff, "motesalen", staff.staff.start)
    assert after["total"] == "200"
    assert after["lines"][0]["rule"] == "premises.motesalen.rate_override × groups.privat.factor"
    assert "godkjent unntak" in after["explanation_nb"]
    rules = await current_rules(staff.db.session)
    start = staff.staff.start + timedelta(days=1)
    booking = await create_booking(
        staff.db.session,
        NewBooking(
            "motesalen",
            start,
            start + timedelta(hours=1),
            staff.staff.world.person_id,
            None,
            BookingDetails("Møte", 5, "adults"),
        ),
        rules=rules,
        now=start - timedelta(days=3),
    )
    assert booking.price_total == Decimal("100")

    await login_as(staff, "department_staff")  # staff see the report, but cannot change it
    report = await staff.get("/saksbehandling/takstunntak")
    assert report.status_code == 200
    assert "Kjellerrom uten dagslys" in report.text and "Ada Admin" in report.text
    assert "150\u00a0kr" in report.text and "-50\u00a0kr (-33.3 %)" in report.text
    assert "Nytt unntak" not in report.text
    exported = await staff.get("/saksbehandling/takstunntak.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 1 and rows[0]["lokale"] == "Møtesalen"
    row = rows[0]
    assert (row["harmonisert_sats_kr"], row["unntak_sats_kr"], row["avvik_kr"]) == ("150", "100.00", "-50.00")
    refused = await post_form(staff, "/saksbehandling/takstunntak", {"premises": "hallen", "rate": "1", "reason": "x"})
    assert refused.status_code == 403

    await login_as(staff, "admin")
    listing = (await staff.get("/saksbehandling/takstunntak")).text
    exception_id = int(re.search(r"/saksbehandling/takstunntak/(\d+)/slett", listing).group(1))
    deleted = await post_form(staff, f"/saksbehandling/takstunntak/{exception_id}/slett")
    assert deleted.status_code == 303
    assert (await quote_total(staff, "motesalen", staff.staff.start))["total"] == "300"


async def test_bad_tariff_exceptions_are_refused_field_by_field(staff):
    await login_as(staff, "admin")
    answer = await post_form(staff, "/saksbehandling/takstunntak", {"premises": "", "rate": "gratis", "reason": ""})
    assert answer.status_code == 422
    for message in ("Velg et lokale", "Skriv prisen som et tall", "Skriv hvorfor"):
        assert message in answer.text
    assert (
        await post_form(staff, "/saksbehandling/takstunntak", {"premises": "hallen", "rate": "-1", "reason": "x"})
    ).status_code == 422
    assert (
        await post_form(
            staff, "/saksbehandling/takstunntak", {"premises": "hallen", "rate": "900", "reason": "Eldre hall"}
        )
    ).status_code == 303
    twice = await post_form(staff, "/saksbehandling/takstunntak", {"premises": "hallen", "rate": "800", "reason": "y"})
    assert twice.status_code == 422 and "har allerede et unntak" in twice.text
