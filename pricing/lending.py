"""Lending criteria: who may book what, how far ahead, for how long, and what needs approval.

The sentences that state each criterion are built here once and used both in refusals and
in the published terms, so what a person is told is what the engine enforces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from .bands import require_aware, require_interval
from .errors import LendingRefusal
from .facts import Booker, BookingDetails, PremisesFacts
from .groups import customer_group
from .money import kr_nb, percent, round_kroner
from .payment_methods import method_names
from .rules import CustomerGroup, LendingCriteria, RuleSet, local_date

Sentence = tuple[str, str]  # (Norwegian, English)

KIND_PLURAL = {"room": ("Rom", "Rooms"), "hall": ("Haller", "Halls"), "outdoor_area": ("Uteområder", "Outdoor areas")}
DEPARTMENT_OWNER = {
    "school": ("skolene", "schools"),
    "culture": ("kulturvirksomheten", "the culture department"),
    "sport": ("idretten", "the sports department"),
    "property": ("eiendomsforvaltningen", "property management"),
    "citizen_service": ("innbyggertorgene", "citizen service points"),
    "volunteer_centre": ("frivilligsentralene", "volunteer centres"),
    "library": ("bibliotekene", "libraries"),
}


@dataclass(frozen=True)
class LendingDecision:
    needs_approval: bool
    approval_reasons: tuple[str, ...]  # Norwegian sentences quoting the rule (approvals_needed has both languages)
    hold_minutes: int


def _hours(hours: int) -> Sentence:
    # Whole weeks and longer read better in days; shorter spans stay in the hours the rule counts.
    if hours >= 96 and hours % 24 == 0:
        return f"{hours // 24} dager", f"{hours // 24} days"
    return (f"{hours} time", f"{hours} hour") if hours == 1 else (f"{hours} timer", f"{hours} hours")


def age_rule(lending: LendingCriteria) -> Sentence:
    return (
        f"Den som bestiller må være minst {lending.min_age} år.",
        f"The person who books must be at least {lending.min_age} years old.",
    )


def book_ahead_rule(group: CustomerGroup) -> Sentence:
    return (
        f"{group.who_nb} kan bestille inntil {group.book_ahead_days} dager fram i tid.",
        f"{group.who_en} can book up to {group.book_ahead_days} days ahead.",
    )


def quota_rule(group: CustomerGroup) -> Sentence:
    return (
        f"{group.who_nb} kan ha høyst {group.max_upcoming_bookings} kommende bookinger om gangen.",
        f"{group.who_en} can have at most {group.max_upcoming_bookings} upcoming bookings at a time.",
    )


def payment_rule(group: CustomerGroup) -> Sentence:
    """How the group may pay (pricing.payment_methods), for the published terms."""
    if group.payment_methods is None:
        return (
            f"{group.who_nb} betaler med kort; organisasjoner med gyldig organisasjonsnummer kan også få faktura.",
            f"{group.who_en} pay by card; organisations with a valid organisation number may also be invoiced.",
        )
    if not group.payment_methods:
        return (f"{group.who_nb} kan bare bestille det som er gratis.", f"{group.who_en} can only book what is free.")
    return (
        f"{group.who_nb} kan betale med {method_names(group.payment_methods, 'nb')}.",
        f"{group.who_en} can pay by {method_names(group.payment_methods, 'en')}.",
    )


def notice_rule(lending: LendingCriteria, premises_kind: str | None = None) -> Sentence:
    nb_who, en_who = KIND_PLURAL.get(premises_kind or "", ("Lokaler", "Premises"))
    nb_time, en_time = _hours(lending.min_notice_hours_for(premises_kind or ""))
    return (
        f"{nb_who} må bestilles minst {nb_time} før start.",
        f"{en_who} must be booked at least {en_time} before the start.",
    )


def duration_rule(rule_set: RuleSet, tariff_category: str | None = None) -> Sentence:
    nb_time, en_time = _hours(rule_set.lending.max_hours_for(tariff_category or ""))
    category = rule_set.tariff.get(tariff_category or "")
    if category is None or tariff_category not in rule_set.lending.max_hours_by_category:
        return f"En booking kan vare høyst {nb_time}.", f"A booking can last at most {en_time}."
    return (
        f"{category.name_nb}: en booking kan vare høyst {nb_time}.",
        f"{category.name_en}: a booking can last at most {en_time}.",
    )


def alcohol_rule(lending: LendingCriteria) -> Sentence:
    owners = [DEPARTMENT_OWNER[kind] for kind in lending.alcohol_forbidden_departments]
    return (
        f"Alkohol er ikke tillatt i lokaler som eies av {' og '.join(nb for nb, _ in owners)}.",
        f"Alcohol is not allowed in premises owned by {' and '.join(en for _, en in owners)}.",
    )


def cancellation_rule(lending: LendingCriteria) -> Sentence:
    nb_time, en_time = _hours(lending.cancellation_free_hours)
    share = percent(lending.cancellation_fee_share)
    return (
        f"Avbestilling er gratis fram til {nb_time} før start; senere betaler du {share} av prisen.",
        f"Cancelling is free until {en_time} before the start; after that you pay {share} of the price.",
    )


def hold_rule(lending: LendingCriteria) -> Sentence:
    return (
        f"Et tidspunkt holdes av for deg i {lending.hold_minutes} minutter mens du fullfører bestillingen.",
        f"A time is held for you for {lending.hold_minutes} minutes while you complete the booking.",
    )


@dataclass(frozen=True)
class ApprovalCriterion:
    """One reason staff must approve a booking. `code` is stable (e.g. `kind:hall`,
    `category:kultursal`, `alcohol`, `attendees`), so a reason can be shown again in either
    language from the rule that gave it rather than from stored text."""

    code: str
    rule_nb: str
    rule_en: str
    applies: Callable[[PremisesFacts, BookingDetails], bool]


def _of_kind(kind: str) -> Callable[[PremisesFacts, BookingDetails], bool]:
    return lambda premises, details: premises.kind == kind


def _in_category(key: str) -> Callable[[PremisesFacts, BookingDetails], bool]:
    return lambda premises, details: premises.tariff_category == key


def approval_criteria(rule_set: RuleSet) -> list[ApprovalCriterion]:
    """Each approval criterion with its sentence; `check_lending` and the terms both use these."""
    lending = rule_set.lending
    criteria = []
    for kind in lending.approval_kinds:
        nb, en = KIND_PLURAL[kind]
        criteria.append(
            ApprovalCriterion(
                f"kind:{kind}",
                f"{nb} krever godkjenning.",
                f"{en} need approval.",
                _of_kind(kind),
            )
        )
    for key in lending.approval_categories:
        category = rule_set.tariff[key]
        criteria.append(
            ApprovalCriterion(
                f"category:{key}",
                f"{category.name_nb} krever godkjenning.",
                f"{category.name_en} needs approval.",
                _in_category(key),
            )
        )
    if lending.approval_for_alcohol:
        criteria.append(
            ApprovalCriterion(
                "alcohol",
                "Servering av alkohol krever godkjenning.",
                "Serving alcohol needs approval.",
                lambda p, d: d.alcohol,
            )
        )
    over = lending.approval_attendees_over
    criteria.append(
        ApprovalCriterion(
            "attendees",
            f"Mer enn {over} deltakere krever godkjenning.",
            f"More than {over} attendees need approval.",
            lambda p, d: d.attendees > over,
        )
    )
    return criteria


def approvals_needed(
    premises: PremisesFacts, details: BookingDetails, rule_set: RuleSet
) -> tuple[ApprovalCriterion, ...]:
    """The approval criteria this booking meets, in the rule set's order."""
    return tuple(c for c in approval_criteria(rule_set) if c.applies(premises, details))


def _refuse(code: str, sentence: Sentence) -> LendingRefusal:
    return LendingRefusal(code, sentence[0], sentence[1])


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_lending(
    premises: PremisesFacts,
    start: datetime,
    end: datetime,
    booker: Booker,
    details: BookingDetails,
    rule_set: RuleSet,
    *,
    now: datetime,
    upcoming_bookings: int,
) -> LendingDecision:
    """Raise LendingRefusal for the first criterion broken; otherwise say whether approval is needed.

    `upcoming_bookings` is how many future bookings the booker already has (this one excluded).
    """
    require_interval(start, end)
    require_aware(now)
    lending = rule_set.lending
    group = rule_set.groups[customer_group(booker, details)[0]]

    if booker.birth_date is None:
        nb, en = age_rule(lending)
        raise LendingRefusal(
            "age_unknown",
            f"Vi kjenner ikke fødselsdatoen din. {nb}",
            f"Your date of birth is unknown. {en}",
        )
    if age_on(booker.birth_date, local_date(now)) < lending.min_age:
        raise _refuse("under_18", age_rule(lending))
    if details.alcohol and premises.department_kind in lending.alcohol_forbidden_departments:
        raise _refuse("alcohol_not_allowed", alcohol_rule(lending))
    if start <= now:
        raise LendingRefusal(
            "in_the_past",
            "Starttidspunktet har allerede vært.",
            "The start time has already passed.",
        )
    if start - now < timedelta(hours=lending.min_notice_hours_for(premises.kind)):
        raise _refuse("too_short_notice", notice_rule(lending, premises.kind))
    if local_date(start) > local_date(now) + timedelta(days=group.book_ahead_days):
        raise _refuse("too_far_ahead", book_ahead_rule(group))
    if end - start > timedelta(hours=lending.max_hours_for(premises.tariff_category)):
        raise _refuse("too_long_for_rules", duration_rule(rule_set, premises.tariff_category))
    if group.max_upcoming_bookings is not None and upcoming_bookings >= group.max_upcoming_bookings:
        raise _refuse("quota_exceeded", quota_rule(group))

    reasons = tuple(c.rule_nb for c in approvals_needed(premises, details, rule_set))
    return LendingDecision(bool(reasons), reasons, lending.hold_minutes)


def cancellation_fee(quote_total: Decimal, start: datetime, now: datetime, rule_set: RuleSet) -> tuple[Decimal, str]:
    """(fee in whole kroner, the rule as a Norwegian sentence) for cancelling at `now`."""
    require_aware(start, now)
    lending = rule_set.lending
    rule_nb, _ = cancellation_rule(lending)
    if now <= start - timedelta(hours=lending.cancellation_free_hours):
        return Decimal(0), f"Gratis avbestilling. {rule_nb}"
    fee = round_kroner(quote_total * lending.cancellation_fee_share)
    return fee, f"Avbestillingsgebyr {kr_nb(fee)}. {rule_nb}"
