"""What the allocation core takes and gives: plain values, no database.

Times are local wall-clock minutes of the day (Europe/Oslo), weekdays 0 = Monday; a
weekly slot is the same wall time every week of the season, and the booking engine
resolves each date to UTC when the allocation is published.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Slot:
    premises: str  # slug
    weekday: int  # 0 = Monday
    start: int  # minute of the local day
    end: int

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class RoundPremises:
    """A premises in the round: its atomic units (a whole divisible hall has both halves'
    units, a half its own), its seasonal hours, grid, buffers and district."""

    slug: str
    units: frozenset[str]
    seasonal_hours: dict[int, tuple[tuple[int, int], ...]]  # weekday -> ((start, end), …) minutes
    slot_minutes: int = 30
    buffer_before: int = 0
    buffer_after: int = 0
    is_hall: bool = True
    district: str = ""


@dataclass(frozen=True)
class Need:
    """One team or group of an application, with its ranked wishes (best first)."""

    application_id: int
    index: int  # 0-based place in the application
    organisation: str  # who applies (an id as text); fairness counts applicants by it
    activity: str
    hall_sport: bool
    age_group: str  # one of allocation.rules.AGE_GROUPS
    disability: bool
    participants: int
    minutes_per_week: int
    wishes: tuple[Slot, ...]
    based_in_municipality: bool = True


@dataclass(frozen=True)
class Pin:
    """An allocation staff fixed (perhaps moved off the wishes): kept as it is."""

    application_id: int
    need: int
    slot: Slot


@dataclass(frozen=True)
class Round:
    premises: tuple[RoundPremises, ...]
    needs: tuple[Need, ...]
    pins: tuple[Pin, ...] = ()
    previous: frozenset[tuple[str, Slot]] = frozenset()  # (organisation, slot) held last season


@dataclass(frozen=True)
class Reason:
    """A reason code, with what the sentence names (e.g. the tier that took the time)."""

    code: str
    tier: str | None = None  # a tier key
    rank: int | None = None  # 0-based wish rank


@dataclass(frozen=True)
class Allocation:
    application_id: int
    need: int
    slot: Slot
    wish: int | None  # 0-based wish index; None for a staff-moved pin off the wishes
    tier: str
    reasons: tuple[Reason, ...]
    pinned: bool = False


@dataclass(frozen=True)
class Unmet:
    """A wish that was not granted, with why."""

    application_id: int
    need: int
    wish: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Proposal:
    allocations: tuple[Allocation, ...]
    unmet: tuple[Unmet, ...]
    summary: dict = field(default_factory=dict)
