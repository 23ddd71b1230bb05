"""Read a rule set from TOML or a dict, refusing anything that could not be enforced.

One validator serves both the seed file and a draft edited by staff, and each refusal
names the place (`tariff.gymsal.rate`) so the editor can point at the field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from allocation.rules import AGE_GROUPS, PriorityRules, Tier, TierCondition

from .errors import RuleSetError
from .facts import DEPARTMENT_KINDS, PREMISES_KINDS
from .rules import (
    ADD_ON_PER,
    DAY_KINDS,
    EXEMPTION_CONDITIONS,
    PAYMENT_METHODS,
    REQUIRED_GROUPS,
    UNITS,
    AddOn,
    CustomerGroup,
    Exemption,
    LendingCriteria,
    RuleSet,
    TariffCategory,
    TimeBand,
    minute_of_day,
)
from .table_reader import TableReader, rule_error

_HHMM = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


def parse_rule_set(text: str, categories_in_use: Iterable[str] | None = None) -> RuleSet:
    """Parse and validate a rule set's TOML text. Only text: whoever has a file reads it
    (the CLI, the default rule set), so no string is ever taken for a file name."""
    try:
        data = tomllib.loads(text, parse_float=Decimal)  # money never passes through float
    except tomllib.TOMLDecodeError as error:
        raise RuleSetError(
            "malformed_toml", f"Regelsettet er ikke gyldig TOML: {error}", "", message_en=f"Not valid TOML: {error}"
        ) from error
    return rule_set_from_dict(data, categories_in_use)


def rule_set_from_dict(data: Mapping[str, Any], categories_in_use: Iterable[str] | None = None) -> RuleSet:
    """Build a RuleSet from `rule_set_to_dict` output or parsed TOML, validating everything."""
    root = TableReader(data, "")
    valid_from = root.date("valid_from")
    rule_set = RuleSet(
        version=root.text("version", default=valid_from.isoformat()),
        valid_from=valid_from,
        tariff=root.table("tariff").entries(_tariff_category),
        groups=root.table("groups").entries(_customer_group),
        time_bands=root.table("time_bands").entries(_time_band),
        add_ons=root.table("add_ons", default={}).entries(_add_on),
        exemptions=root.table("exemptions", default={}).entries(_exemption),
        lending=_lending(root.table("lending")),
        allocation=root.optional("allocation", lambda key: _allocation(root.table(key))),
    )
    root.finish()
    _check_required_groups(rule_set)
    _check_references(rule_set)
    _check_time_bands(rule_set)
    for category in categories_in_use or ():
        if category not in rule_set.tariff:
            raise rule_error(
                "missing_rate",
                f"tariff.{category}.rate",
                f"Lokaler bruker takstkategorien «{category}», men den har ingen pris.",
                f"Premises use tariff category '{category}', but it has no rate.",
            )
    return rule_set


def _names(entry: TableReader) -> dict[str, str]:
    return {"name_nb": entry.text("name_nb"), "name_en": entry.text("name_en")}


def _tariff_category(key: str, entry: TableReader) -> TariffCategory:
    return TariffCategory(
        key=key,
        **_names(entry),
        unit=entry.choice("unit", UNITS),
        rate=entry.money("rate", missing_code="missing_rate"),
        vat_rate=entry.share("vat_rate", default=Decimal(0)),
    )


def _customer_group(key: str, entry: TableReader) -> CustomerGroup:
    upcoming = entry.raw("max_upcoming_bookings", default=None)
    return CustomerGroup(
        key=key,
        **_names(entry),
        who_nb=entry.text("who_nb"),
        who_en=entry.text("who_en"),
        factor=entry.factor("factor"),
        book_ahead_days=entry.integer("book_ahead_days"),
        max_upcoming_bookings=None if upcoming is None else entry.integer("max_upcoming_bookings"),
        payment_methods=entry.optional("payment_methods", lambda name: _payment_methods(entry, name)),
    )


def _payment_methods(entry: TableReader, key: str) -> tuple[str, ...]:
    methods = entry.keys(key)
    unknown = [m for m in methods if m not in PAYMENT_METHODS]
    if unknown or len(set(methods)) != len(methods):
        raise rule_error(
            "invalid_value",
            entry.at(key),
            f"Betalingsmåter skal være en liste uten gjentakelser av: {', '.join(PAYMENT_METHODS)}.",
            f"Payment methods must be a list without repeats of: {', '.join(PAYMENT_METHODS)}.",
        )
    return methods


def _clock_time(entry: TableReader, key: str, *, is_end: bool) -> str:
    """Local wall time "HH:MM"; "24:00" only as the end of something."""
    value = entry.text(key)
    match = _HHMM.match(value)
    if not match or (match.group(1) == "24" and (not is_end or match.group(2) != "00")):
        raise rule_error(
            "invalid_value",
            entry.at(key),
            "Skal være et klokkeslett TT:MM (24:00 bare som slutt).",
            "Must be a time HH:MM (24:00 only as end).",
        )
    return value


def _time_band(key: str, entry: TableReader) -> TimeBand:
    band = TimeBand(
        key=key,
        **_names(entry),
        days=entry.choice("days", DAY_KINDS),
        start=_clock_time(entry, "start", is_end=False),
        end=_clock_time(entry, "end", is_end=True),
        surcharge=entry.factor("surcharge", default=Decimal(0)),
        groups=entry.keys("groups", default=()),
    )
    if band.start_minute >= band.end_minute:
        raise rule_error("invalid_value", entry.at("end"), "Slutt må være etter start.", "End must be after start.")
    if band.end_minute - band.start_minute < 60:
        # The published terms show a price per hour for each band; a shorter band has none.
        raise rule_error(
            "time_band_too_short",
            entry.at("end"),
            "Et tidsbånd må vare minst én time.",
            "A time band must last at least one hour.",
        )
    return band


def _add_on(key: str, entry: TableReader) -> AddOn:
    return AddOn(
        key=key,
        **_names(entry),
        price=entry.money("price"),
        per=entry.choice("per", ADD_ON_PER, default="booking"),
        categories=entry.keys("categories"),
        attendees_over=entry.integer("attendees_over", default=0),
        exempt_groups=entry.keys("exempt_groups", default=()),
        vat_rate=entry.share("vat_rate", default=Decimal(0)),
    )


def _exemption(key: str, entry: TableReader) -> Exemption:
    return Exemption(
        key=key,
        condition=entry.choice("condition", EXEMPTION_CONDITIONS),
        groups=entry.keys("groups"),
        factor=entry.factor("factor"),
        text_nb=entry.text("text_nb"),
        text_en=entry.text("text_en"),
    )


def _lending(entry: TableReader) -> LendingCriteria:
    criteria = LendingCriteria(
        min_age=entry.integer("min_age"),
        min_notice_hours=entry.integer("min_notice_hours"),
        min_notice_hours_by_kind=entry.int_map("min_notice_hours_by_kind"),
        max_hours=entry.integer("max_hours"),
        max_hours_by_category=entry.int_map("max_hours_by_category"),
        hold_minutes=entry.integer("hold_minutes"),
        cancellation_free_hours=entry.integer("cancellation_free_hours"),
        cancellation_fee_share=entry.share("cancellation_fee_share"),
        approval_attendees_over=entry.integer("approval_attendees_over"),
        approval_kinds=entry.keys("approval_kinds", default=()),
        approval_categories=entry.keys("approval_categories", default=()),
        approval_for_alcohol=entry.boolean("approval_for_alcohol", default=False),
        alcohol_forbidden_departments=entry.keys("alcohol_forbidden_departments", default=()),
    )
    entry.finish()
    return criteria


def _allocation(entry: TableReader) -> PriorityRules:
    rules = PriorityRules(
        tiers=entry.array("tiers", _tier),
        core_time_end=_clock_time(entry, "core_time_end", is_end=True),
        core_time_age_groups=_age_groups(entry, "core_time_age_groups"),
        hall_sport_first=entry.boolean("hall_sport_first"),
        continuity_weight=entry.integer("continuity_weight"),
        participants_weight=entry.integer("participants_weight"),
        wish_rank_weights=entry.integers("wish_rank_weights"),
        not_used_limit=entry.integer("not_used_limit"),
    )
    entry.finish()
    _check_tiers(rules.tiers, entry.at("tiers"))
    _check_wish_rank_weights(rules.wish_rank_weights, entry.at("wish_rank_weights"))
    if rules.not_used_limit < 1:
        raise rule_error("invalid_value", entry.at("not_used_limit"), "Skal være 1 eller mer.", "Must be 1 or more.")
    return rules


def _tier(entry: TableReader) -> Tier:
    return Tier(key=entry.name("key"), **_names(entry), match_any=entry.array("match_any", _tier_condition, default=()))


def _tier_condition(entry: TableReader) -> TierCondition:
    condition = TierCondition(
        age_groups=entry.optional("age_groups", lambda key: _age_groups(entry, key)),
        disability=entry.optional("disability", entry.boolean),
        hall_sport=entry.optional("hall_sport", entry.boolean),
        based_in_municipality=entry.optional("based_in_municipality", entry.boolean),
    )
    entry.finish()  # a misspelt condition is a typo, not a condition that takes everyone
    if condition == TierCondition():
        # It would hold for every need: that is what the last tier, without conditions, is for.
        raise rule_error(
            "empty_condition",
            entry.place,
            "Et vilkår må si noe om aldersgruppe, funksjonsnedsettelse, hallidrett eller hjemsted.",
            "A condition must say something about age group, disability, hall sport or home.",
        )
    return condition


def _age_groups(entry: TableReader, key: str) -> tuple[str, ...]:
    groups = entry.keys(key)
    if not groups:
        raise rule_error(
            "invalid_value", entry.at(key), "Skal ha minst én aldersgruppe.", "Must have at least one age group."
        )
    for group in groups:
        if group not in AGE_GROUPS:
            raise rule_error(
                "unknown_age_group",
                entry.at(key),
                f"Ukjent aldersgruppe «{group}»; velg blant {', '.join(AGE_GROUPS)}.",
                f"Unknown age group '{group}'; choose from {', '.join(AGE_GROUPS)}.",
            )
    return groups


def _check_tiers(tiers: tuple[Tier, ...], place: str) -> None:
    """A need belongs to the first tier that takes it, so only the last may take everyone, and must."""
    if not tiers:
        raise rule_error(
            "no_tiers", place, "Det må være minst én prioritetsgruppe.", "There must be at least one priority tier."
        )
    seen: set[str] = set()
    for index, tier in enumerate(tiers):
        at, last = f"{place}[{index}]", index == len(tiers) - 1
        if tier.key in seen:
            raise rule_error(
                "duplicate_tier",
                f"{at}.key",
                f"Prioritetsgruppen «{tier.key}» finnes allerede.",
                f"Priority tier '{tier.key}' is already there.",
            )
        seen.add(tier.key)
        if last and tier.match_any:
            raise rule_error(
                "last_tier_has_conditions",
                f"{at}.match_any",
                "Den siste gruppen tar alle behov som ikke hører til en gruppe før den, og kan ikke ha vilkår.",
                "The last tier takes every need no tier before it takes, so it cannot have conditions.",
            )
        if not last and not tier.match_any:
            raise rule_error(
                "tier_without_conditions",
                f"{at}.match_any",
                "Bare den siste gruppen kan være uten vilkår: gruppene etter denne ville aldri fått noen.",
                "Only the last tier can be without conditions: the tiers after this one would never get a need.",
            )


def _check_wish_rank_weights(weights: tuple[int, ...], place: str) -> None:
    if not weights:
        raise rule_error("invalid_value", place, "Skal ha minst én vekt.", "Must have at least one weight.")
    for index in range(1, len(weights)):
        if weights[index] > weights[index - 1]:
            raise rule_error(
                "wish_weight_increases",
                f"{place}[{index}]",
                f"Et senere ønske kan ikke telle mer enn ønsket før ({weights[index]} > {weights[index - 1]}).",
                f"A later wish cannot count more than the one before ({weights[index]} > {weights[index - 1]}).",
            )


def _check_required_groups(rule_set: RuleSet) -> None:
    for key in REQUIRED_GROUPS:
        if key not in rule_set.groups:
            raise rule_error(
                "missing_group",
                f"groups.{key}",
                f"Kundegruppen «{key}» mangler.",
                f"Customer group '{key}' is missing.",
            )


def _check_references(rule_set: RuleSet) -> None:
    """Every name a rule mentions must exist, or the rule would silently never apply."""
    groups = [(f"time_bands.{b.key}.groups", b.groups) for b in rule_set.time_bands.values()]
    groups += [(f"add_ons.{a.key}.exempt_groups", a.exempt_groups) for a in rule_set.add_ons.values()]
    groups += [(f"exemptions.{e.key}.groups", e.groups) for e in rule_set.exemptions.values()]
    lending = rule_set.lending
    categories = [(f"add_ons.{a.key}.categories", a.categories) for a in rule_set.add_ons.values()]
    categories += [("lending.approval_categories", lending.approval_categories)]
    categories += [("lending.max_hours_by_category", tuple(lending.max_hours_by_category))]
    kinds = [
        ("lending.approval_kinds", lending.approval_kinds),
        ("lending.min_notice_hours_by_kind", tuple(lending.min_notice_hours_by_kind)),
    ]
    checks = [
        ("unknown_group", "kundegruppe", "customer group", groups, rule_set.groups),
        ("unknown_category", "takstkategori", "tariff category", categories, rule_set.tariff),
        ("unknown_premises_kind", "lokaletype", "premises kind", kinds, PREMISES_KINDS),
        (
            "unknown_department",
            "virksomhetstype",
            "department kind",
            [("lending.alcohol_forbidden_departments", lending.alcohol_forbidden_departments)],
            DEPARTMENT_KINDS,
        ),
    ]
    for code, noun_nb, noun_en, references, known in checks:
        for place, names in references:
            for name in names:
                if name not in known:
                    raise rule_error(code, place, f"Ukjent {noun_nb} «{name}».", f"Unknown {noun_en} '{name}'.")


def _check_time_bands(rule_set: RuleSet) -> None:
    """Each kind of day must be covered 00:00-24:00 by exactly one band at every minute."""
    for day_kind in DAY_KINDS:
        bands = rule_set.bands_for(day_kind)
        if not bands:
            raise rule_error(
                "time_bands_gap",
                "time_bands",
                f"Ingen tidsbånd for {day_kind}.",
                f"No time band for {day_kind}.",
            )
        covered_until, previous = 0, None
        for band in bands:
            place = f"time_bands.{band.key}.start"
            if band.start_minute > covered_until:
                raise rule_error(
                    "time_bands_gap",
                    place,
                    f"Hull i tidsbåndene for {day_kind} før {band.start}.",
                    f"Gap in the {day_kind} time bands before {band.start}.",
                )
            if band.start_minute < covered_until:
                raise rule_error(
                    "time_bands_overlap",
                    place,
                    f"Tidsbåndet overlapper «{previous}» ({band.start}).",
                    f"The time band overlaps '{previous}' ({band.start}).",
                )
            covered_until, previous = band.end_minute, band.key
        if covered_until != minute_of_day("24:00"):
            raise rule_error(
                "time_bands_gap",
                f"time_bands.{bands[-1].key}.end",
                f"Tidsbåndene for {day_kind} slutter før 24:00.",
                f"The {day_kind} time bands end before 24:00.",
            )
