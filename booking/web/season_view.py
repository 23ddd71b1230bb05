"""What the staff season page shows, worked out from the round's rows: the week plan of
each premises (weekdays as columns, half-hours as rows), the allocations and unmet wishes
with their reasons as sentences in the reader's language, and the proposal's summary with
tier names. Presentation only: nothing here decides anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import allocation
from booking.db.models import Season, SeasonAllocation, SeasonApplication, SeasonPremises
from booking.domain.premises import WEEKDAY_NAMES_NB, WEEKDAYS, OpeningHours
from booking.services.season_proposal import clock, minute, reason_of
from booking.web.reports import hours_text, percent_text

ROW_MINUTES = 30


def premises_label(row_premises) -> str:
    """'Gymsal (Bragernes skole)': many buildings have a room of the same name."""
    return f"{row_premises.name} ({row_premises.building.name})"


@dataclass
class AllocationView:
    id: int
    organisation: str
    activity: str
    tier: str  # the tier's name in the reader's language
    premises: str  # slug
    premises_label: str
    weekday: int
    start: str
    end: str
    pinned: bool
    state: str
    wish: int | None
    reasons: list[str]
    rank: str = ""  # "2. ønske" / "2nd wish"; empty for a time staff chose off the wishes

    @property
    def start_minute(self) -> int:
        return minute(self.start)

    @property
    def end_minute(self) -> int:
        return minute(self.end)

    @property
    def weekday_key(self) -> str:
        return WEEKDAYS[self.weekday]

    @property
    def weekday_nb(self) -> str:
        return WEEKDAY_NAMES_NB[self.weekday]


@dataclass
class Cell:
    rowspan: int = 1
    allocations: list[AllocationView] = field(default_factory=list)
    seasonal: bool = True  # within the seasonal hours (an empty cell there is free time)


@dataclass
class WeekPlan:
    slug: str
    label: str
    days: list[int]  # weekday indexes, the columns
    rows: list[tuple[str, list[Cell | None]]]  # (time, a cell per day; None where a cell above spans it)


def tier_name(rules: allocation.PriorityRules | None, key: str, language: str) -> str:
    tier = next((t for t in rules.tiers if t.key == key), None) if rules else None
    if tier is None:
        return key
    return tier.name_en if language == "en" else tier.name_nb


def sentences(reasons: list[dict], rules: allocation.PriorityRules | None, language: str) -> list[str]:
    if rules is None:
        return [reason["code"] for reason in reasons]
    out = []
    for reason in reasons:
        try:
            out.append(allocation.explain(reason_of(reason), rules, language))
        except ValueError:  # a code this version does not know: say the code, not nothing
            out.append(reason["code"])
    return out


def allocation_views(rows: list[SeasonAllocation], rules, language: str) -> list[AllocationView]:
    return [
        AllocationView(
            id=row.id,
            organisation=row.application.organisation.name,
            activity=row.application.needs[row.need]["activity"],
            tier=tier_name(rules, row.tier, language),
            premises=row.premises.slug,
            premises_label=premises_label(row.premises),
            weekday=row.weekday,
            start=row.start_time,
            end=row.end_time,
            pinned=row.pinned,
            state=row.state,
            wish=row.wish,
            reasons=sentences(row.reasons or [], rules, language),
            rank=allocation.wish_rank(row.wish, language) if row.wish is not None else "",
        )
        for row in rows
    ]


def week_plans(round_premises: list[SeasonPremises], views: list[AllocationView]) -> list[WeekPlan]:
    plans = []
    for row in round_premises:
        hours = OpeningHours.parse(row.hours).windows
        days = sorted(day for day, windows in hours.items() if windows)
        mine = [v for v in views if v.premises == row.premises.slug]
        if not days:
            continue
        first = min(opens for day in days for opens, _ in hours[day]) // ROW_MINUTES * ROW_MINUTES
        last = max(closes for day in days for _, closes in hours[day])
        last = max([last, *(v.end_minute for v in mine)])
        first = min([first, *(v.start_minute // ROW_MINUTES * ROW_MINUTES for v in mine)])
        times = list(range(first, last, ROW_MINUTES))
        grid: list[list[Cell | None]] = [[None] * len(days) for _ in times]
        for column, day in enumerate(days):
            spans = _groups([v for v in mine if v.weekday == day], first, len(times))
            covered: set[int] = set()
            for top, bottom, group in spans:
                grid[top][column] = Cell(bottom - top, group)
                covered.update(range(top, bottom))
            for index, at in enumerate(times):
                if index not in covered:
                    inside = any(opens <= at and at + ROW_MINUTES <= closes for opens, closes in hours[day])
                    grid[index][column] = Cell(seasonal=inside)
        plans.append(
            WeekPlan(
                row.premises.slug,
                premises_label(row.premises),
                days,
                [(clock(at), cells) for at, cells in zip(times, grid)],
            )
        )
    return plans


def _groups(views: list[AllocationView], first: int, count: int) -> list[tuple[int, int, list[AllocationView]]]:
    """Allocations of one day as table cells: (first row, row after the last, allocations);
    allocations sharing a half-hour row share a cell (possible on a 15-minute grid)."""
    groups: list[tuple[int, int, list[AllocationView]]] = []
    for view in sorted(views, key=lambda v: v.start_minute):
        top = max(0, (view.start_minute - first) // ROW_MINUTES)
        bottom = min(count, max(top + 1, -(-(view.end_minute - first) // ROW_MINUTES)))
        if groups and top < groups[-1][1]:
            start, end, members = groups[-1]
            groups[-1] = (start, max(end, bottom), [*members, view])
        else:
            groups.append((top, bottom, [view]))
    return groups


@dataclass
class UnmetView:
    organisation: str
    activity: str
    wish: int
    rank: str
    premises_label: str
    weekday: int | None
    start: str
    end: str
    reasons: list[str]


def unmet_views(
    season: Season, applications: list[SeasonApplication], labels: dict[str, str], rules, language: str
) -> list[UnmetView]:
    by_id = {a.id: a for a in applications}
    out = []
    for item in (season.proposal or {}).get("unmet", []):
        application = by_id.get(item["application_id"])
        if application is None:
            continue
        need = application.needs[item["need"]]
        wish = need["wishes"][item["wish"]]
        weekday = WEEKDAYS.index(wish["weekday"]) if wish["weekday"] in WEEKDAYS else None
        label = labels.get(wish["premises"], wish["premises"])
        out.append(
            UnmetView(
                application.organisation.name,
                need["activity"],
                item["wish"],
                allocation.wish_rank(item["wish"], language),
                label,
                weekday,
                wish["start"],
                wish["end"],
                sentences(item["reasons"], rules, language),
            )
        )
    return out


@dataclass
class TierRow:
    name: str
    hours: str
    demand_met: str
    without: int


@dataclass
class SummaryView:
    needs: int
    allocations: int
    tiers: list[TierRow]
    children_youth_share: str
    demand_met: str
    districts: list[tuple[str, str]]
    needs_without: int


def summary_view(summary: dict, rules, language: str) -> SummaryView | None:
    if not summary:
        return None
    minutes = summary.get("minutes_by_tier", {})
    met = summary.get("demand_met", {})
    empty = summary.get("needs_without_allocation", {})
    tiers = [
        TierRow(
            tier_name(rules, key, language),
            hours_text(language, Decimal(value) / 60),
            percent_text(language, Decimal(str(met.get("by_tier", {}).get(key, 0))) * 100),
            empty.get("by_tier", {}).get(key, 0),
        )
        for key, value in minutes.items()
    ]
    districts = [
        (name or "–", hours_text(language, Decimal(value) / 60))
        for name, value in summary.get("minutes_by_district", {}).items()
    ]
    return SummaryView(
        summary.get("needs", 0),
        summary.get("allocations", 0),
        tiers,
        percent_text(language, Decimal(str(summary.get("children_youth_share", 0))) * 100),
        percent_text(language, Decimal(str(met.get("overall", 0))) * 100),
        districts,
        empty.get("count", 0),
    )


def collision_views(published: dict | None, applications: list[SeasonApplication], language: str) -> list[dict]:
    by_id = {a.id: a for a in applications}
    out = []
    for c in (published or {}).get("collisions", []):
        application = by_id.get(c["application_id"])
        need = application.needs[c["need"]] if application else {}
        out.append(
            {
                "day": date.fromisoformat(c["day"]),
                "premises": c.get("premises_name") or c["premises"],
                "organisation": application.organisation.name if application else "",
                "activity": need.get("activity", ""),
                "code": c["code"],
                "message": (c.get("message_en") if language == "en" else None) or c.get("message_nb", ""),
            }
        )
    return out
