"""The `booking` command as an operator runs it: on a fresh SQLite database, and on the
test's database (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from booking.db.models import Booking, BookingSeries, CalendarSource, OpenEvent, Person
from booking.services.organisations import register_organisation
from booking.settings import ROOT

# These tests run `booking` commands as processes, which have the real clock (conftest.py).
REAL_CLOCK = True


@pytest.fixture
def booking(tmp_path):
    env = {
        **os.environ,
        "BOOKING_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "BOOKING_MEDIA_DIR": str(tmp_path / "media"),
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "booking.cli", *args], env=env, capture_output=True, text=True)

    assert run("db", "upgrade").returncode == 0
    return run


def test_seeding_twice_changes_nothing(booking, tmp_path):
    first = booking("seed", "--sample", "--bookings", "30")
    assert first.returncode == 0 and "bookings: " not in first.stdout.splitlines()[-1]
    assert "pictures: 22 drawn" in first.stdout  # every fourth of the 86 sample premises
    pictures = sorted(path.name for path in (tmp_path / "media").rglob("*.webp"))
    assert len(pictures) == 44  # a large and a small rendition each
    again = booking("seed", "--sample", "--bookings", "30")
    assert again.stdout.splitlines()[-1] == "sample data: 0 new bookings, 0 new weekly series"
    assert "'districts': 0" in again.stdout and "'premises': 0" in again.stdout
    assert "pictures: 0 drawn" in again.stdout
    assert sorted(path.name for path in (tmp_path / "media").rglob("*.webp")) == pictures


def test_refusals_exit_2_with_their_code(booking, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('version = "x"\nbad', encoding="utf-8")
    answer = booking("rules", "validate", str(bad))
    assert answer.returncode == 2 and answer.stderr.startswith("error [malformed_toml]")
    answer = booking("rules", "validate", str(tmp_path / "missing.toml"))  # read by the command, not guessed at
    assert answer.returncode == 2 and answer.stderr.startswith("error [unreadable_file]")
    answer = booking("users", "create", "--email", "a@example.no", "--name", "A", "--password", "kort")
    assert answer.returncode == 2 and "[weak_password]" in answer.stderr


def test_users_and_tokens(booking):
    made = booking(
        "users",
        "create",
        "--email",
        "kari@example.no",
        "--name",
        "Kari",
        "--password",
        "langt-passord",
        "--role",
        "caretaker",
        "--birth-date",
        "1980-02-03",
    )
    assert made.returncode == 0 and "caretaker, person" in made.stdout
    token = booking("token", "create", "kari@example.no")
    assert token.returncode == 0 and len(token.stdout.strip()) >= 22
    assert booking("token", "create", "nobody@example.no").returncode == 2


@pytest.fixture
def command(db, tmp_path):
    """The `booking` command against the test's database (SQLite or PostgreSQL)."""
    env = {**os.environ, "BOOKING_DATABASE_URL": db.url, "BOOKING_MEDIA_DIR": str(tmp_path / "media")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "booking.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )

    return run


async def count(db, model, *where) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where))


async def test_seeding_books_only_for_the_sample_organisations_and_again_adds_nothing(db, command):
    """Regression: the draws came from every membership in the database, so organisations
    registered on the site got sample bookings, and a re-run after one was registered
    booked new slots."""
    made = command(
        "users",
        "create",
        "--email",
        "ny@example.no",
        "--name",
        "Nina Ny",
        "--password",
        "langt-passord",
        "--birth-date",
        "1985-04-05",
    )
    assert made.returncode == 0, made.stderr
    now = datetime.now(timezone.utc)

    async def register(name: str, orgnr: str, email: str) -> int:
        async with db.sessions() as s:
            person_id = await s.scalar(select(Person.id).where(Person.email == email))
        # As the site's registration does it: the organisation, and its registrant as delegate.
        return (await register_organisation(db.session, name=name, orgnr=orgnr, delegate_id=person_id, now=now)).id

    theirs = [await register("Nye Venner", "923609016", "ny@example.no")]  # before the sample exists
    first = command("seed", "--sample", "--bookings", "40")
    assert first.returncode == 0, first.stderr
    placed, open_events = await count(db, Booking), await count(db, OpenEvent)
    assert placed > 0 and await count(db, BookingSeries) > 0
    theirs.append(await register("Pers Lag", "974760673", "per.amundsen@example.no"))  # a sample delegate's own
    again = command("seed", "--sample", "--bookings", "40")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "sample data: 0 new bookings, 0 new weekly series"
    assert await count(db, Booking) == placed
    assert "open events: 0 new" in again.stdout and await count(db, OpenEvent) == open_events
    assert await count(db, Booking, Booking.organisation_id.in_(theirs)) == 0
    assert await count(db, BookingSeries, BookingSeries.organisation_id.in_(theirs)) == 0


async def test_an_account_refused_on_the_command_line_is_not_written(db, command):
    cases = {
        "invalid_text": ["--name", "Bad\x07Name"],
        "name_too_long": ["--name", "N" * 5000],
        "birth_date_in_future": ["--name", "Frida Fremtid", "--birth-date", "9999-01-01"],
        "invalid_birth_date": ["--name", "Frida Feil", "--birth-date", "1990-13-01"],
    }
    for code, options in cases.items():
        answer = command("users", "create", "--email", "feil@example.no", "--password", "langt-passord", *options)
        assert answer.returncode == 2, (code, answer.stderr)
        assert answer.stderr.startswith(f"error [{code}]") and "Traceback" not in answer.stderr
    assert await count(db, Person) == 0


async def test_control_characters_in_any_text_option_are_refused(db, command, tmp_path):
    before = await count(db, Person)
    for args, field in [
        (["users", "create", "--email", "a@example.no", "--name", "A", "--password", "langt\x1bpassord"], "password"),
        (["token", "create", "kari@example.no", "--label", "bell\x07"], "label"),
        (
            ["calendars", "import", "--building", "bygget", "--url", "https://example.no/x.ics", "--name", "K\x01"],
            "name",
        ),
        (
            [
                "rules",
                "publish",
                str(ROOT / "seed_data" / "rules" / "default.toml"),
                "--valid-from",
                "2999-01-01",
                "--reason",
                "Ny\x08pris",
            ],
            "reason",
        ),
    ]:
        answer = command(*args)
        assert answer.returncode == 2 and answer.stderr.startswith("error [invalid_text]"), answer.stderr
        assert f"“{field}”" in answer.stderr
    assert await count(db, Person) == before and await count(db, CalendarSource) == 0


async def test_rules_diff_says_allocation_changes_in_words(db, command, tmp_path):
    draft = tmp_path / "draft.toml"
    draft.write_text(
        (ROOT / "seed_data" / "rules" / "default.toml")
        .read_text(encoding="utf-8")
        .replace("continuity_weight = 3", "continuity_weight = 0"),
        encoding="utf-8",
    )
    answer = command("rules", "diff", str(draft))
    assert answer.returncode == 0, answer.stderr
    lines = answer.stdout.splitlines()
    at = lines.index("changed  allocation.continuity_weight: 3 -> 0")
    assert lines[at + 1].strip() == "Who had a time last season does not count."


async def test_an_account_without_a_birth_date_is_made_with_a_warning_that_it_cannot_book(db, command):
    helped = command("users", "create", "--help")
    assert helped.returncode == 0
    assert "--birth-date" in helped.stdout and "18 or older" in helped.stdout and "cannot book" in helped.stdout
    made = command(
        "users",
        "create",
        "--email",
        "vera@example.no",
        "--name",
        "Vera",
        "--password",
        "langt-passord",
        "--role",
        "caretaker",
    )
    assert made.returncode == 0, made.stderr
    (warning,) = made.stderr.splitlines()
    assert warning.startswith("warning:") and "cannot book" in warning and "--birth-date" in warning
    dated = command(
        "users",
        "create",
        "--email",
        "kari@example.no",
        "--name",
        "Kari",
        "--password",
        "langt-passord",
        "--birth-date",
        "1980-02-03",
    )
    assert dated.returncode == 0 and dated.stderr == ""
