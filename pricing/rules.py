"""The rule set: tariff and lending criteria as immutable data.

A rule set is versioned; a confirmed booking keeps the quote it got, and new bookings are
priced by the version in force on their start date (`select_version`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from allocation.rules import PriorityRules
from common.localtime import OSLO

from .errors import PricingError
from .serialise import content_hash

UNITS = ("hour", "day")
DAY_KINDS = ("weekday", "weekend_holiday")
EXEMPTION_CONDITIONS = ("alcohol",)
ADD_ON_PER = ("booking",)
PAYMENT_METHODS = ("card", "invoice")  # in the order they are offered

# customer_group() derives exactly these keys, so every rule set must price them.
REQUIRED_GROUPS = ("barn_og_unge", "frivillig", "privat", "kommersiell", "kommunal")


@dataclass(frozen=True)
class TariffCategory:
    key: str
    name_nb: str
    name_en: str
    unit: str  # "hour" (pro rata to the minute) or "day" (each local calendar day started)
    rate: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class CustomerGroup:
    key: str
    name_nb: str
    name_en: str
    who_nb: str  # plural, for sentences: "Privatpersoner kan bestille ..."
    who_en: str
    factor: Decimal
    book_ahead_days: int
    max_upcoming_bookings: int | None = None  # None: no limit
    # How the group may pay (PAYMENT_METHODS); None in versions stored before the rule:
    # see pricing.payment_methods for what that means.
    payment_methods: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TimeBand:
    """A part of a local day of one kind. Bands of a kind cover 00:00-24:00 exactly once."""

    key: str
    name_nb: str
    name_en: str
    days: str  # one of DAY_KINDS
    start: str  # "HH:MM", local wall time
    end: str  # "HH:MM", "24:00" allowed
    surcharge: Decimal  # 0.25 means +25 %
    groups: tuple[str, ...]  # the surcharge applies to these groups only

    @property
    def start_minute(self) -> int:
        return minute_of_day(self.start)

    @property
    def end_minute(self) -> int:
        return minute_of_day(self.end)


@dataclass(frozen=True)
class AddOn:
    key: str
    name_nb: str
    name_en: str
    price: Decimal
    per: str  # "booking"
    categories: tuple[str, ...]
    attendees_over: int  # applies when more attendees than this are expected
    exempt_groups: tuple[str, ...]
    vat_rate: Decimal


@dataclass(frozen=True)
class Exemption:
    """Replaces a group's factor under a condition, e.g. no volunteer discount with alcohol."""

    key: str
    condition: str  # one of EXEMPTION_CONDITIONS
    groups: tuple[str, ...]
    factor: Decimal
    text_nb: str
    text_en: str


@dataclass(frozen=True)
class LendingCriteria:
    min_age: int
    min_notice_hours: int
    min_notice_hours_by_kind: Mapping[str, int]
    max_hours: int
    max_hours_by_category: Mapping[str, int]
    hold_minutes: int
    cancellation_free_hours: int
    cancellation_fee_share: Decimal
    approval_attendees_over: int
    approval_kinds: tuple[str, ...]
    approval_categories: tuple[str, ...]
    approval_for_alcohol: bool
    alcohol_forbidden_departments: tuple[str, ...]

    def min_notice_hours_for(self, premises_kind: str) -> int:
        return self.min_notice_hours_by_kind.get(premises_kind, self.min_notice_hours)

    def max_hours_for(self, tariff_category: str) -> int:
        return self.max_hours_by_category.get(tariff_category, self.max_hours)


@dataclass(frozen=True)
class RuleSet:
    version: str
    valid_from: date
    tariff: Mapping[str, TariffCategory]
    groups: Mapping[str, CustomerGroup]
    time_bands: Mapping[str, TimeBand]
    add_ons: Mapping[str, AddOn]
    exemptions: Mapping[str, Exemption]
    lending: LendingCriteria
    # The seasonal-allocation priority rules (`[allocation]`); None in versions stored before there were any.
    allocation: PriorityRules | None = None

    # Mappings are read-only views and cannot be hashed field by field; hash the content.
    def __hash__(self) -> int:
        return hash(content_hash(self))

    def bands_for(self, day_kind: str) -> list[TimeBand]:
        return sorted(
            (band for band in self.time_bands.values() if band.days == day_kind),
            key=lambda band: band.start_minute,
        )


def minute_of_day(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def local_date(moment: date) -> date:
    """The Oslo calendar date of an aware datetime; a plain date is returned as is."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise PricingError("naive_datetime", "Tidspunktet mangler tidssone.", "The time has no time zone.")
        return moment.astimezone(OSLO).date()
    return moment


def select_version(versions: list[RuleSet], on: date) -> RuleSet:
    """The version in force on `on` (a booking's local start date, or an aware datetime)."""
    day = local_date(on)
    in_force = [rule_set for rule_set in versions if rule_set.valid_from <= day]
    if not in_force:
        raise PricingError(
            "no_rule_set_in_force",
            f"Ingen priser og vilkår gjelder for {day.isoformat()}.",
            f"No prices and terms are in force on {day.isoformat()}.",
        )
    return max(in_force, key=lambda rule_set: rule_set.valid_from)
