"""Feeds compared byte for byte with tests/golden/*.ics.

After a deliberate change to the output, regenerate and review the diff:
    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/calendars/test_calendar_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from calendar_test_data import FEED_DESCRIPTION, FEED_NAME, golden_events

from calendars.feeds import build_feed, single_event_ics

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def golden_outputs() -> dict[str, bytes]:
    events = golden_events()
    cancelled = next(event for event in events if event.status == "CANCELLED")
    return {
        "feed_fjell_skole.ics": build_feed(FEED_NAME, events, description=FEED_DESCRIPTION),
        "single_event_dst_spring.ics": single_event_ics(events[0], "Din booking hos Lokaler"),
        "single_event_cancelled.ics": single_event_ics(cancelled, "Din booking hos Lokaler"),
    }


@pytest.mark.parametrize("filename", sorted(golden_outputs()))
def test_output_matches_golden_file(filename):
    produced = golden_outputs()[filename]
    path = GOLDEN_DIR / filename
    if UPDATE:
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        path.write_bytes(produced)
    assert path.exists(), f"{path} is missing; run with UPDATE_GOLDEN=1 to create it"
    expected = path.read_bytes()
    if produced != expected:
        # Show the first differing line: a bytes diff of a whole feed is unreadable.
        for number, (got, want) in enumerate(zip(produced.split(b"\r\n"), expected.split(b"\r\n")), 1):
            assert got == want, f"{filename} line {number} differs (UPDATE_GOLDEN=1 to accept)"
        assert produced == expected, f"{filename} differs in length (UPDATE_GOLDEN=1 to accept)"
