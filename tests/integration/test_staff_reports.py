"""Usage reports through the app, on SQLite and PostgreSQL: hours, utilisation, shares
and revenue for a period, as SVG charts with text and tables, and as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

from booking.services.reports import Period, usage_report
from common.localtime import to_local
from tests.integration.test_staff import login_as, post_form, staff  # noqa: F401 (fixture)


def week_of(staff) -> tuple[str, str]:
    day = to_local(staff.staff.start).date()
    monday = day - timedelta(days=day.weekday())
    return monday.isoformat(), (monday + timedelta(days=6)).isoformat()


async def test_report_counts_confirmed_hours_shares_and_revenue(staff):
    await login_as(staff, "department_staff")
    # Approving the children's cup makes it count: 2 h (0 kr) besides the 2 h private meeting (300 kr).
    await post_form(staff, f"/saksbehandling/bestillinger/{staff.staff.requested_id}/godkjenn")
    first, last = week_of(staff)
    page = await staff.get("/saksbehandling/rapporter", params={"fra": first, "til": last})
    assert page.status_code == 200
    assert 'id="sum-timer">4,0\u00a0t<' in page.text and 'id="sum-inntekt">300\u00a0kr<' in page.text
    assert page.text.count("<svg") == 5 and 'role="img"' in page.text
    assert "<desc" in page.text and "Bragernes: 4,0\u00a0t" in page.text  # the numbers in words, not only as bars
    assert "Barn og unge</dt><dd>50,0\u00a0% av timene (2,0\u00a0t)" in page.text
    assert "Egenorganisert aktivitet</dt><dd>50,0\u00a0% av timene (2,0\u00a0t)" in page.text
    exported = await staff.get("/saksbehandling/rapporter.csv", params={"fra": first, "til": last})
    assert exported.status_code == 200 and exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert f"lokaler-rapport-{first}-{last}.csv" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:3] == ["dimensjon", "gruppe", "timer_booket"]
    by = {(r[0], r[1]): r for r in rows[1:]}
    assert by[("virksomhet", "Idrett")][2] == "4.0" and by[("virksomhet", "Idrett")][6] == "300.00"
    assert by[("takstkategori", "Møterom")][2] == "2.0"
    assert by[("andel", "Frivillige organisasjoner")][4] == "0.0"


async def test_report_numbers_follow_the_language(staff):
    """Regression: English pages showed '8,0 t' and '0,0 %'; a year's open hours had no thousands separator."""
    await login_as(staff, "department_staff")
    await post_form(staff, f"/saksbehandling/bestillinger/{staff.staff.requested_id}/godkjenn")
    first, last = week_of(staff)
    english = await staff.get(
        "/saksbehandling/rapporter", params={"fra": first, "til": last}, headers={"Accept-Language": "en"}
    )
    assert 'id="sum-timer">4.0\u00a0h<' in english.text and "Bragernes: 4.0\u00a0h" in english.text
    assert "Children and youth</dt><dd>50.0% of the hours (2.0\u00a0h)" in english.text
    assert "Voluntary organisations</dt><dd>0.0% of the hours (0.0\u00a0h)" in english.text
    assert "Idrett: NOK\u00a0300" in english.text  # the revenue chart in words
    assert ",0\u00a0t" not in english.text and ",0\u00a0%" not in english.text
    year = {"fra": f"{first[:4]}-01-01", "til": f"{first[:4]}-12-31"}
    norwegian = await staff.get("/saksbehandling/rapporter", params=year, headers={"Accept-Language": "nb"})
    english = await staff.get("/saksbehandling/rapporter", params=year, headers={"Accept-Language": "en"})
    open_nb = re.search(r"Timer åpent</dt><dd>([^<]*)<", norwegian.text).group(1)
    open_en = re.search(r"Hours open</dt><dd>([^<]*)<", english.text).group(1)
    assert re.fullmatch(r"\d{1,3}(\u00a0\d{3})+,\d\u00a0t", open_nb), open_nb
    assert re.fullmatch(r"\d{1,3}(,\d{3})+\.\d\u00a0h", open_en), open_en


async def test_csv_exports_name_their_charset_once(staff):
    await login_as(staff, "admin")
    for path in ("/saksbehandling/rapporter.csv", "/saksbehandling/takstunntak.csv"):
        exported = await staff.get(path)
        assert exported.status_code == 200, path
        assert exported.headers["content-type"] == "text/csv; charset=utf-8", path


async def test_utilisation_is_booked_over_open_hours(db):
    from booking.services.rulebook import current_rules
    from tests.integration.test_staff import build_staff_world

    staff_world = await build_staff_world(db.session)
    day = to_local(staff_world.start).date()
    rules = await current_rules(db.session)
    names = {k: c.name_nb for k, c in rules.versions[0].tariff.items()}
    async with db.sessions() as session:
        report = await usage_report(session, Period.of(day, day), names)
    meeting = next(row for row in report.by_category if row.label == "Møterom")
    assert meeting.open_hours == Decimal("24.0") and meeting.booked_hours == Decimal("2.0")
    assert meeting.utilisation == Decimal("8.3")
    classroom = next(row for row in report.by_category if row.label == "Klasserom")
    assert classroom.open_hours == Decimal("6.0") and classroom.utilisation == Decimal("0.0")


async def test_bad_periods_are_explained(staff):
    await login_as(staff, "admin")
    reversed_ = await staff.get("/saksbehandling/rapporter", params={"fra": "2026-12-10", "til": "2026-12-01"})
    assert reversed_.status_code == 422 and "Til-datoen må være" in reversed_.text
    too_long = await staff.get("/saksbehandling/rapporter", params={"fra": "2026-01-01", "til": "2027-12-31"})
    assert too_long.status_code == 422 and "høyst 366 dager" in too_long.text
    garbled = await staff.get("/saksbehandling/rapporter", params={"fra": "i går"})
    assert garbled.status_code == 422 and "ÅÅÅÅ-MM-DD" in garbled.text
    csv_refused = await staff.get("/saksbehandling/rapporter.csv", params={"fra": "2026-12-10", "til": "2026-12-01"})
    assert csv_refused.status_code == 422
    default = await staff.get("/saksbehandling/rapporter")
    assert default.status_code == 200 and "Sammendrag" in default.text


async def test_reports_are_for_staff(staff):
    for role in ("person", "delegate", "caretaker"):
        await login_as(staff, role)
        assert (await staff.get("/saksbehandling/rapporter")).status_code == 403
        assert (await staff.get("/saksbehandling/rapporter.csv")).status_code == 403


def test_period_window_is_local_days():
    period = Period.of(date(2026, 3, 29), date(2026, 3, 29))  # spring forward: a 23-hour day
    assert period.window.duration == timedelta(hours=23)
