"""Shared by the booking page and booking API tests: the test world with passwords, an
app client, logging in, and times relative to today (the lending rules look at `now`)."""

from __future__ import annotations

import contextlib
import functools
import sys
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

from litestar.testing import AsyncTestClient
from sqlalchemy import update

from booking.db.engine import write_transaction
from booking.db.models import Person
from booking.settings import from_environment
from booking.web.app import create_app
from common.localtime import OSLO
from tests.world import build_world, password_hash

PASSWORD = "riktig-passord"


def weekday_ahead(weekday: int = 1, weeks: int = 2) -> date:
    """A date `weeks` weeks ahead on the given weekday (0 = Monday), in Oslo."""
    today = datetime.now(timezone.utc).astimezone(OSLO).date()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=OSLO)


async def world_with_passwords(db):
    world = await build_world(db.session)
    async with db.sessions() as s, write_transaction(s):
        await s.execute(update(Person).values(password_hash=password_hash(PASSWORD)))
    return world


def app_for(db, env: str = "production"):
    """The app on the test's database, as configured for `env` with no Stripe keys: in
    production no card provider (the offline test mode is never on there;
    tests/integration/test_payments_testmode.py tries it). One app per test process, `env`
    and clock, started on each test's own database: building the app (its routes, their
    signatures) takes a tenth of a second or more, starting it on a database a hundredth."""
    app = _app(env, datetime)  # the class of the moment: freezegun's under the tests' clock
    app.state.settings = replace(app.state.settings, database_url=db.url)
    return app


_RUN_STDERR = sys.stderr  # this module is imported while tests are collected, under no test's capsys


@functools.cache
def _app(env: str, clock: type):
    """Handlers' signatures keep the `datetime` class they were built with (`clock`): a
    module on the real clock needs an app of its own. The app sets up logging to the stderr
    of the moment; a test using capsys closes its own when it ends, so the app gets the one
    pytest captures for the whole run (`_RUN_STDERR`)."""
    with contextlib.redirect_stderr(_RUN_STDERR):
        return create_app(from_environment({"BOOKING_DATABASE_URL": "sqlite+aiosqlite://", "BOOKING_ENV": env}))


async def client_for(db):
    return AsyncTestClient(app=app_for(db))


def assert_problem(answer, status: int, code: str) -> dict:
    """An application/problem+json answer with this status and code; its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == code and problem["status"] == status
    return problem


def csrf(client) -> str:
    return client.cookies.get("csrftoken")


async def log_in(client, email: str) -> None:
    await client.get("/logg-inn")
    answer = await client.post(
        "/logg-inn",
        data={"email": email, "password": PASSWORD, "neste": "/", "_csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
