"""The staff pages in English: the language cookie (or Accept-Language) turns headings,
labels, column names and field errors into English; bokmål stays the default."""

from __future__ import annotations

from tests.integration.test_staff import login_as, post_form, staff  # noqa: F401 (fixture)

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}

PAGES = {
    "/saksbehandling": ["<h1>Bookings awaiting approval</h1>", "Booked by", "Approve", "Reject"],
    "/saksbehandling/lokaler": ["<h1>Premises you can edit</h1>", "Capacity", "Closures of premises and buildings"],
    "/saksbehandling/lokaler/motesalen": [
        "<h1>Edit Møtesalen</h1>",
        "About the premises",
        "Opening hours (Norwegian time)",
        "Save the changes",
        "Monday",
    ],
    "/saksbehandling/stenginger": ["<h1>Closures</h1>", '<h2 id="ny">New closure</h2>', "Save the closure"],
    "/saksbehandling/regler": [
        "<h1>Prices and terms: the rule set</h1>",
        "Version history",
        "Make a new draft from the newest version",
    ],
    "/saksbehandling/rapporter": [
        "<h1>Use of the premises</h1>",
        "Summary",
        "Hours booked",
        "Utilisation",
        "How the numbers are calculated",
    ],
    "/saksbehandling/takstunntak": [
        "<h1>Deviations from the harmonised price list</h1>",
        "New exception",
        "Save the exception",
    ],
    "/vaktmester": ["Caretaker list week", "Previous week", "Next week"],
}
NORWEGIAN = [
    "Lagre",
    "Bestillinger som venter",
    "Lokaler du kan redigere",
    "Stenginger",
    "Rapporter",
    "Takstunntak",
    "Vaktmesterliste",
    "Skjemaet er ikke lagret",
    "Utnyttelse",
    "Begrunnelse",
]


async def test_every_staff_page_in_english(staff):
    await login_as(staff, "admin")
    for path, headings in PAGES.items():
        page = await staff.get(path, headers=ENGLISH)
        assert page.status_code == 200, (path, page.status_code)
        assert '<html lang="en">' in page.text, path
        for heading in headings:
            assert heading in page.text, (path, heading)
        for word in NORWEGIAN:
            assert word not in page.text, (path, word)


async def test_the_cookie_turns_department_staff_pages_english_and_bokmal_stays_default(staff):
    await login_as(staff, "department_staff")
    norwegian = await staff.get("/saksbehandling/lokaler")
    assert "<h1>Lokaler du kan redigere</h1>" in norwegian.text
    await post_form(staff, "/sprak", {"sprak": "en", "neste": "/saksbehandling"})
    queue = await staff.get("/saksbehandling")
    assert "<h1>Bookings awaiting approval</h1>" in queue.text and "1 request." in queue.text
    assert "Bestillinger som venter" not in queue.text
    premises = await staff.get("/saksbehandling/lokaler")
    assert "<h1>Premises you can edit</h1>" in premises.text and "premises owned by your department" in premises.text


async def test_field_errors_in_english(staff):
    await login_as(staff, "department_staff")
    answer = await post_form(
        staff,
        "/saksbehandling/stenginger",
        {"target": "", "fra_dato": "i morgen", "til_dato": "", "reason": ""},
        headers=ENGLISH,
    )
    assert answer.status_code == 422
    assert "The form has not been saved" in answer.text and "Please correct the following:" in answer.text
    assert "Write the date as YYYY-MM-DD." in answer.text
    assert "Say why it is closed" in answer.text and "Skriv hvorfor" not in answer.text
    reject = await post_form(
        staff, f"/saksbehandling/bestillinger/{staff.staff.requested_id}/avvis", {"begrunnelse": ""}, headers=ENGLISH
    )
    assert reject.status_code == 422 and "Give a reason for the rejection." in reject.text
    report = await staff.get("/saksbehandling/rapporter?fra=2026-02-01&til=2026-01-01", headers=ENGLISH)
    assert report.status_code == 422 and "The end date must not be before the start date." in report.text


async def test_rule_set_draft_editor_in_english(staff):
    await login_as(staff, "admin")
    started = await post_form(staff, "/saksbehandling/regler/utkast")
    draft = await staff.get(started.headers["location"], headers=ENGLISH)
    assert draft.status_code == 200
    for text in (
        "Base rates (NOK excluding VAT)",
        "Customer groups",
        "Lending criteria",
        "Impact on upcoming bookings",
        "Publish new version",
        "Discard the draft",
        "Minimum age of the person booking (years)",
    ):
        assert text in draft.text, text
    assert "Grunnpriser" not in draft.text and "Utlånskriterier" not in draft.text
    text_form = await staff.get(started.headers["location"] + "/toml", headers=ENGLISH)
    assert "The whole rule set as TOML" in text_form.text
