"""How the app answers when something is refused, through the app on SQLite and PostgreSQL:
a stale or foreign CSRF token says what happened and what to do (`csrf_failed`), staff
error pages lead back into the staff pages, and the login lock says when it lifts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from booking.db.engine import write_transaction
from booking.db.models import LoginAttempt
from tests.integration.test_staff import EMAILS, PASSWORD, csrf, login_as, post_form, staff  # noqa: F401 (fixture)

CSRF_NB = "Skjemaet er utløpt eller ble sendt fra en annen side. Last inn siden på nytt og prøv igjen."
CSRF_EN = "The form has expired or was sent from another page. Reload the page and try again."
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


async def test_a_foreign_csrf_token_is_explained(staff):
    await login_as(staff, "department_staff")
    path = f"/saksbehandling/bestillinger/{staff.staff.requested_id}/godkjenn"
    foreign = await staff.post(path, data={"_csrf_token": "from-another-site"}, follow_redirects=False)
    assert foreign.status_code == 403
    assert CSRF_NB in foreign.text and "<code>csrf_failed</code>" in foreign.text
    assert "Du har ikke tilgang til dette" not in foreign.text
    english = await staff.post(path, data={"_csrf_token": "from-another-site"}, headers=ENGLISH)
    assert english.status_code == 403 and CSRF_EN in english.text
    as_json = await staff.post(path, data={"_csrf_token": "x"}, headers={"Accept": "application/json"})
    assert as_json.status_code == 403 and as_json.headers["content-type"].startswith("application/problem+json")
    assert as_json.json()["code"] == "csrf_failed" and as_json.json()["detail"] == CSRF_NB
    queue = await staff.get("/saksbehandling")
    assert "1 forespørsel." in queue.text  # nothing was decided


async def test_an_expired_csrf_cookie_is_explained(staff):
    await login_as(staff, "department_staff")
    token = csrf(staff)
    staff.cookies.delete("csrftoken")  # the form was opened before the cookie went away
    answer = await staff.post(
        f"/saksbehandling/bestillinger/{staff.staff.requested_id}/godkjenn",
        data={"_csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and CSRF_NB in answer.text


@pytest.mark.parametrize(
    ("method", "path", "back", "label"),
    [
        ("post", "/saksbehandling/bestillinger/999999/godkjenn", "/saksbehandling", "Tilbake til godkjenningskøen"),
        ("get", "/saksbehandling/lokaler/finnes-ikke", "/saksbehandling/lokaler", "Tilbake til lokalene"),
        ("get", "/saksbehandling/ukjent", "/saksbehandling", "Tilbake til godkjenningskøen"),
    ],
)
async def test_staff_error_pages_lead_back_to_the_staff_pages(staff, method, path, back, label):
    await login_as(staff, "department_staff")
    answer = await (post_form(staff, path) if method == "post" else staff.get(path))
    assert answer.status_code == 404
    assert f'<a href="{back}">{label}</a>' in answer.text and "Tilbake til søket" not in answer.text


async def test_staff_error_page_back_link_in_english_and_not_for_others(staff):
    await login_as(staff, "department_staff")
    english = await staff.get("/saksbehandling/lokaler/finnes-ikke", headers=ENGLISH)
    assert '<a href="/saksbehandling/lokaler">Back to the premises</a>' in english.text
    await login_as(staff, "person")
    refused = await staff.get("/saksbehandling")
    assert refused.status_code == 403 and '<a href="/">Tilbake til søket</a>' in refused.text
    public = await staff.get("/lokaler/finnes-ikke")
    assert public.status_code == 404 and '<a href="/">Tilbake til søket</a>' in public.text


async def _fail_login(client):
    await client.get("/logg-inn")
    return await client.post(
        "/logg-inn",
        data={"email": EMAILS["admin"], "password": "feil-passord", "neste": "/", "_csrf_token": csrf(client)},
        follow_redirects=False,
    )


async def test_the_login_lock_says_when_it_lifts(staff):
    staff.cookies.clear()
    for _ in range(5):
        assert (await _fail_login(staff)).status_code == 401
    locked = await _fail_login(staff)
    assert locked.status_code == 429
    assert 890 <= int(locked.headers["retry-after"]) <= 900  # the first failure left the window in 15 minutes
    api = await staff.post("/api/v1/auth/token", json={"email": EMAILS["admin"], "password": PASSWORD})
    assert api.status_code == 429 and api.json()["code"] == "too_many_attempts"
    assert 890 <= int(api.headers["retry-after"]) <= 900
    assert api.json()["retry_after"] == int(api.headers["retry-after"])


async def test_retry_after_counts_from_the_attempt_that_leaves_the_window_first(staff):
    staff.cookies.clear()
    assert (await _fail_login(staff)).status_code == 401
    now = datetime.now(timezone.utc)
    async with staff.db.sessions() as s, write_transaction(s):
        key = await s.scalar(select(LoginAttempt.key))
        s.add_all([LoginAttempt(key=key, at=now - timedelta(minutes=minutes)) for minutes in (14, 13, 12, 11)])
    locked = await _fail_login(staff)
    assert locked.status_code == 429 and 50 <= int(locked.headers["retry-after"]) <= 60
