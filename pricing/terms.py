"""The published "Priser og vilkår", computed from the rule set the engine enforces.

Every price in the document is the total of a real `quote` for a one-hour booking (one day
for day-priced categories) in a reference slot, so the page cannot drift from the engine.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from common.localtime import minute_instant, public_holidays

from .bands import day_kind, is_regular_day
from .facts import Booker, BookingDetails, PremisesFacts
from .groups import GROUP_CRITERIA
from .lending import (
    age_rule,
    alcohol_rule,
    approval_criteria,
    book_ahead_rule,
    cancellation_rule,
    duration_rule,
    hold_rule,
    notice_rule,
    payment_rule,
    quota_rule,
)
from .priorities import allocation_terms
from .quoting import quote
from .rules import RuleSet, TariffCategory, TimeBand
from .serialise import content_hash, rule_set_to_dict

UNIT_PRICE_DURATION = timedelta(hours=1)  # one hour, which is also one started day
_ANYONE = Booker(birth_date=None, organisation=None)  # the group is given, not derived


def reference_slot(rule_set: RuleSet, band: TimeBand) -> tuple[datetime, datetime]:
    """The first hour of `band` on the first ordinary (non-DST) day of its kind in force."""
    day = rule_set.valid_from
    while day_kind(day) != band.days or not is_regular_day(day):
        day += timedelta(days=1)
    start = minute_instant(day, band.start_minute)
    return start, start + UNIT_PRICE_DURATION


def unit_price(
    rule_set: RuleSet,
    category: TariffCategory,
    group: str,
    band: TimeBand,
    *,
    alcohol: bool = False,
    premises: PremisesFacts | None = None,
) -> Decimal:
    """What `quote` charges `group` for one unit of `category` in `band` (of one premises,
    with its tariff exception, when given)."""
    premises = premises or PremisesFacts(
        slug=f"prisliste-{category.key}",
        name=category.name_nb,
        kind="room",
        tariff_category=category.key,
        department_kind="property",
    )
    start, end = reference_slot(rule_set, band)
    details = BookingDetails(attendees=0, alcohol=alcohol)  # no attendee-driven add-ons
    return quote(premises, start, end, _ANYONE, details, rule_set, group=group).total


def _price_table(
    rule_set: RuleSet, category: TariffCategory, groups: Iterable[str], *, alcohol: bool = False
) -> dict[str, dict[str, str]]:
    """{group: {band: price per unit}}, each price a real quote."""
    bands = rule_set.time_bands.values()
    return {
        group: {band.key: str(unit_price(rule_set, category, group, band, alcohol=alcohol)) for band in bands}
        for group in groups
    }


def premises_prices(rule_set: RuleSet, premises: PremisesFacts) -> dict[str, dict[str, str]]:
    """{group: {band: price per unit}} for one premises, each price a real quote, so a
    premises with a tariff exception shows what it actually charges."""
    category = rule_set.tariff[premises.tariff_category]
    return {
        group: {
            band.key: str(unit_price(rule_set, category, group, band, premises=premises))
            for band in rule_set.time_bands.values()
        }
        for group in rule_set.groups
    }


def terms_document(rule_set: RuleSet) -> dict[str, Any]:
    """JSON-able "Priser og vilkår" for the web page and the JSON endpoint.

    Pages render it on every request, so it is computed once per rule-set content; each
    caller gets its own copy to change as it likes.
    """
    return copy.deepcopy(_terms_document(rule_set))


@lru_cache(maxsize=16)  # keyed by RuleSet's content hash; a handful of versions are live
def _terms_document(rule_set: RuleSet) -> dict[str, Any]:
    plain = rule_set_to_dict(rule_set)
    lending = rule_set.lending
    rules: list[tuple[str, str]] = [age_rule(lending), notice_rule(lending)]
    rules += [notice_rule(lending, kind) for kind in lending.min_notice_hours_by_kind]
    rules += [duration_rule(rule_set)] + [duration_rule(rule_set, key) for key in lending.max_hours_by_category]
    rules += [book_ahead_rule(group) for group in rule_set.groups.values()]
    rules += [quota_rule(group) for group in rule_set.groups.values() if group.max_upcoming_bookings is not None]
    rules += [payment_rule(group) for group in rule_set.groups.values()]
    if lending.alcohol_forbidden_departments:
        rules.append(alcohol_rule(lending))
    rules += [cancellation_rule(lending), hold_rule(lending)]
    approvals = [(criterion.rule_nb, criterion.rule_en) for criterion in approval_criteria(rule_set)]
    holidays_nb = {day: name for year in _years(rule_set) for day, name in public_holidays(year)}
    holidays_en = {day: name for year in _years(rule_set) for day, name in public_holidays(year, "en_US")}
    return {
        "title_nb": "Priser og vilkår",
        "title_en": "Prices and terms",
        "version": rule_set.version,
        "valid_from": rule_set.valid_from.isoformat(),
        "content_hash": content_hash(rule_set),
        "currency": "NOK",
        "how_prices_are_computed_nb": [
            "Pris = grunnpris × gruppens faktor, med eventuelt tillegg for tidsbåndet.",
            "Timepris regnes forholdsmessig per påbegynte minutt.",
            "Dagspris gjelder per påbegynte kalenderdag, norsk tid.",
            "Lørdag, søndag og offentlige helligdager regnes som helg.",
            "Hver linje rundes til hele kroner. Prisene er uten merverdiavgift; satsen vises per linje.",
        ],
        "how_prices_are_computed_en": [
            "Price = base rate × the group's factor, plus any surcharge for the time band.",
            "Hourly rates are pro rata per started minute.",
            "Daily rates apply per local (Norwegian) calendar day started.",
            "Saturdays, Sundays and public holidays count as weekend.",
            "Each line is rounded to whole kroner. Prices exclude VAT; the rate is shown per line.",
        ],
        "groups": [{"key": key, **plain["groups"][key], **_criteria(key)} for key in rule_set.groups],
        "time_bands": [{"key": key, **plain["time_bands"][key]} for key in rule_set.time_bands],
        "tariff": [
            {"key": key, **plain["tariff"][key], "prices": _price_table(rule_set, category, rule_set.groups)}
            for key, category in rule_set.tariff.items()
        ],
        "add_ons": [{"key": key, **plain["add_ons"][key]} for key in rule_set.add_ons],
        "exemptions": [
            {
                "key": key,
                **plain["exemptions"][key],
                "prices": {
                    category.key: _price_table(
                        rule_set, category, exemption.groups, alcohol=exemption.condition == "alcohol"
                    )
                    for category in rule_set.tariff.values()
                },
            }
            for key, exemption in rule_set.exemptions.items()
        ],
        "lending": {
            **plain["lending"],
            "rules_nb": [nb for nb, _ in rules],
            "rules_en": [en for _, en in rules],
            "approval_nb": [nb for nb, _ in approvals],
            "approval_en": [en for _, en in approvals],
        },
        "public_holidays": [
            {"date": day.isoformat(), "name_nb": name, "name_en": holidays_en.get(day, name)}
            for day, name in sorted(holidays_nb.items())
        ],
        # "Slik fordeler vi tid": the seasonal-allocation priority rules; None in older versions.
        "allocation": allocation_terms(rule_set.allocation, plain.get("allocation")),
    }


def _criteria(group: str) -> dict[str, str]:
    # A group added by staff has no derivation rule in code, so it has no criteria to show.
    nb, en = GROUP_CRITERIA.get(group, ("", ""))
    return {"criteria_nb": nb, "criteria_en": en}


def _years(rule_set: RuleSet) -> tuple[int, int]:
    # A version usually stays in force into the next year; list both so weekends are clear.
    return rule_set.valid_from.year, rule_set.valid_from.year + 1
