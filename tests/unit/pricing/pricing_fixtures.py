"""Facts the pricing tests share: local times, premises, bookers (a module, not conftest,
so tests can import it by a name no other test directory uses)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

from common.localtime import OSLO
from pricing import Booker, BookingDetails, OrganisationFacts, PremisesFacts

REPO = Path(__file__).resolve().parents[3]
DEFAULT_RULES = REPO / "seed_data" / "rules" / "default.toml"

# Where each default category typically lives; the price does not depend on it.
CATEGORY_PLACES = {
    "moterom": ("room", "citizen_service"),
    "klasserom": ("room", "school"),
    "spesialrom": ("room", "school"),
    "gymsal": ("hall", "school"),
    "idrettshall": ("hall", "sport"),
    "idrettshall_del": ("hall", "sport"),
    "kultursal": ("hall", "culture"),
    "uteomrade_bane": ("outdoor_area", "sport"),
    "uteomrade_arrangement": ("outdoor_area", "property"),
}


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local Oslo wall time as the aware UTC instant the booking engine passes in."""
    return datetime(year, month, day, hour, minute, tzinfo=OSLO).astimezone(UTC)


def premises_for(category: str, *, kind: str | None = None, department: str | None = None) -> PremisesFacts:
    default_kind, default_department = CATEGORY_PLACES.get(category, ("room", "property"))
    return PremisesFacts(
        slug=f"test-{category}",
        name=f"Test {category}",
        kind=kind or default_kind,
        tariff_category=category,
        department_kind=department or default_department,
    )


ADULT_BIRTH = date(1985, 6, 1)
PEOPLE = SimpleNamespace(
    person=Booker(ADULT_BIRTH, None),
    volunteer=Booker(ADULT_BIRTH, OrganisationFacts("Strømsø Sjakklubb", "971524960", False, False, False)),
    youth_club=Booker(ADULT_BIRTH, OrganisationFacts("Fjell Ungdomsklubb", "998877665", True, False, False)),
    commercial=Booker(ADULT_BIRTH, OrganisationFacts("Eventbyrået AS", "912345678", False, True, False)),
    municipal=Booker(ADULT_BIRTH, OrganisationFacts("Drammen kommune, Kulturskolen", "964883120", False, False, True)),
    no_orgnr=Booker(ADULT_BIRTH, OrganisationFacts("Nabolagsgruppa", None, False, False, False)),
)
ADULTS = BookingDetails(target_group="adults", attendees=20)
CHILDREN = BookingDetails(target_group="children_youth", attendees=20)
