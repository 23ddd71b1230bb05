"""Reason codes as sentences for the club volunteer who applied, in Norwegian bokmål
and English. The sentences name tiers and wish ranks, never another club."""

from __future__ import annotations

from allocation.model import Reason
from allocation.rules import PriorityRules, Tier

LANGUAGES = ("nb", "en")

_SENTENCES: dict[str, dict[str, str]] = {
    "granted_first_wish": {
        "nb": "Dere fikk tiden dere ønsket dere mest ({rank}).",
        "en": "You were given the time you wanted most ({rank}).",
    },
    "granted_other_wish": {
        "nb": "Dere fikk {rank}.",
        "en": "You were given your {rank}.",
    },
    "continuity": {
        "nb": "Dere beholder tiden dere hadde forrige sesong.",
        "en": "You keep the time you had last season.",
    },
    # Said both of a time staff fixed for you and of a wish a fixed time took: one
    # sentence that is true for both.
    "pinned_by_staff": {
        "nb": "Kommunens saksbehandler har bestemt hvem som får denne tiden.",
        "en": "The municipality's staff decided who gets this time.",
    },
    "moved_by_staff": {
        "nb": "Kommunens saksbehandler har gitt dere en annen tid enn dere ønsket, for å finne plass til dere.",
        "en": "The municipality's staff gave you a different time from the ones you asked for, to find room for you.",
    },
    "premises_not_in_round": {
        "nb": "Lokalet er ikke med i denne fordelingen.",
        "en": "These premises are not part of this allocation round.",
    },
    "no_seasonal_hours": {
        "nb": "Lokalet kan ikke leies for sesongen på dette tidspunktet: tiden er utenfor sesongtidene, "
        "eller den starter eller slutter utenom lokalets faste tidspunkter.",
        "en": "The premises cannot be let for the season at this time: it is outside the seasonal hours, "
        "or it starts or ends off the premises' time grid.",
    },
    "core_time_rule": {
        "nb": "Aktiviteter for denne aldersgruppen skal være ferdige senest kl. {core_time_end}.",
        "en": "Activities for this age group must end by {core_time_end}.",
    },
    "fair_share_reached": {
        "nb": "Med denne tiden ville gruppen fått mer tid i uka enn dere søkte om.",
        "en": "With this time the group would have more time each week than you applied for.",
    },
    "overlaps_own_allocation": {
        "nb": "Gruppen har allerede fått en tid som overlapper denne.",
        "en": "The group already has a time that overlaps this one.",
    },
    "lower_tier": {
        "nb": "Tiden gikk til en gruppe med høyere prioritet: {tier}.",
        "en": "The time went to a group with higher priority: {tier}.",
    },
    "hall_sport_first": {
        "nb": "I idrettshaller går hallidretter foran andre aktiviteter med samme prioritet.",
        "en": "In sports halls, hall sports come before other activities with the same priority.",
    },
    "same_tier_priority": {
        "nb": "Tiden gikk til en annen gruppe med samme prioritet, slik at flest mulig får tid.",
        "en": "The time went to another group with the same priority, so that as many as possible get time.",
    },
    "not_chosen": {
        "nb": "Vi kunne ikke gi dere denne tiden i denne fordelingen.",
        "en": "We could not give you this time in this allocation.",
    },
}

_UNNAMED_HIGHER_TIER = {
    "nb": "Tiden gikk til en gruppe med høyere prioritet.",
    "en": "The time went to a group with higher priority.",
}
REASON_CODES = tuple(_SENTENCES)


def explain(reason: Reason, rules: PriorityRules, language: str = "nb") -> str:
    """The sentence for a reason, in "nb" or "en"."""
    if language not in LANGUAGES:
        raise ValueError(f"no sentences in {language!r}; choose one of {LANGUAGES}")
    if reason.code not in _SENTENCES:
        raise ValueError(f"unknown reason code {reason.code!r}")
    tier = _tier(reason.tier, rules)
    if reason.code == "lower_tier" and tier is None:  # e.g. a tier renamed in a later rule set
        return _UNNAMED_HIGHER_TIER[language]
    return _SENTENCES[reason.code][language].format(
        rank=wish_rank(reason.rank or 0, language),
        tier=tier and (tier.name_nb if language == "nb" else tier.name_en),
        core_time_end=rules.core_time_end,
    )


def wish_rank(rank: int, language: str = "nb") -> str:
    """A 0-based rank as people say it: "1. ønske", "2nd wish"."""
    place = rank + 1
    if language == "nb":
        return f"{place}. ønske"
    suffix = "th" if 10 <= place % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"{place}{suffix} wish"


def _tier(key: str | None, rules: PriorityRules) -> Tier | None:
    return next((tier for tier in rules.tiers if tier.key == key), None)
