"""A real server (`booking serve`) on a seeded SQLite database, and Debian's headless
Chromium driven by Playwright. Without Chromium the browser tests skip loudly, except
under CI=true, where that fails the run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _booking(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "booking.cli", *args], env=env, check=True, capture_output=True)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory) -> Path:
    """The sample municipality as a person would load it (`booking db upgrade`, `booking
    seed --sample`), once a session: each server runs on a copy of its own."""
    database = tmp_path_factory.mktemp("seeded") / "seeded.db"
    env = {
        **os.environ,
        "BOOKING_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "BOOKING_MEDIA_DIR": str(database.parent / "media"),
    }  # the sample pictures, shared by the servers
    _booking(env, "db", "upgrade")
    _booking(env, "seed", "--sample", "--bookings", "80")
    return database


@contextmanager
def running_server(seeded: Path, database: Path, **settings: str) -> Iterator[str]:
    """`booking serve` on a copy of the seeded database, on a port of its own, as a person
    would start it; extra settings go in as environment variables."""
    shutil.copy(seeded, database)
    port = _free_port()
    env = {
        **os.environ,
        "BOOKING_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "BOOKING_BASE_URL": f"http://127.0.0.1:{port}",
        "BOOKING_MEDIA_DIR": str(seeded.parent / "media"),
        **settings,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "booking.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the server did not start: " + process.stderr.read().decode(errors="replace")[-2000:])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(seeded, tmp_path_factory):
    """As in production without Stripe keys: no card provider (test_testmode_payment.py
    runs a server with the offline test mode)."""
    with running_server(seeded, tmp_path_factory.mktemp("e2e") / "e2e.db", BOOKING_ENV="production") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's sync API runs an event loop in this thread while it is
    open, and the async tests that follow need the thread to themselves."""
    if CHROMIUM is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: browser tests must not be skipped)")
        pytest.skip("!!! " + message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="nb-NO", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    """Desktop and 320 px screenshots, kept as test artefacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 320, "height": 800})
    page.screenshot(path=str(ARTIFACTS / f"{name}-320.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
