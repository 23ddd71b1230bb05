"""The integration tests' clock: every test here runs at the same instant, whatever the
machine's date, so a test written this week passes next year too. The clock ticks from
TEST_NOW (holds expire, mails are stamped in order); dates in tests are literal or
counted from it (`booking_web_support.weekday_ahead`). asyncio keeps the real clock, so
timeouts and the event loop are unaffected. The browser tests run a real server in
another process on the real clock and count their dates from today instead, and so do
the modules that run `booking` commands as processes (they set REAL_CLOCK = True)."""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from litestar.testing import AsyncTestClient

# OR-Tools (and the pandas it loads) crashes if first imported under freezegun's clock:
# import the solver before any clock is set, whichever module runs first.
import allocation.solver  # noqa: F401

TEST_NOW = "2026-09-01 08:00:00"  # a Tuesday in summer time; Oslo is UTC+2
# Measure elapsed time with the real clock: a deadline set in one thread and read in
# another (freezegun gives threads the real clock) must agree.
REAL_CLOCK_MODULES = ["booking.services.calendar_fetch"]


@pytest.fixture(scope="module", autouse=True)
def _test_clock(request):
    if getattr(request.module, "REAL_CLOCK", False):
        yield  # the module runs `booking` commands in processes of their own, on the real clock
        return
    with freeze_time(TEST_NOW, tick=True, real_asyncio=True, ignore=REAL_CLOCK_MODULES):
        yield


@pytest.fixture
async def client(db):
    """An app client on the test world (tests/world.py) with passwords set; `client.world`
    and `client.db` for the test. A module with other needs defines its own `client`."""
    from tests.integration.booking_web_support import app_for, world_with_passwords

    world = await world_with_passwords(db)
    async with AsyncTestClient(app=app_for(db)) as client:
        client.world, client.db = world, db
        yield client
