"""What the pricing core needs to know about a booking, as plain values.

The booking engine builds these from its own records; pricing never sees the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

PREMISES_KINDS = ("room", "hall", "outdoor_area")
DEPARTMENT_KINDS = (
    "school",
    "culture",
    "sport",
    "property",
    "citizen_service",
    "volunteer_centre",
    "library",
)
TARGET_GROUPS = ("children_youth", "adults", "all")


@dataclass(frozen=True)
class PremisesFacts:
    slug: str
    name: str
    kind: str  # one of PREMISES_KINDS
    tariff_category: str
    department_kind: str  # one of DEPARTMENT_KINDS
    # An approved premises-level exception to the harmonised tariff replaces the
    # category's base rate (group factors and surcharges still apply).
    rate_override: Decimal | None = None


@dataclass(frozen=True)
class OrganisationFacts:
    name: str
    orgnr: str | None
    works_for_children_youth: bool
    commercial: bool
    municipal: bool
    orgnr_valid: bool = True


@dataclass(frozen=True)
class Booker:
    birth_date: date | None
    organisation: OrganisationFacts | None  # None: a private person or an informal group


@dataclass(frozen=True)
class BookingDetails:
    """What the booker says about the event: the one type for the rules, the engine and
    the forms (its field order is part of a weekly series' request digest)."""

    purpose: str = ""
    attendees: int = 1
    target_group: str = "all"  # one of TARGET_GROUPS
    alcohol: bool = False
