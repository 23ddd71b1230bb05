"""The booker's own side: book with the details a booker gives (and who answers for the
event on the spot), see the bookings that are mine or my organisations', and cancel
with the fee the rules set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Booking, BookingHistory, Membership, Organisation, Person
from booking.domain.errors import DomainError, FieldProblem, Forbidden
from booking.domain.lifecycle import SLOT_HOLDING, Status
from booking.services.bookings import get_booking
from booking.services.cancellation import CancellationTerms, cancel_booking, cancellation_terms
from booking.services.payments import PaymentChoices
from booking.services.refunds import money
from booking.services.rulebook import HarmonisedRules, method_not_allowed
from booking.settings import Settings
from pricing.facts import TARGET_GROUPS
from pricing.payment_methods import method_names

MAX_ATTENDEES = 100_000
MAX_PURPOSE = 300
MAX_NAME = 120
MAX_PHONE = 40
STAFF = ("admin", "department_staff")


def check_details(
    *,
    purpose: str,
    attendees: int | None,
    target_group: str,
    responsible_name: str,
    responsible_phone: str,
    responsible_adult: bool,
    accept_terms: bool,
    accept_fire_instructions: bool,
) -> list[FieldProblem]:
    """Every problem with what the booker wrote, each tied to its field (API names)."""
    problems = []
    if not purpose.strip():
        problems.append(
            FieldProblem(
                "purpose", "required", "Skriv hva lokalet skal brukes til.", "Say what the premises will be used for."
            )
        )
    elif len(purpose) > MAX_PURPOSE:
        problems.append(
            FieldProblem(
                "purpose",
                "too_long",
                f"Formålet kan ha høyst {MAX_PURPOSE} tegn.",
                f"The purpose may have at most {MAX_PURPOSE} characters.",
            )
        )
    if attendees is None or not 1 <= attendees <= MAX_ATTENDEES:
        problems.append(
            FieldProblem(
                "attendees",
                "out_of_range",
                "Skriv hvor mange som kommer (minst 1).",
                "Give the expected number of attendees (at least 1).",
            )
        )
    if target_group not in TARGET_GROUPS:
        problems.append(
            FieldProblem(
                "target_group",
                "invalid_choice",
                "Velg hvem arrangementet er for.",
                f"target_group must be one of {', '.join(TARGET_GROUPS)}.",
            )
        )
    if not responsible_name.strip():
        problems.append(
            FieldProblem(
                "responsible_name",
                "required",
                "Skriv navnet på den ansvarlige personen.",
                "Give the name of the responsible person.",
            )
        )
    elif len(responsible_name) > MAX_NAME:
        problems.append(
            FieldProblem(
                "responsible_name",
                "too_long",
                f"Navnet kan ha høyst {MAX_NAME} tegn.",
                f"The name may have at most {MAX_NAME} characters.",
            )
        )
    if len(responsible_phone) > MAX_PHONE:
        problems.append(
            FieldProblem(
                "responsible_phone", "too_long", "Telefonnummeret er for langt.", "The phone number is too long."
            )
        )
    if not responsible_adult:
        problems.append(
            FieldProblem(
                "responsible_adult",
                "must_confirm",
                "Bekreft at den ansvarlige personen er 18 år eller eldre.",
                "Confirm that the responsible person is 18 or older.",
            )
        )
    if not accept_terms:
        problems.append(
            FieldProblem(
                "accept_terms",
                "must_accept",
                "Du må godta vilkårene for å bestille.",
                "You must accept the terms to book.",
            )
        )
    if not accept_fire_instructions:
        problems.append(
            FieldProblem(
                "accept_fire_instructions",
                "must_accept",
                "Du må bekrefte at du har lest branninstruksen.",
                "You must confirm that you have read the fire instructions.",
            )
        )
    return problems


def payment_problem(options: PaymentChoices, method: str | None) -> FieldProblem | None:
    """Whether the chosen payment method fits what booking.services.payments offers.
    Without a choice, the only method there is is taken."""
    if options.free:
        return None
    if not options.methods:
        return FieldProblem(
            "payment_method",
            "payment_unavailable",
            options.message_nb or "Denne bestillingen kan ikke betales nå.",
            options.message_en or "This booking cannot be paid for now.",
        )
    method = options.chosen(method)
    if method is None:
        return FieldProblem(
            "payment_method",
            "payment_method_required",
            f"Velg hvordan du vil betale: {method_names(options.methods, 'nb')}.",
            f"Choose how to pay: {method_names(options.methods, 'en')}.",
        )
    if method not in options.methods:
        refusal = method_not_allowed(method, options.methods)
        return FieldProblem("payment_method", refusal.code, refusal.message_nb, refusal.message_en)
    return None


def checked_payment(options: PaymentChoices, method: str | None) -> str | None:
    """For the API: the method to book with (None when free), or the refusal. A method
    the booker may not use is refused by name, with the ones they may
    (`payment_method_not_allowed`, `allowed`)."""
    if options.free:
        return None
    if options.methods and method is not None and method not in options.methods:
        raise method_not_allowed(method, options.methods)
    unpaid = payment_problem(options, method)
    if unpaid is not None:
        raise InvalidFields([unpaid])
    return options.chosen(method)


class InvalidFields(DomainError):
    """Several fields at once; the API lists them, pages mark each field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(
            "invalid_input",
            "Noen felt er ikke fylt ut riktig.",
            "Some fields are invalid.",
            errors=[
                {"field": p.field, "code": p.code, "message": p.message_en, "message_nb": p.message_nb}
                for p in problems
            ],
        )
        self.problems = problems


async def organisations_of(session: AsyncSession, person_id: int) -> list[Organisation]:
    return list(
        (
            await session.execute(
                select(Organisation)
                .join(Membership, Membership.organisation_id == Organisation.id)
                .where(Membership.person_id == person_id)
                .order_by(Organisation.name)
            )
        ).scalars()
    )


async def delegates_of(session: AsyncSession, organisation_ids: list[int]) -> dict[int, list[Person]]:
    rows = (
        await session.execute(
            select(Membership.organisation_id, Person)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.organisation_id.in_(organisation_ids))
            .order_by(Person.name)
        )
    ).all()
    result: dict[int, list[Person]] = {i: [] for i in organisation_ids}
    for organisation_id, person in rows:
        result[organisation_id].append(person)
    return result


def may_manage(person: Person, booking: Booking, organisation_ids: set[int]) -> bool:
    """The booker, a delegate of the booking's organisation, an administrator, or staff
    of the department that owns the premises."""
    if booking.person_id == person.id or booking.organisation_id in organisation_ids:
        return True
    if "admin" in person.roles:
        return True
    return (
        "department_staff" in person.roles
        and person.department_id is not None
        and person.department_id == booking.premises.building.department_id
    )


async def booking_for(session: AsyncSession, person: Person, booking_id: int) -> Booking:
    booking = await get_booking(session, booking_id)
    if not may_manage(person, booking, {o.id for o in await organisations_of(session, person.id)}):
        raise Forbidden(
            "not_your_booking",
            "Du har ikke tilgang til denne bestillingen.",
            "This booking is not yours, your organisation's or your department's.",
        )
    return booking


def holds_slot(booking: Booking) -> bool:
    """Held, requested or confirmed: not cancelled, rejected or expired."""
    return Status(booking.status) in SLOT_HOLDING


async def bookings_of(session: AsyncSession, person: Person, now: datetime) -> tuple[list[Booking], list[Booking]]:
    """Mine and my organisations': (upcoming: still holding their slot and not yet ended,
    soonest first; past: ended, or cancelled, rejected or expired, latest first)."""
    organisation_ids = [o.id for o in await organisations_of(session, person.id)]
    rows = list(
        (
            await session.execute(
                select(Booking)
                .where(or_(Booking.person_id == person.id, Booking.organisation_id.in_(organisation_ids)))
                .order_by(Booking.start_at, Booking.id)
            )
        )
        .scalars()
        .unique()
    )
    upcoming = [b for b in rows if holds_slot(b) and b.end_at > now]
    past = [b for b in reversed(rows) if not (holds_slot(b) and b.end_at > now)]
    return upcoming, past


async def costs_of(session: AsyncSession, bookings: list[Booking]) -> dict[int, dict[str, Decimal]]:
    """What each booking that no longer holds its slot cost in the end: the fee kept, and
    what was refunded or credited, the amounts its e-mail states (refunds.money)."""
    return {b.id: await money(session, b) for b in bookings if not holds_slot(b)}


@dataclass(frozen=True)
class Cancellation:
    """Who cancelled a booking, when, and why in their own words (the history row keeps
    the Norwegian record with the fee), so a page can say it in its own language."""

    history_id: int  # the history row that records it
    at: datetime
    by: str | None  # the person who cancelled, if a person did
    reason: str | None


async def cancellation_of(
    session: AsyncSession, booking: Booking, history: list[BookingHistory]
) -> Cancellation | None:
    """The cancellation in a booking's history, if it was cancelled."""
    row = next((h for h in reversed(history) if h.to_status == Status.CANCELLED.value), None)
    if row is None:
        return None
    actor = await session.get(Person, row.actor_id) if row.actor_id else None
    return Cancellation(row.id, row.at, actor.name if actor else None, booking.cancellation_reason)


def acts_as_staff(person: Person, booking: Booking, organisation_ids: set[int]) -> bool:
    """Staff cancelling a booking that is neither theirs nor their organisation's: the
    municipality cancels, and the booker pays no fee."""
    return not (booking.person_id == person.id or booking.organisation_id in organisation_ids)


async def cancellation_preview(
    session: AsyncSession, person: Person, booking: Booking, rules: HarmonisedRules, now: datetime
) -> CancellationTerms:
    """What cancelling now costs, and what is refunded or not invoiced, under the rule set
    in force on the booking's date (the one that priced it)."""
    organisation_ids = {o.id for o in await organisations_of(session, person.id)}
    return await cancellation_terms(
        session, booking.id, rules=rules, now=now, by_staff=acts_as_staff(person, booking, organisation_ids)
    )


def may_cancel(booking: Booking, now: datetime) -> bool:
    return (
        booking.status in (Status.HELD.value, Status.REQUESTED.value, Status.CONFIRMED.value) and booking.start_at > now
    )


async def cancel(
    session: AsyncSession,
    settings: Settings,
    booking_id: int,
    *,
    actor: Person,
    rules: HarmonisedRules,
    now: datetime,
    reason: str = "",
) -> CancellationTerms:
    """Cancel as the booker, a delegate of its organisation or staff: the fee the rules
    set is kept, the rest refunded or credited (booking.services.cancellation); who
    cancelled, why and the fee are in the history."""
    booking = await booking_for(session, actor, booking_id)
    by_staff = acts_as_staff(actor, booking, {o.id for o in await organisations_of(session, actor.id)})
    return await cancel_booking(
        session,
        settings,
        booking_id,
        actor_id=actor.id,
        reason=reason.strip()[:500],
        rules=rules,
        now=now,
        by_staff=by_staff,
    )
