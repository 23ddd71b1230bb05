"""Organisations: registering one (a valid organisation number, once) and staff's check
of what it claims. A registered organisation starts unchecked; until staff mark it
checked, every booking on its behalf needs approval (see rulebook.ORGANISATION_UNVERIFIED)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import Membership, Organisation, Person
from booking.domain.errors import DomainError, NotFound
from booking.domain.organisations import valid_orgnr

FLAGS = (
    "works_for_children_youth",
    "in_frivillighetsregisteret",
    "sports_club",
    "based_in_municipality",
    "commercial",
    "municipal",
)
PUBLIC_REGISTER = "https://data.brreg.no/enhetsregisteret/oppslag/enheter/{orgnr}"


class DuplicateOrganisation(DomainError):
    status = 409


async def register_organisation(
    session: AsyncSession, *, name: str, orgnr: str, delegate_id: int, now: datetime, **flags: bool
) -> Organisation:
    """Validate first, write nothing on refusal; the registering person becomes a delegate.
    The organisation waits for staff's check (verified_at stays empty)."""
    if not name.strip():
        raise DomainError("name_required", "Skriv inn navnet på organisasjonen.", "A name is required.")
    number = valid_orgnr(orgnr)
    unknown = set(flags) - set(FLAGS)
    if unknown:
        raise DomainError("unknown_flag", "Ukjent opplysning om organisasjonen.", f"Unknown flags {sorted(unknown)}.")
    async with write_transaction(session):
        if await session.scalar(select(Organisation.id).where(Organisation.orgnr == number)):
            raise DuplicateOrganisation(
                "duplicate_orgnr",
                f"Organisasjonsnummer {number} er allerede registrert.",
                f"Organisation number {number} is already registered.",
            )
        organisation = Organisation(
            name=name.strip(), orgnr=number, registered_at=now, registered_by_id=delegate_id, **flags
        )
        session.add(organisation)
        await session.flush()
        session.add(Membership(organisation_id=organisation.id, person_id=delegate_id))
    return organisation


async def make_delegate(session: AsyncSession, person_id: int) -> None:
    """Whoever registers an organisation acts for it: give the account the delegate role."""
    async with write_transaction(session):
        row = await session.get(Person, person_id)
        if row is not None and "delegate" not in row.roles:
            row.roles = sorted(set(row.roles) | {"delegate"})


@dataclass(frozen=True)
class AwaitingCheck:
    organisation: Organisation
    registered_by: Person | None  # None: registered before this was recorded

    @property
    def claims(self) -> list[str]:
        """The flags it claims, in FLAGS order."""
        return [flag for flag in FLAGS if getattr(self.organisation, flag)]

    @property
    def register_url(self) -> str | None:
        number = self.organisation.orgnr
        return PUBLIC_REGISTER.format(orgnr=number) if number else None


async def awaiting_check(session: AsyncSession) -> list[AwaitingCheck]:
    """Organisations staff have not yet checked, in the order they were registered."""
    rows = (
        await session.execute(
            select(Organisation, Person)
            .outerjoin(Person, Person.id == Organisation.registered_by_id)
            .where(Organisation.verified_at.is_(None))
            .order_by(Organisation.id)
        )
    ).all()
    return [AwaitingCheck(organisation, person) for organisation, person in rows]


async def mark_checked(session: AsyncSession, organisation_id: int, *, staff_id: int, now: datetime) -> Organisation:
    """Staff have checked the organisation against the public registers. Checking one
    already checked changes nothing (the first check is kept). Bookings it has already
    sent stay in the approval queue, where staff decide them."""
    async with write_transaction(session):
        await session.execute(
            update(Organisation)
            .where(Organisation.id == organisation_id, Organisation.verified_at.is_(None))
            .values(verified_at=now, verified_by_id=staff_id)
            .execution_options(synchronize_session=False)
        )
        organisation = await session.get(Organisation, organisation_id, populate_existing=True)
        if organisation is None:
            raise NotFound("unknown_organisation", "Fant ikke organisasjonen.", f"No organisation {organisation_id}.")
    return organisation
