"""Staff: organisations waiting for the municipality's check. An organisation registered
through the site claims its own status; staff compare it with the public registers and
mark it checked. Until then its bookings wait in the approval queue."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Person
from booking.services.organisations import awaiting_check, mark_checked
from booking.web.i18n import N_
from booking.web.staff import STAFF, page

# What an organisation may claim about itself (services.organisations.FLAGS), as staff read it.
CLAIMS = {
    "works_for_children_youth": N_("Aktivitet for barn og unge"),
    "in_frivillighetsregisteret": N_("Registrert i Frivillighetsregisteret"),
    "sports_club": N_("Idrettslag"),
    "based_in_municipality": N_("Holder til i kommunen"),
    "commercial": N_("Driver kommersielt"),
    "municipal": N_("Kommunal enhet"),
}
DONE = {
    "kontrollert": N_(
        "Organisasjonen er markert som kontrollert. Bestillinger den allerede har sendt, "
        "behandler du i godkjenningskøen."
    )
}


class OrganisationCheckPages(Controller):
    path = "/saksbehandling/organisasjoner"
    guards = [STAFF]

    @get("/", name="staff_organisations")
    async def waiting(self, db: AsyncSession, person: Person, utfort: str | None = None) -> Template:
        waiting = await awaiting_check(db)
        return page(
            "organisations.html", person, "organisations", waiting=waiting, claims=CLAIMS, done=DONE.get(utfort or "")
        )

    @post("/{organisation_id:int}/kontroller", status_code=303)
    async def check(self, db: AsyncSession, person: Person, now: datetime, organisation_id: int) -> Redirect:
        await mark_checked(db, organisation_id, staff_id=person.id, now=now)
        return Redirect("/saksbehandling/organisasjoner?utfort=kontrollert", status_code=303)
