"""The one quote function: what a booking costs, line by line, and why.

Each line names the rule places and the rule-set version that produced it, so a stored
snapshot can be explained long after the rules have changed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from common.localtime import holiday_name

from .bands import band_portions
from .errors import PricingError
from .facts import Booker, BookingDetails, PremisesFacts
from .groups import GroupDecision, decide_group
from .money import kr_en, kr_nb, number_en, number_nb, percent, round_kroner, tidy
from .rules import CustomerGroup, Exemption, RuleSet, TariffCategory, TimeBand

SECONDS_PER_MINUTE = 60
HUNDREDTHS = Decimal("0.01")


@dataclass(frozen=True)
class QuoteLine:
    code: str
    text_nb: str
    text_en: str
    quantity: Decimal
    unit: str  # "hour", "day" or "booking"
    rate: Decimal
    factor: Decimal
    amount: Decimal  # whole kroner, without VAT
    vat_rate: Decimal
    vat: Decimal
    rule: str  # rule places multiplied, e.g. "tariff.gymsal.rate × groups.frivillig.factor"
    rule_set_version: str


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    total: Decimal  # amounts plus VAT
    vat_total: Decimal
    customer_group: str
    group_rule: str
    rule_set_version: str
    explanation_nb: str
    explanation_en: str

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-able; Decimals as their exact strings so `from_snapshot` gives the same values."""
        snapshot = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "lines"}
        snapshot["lines"] = [asdict(line) for line in self.lines]
        return _decimals_to_text(snapshot)

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> Quote:
        lines = tuple(QuoteLine(**_line_values(line)) for line in snapshot["lines"])
        values = {k: v for k, v in snapshot.items() if k != "lines"}
        return cls(
            lines=lines,
            **{**values, "total": Decimal(values["total"]), "vat_total": Decimal(values["vat_total"])},
        )


_LINE_DECIMALS = ("quantity", "rate", "factor", "amount", "vat_rate", "vat")


def _line_values(line: dict[str, Any]) -> dict[str, Any]:
    """A stored quote line's fields, its amounts as Decimals again."""
    return {k: Decimal(v) if k in _LINE_DECIMALS else v for k, v in line.items()}


def _decimals_to_text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _decimals_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals_to_text(v) for v in value]
    return value


def quote(
    premises: PremisesFacts,
    start: datetime,
    end: datetime,
    booker: Booker,
    details: BookingDetails,
    rule_set: RuleSet,
    *,
    group: str | None = None,
) -> Quote:
    """Price [start, end) (aware datetimes) under `rule_set`.

    `group` replaces the derived customer group, to show "the price for group X" in search.
    """
    category = rule_set.tariff.get(premises.tariff_category)
    if category is None:
        raise PricingError(
            "unknown_tariff_category",
            f"Priser og vilkår {rule_set.version} har ingen pris for «{premises.tariff_category}».",
            f"Prices and terms {rule_set.version} have no rate for '{premises.tariff_category}'.",
        )
    decision = _group_decision(booker, details, rule_set, group)
    customer = rule_set.groups[decision.key]
    group_factor, factor_place = _group_factor(customer, details, rule_set)
    base = _base_rate(premises, category)

    rent = _rent_quantities(category, start, end, rule_set)
    lines = [
        _rent_line(category, base, customer, group_factor, factor_place, band, quantity, days, rule_set)
        for band, quantity, days in rent
    ]
    lines += _add_on_lines(premises, customer, details, rule_set)
    total = sum((line.amount + line.vat for line in lines), Decimal(0))
    vat_total = sum((line.vat for line in lines), Decimal(0))
    explanation_nb, explanation_en = _explain(
        category, base, customer, group_factor, decision, details, [band for band, _, _ in rent], total, rule_set
    )
    return Quote(
        lines=tuple(lines),
        total=total,
        vat_total=vat_total,
        customer_group=customer.key,
        group_rule=decision.rule_nb,
        rule_set_version=rule_set.version,
        explanation_nb=explanation_nb,
        explanation_en=explanation_en,
    )


@dataclass(frozen=True)
class _BaseRate:
    """The rate a rent line starts from: the category's, or a premises-level exception's."""

    rate: Decimal
    place: str
    premises_name: str = ""  # set when an exception replaces the category's rate

    @property
    def is_exception(self) -> bool:
        return bool(self.premises_name)


def _base_rate(premises: PremisesFacts, category: TariffCategory) -> _BaseRate:
    if premises.rate_override is None:
        return _BaseRate(category.rate, f"tariff.{category.key}.rate")
    if premises.rate_override < 0:
        raise PricingError(
            "negative_rate_override",
            f"Unntaksprisen for {premises.name} kan ikke være negativ.",
            f"The exception rate for {premises.name} cannot be negative.",
        )
    return _BaseRate(premises.rate_override, f"premises.{premises.slug}.rate_override", premises.name)


def _group_decision(booker: Booker, details: BookingDetails, rule_set: RuleSet, group: str | None) -> GroupDecision:
    if group is None:
        return decide_group(booker, details)
    if group not in rule_set.groups:
        raise PricingError("unknown_group", f"Ukjent kundegruppe «{group}».", f"Unknown customer group '{group}'.")
    name = rule_set.groups[group]
    return GroupDecision(
        group,
        f"Prisen er vist for kundegruppen {name.name_nb}.",
        f"The price is shown for the customer group {name.name_en}.",
    )


def _active_exemption(customer: CustomerGroup, details: BookingDetails, rule_set: RuleSet) -> Exemption | None:
    for exemption in rule_set.exemptions.values():
        condition_met = exemption.condition == "alcohol" and details.alcohol
        if customer.key in exemption.groups and condition_met:
            return exemption
    return None


def _group_factor(customer: CustomerGroup, details: BookingDetails, rule_set: RuleSet) -> tuple[Decimal, str]:
    """The group's factor, unless an exemption replaces it (e.g. alcohol ends the volunteer discount)."""
    exemption = _active_exemption(customer, details, rule_set)
    if exemption is not None:
        return exemption.factor, f"exemptions.{exemption.key}.factor"
    return customer.factor, f"groups.{customer.key}.factor"


def _rent_quantities(
    category: TariffCategory, start: datetime, end: datetime, rule_set: RuleSet
) -> list[tuple[TimeBand, int, list[date]]]:
    """(band, minutes or days, local days) per time band, in the order the booking meets them.

    Hours count every started minute. Days count every local calendar day started, priced
    in the band where the booking's part of that day begins.
    """
    bands: dict[str, TimeBand] = {}
    seconds: dict[str, int] = {}
    days_in_band: dict[str, list[date]] = {}
    band_of_day: dict[date, str] = {}
    for portion in band_portions(start, end, rule_set):
        key = portion.band.key
        bands.setdefault(key, portion.band)
        seconds[key] = seconds.get(key, 0) + portion.seconds
        if portion.day not in days_in_band.setdefault(key, []):
            days_in_band[key].append(portion.day)
        band_of_day.setdefault(portion.day, key)
    if category.unit == "day":
        days_by_band: dict[str, list[date]] = {}
        for day, key in band_of_day.items():
            days_by_band.setdefault(key, []).append(day)
        return [(bands[key], len(days), days) for key, days in days_by_band.items()]
    return [(bands[key], -(-total // SECONDS_PER_MINUTE), days_in_band[key]) for key, total in seconds.items()]


def _rent_line(
    category: TariffCategory,
    base: _BaseRate,
    customer: CustomerGroup,
    group_factor: Decimal,
    factor_place: str,
    band: TimeBand,
    quantity: int,
    days: list[date],
    rule_set: RuleSet,
) -> QuoteLine:
    places = [base.place, factor_place]
    factor = group_factor
    if band.surcharge and customer.key in band.groups:
        factor = group_factor * (1 + band.surcharge)
        places.append(f"time_bands.{band.key}.surcharge")
    if category.unit == "hour":
        # The amount comes from the exact minutes; the hours are only shown to two decimals.
        exact = base.rate * factor * quantity / 60
        shown_quantity = tidy((Decimal(quantity) / 60).quantize(HUNDREDTHS))
        length_nb, length_en = _minutes_text(quantity)
    else:
        exact = base.rate * factor * quantity
        shown_quantity = Decimal(quantity)
        length_nb = f"{quantity} {'dag' if quantity == 1 else 'dager'}"
        length_en = f"{quantity} {'day' if quantity == 1 else 'days'}"
    holiday_nb, holiday_en = (_holiday_note(days, language) for language in ("no", "en_US"))
    amount = round_kroner(exact)
    own_nb, own_en = (" (egen pris for lokalet)", " (premises' own rate)") if base.is_exception else ("", "")
    return QuoteLine(
        code=f"leie.{band.key}",
        text_nb=f"Leie {category.name_nb}{own_nb}, {band.name_nb.lower()}{holiday_nb}, {length_nb}",
        text_en=f"Rent {category.name_en}{own_en}, {band.name_en.lower()}{holiday_en}, {length_en}",
        quantity=shown_quantity,
        unit=category.unit,
        rate=base.rate,
        factor=tidy(factor),
        amount=amount,
        vat_rate=category.vat_rate,
        vat=round_kroner(amount * category.vat_rate),
        rule=" × ".join(places),
        rule_set_version=rule_set.version,
    )


def _holiday_note(days: list[date], language: str) -> str:
    names = [name for name in (holiday_name(day, language) for day in days) if name]
    return f" ({', '.join(dict.fromkeys(names))})" if names else ""


def _minutes_text(minutes: int) -> tuple[str, str]:
    """170 -> ("2 t 50 min", "2 h 50 min")."""
    hours, rest = divmod(minutes, 60)
    rest_text = f" {rest} min" if rest else ""
    if not hours:
        return rest_text.strip(), rest_text.strip()
    return f"{hours} t{rest_text}", f"{hours} h{rest_text}"


def _add_on_lines(
    premises: PremisesFacts, customer: CustomerGroup, details: BookingDetails, rule_set: RuleSet
) -> list[QuoteLine]:
    lines = []
    for add_on in rule_set.add_ons.values():
        applies = (
            premises.tariff_category in add_on.categories
            and details.attendees > add_on.attendees_over
            and customer.key not in add_on.exempt_groups
        )
        if applies:
            lines.append(
                QuoteLine(
                    code=f"tillegg.{add_on.key}",
                    text_nb=add_on.name_nb,
                    text_en=add_on.name_en,
                    quantity=Decimal(1),
                    unit=add_on.per,
                    rate=add_on.price,
                    factor=Decimal(1),
                    amount=round_kroner(add_on.price),
                    vat_rate=add_on.vat_rate,
                    vat=round_kroner(add_on.price * add_on.vat_rate),
                    rule=f"add_ons.{add_on.key}.price",
                    rule_set_version=rule_set.version,
                )
            )
    return lines


def _explain(
    category: TariffCategory,
    base: _BaseRate,
    customer: CustomerGroup,
    group_factor: Decimal,
    decision: GroupDecision,
    details: BookingDetails,
    bands_met: list[TimeBand],
    total: Decimal,
    rule_set: RuleSet,
) -> tuple[str, str]:
    unit_nb, unit_en = ("time", "hour") if category.unit == "hour" else ("påbegynt dag", "day started")
    nb = [f"{category.name_nb} koster {kr_nb(category.rate)} per {unit_nb}."]
    en = [f"{category.name_en} costs {kr_en(category.rate)} per {unit_en}."]
    if base.is_exception:
        nb.append(f"{base.premises_name} har et godkjent unntak fra prislisten: {kr_nb(base.rate)} per {unit_nb}.")
        en.append(f"{base.premises_name} has an approved exception to the tariff: {kr_en(base.rate)} per {unit_en}.")
    nb.append(f"Kundegruppe: {customer.name_nb} (faktor {number_nb(group_factor)}). {decision.rule_nb}")
    en.append(f"Customer group: {customer.name_en} (factor {number_en(group_factor)}). {decision.rule_en}")
    exemption = _active_exemption(customer, details, rule_set)
    if exemption is not None:
        nb.append(exemption.text_nb)
        en.append(exemption.text_en)
    for band in bands_met:
        if band.surcharge and customer.key in band.groups:
            nb.append(f"{band.name_nb}: tillegg {percent(band.surcharge)}.")
            en.append(f"{band.name_en}: surcharge {percent(band.surcharge)}.")
    nb.append(f"Totalt {kr_nb(total)}. Priser og vilkår versjon {rule_set.version}.")
    en.append(f"Total {kr_en(total)}. Prices and terms version {rule_set.version}.")
    return " ".join(nb), " ".join(en)
