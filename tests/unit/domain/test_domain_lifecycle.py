"""The booking state machine: the listed transitions and nothing else."""

from __future__ import annotations

from itertools import product

import pytest

from booking.domain.errors import DomainError, InvalidTransition
from booking.domain.lifecycle import (
    DECISION_TRANSITIONS,
    LATE_PAYMENT_TRANSITIONS,
    SLOT_HOLDING,
    STATUS_NAMES_NB,
    TRANSITIONS,
    Status,
    decision_transition,
    initial_status,
    late_payment_transition,
    transition,
)

H, RQ, C, RJ, X, E = (
    Status.HELD,
    Status.REQUESTED,
    Status.CONFIRMED,
    Status.REJECTED,
    Status.CANCELLED,
    Status.EXPIRED,
)

# Spelled out here on purpose: a change to TRANSITIONS must be a change to this test too.
ALLOWED = {
    (H, RQ),
    (H, C),
    (H, X),
    (H, E),
    (RQ, C),
    (RQ, RJ),
    (RQ, X),
    (C, X),
}
FORBIDDEN = sorted(set(product(Status, Status)) - ALLOWED, key=lambda p: (p[0].value, p[1].value))


def test_transition_table_is_the_expected_one():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize("current, target", sorted(ALLOWED, key=lambda p: (p[0].value, p[1].value)))
def test_allowed_transitions(current, target):
    assert transition(current, target) is target


@pytest.mark.parametrize("current, target", FORBIDDEN)
def test_every_other_pair_is_an_invalid_transition(current, target):
    with pytest.raises(InvalidTransition) as caught:
        transition(current, target)
    error = caught.value
    assert isinstance(error, DomainError)
    assert error.code == "invalid_transition"
    assert error.status == 409
    assert error.details == {"current": current.value, "target": target.value}
    assert STATUS_NAMES_NB[current] in error.message_nb
    assert current.value in error.message_en and target.value in error.message_en


# Only a late payment, and only through its own function, brings an expired booking back.
LATE_ALLOWED = {(E, C), (E, RQ)}
LATE_FORBIDDEN = sorted(set(product(Status, Status)) - LATE_ALLOWED, key=lambda p: (p[0].value, p[1].value))


def test_late_payment_transitions_are_the_expected_ones():
    assert {(a, b) for a, targets in LATE_PAYMENT_TRANSITIONS.items() for b in targets} == LATE_ALLOWED


@pytest.mark.parametrize("current, target", sorted(LATE_ALLOWED, key=lambda p: (p[0].value, p[1].value)))
def test_a_late_payment_may_revive_an_expired_booking(current, target):
    assert late_payment_transition(current, target) is target


@pytest.mark.parametrize("current, target", sorted(LATE_ALLOWED, key=lambda p: (p[0].value, p[1].value)))
def test_the_ordinary_state_machine_never_revives_an_expired_booking(current, target):
    with pytest.raises(InvalidTransition) as caught:
        transition(current, target)
    assert caught.value.code == "invalid_transition"


@pytest.mark.parametrize("current, target", LATE_FORBIDDEN)
def test_a_late_payment_allows_nothing_else(current, target):
    with pytest.raises(InvalidTransition) as caught:
        late_payment_transition(current, target)
    assert caught.value.code == "invalid_transition"
    assert caught.value.details == {"current": current.value, "target": target.value}


# Staff decide requests, and only requests: a held booking waits for its payment.
DECISION_ALLOWED = {(RQ, C), (RQ, RJ)}
DECISION_FORBIDDEN = sorted(set(product(Status, Status)) - DECISION_ALLOWED, key=lambda p: (p[0].value, p[1].value))


def test_decision_transitions_are_the_expected_ones():
    assert {(a, b) for a, targets in DECISION_TRANSITIONS.items() for b in targets} == DECISION_ALLOWED
    assert all(transition(a, b) is b for a, b in DECISION_ALLOWED)  # each is an ordinary transition too


@pytest.mark.parametrize("current, target", DECISION_FORBIDDEN)
def test_staff_decide_nothing_but_a_request(current, target):
    with pytest.raises(InvalidTransition) as caught:
        decision_transition(current, target)
    assert caught.value.code == "invalid_transition" and caught.value.status == 409


def test_final_states_have_no_way_out():
    for final in (RJ, X, E):
        for target in Status:
            with pytest.raises(InvalidTransition):
                transition(final, target)


def test_no_state_moves_to_itself():
    for status in Status:
        with pytest.raises(InvalidTransition):
            transition(status, status)


@pytest.mark.parametrize(
    "needs_payment, needs_approval, expected",
    [(True, True, H), (True, False, H), (False, True, RQ), (False, False, C)],
)
def test_initial_status(needs_payment, needs_approval, expected):
    assert initial_status(needs_payment=needs_payment, needs_approval=needs_approval) is expected


def test_initial_status_takes_keywords_only():
    with pytest.raises(TypeError):
        initial_status(True, False)  # type: ignore[misc]


def test_slot_holding_states():
    assert SLOT_HOLDING == {H, RQ, C}
    # A state that holds a slot can always let it go.
    for status in SLOT_HOLDING:
        assert X in TRANSITIONS[status]


def test_every_status_has_a_norwegian_name_and_a_string_value():
    assert set(STATUS_NAMES_NB) == set(Status)
    assert Status("confirmed") is C
    assert C == "confirmed"
