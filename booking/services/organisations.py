"""Registering an organisation: a valid organisation number, once."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.db.engine import write_transaction
from booking.db.models import Membership, Organisation
from booking.domain.errors import DomainError
from booking.domain.organisations import valid_orgnr

FLAGS = ("works_for_children_youth", "in_frivillighetsregisteret", "sports_club", "based_in_municipality",
         "commercial", "municipal")


class DuplicateOrganisation(DomainError):
    status = 409


async def register_organisation(sessions: async_sessionmaker[AsyncSession], *, name: str, orgnr: str,
                                delegate_id: int, **flags: bool) -> Organisation:
    """Validate first, write nothing on refusal; the registering person becomes a delegate."""
    if not name.strip():
        raise DomainError("name_required", "Skriv inn navnet på organisasjonen.", "A name is required.")
    number = valid_orgnr(orgnr)
    unknown = set(flags) - set(FLAGS)
    if unknown:
        raise DomainError("unknown_flag", "Ukjent opplysning om organisasjonen.", f"Unknown flags {sorted(unknown)}.")
    async with write_transaction(sessions) as session:
        if await session.scalar(select(Organisation.id).where(Organisation.orgnr == number)):
            raise DuplicateOrganisation("duplicate_orgnr", f"Organisasjonsnummer {number} er allerede registrert.",
                                        f"Organisation number {number} is already registered.")
        organisation = Organisation(name=name.strip(), orgnr=number, **flags)
        session.add(organisation)
        await session.flush()
        session.add(Membership(organisation_id=organisation.id, person_id=delegate_id))
    return organisation
