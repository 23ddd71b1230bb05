"""The seasonal-allocation priority rules (`[allocation]`) in words, in both languages.

"Slik fordeler vi tid" and the rule-set diff both say the rules with these sentences,
built from the same `PriorityRules` the solver applies, so what is published is what
is enforced.
"""

from __future__ import annotations

from typing import Any

from allocation.rules import PriorityRules, Tier, TierCondition

from .lending import Sentence

AGE_GROUP_NAMES = {
    "under_13": ("barn under 13 år", "children under 13"),
    "13_19": ("ungdom 13–19 år", "young people aged 13–19"),
    "adults": ("voksne", "adults"),
    "seniors": ("seniorer", "seniors"),
    "mixed": ("blandede aldersgrupper", "mixed age groups"),
}
# What each condition of a tier says when it must hold (True) and when it must not (False).
CONDITION_WORDS = {
    "disability": {
        True: ("aktiviteten er for personer med funksjonsnedsettelse", "the activity is for people with disabilities"),
        False: (
            "aktiviteten er ikke særskilt for personer med funksjonsnedsettelse",
            "the activity is not specifically for people with disabilities",
        ),
    },
    "hall_sport": {
        True: ("aktiviteten er hallidrett", "the activity is a hall sport"),
        False: ("aktiviteten er ikke hallidrett", "the activity is not a hall sport"),
    },
    "based_in_municipality": {
        True: ("organisasjonen hører hjemme i kommunen", "the organisation is based in the municipality"),
        False: ("organisasjonen hører ikke hjemme i kommunen", "the organisation is not based in the municipality"),
    },
}


def _listing(items: list[str], conjunction: str) -> str:
    """ "a, b og c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _both(sentences: list[Sentence], conjunction: Sentence) -> Sentence:
    nb, en = conjunction
    return _listing([s_nb for s_nb, _ in sentences], nb), _listing([s_en for _, s_en in sentences], en)


def age_groups_words(age_groups: tuple[str, ...]) -> Sentence:
    return _both([AGE_GROUP_NAMES[group] for group in age_groups], ("eller", "or"))


def condition_words(condition: TierCondition) -> Sentence:
    """All that must hold, e.g. "aldersgruppen er barn under 13 år og organisasjonen hører hjemme i kommunen"."""
    parts = []
    if condition.age_groups is not None:
        nb, en = age_groups_words(condition.age_groups)
        parts.append((f"aldersgruppen er {nb}", f"the age group is {en}"))
    for field, words in CONDITION_WORDS.items():
        wanted = getattr(condition, field)
        if wanted is not None:
            parts.append(words[wanted])
    return _both(parts, ("og", "and"))


def tier_rule(tier: Tier, *, first: bool = False) -> Sentence:
    """What puts a need in this tier (a need goes to the first tier that takes it)."""
    if not tier.match_any:
        return ("Alle behov.", "Every need.") if first else ("Alle andre behov.", "Every other need.")
    conditions = [condition_words(condition) for condition in tier.match_any]
    return (
        "Behov der " + ", eller der ".join(nb for nb, _ in conditions) + ".",
        "Needs where " + ", or where ".join(en for _, en in conditions) + ".",
    )


def tier_order_rule(rules: PriorityRules) -> Sentence:
    names = [(f"{n}. {tier.name_nb}", f"{n}. {tier.name_en}") for n, tier in enumerate(rules.tiers, 1)]
    return (
        "Prioritetsgruppene, høyest først: " + "; ".join(nb for nb, _ in names) + ".",
        "The priority tiers, highest first: " + "; ".join(en for _, en in names) + ".",
    )


def hall_sport_rule(rules: PriorityRules) -> Sentence:
    if rules.hall_sport_first:
        return (
            "I haller går hallidrett foran annen aktivitet i samme prioritetsgruppe.",
            "In halls, hall sports come before other activities in the same priority tier.",
        )
    return (
        "I haller går ikke hallidrett foran annen aktivitet i samme prioritetsgruppe.",
        "In halls, hall sports do not come before other activities in the same priority tier.",
    )


def core_time_rule(rules: PriorityRules) -> Sentence:
    nb, en = age_groups_words(rules.core_time_age_groups)
    return (
        f"Kjernetid: tid for {nb} slutter senest kl. {rules.core_time_end}.",
        f"Core time: time for {en} ends by {rules.core_time_end}.",
    )


def continuity_rule(rules: PriorityRules) -> Sentence:
    weight = rules.continuity_weight
    if not weight:
        return ("Hvem som hadde tiden forrige sesong, teller ikke.", "Who had a time last season does not count.")
    return (
        f"Et lag som hadde samme tid forrige sesong, får beholde den når det går (vekt {weight}).",
        f"A club that had the same time last season keeps it where possible (weight {weight}).",
    )


def participants_rule(rules: PriorityRules) -> Sentence:
    weight = rules.participants_weight
    if not weight:
        return ("Antall deltakere teller ikke.", "The number of participants does not count.")
    return (
        f"Tiden deles i forhold til antall aktive deltakere (vekt {weight}).",
        f"Time is shared in proportion to the number of active participants (weight {weight}).",
    )


def _lower_first(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]


def _ordinal_en(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def wish_ranks(rules: PriorityRules) -> list[dict[str, Any]]:
    """[{"rank_nb": "1. ønske", "rank_en": "1st wish", "weight": 100}, …]; the last row
    also counts for every later wish."""
    weights = rules.wish_rank_weights
    rows = []
    for n, weight in enumerate(weights, 1):
        later = n == len(weights)
        rows.append(
            {
                "rank_nb": f"{n}. ønske" + (" og senere" if later else ""),
                "rank_en": f"{_ordinal_en(n)} wish" + (" and later" if later else ""),
                "weight": weight,
            }
        )
    return rows


def wish_rule(rules: PriorityRules) -> Sentence:
    if len(rules.wish_rank_weights) == 1:
        weight = rules.wish_rank_weights[0]
        return f"Alle ønsker teller likt ({weight}).", f"Every wish counts the same ({weight})."
    rows = wish_ranks(rules)
    return (
        "Et ønske teller etter plassen det har i søknaden: "
        + ", ".join(f"{row['rank_nb']} {row['weight']}" for row in rows)
        + ".",
        "A wish counts by its place in the application: "
        + ", ".join(f"{row['rank_en']} {row['weight']}" for row in rows)
        + ".",
    )


def not_used_rule(rules: PriorityRules) -> Sentence:
    limit = rules.not_used_limit
    times_nb, times_en = ("1 gang", "once") if limit == 1 else (f"{limit} ganger", f"{limit} times")
    return (
        f"Blir tildelt tid meldt som ikke brukt {times_nb} i en sesong, får kommunen beskjed.",
        f"When allocated time is reported as not used {times_en} in a season, the municipality is told.",
    )


def allocation_rules(rules: PriorityRules) -> list[Sentence]:
    """The rules besides the tiers and the wish ranks, in the order the page gives them."""
    return [
        hall_sport_rule(rules),
        core_time_rule(rules),
        continuity_rule(rules),
        participants_rule(rules),
        not_used_rule(rules),
    ]


# The sentence that states the rule at each place of `[allocation]` (the diff quotes it).
RULE_AT = {
    "tiers": tier_order_rule,
    "core_time_end": core_time_rule,
    "core_time_age_groups": core_time_rule,
    "hall_sport_first": hall_sport_rule,
    "continuity_weight": continuity_rule,
    "participants_weight": participants_rule,
    "wish_rank_weights": wish_rule,
    "not_used_limit": not_used_rule,
}


def rule_at(rules: PriorityRules, place: str) -> Sentence | None:
    """The rule a place of the diff is about (`allocation.core_time_end`, `allocation.tiers.others.name_nb`)."""
    _, _, field = place.partition(".")
    if field in RULE_AT:
        return RULE_AT[field](rules)
    tier_key = field.split(".")[1] if field.startswith("tiers.") else None
    for index, tier in enumerate(rules.tiers):
        if tier.key == tier_key:
            nb, en = tier_rule(tier, first=index == 0)
            return f"{tier.name_nb}: {_lower_first(nb)}", f"{tier.name_en}: {_lower_first(en)}"
    return None


def allocation_terms(rules: PriorityRules | None, plain: dict[str, Any] | None) -> dict[str, Any] | None:
    """The "Slik fordeler vi tid" part of the terms document (JSON-able), None without rules."""
    if rules is None or plain is None:
        return None
    sentences = allocation_rules(rules)
    return {
        **plain,
        "tiers": [
            {**plain_tier, "rank": n, **dict(zip(("who_nb", "who_en"), tier_rule(tier, first=n == 1)))}
            for n, (tier, plain_tier) in enumerate(zip(rules.tiers, plain["tiers"]), 1)
        ],
        "rules_nb": [nb for nb, _ in sentences],
        "rules_en": [en for _, en in sentences],
        "wish_ranks": wish_ranks(rules),
    }
