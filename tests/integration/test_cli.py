"""The `booking` command as an operator runs it, on a fresh SQLite database."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture
def booking(tmp_path):
    env = {**os.environ, "BOOKING_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "booking.cli", *args], env=env, capture_output=True, text=True)

    assert run("db", "upgrade").returncode == 0
    return run


def test_seeding_twice_changes_nothing(booking):
    first = booking("seed", "--sample", "--bookings", "30")
    assert first.returncode == 0 and "bookings: " not in first.stdout.splitlines()[-1]
    again = booking("seed", "--sample", "--bookings", "30")
    assert again.stdout.splitlines()[-1] == "sample data: 0 new bookings, 0 new weekly series"
    assert "'districts': 0" in again.stdout and "'premises': 0" in again.stdout


def test_refusals_exit_2_with_their_code(booking, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('version = "x"\nbad', encoding="utf-8")
    answer = booking("rules", "validate", str(bad))
    assert answer.returncode == 2 and answer.stderr.startswith("error [malformed_toml]")
    answer = booking("users", "create", "--email", "a@example.no", "--name", "A", "--password", "kort")
    assert answer.returncode == 2 and "[weak_password]" in answer.stderr


def test_users_and_tokens(booking):
    made = booking("users", "create", "--email", "kari@example.no", "--name", "Kari", "--password", "langt-passord",
                   "--role", "caretaker", "--birth-date", "1980-02-03")
    assert made.returncode == 0 and "caretaker, person" in made.stdout
    token = booking("token", "create", "kari@example.no")
    assert token.returncode == 0 and len(token.stdout.strip()) >= 22
    assert booking("token", "create", "nobody@example.no").returncode == 2
