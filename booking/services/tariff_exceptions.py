"""Premises-level exceptions to the harmonised tariff. They exist only as explicit
records (premises, what differs, reason, who approved), only administrators make
them, and a report lists every deviation next to the harmonised rate it replaces.

The quote applies an exception through `HarmonisedRules.facts` (rulebook), which
hands its rate to pricing as `PremisesFacts.rate_override`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.engine import write_transaction
from booking.db.models import Person, Premises, TariffException
from booking.domain.errors import FieldProblem, NotFound
from booking.services.premises_admin import FormValues, InvalidForm

FIELD_RATE = "rate"  # the base rate: the one field the engine applies
FIELD_NAMES_NB = {FIELD_RATE: "Grunnpris"}
MAX_RATE = Decimal("1000000")


@dataclass(frozen=True)
class Deviation:
    exception: TariffException
    premises: Premises
    approved_by: str
    category_name: str
    unit: str  # "hour" | "day"
    harmonised_rate: Decimal | None  # None: the rule set in force has no such category
    rule_set_version: str

    @property
    def difference(self) -> Decimal | None:
        return None if self.harmonised_rate is None else Decimal(self.exception.value) - self.harmonised_rate

    @property
    def percent(self) -> Decimal | None:
        if not self.harmonised_rate:
            return None
        return (self.difference / self.harmonised_rate * 100).quantize(Decimal("0.1"))


def parse_rate(text: str) -> Decimal | None:
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace("kr", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


async def deviations(session: AsyncSession, rule_set: pricing.RuleSet) -> list[Deviation]:
    """Every deviation from the harmonised tariff, against the rule set in force."""
    rows = (
        (
            await session.execute(
                select(TariffException, Premises, Person.name)
                .join(Premises, Premises.id == TariffException.premises_id)
                .join(Person, Person.id == TariffException.approved_by)
                .order_by(Premises.name, TariffException.id)
            )
        )
        .unique()
        .all()
    )
    result = []
    for exception, premises, approver in rows:
        category = rule_set.tariff.get(premises.tariff_category)
        result.append(
            Deviation(
                exception,
                premises,
                approver,
                category.name_nb if category else premises.tariff_category,
                category.unit if category else "hour",
                category.rate if category else None,
                rule_set.version,
            )
        )
    return result


async def create_exception(
    session: AsyncSession, form: FormValues, *, approver_id: int, now: datetime
) -> TariffException:
    problems: list[FieldProblem] = []
    rate = parse_rate(form.text("rate"))
    if rate is None:
        problems.append(
            FieldProblem(
                "rate",
                "not_a_number",
                "Skriv prisen som et tall, for eksempel 200 eller 87,50.",
                "Write the price as a number, for example 200 or 87.50.",
            )
        )
    elif not Decimal(0) <= rate <= MAX_RATE or rate != rate.quantize(Decimal("0.01")):
        problems.append(
            FieldProblem(
                "rate",
                "out_of_range",
                "Prisen må være mellom 0 og 1 000 000 kr, med høyst to desimaler.",
                "The price must be between 0 and 1,000,000 NOK, with at most two decimals.",
            )
        )
    reason = form.text("reason")
    if not reason:
        problems.append(
            FieldProblem(
                "reason",
                "required",
                "Skriv hvorfor lokalet skal ha en annen pris.",
                "Say why the premises should have another price.",
            )
        )
    elif len(reason) > 2000:
        problems.append(
            FieldProblem(
                "reason",
                "too_long",
                "Begrunnelsen kan ha høyst 2000 tegn.",
                "The reason may have at most 2000 characters.",
            )
        )
    async with write_transaction(session):
        premises = (
            await session.execute(select(Premises).where(Premises.slug == form.text("premises")))
        ).scalar_one_or_none()
        if premises is None:
            problems.append(FieldProblem("premises", "invalid_choice", "Velg et lokale.", "Choose a premises."))
        elif await session.scalar(
            select(TariffException.id).where(
                TariffException.premises_id == premises.id, TariffException.field == FIELD_RATE
            )
        ):
            problems.append(
                FieldProblem(
                    "premises",
                    "exception_exists",
                    f"{premises.name} har allerede et unntak. Slett det først om prisen skal endres.",
                    f"{premises.name} already has an exception. Delete it first to change the price.",
                )
            )
        if problems:
            raise InvalidForm(problems)
        exception = TariffException(
            premises_id=premises.id,
            field=FIELD_RATE,
            value=rate,
            reason=reason,
            approved_by=approver_id,
            created_at=now,
        )
        session.add(exception)
    return exception


async def delete_exception(session: AsyncSession, exception_id: int) -> None:
    async with write_transaction(session):
        exception = await session.get(TariffException, exception_id)
        if exception is None:
            raise NotFound("unknown_tariff_exception", "Fant ikke unntaket.", f"No tariff exception {exception_id}.")
        await session.delete(exception)
