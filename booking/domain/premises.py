"""What the engine knows about one premises, as plain values: its structural rules
(opening hours, season, granularity, durations, buffers) and the vocabularies for
kinds, equipment and universal design."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

from booking.domain.errors import DomainError
from common.localtime import DAY_MINUTES

KINDS = {"room": ("Rom", "Room"), "hall": ("Sal/hall", "Hall"), "outdoor_area": ("Uteområde", "Outdoor area")}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES_NB = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")

ACCESSIBILITY = {
    "step_free_access": ("Trinnfri adkomst", "Step-free access"),
    "lift": ("Heis", "Lift"),
    "accessible_toilet": ("Tilrettelagt toalett", "Accessible toilet"),
    "hearing_loop": ("Teleslynge", "Hearing loop"),
    "accessible_parking": ("HC-parkering", "Accessible parking"),
    "contrast_marking": ("Kontrastmarkering", "Contrast marking"),
    "tactile_guidance": ("Taktil ledelinje", "Tactile guidance"),
    "automatic_door": ("Automatisk dør", "Automatic door"),
}

EQUIPMENT = {
    "projector": ("Projektor", "Projector"),
    "screen": ("Skjerm", "Screen"),
    "whiteboard": ("Tavle", "Whiteboard"),
    "wifi": ("Trådløst nett", "Wi-Fi"),
    "sound_system": ("Lydanlegg", "Sound system"),
    "piano": ("Piano", "Piano"),
    "stage": ("Scene", "Stage"),
    "kitchen": ("Kjøkken", "Kitchen"),
    "tables_chairs": ("Bord og stoler", "Tables and chairs"),
    "changing_rooms": ("Garderober", "Changing rooms"),
    "showers": ("Dusjer", "Showers"),
    "floodlights": ("Flomlys", "Floodlights"),
    "goals": ("Mål", "Goals"),
    "lighting_rig": ("Lysrigg", "Lighting rig"),
    "dance_mirror": ("Speilvegg", "Dance mirror"),
    "power_outlets": ("Strømuttak", "Power outlets"),
    "water": ("Vann", "Water"),
    "toilets": ("Toaletter", "Toilets"),
}

SLOT_CHOICES = (15, 30, 60)


def _clock_minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    value = int(hours) * 60 + int(minutes)
    if not (0 <= int(minutes) < 60 and 0 <= value <= DAY_MINUTES):
        raise ValueError(text)
    return value


@dataclass(frozen=True)
class OpeningHours:
    """Per weekday (0 = Monday) the local windows as minutes since midnight;
    an end of 1440 is 24:00. A missing weekday is closed."""

    windows: Mapping[int, tuple[tuple[int, int], ...]]

    @classmethod
    def parse(cls, data: Mapping[str, list[str]]) -> "OpeningHours":
        """From {"mon": ["08:00-22:00"], ...}; refuses unknown days and bad windows."""
        windows: dict[int, tuple[tuple[int, int], ...]] = {}
        for key, ranges in data.items():
            if key not in WEEKDAYS:
                raise DomainError("invalid_opening_hours", f"Ukjent ukedag «{key}».", f"Unknown weekday {key!r}.")
            parsed = []
            for text in ranges:
                try:
                    opens, closes = (_clock_minutes(part.strip()) for part in text.split("-"))
                except ValueError:
                    raise DomainError(
                        "invalid_opening_hours",
                        f"Åpningstiden «{text}» må skrives som TT:MM-TT:MM.",
                        f"Opening window {text!r} must look like HH:MM-HH:MM.",
                    ) from None
                if closes <= opens:
                    raise DomainError(
                        "invalid_opening_hours",
                        f"Åpningstiden «{text}» slutter før den starter.",
                        f"Opening window {text!r} ends before it starts.",
                    )
                parsed.append((opens, closes))
            windows[WEEKDAYS.index(key)] = tuple(sorted(parsed))
        return cls(windows)

    def to_data(self) -> dict[str, list[str]]:
        def clock(m: int) -> str:
            return f"{m // 60:02d}:{m % 60:02d}"

        return {
            WEEKDAYS[day]: [f"{clock(a)}-{clock(b)}" for a, b in spans] for day, spans in sorted(self.windows.items())
        }


@dataclass(frozen=True)
class Season:
    """Inclusive local (month, day) bounds; may wrap the new year (a ski track)."""

    first: tuple[int, int]
    last: tuple[int, int]

    @classmethod
    def parse(cls, first: str, last: str) -> "Season":
        try:
            bounds = [tuple(int(p) for p in text.split("-")) for text in (first, last)]
            for month, day in bounds:
                date(2024, month, day)  # a leap year admits 02-29
        except ValueError:
            raise DomainError(
                "invalid_season",
                f"Sesongen {first}–{last} må skrives som MM-DD.",
                f"Season {first}-{last} must be MM-DD.",
            ) from None
        return cls(bounds[0], bounds[1])  # type: ignore[arg-type]

    def includes(self, day: date) -> bool:
        key = (day.month, day.day)
        if self.first <= self.last:
            return self.first <= key <= self.last
        return key >= self.first or key <= self.last


@dataclass(frozen=True)
class PremisesRules:
    """The structural rules the engine checks for every request."""

    slug: str
    name: str
    kind: str
    opening_hours: OpeningHours
    season: Season | None = None
    slot_minutes: int = 30
    min_minutes: int = 30
    max_minutes: int = 720
    buffer_before: int = 0
    buffer_after: int = 0
    closed_on_public_holidays: bool = False
    requires_approval: bool = False
    units: frozenset[int] = field(default_factory=frozenset)
