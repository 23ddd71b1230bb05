"""Keeping premises information and closures current: who may manage which premises
(department staff their own department's, administrators all), the premises editor's
validation through the domain's own parsers, and manual closures.

A form with any invalid field writes nothing: every field is checked first and all
problems are reported together, each with the field it belongs to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import Booking, Building, Closure, Person, Premises, SlotClaim
from booking.domain.errors import DomainError, FieldProblem, Forbidden, NotFound
from booking.domain.premises import ACCESSIBILITY, EQUIPMENT, KINDS, SLOT_CHOICES, WEEKDAYS, OpeningHours, Season
from booking.services.bookings import SLOT_HOLDING_VALUES
from booking.services.catalogue import premises_by_slug
from common.localtime import local_day_start, resolve_local

MAX_TEXT = 4000
MAX_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class StaffScope:
    """What one staff member may manage: an administrator everything, department staff
    the premises in buildings their department owns."""

    person_id: int
    name: str
    is_admin: bool
    department_id: int | None

    @classmethod
    def of(cls, person: Person) -> "StaffScope":
        return cls(person.id, person.name, "admin" in person.roles, person.department_id)

    def manages(self, department_id: int | None) -> bool:
        return self.is_admin or (self.department_id is not None and department_id == self.department_id)

    def building_filter(self):
        """A WHERE clause on Building limiting a query to what this scope manages."""
        return true() if self.is_admin else Building.department_id == (self.department_id or -1)


class InvalidForm(DomainError):
    """One or more fields are wrong; `problems` names each field. Nothing was written."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(
            "invalid_form",
            "Noen felt er ikke fylt ut riktig.",
            "Some fields are invalid.",
            errors=[{"field": p.field, "code": p.code, "message": p.message_nb} for p in problems],
        )
        self.problems = problems

    @property
    def by_field(self) -> dict[str, str]:
        return {p.field: p.message_nb for p in self.problems}


def forbidden_premises(name: str) -> Forbidden:
    return Forbidden(
        "not_your_department",
        f"{name} eies av en annen virksomhet enn din.",
        "The premises belong to another department.",
    )


# ------------------------------------------------------------------ premises editor


class FormValues:
    """A submitted form as {name: [values]} (checkboxes repeat a name)."""

    def __init__(self, data: Mapping[str, Iterable[str]]) -> None:
        self.data = {key: [str(v) for v in values] for key, values in data.items()}

    def text(self, name: str) -> str:
        values = self.data.get(name) or [""]
        return values[-1].strip()

    def all(self, name: str) -> list[str]:
        return self.data.get(name, [])

    def checked(self, name: str) -> bool:
        return bool(self.data.get(name))


class _Collector:
    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def add(self, field: str, code: str, message: str, message_en: str = "") -> None:
        self.problems.append(FieldProblem(field, code, message, message_en))

    def integer(
        self,
        form: FormValues,
        name: str,
        label: str,
        *,
        low: int,
        high: int,
        optional: bool = False,
        label_en: str = "",
    ) -> int | None:
        label_en = label_en or label
        text = form.text(name).replace("\u00a0", "").replace(" ", "")
        if not text:
            if optional:
                return None
            self.add(name, "required", f"Fyll inn {label}.", f"Fill in the {label_en}.")
            return None
        if not text.isdigit():
            self.add(
                name,
                "not_a_number",
                f"{label.capitalize()} må være et helt tall.",
                f"The {label_en} must be a whole number.",
            )
            return None
        value = int(text)
        if not low <= value <= high:
            self.add(
                name,
                "out_of_range",
                f"{label.capitalize()} må være mellom {low} og {high}.",
                f"The {label_en} must be between {low} and {high}.",
            )
            return None
        return value


def opening_hours_from_form(form: FormValues, problems: _Collector) -> dict[str, list[str]]:
    """One text field per weekday ("08:00-16:00, 18:00-22:00"; empty or «stengt» = closed),
    each parsed by OpeningHours.parse so an error names its day."""
    hours: dict[str, list[str]] = {}
    for day in WEEKDAYS:
        text = form.text(f"apent_{day}")
        if not text or text.lower() == "stengt":
            continue
        windows = [part.strip().replace("–", "-").replace(".", ":") for part in text.split(",") if part.strip()]
        try:
            hours.update(OpeningHours.parse({day: windows}).to_data())
        except DomainError as error:
            problems.add(f"apent_{day}", error.code, error.message_nb, error.message_en)
    return hours


def premises_changes(form: FormValues, *, categories: Iterable[str], may_restructure: bool) -> dict:
    """The column values a valid form sets; raises InvalidForm listing every problem.
    `may_restructure`: the kind and the tariff category (administrators only)."""
    problems = _Collector()
    values: dict = {}
    name = form.text("name")
    if not name:
        problems.add("name", "required", "Lokalet må ha et navn.", "The premises must have a name.")
    elif len(name) > 200:
        problems.add("name", "too_long", "Navnet kan ha høyst 200 tegn.", "The name can be at most 200 characters.")
    values["name"] = name
    if may_restructure:
        kind, category = form.text("kind"), form.text("tariff_category")
        if kind not in KINDS:
            problems.add("kind", "invalid_choice", "Velg type lokale.", "Choose the type of premises.")
        if category not in set(categories):
            problems.add(
                "tariff_category",
                "invalid_choice",
                "Velg en takstkategori fra regelsettet.",
                "Choose a tariff category from the rule set.",
            )
        values.update(kind=kind, tariff_category=category)
    values["capacity"] = problems.integer(form, "capacity", "kapasitet", low=1, high=100_000, label_en="capacity")
    values["area_m2"] = problems.integer(
        form, "area_m2", "areal", low=1, high=1_000_000, optional=True, label_en="area"
    )
    unknown = [item for item in form.all("equipment") if item not in EQUIPMENT]
    if unknown:
        problems.add("equipment", "invalid_choice", "Ukjent utstyr.", "Unknown equipment.")
    values["equipment"] = [key for key in EQUIPMENT if key in form.all("equipment")]
    for field in ("description_nb", "description_en"):
        values[field] = form.text(field)
        if len(values[field]) > MAX_TEXT:
            problems.add(
                field,
                "too_long",
                f"Beskrivelsen kan ha høyst {MAX_TEXT} tegn.",
                f"The description can be at most {MAX_TEXT} characters.",
            )
    values["opening_hours"] = opening_hours_from_form(form, problems)
    first, last = form.text("season_first"), form.text("season_last")
    if bool(first) != bool(last):
        problems.add(
            "season_first" if not first else "season_last",
            "incomplete_season",
            "Fyll inn både første og siste dag i sesongen, eller la begge stå tomme.",
            "Fill in both the first and the last day of the season, or leave both empty.",
        )
    elif first:
        try:
            season = Season.parse(first, last)
            values.update(
                season_first="{:02d}-{:02d}".format(*season.first), season_last="{:02d}-{:02d}".format(*season.last)
            )
        except DomainError as error:
            problems.add("season_first", error.code, error.message_nb, error.message_en)
    else:
        values.update(season_first=None, season_last=None)
    slot_text = form.text("slot_minutes")
    slot = int(slot_text) if slot_text.isdigit() and int(slot_text) in SLOT_CHOICES else None
    if slot is None:
        problems.add(
            "slot_minutes",
            "invalid_choice",
            "Velg blokklengde 15, 30 eller 60 minutter.",
            "Choose a block length of 15, 30 or 60 minutes.",
        )
    values["slot_minutes"] = slot
    least = problems.integer(form, "min_minutes", "korteste leie", low=1, high=MAX_MINUTES, label_en="shortest rental")
    most = problems.integer(form, "max_minutes", "lengste leie", low=1, high=MAX_MINUTES, label_en="longest rental")
    for field, minutes in (("min_minutes", least), ("max_minutes", most)):
        if slot and minutes and minutes % slot:
            problems.add(
                field,
                "off_granularity",
                f"Må gå opp i blokker på {slot} minutter.",
                f"Must be a whole number of {slot}-minute blocks.",
            )
    if least and most and most < least:
        problems.add(
            "max_minutes",
            "max_below_min",
            "Lengste leie kan ikke være kortere enn korteste leie.",
            "The longest rental cannot be shorter than the shortest rental.",
        )
    values.update(min_minutes=least, max_minutes=most)
    for field, label, label_en in (
        ("buffer_before", "buffer før", "buffer before"),
        ("buffer_after", "buffer etter", "buffer after"),
    ):
        values[field] = problems.integer(form, field, label, low=0, high=24 * 60, label_en=label_en)
    for flag in ("requires_approval", "closed_on_public_holidays", *ACCESSIBILITY):
        values[flag] = form.checked(flag)
    if problems.problems:
        raise InvalidForm(problems.problems)
    return values


async def managed_premises(session: AsyncSession, scope: StaffScope) -> list[Premises]:
    query = (
        select(Premises)
        .join(Building, Building.id == Premises.building_id)
        .where(scope.building_filter())
        .order_by(Building.name, Premises.name)
    )
    return list((await session.execute(query)).scalars().unique())


async def premises_to_edit(session: AsyncSession, scope: StaffScope, slug: str) -> Premises:
    premises = await premises_by_slug(session, slug)
    if not scope.manages(premises.building.department_id):
        raise forbidden_premises(premises.name)
    return premises


async def update_premises(
    session: AsyncSession,
    scope: StaffScope,
    slug: str,
    form: FormValues,
    *,
    categories: Iterable[str],
) -> Premises:
    """Validate everything, then write everything, in one transaction."""
    async with write_transaction(session):
        premises = await premises_to_edit(session, scope, slug)
        values = premises_changes(form, categories=categories, may_restructure=scope.is_admin)
        for column, value in values.items():
            setattr(premises, column, value)
    return premises


# ------------------------------------------------------------------ closures


@dataclass(frozen=True)
class ClosureTarget:
    scope: str  # "premises" | "building"
    id: int
    name: str


async def closure_targets(session: AsyncSession, scope: StaffScope) -> tuple[list[Building], list[Premises]]:
    buildings = list(
        (await session.execute(select(Building).where(scope.building_filter()).order_by(Building.name)))
        .scalars()
        .unique()
    )
    return buildings, await managed_premises(session, scope)


async def closures_in_scope(session: AsyncSession, scope: StaffScope, now: datetime) -> list[tuple[Closure, str]]:
    """Current and coming closures of the buildings and premises this scope manages,
    with what each one closes, in words."""
    buildings, premises = await closure_targets(session, scope)
    building_names = {b.id: b.name for b in buildings}
    premises_names = {p.id: f"{p.name} ({p.building.name})" for p in premises}
    rows = (
        await session.execute(
            select(Closure)
            .where(
                Closure.end_at > now,
                or_(Closure.building_id.in_(building_names), Closure.premises_id.in_(premises_names)),
            )
            .order_by(Closure.start_at)
        )
    ).scalars()
    return [(c, premises_names.get(c.premises_id) or building_names.get(c.building_id, "")) for c in rows]


def _local_instant(day_text: str, clock_text: str, *, end: bool, field: str, problems: _Collector) -> datetime | None:
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        problems.add(field, "invalid_date", "Skriv datoen som ÅÅÅÅ-MM-DD.", "Write the date as YYYY-MM-DD.")
        return None
    if not clock_text:
        return local_day_start(day + timedelta(days=1) if end else day)
    try:
        clock = time.fromisoformat(clock_text)
    except ValueError:
        problems.add(field, "invalid_time", "Skriv klokkeslettet som TT:MM.", "Write the time as HH:MM.")
        return None
    try:
        return resolve_local(datetime.combine(day, clock))
    except DomainError as error:
        problems.add(field, error.code, error.message_nb, error.message_en)
        return None


async def create_closure(
    session: AsyncSession, scope: StaffScope, form: FormValues, *, now: datetime
) -> tuple[Closure, int]:
    """A manual closure of one premises or a whole building. Returns it and how many
    bookings it overlaps (they are not cancelled: staff contact the bookers)."""
    problems = _Collector()
    what, _, ident = form.text("target").partition(":")
    start = _local_instant(form.text("fra_dato"), form.text("fra_tid"), end=False, field="fra_dato", problems=problems)
    end = _local_instant(form.text("til_dato"), form.text("til_tid"), end=True, field="til_dato", problems=problems)
    if start and end and end <= start:
        problems.add(
            "til_dato",
            "end_not_after_start",
            "Stengingen må slutte etter at den begynner.",
            "The closure must end after it begins.",
        )
    if end and end <= now:
        problems.add("til_dato", "in_the_past", "Stengingen er allerede over.", "The closure is already over.")
    reason = form.text("reason")
    if not reason:
        problems.add(
            "reason",
            "required",
            "Skriv hvorfor det er stengt (vises for dem som leter etter ledig tid).",
            "Say why it is closed (shown to those looking for a free time).",
        )
    elif len(reason) > 300:
        problems.add(
            "reason", "too_long", "Begrunnelsen kan ha høyst 300 tegn.", "The reason can be at most 300 characters."
        )
    async with write_transaction(session):
        buildings, premises = await closure_targets(session, scope)
        target = None
        if what == "building" and ident.isdigit():
            target = next((ClosureTarget("building", b.id, b.name) for b in buildings if b.id == int(ident)), None)
        elif what == "premises" and ident.isdigit():
            target = next((ClosureTarget("premises", p.id, p.name) for p in premises if p.id == int(ident)), None)
        if target is None:
            problems.add(
                "target",
                "invalid_choice",
                "Velg et bygg eller lokale som din virksomhet eier.",
                "Choose a building or premises your department owns.",
            )
        if problems.problems:
            raise InvalidForm(problems.problems)
        closure = Closure(
            scope=target.scope,
            premises_id=target.id if target.scope == "premises" else None,
            building_id=target.id if target.scope == "building" else None,
            start_at=start,
            end_at=end,
            reason=reason,
            source="manual",
            created_at=now,
            updated_at=now,
        )
        session.add(closure)
        await session.flush()
        overlapping = await _overlapping_bookings(session, target, start, end)
    return closure, overlapping


async def _overlapping_bookings(session: AsyncSession, target: ClosureTarget, start: datetime, end: datetime) -> int:
    query = (
        select(Booking.id)
        .join(Premises, Premises.id == Booking.premises_id)
        .where(Booking.status.in_(SLOT_HOLDING_VALUES), Booking.start_at < end, Booking.end_at > start)
    )
    if target.scope == "building":
        query = query.where(Premises.building_id == target.id)
    else:
        # the premises itself, or any booking holding one of its units (a whole hall)
        query = query.where(
            or_(
                Booking.premises_id == target.id,
                Booking.id.in_(select(SlotClaim.booking_id).where(SlotClaim.unit_id == target.id)),
            )
        )
    return len(set((await session.execute(query)).scalars()))


async def delete_closure(session: AsyncSession, scope: StaffScope, closure_id: int) -> None:
    async with write_transaction(session):
        closure = await session.get(Closure, closure_id)
        if closure is None:
            raise NotFound("unknown_closure", "Fant ikke stengingen.", f"No closure {closure_id}.")
        if closure.source != "manual":
            raise DomainError(
                "closure_not_manual",
                "Denne stengingen kommer fra en import eller helligdagene, og endres der den kommer fra.",
                "Only manual closures can be deleted here.",
            )
        department = None
        if closure.building_id is not None:
            department = (await session.get(Building, closure.building_id)).department_id
        elif closure.premises_id is not None:
            department = (await session.get(Premises, closure.premises_id)).building.department_id
        if not scope.manages(department):
            raise Forbidden(
                "not_your_department",
                "Stengingen gjelder lokaler som en annen virksomhet eier.",
                "The closure belongs to another department.",
            )
        await session.delete(closure)
