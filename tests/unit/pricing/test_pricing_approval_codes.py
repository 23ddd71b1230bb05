"""Approval reasons carry a stable code next to their two sentences, so a reason stored in
Norwegian can be shown in English from the rule that gave it."""

from __future__ import annotations

from pricing_fixtures import premises_for

from pricing import BookingDetails
from pricing.lending import approval_criteria, approvals_needed


def test_every_approval_criterion_has_its_own_code(rules):
    codes = [c.code for c in approval_criteria(rules)]
    assert len(codes) == len(set(codes))
    assert {"kind:outdoor_area", "category:kultursal", "alcohol", "attendees"} <= set(codes)


def test_the_reasons_a_booking_meets_come_with_code_and_both_languages(rules):
    found = approvals_needed(
        premises_for("kultursal", department="culture"),
        BookingDetails(attendees=150, target_group="adults", alcohol=True),
        rules,
    )
    assert [(c.code, c.rule_nb, c.rule_en) for c in found] == [
        ("category:kultursal", "Kultursal krever godkjenning.", "Culture hall needs approval."),
        ("alcohol", "Servering av alkohol krever godkjenning.", "Serving alcohol needs approval."),
        ("attendees", "Mer enn 100 deltakere krever godkjenning.", "More than 100 attendees need approval."),
    ]
