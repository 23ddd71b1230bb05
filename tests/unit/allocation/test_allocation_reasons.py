"""Reason sentences for the volunteer who applied, in bokmål and English."""

from __future__ import annotations

import pytest
from rules_fixture import RULES

from allocation import REASON_CODES, Reason, city_round, explain, propose, wish_rank


@pytest.mark.parametrize(
    ("reason", "nb", "en"),
    [
        (
            Reason("lower_tier", tier="children_youth"),
            "Tiden gikk til en gruppe med høyere prioritet: Barn og unge.",
            "The time went to a group with higher priority: Children and youth.",
        ),
        (
            Reason("lower_tier", tier="retired_tier"),
            "Tiden gikk til en gruppe med høyere prioritet.",
            "The time went to a group with higher priority.",
        ),
        (
            Reason("granted_first_wish"),
            "Dere fikk tiden dere ønsket dere mest (1. ønske).",
            "You were given the time you wanted most (1st wish).",
        ),
        (Reason("granted_other_wish", rank=1), "Dere fikk 2. ønske.", "You were given your 2nd wish."),
        (
            Reason("core_time_rule"),
            "Aktiviteter for denne aldersgruppen skal være ferdige senest kl. 20:30.",
            "Activities for this age group must end by 20:30.",
        ),
    ],
)
def test_sentences_name_the_tier_the_rank_and_the_rule(reason, nb, en):
    assert explain(reason, RULES) == nb
    assert explain(reason, RULES, "en") == en


def test_every_code_reads_differently_in_each_language():
    for code in REASON_CODES:
        nb, en = (
            explain(Reason(code, tier="adults_local", rank=2), RULES, "nb"),
            explain(Reason(code, tier="adults_local", rank=2), RULES, "en"),
        )
        assert nb and en and nb != en and nb.endswith(".") and en.endswith("."), code
        assert "{" not in nb + en, code


@pytest.mark.parametrize(
    ("rank", "english"),
    [
        (0, "1st wish"),
        (1, "2nd wish"),
        (2, "3rd wish"),
        (3, "4th wish"),
        (10, "11th wish"),
        (11, "12th wish"),
        (21, "22nd wish"),
    ],
)
def test_wish_ranks_as_people_say_them(rank, english):
    assert wish_rank(rank, "en") == english
    assert wish_rank(rank) == f"{rank + 1}. ønske"


def test_sentences_for_a_whole_city_round_never_name_a_club():
    proposal = propose(city_round(seed=2, needs=80, premises=15), RULES)
    reasons = {r for a in proposal.allocations for r in a.reasons} | {r for u in proposal.unmet for r in u.reasons}
    assert {r.code for r in reasons} <= set(REASON_CODES)
    for reason in reasons:
        for language in ("nb", "en"):
            assert "org-" not in explain(reason, RULES, language)


def test_unknown_languages_and_codes_are_refused():
    with pytest.raises(ValueError):
        explain(Reason("not_chosen"), RULES, "sv")
    with pytest.raises(ValueError):
        explain(Reason("no_such_code"), RULES)
