"""Staff: payments and refunds that need a person, and invoice status per booking."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Person
from booking.services.payment_overview import overview
from booking.services.premises_admin import StaffScope
from booking.web.staff import STAFF, page

INVOICE_STATES_NB = {
    "exported": "Eksportert til regnskap",
    "to_invoice": "Skal faktureres",
    "nothing_to_invoice": "Ingenting å fakturere",
}
PAYMENT_STATES_NB = {
    "created": "opprettet",
    "pending": "venter",
    "paid": "betalt",
    "failed": "feilet",
    "cancelled": "avbrutt",
    "refunded": "refundert",
}


class PaymentOverviewPages(Controller):
    guards = [STAFF]

    @get("/saksbehandling/betalinger", name="staff_payments")
    async def payments(self, db: AsyncSession, person: Person, now: datetime) -> Template:
        data = await overview(db, StaffScope.of(person), now)
        return page(
            "payments.html",
            person,
            "payments",
            overview=data,
            invoice_states=INVOICE_STATES_NB,
            payment_states=PAYMENT_STATES_NB,
        )
