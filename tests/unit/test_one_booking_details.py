"""One booking-details type: what the booker says about the event is `pricing.BookingDetails`
for the rules, the engine, the pages and the API alike; no second type with its fields
and no conversion between them."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from pricing import BookingDetails

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"purpose", "attendees", "target_group", "alcohol"}


def test_the_field_order_a_series_digest_relies_on():
    # booking.services.series hashes `dataclasses.astuple(details)` into a series' request
    # digest (kept in the database): reordering the fields would refuse a repeated request.
    details = BookingDetails("Trening", 15, "children_youth", True)
    assert dataclasses.astuple(details) == ("Trening", 15, "children_youth", True)
    assert BookingDetails() == BookingDetails("", 1, "all", False)


def test_no_other_class_has_the_booking_details_fields():
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names = {
                    s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                }
                if names == FIELDS:  # rows and request bodies hold more, and may
                    found.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert found == ["pricing/facts.py:BookingDetails"]
