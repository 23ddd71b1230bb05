"""Staff see invoice status per booking and what needs following up, for their own
department's premises."""

from __future__ import annotations

from sqlalchemy import update

from booking.db.engine import write_transaction
from booking.db.models import Booking
from tests.integration.test_staff import login_as, staff  # noqa: F401 - fixture


async def test_invoice_status_per_booking_for_the_owning_department(staff):
    async with write_transaction(staff.db.session) as s:
        await s.execute(
            update(Booking)
            .where(Booking.id == staff.staff.confirmed_id)
            .values(payment_method="invoice", price_total=300)
        )
    await login_as(staff, "department_staff")
    page = await staff.get("/saksbehandling/betalinger")
    assert page.status_code == 200
    assert f"#{staff.staff.confirmed_id}" in page.text and "Skal faktureres" in page.text
    assert "Ingen betalinger eller refusjoner trenger oppfølging." in page.text
    await login_as(staff, "other_staff")
    page = await staff.get("/saksbehandling/betalinger")
    assert f"#{staff.staff.confirmed_id}" not in page.text
    await login_as(staff, "delegate")
    assert (await staff.get("/saksbehandling/betalinger")).status_code == 403
