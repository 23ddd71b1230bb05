"""Premises-level tariff exceptions: every deviation from the harmonised tariff, as a
page and a CSV file for staff; only administrators make or remove one."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Person, Premises
from booking.services.premises_admin import InvalidForm
from booking.services.rulebook import current_rules
from booking.services.tariff_exceptions import FIELD_NAMES_NB, create_exception, delete_exception, deviations
from booking.web.i18n import N_
from booking.web.staff import ADMIN, STAFF, field_errors, form_of, page
from common.localtime import to_local

UNIT_NB = {"hour": N_("time"), "day": N_("påbegynte dag")}  # the template translates these
FIELD_NAMES = (N_("Grunnpris"),)  # FIELD_NAMES_NB's names, for the template to translate


async def _deviations(db, now: datetime):
    rules = await current_rules(db)
    return await deviations(db, rules.in_force(now))


class TariffExceptionPages(Controller):
    path = "/saksbehandling/takstunntak"
    guards = [STAFF]

    async def _page(
        self, db, person: Person, now: datetime, *, errors=None, values=None, done=None, status_code: int = 200
    ) -> Template:
        rows = await _deviations(db, now)
        premises = []
        if "admin" in person.roles:
            premises = list((await db.execute(select(Premises).order_by(Premises.name))).scalars().unique())
        return page(
            "tariff_exceptions.html",
            person,
            "exceptions",
            status_code,
            rows=rows,
            premises=premises,
            errors=errors or {},
            v=values or {},
            done=done,
            units=UNIT_NB,
            fields=FIELD_NAMES_NB,
        )

    @get("/", name="staff_tariff_exceptions")
    async def report(
        self,
        db: AsyncSession,
        person: Person,
        now: datetime,
        lagret: bool = False,
        slettet: bool = False,
    ) -> Template:
        done = (
            N_("Unntaket er lagret og brukes i prisberegningen fra nå.")
            if lagret
            else (N_("Unntaket er slettet. Lokalet har igjen prisen i prislisten.") if slettet else None)
        )
        return await self._page(db, person, now, done=done)

    @post("/", guards=[ADMIN], status_code=303)
    async def create(self, request: Request, db: AsyncSession, person: Person, now: datetime) -> Template | Redirect:
        form = await form_of(request)
        try:
            await create_exception(db, form, approver_id=person.id, now=now)
        except InvalidForm as invalid:
            values = {name: form.text(name) for name in ("premises", "rate", "reason")}
            return await self._page(
                db, person, now, errors=field_errors(request, invalid), values=values, status_code=422
            )
        return Redirect("/saksbehandling/takstunntak?lagret=true", status_code=303)

    @post("/{exception_id:int}/slett", guards=[ADMIN], status_code=303)
    async def delete(self, exception_id: int, db: AsyncSession) -> Redirect:
        await delete_exception(db, exception_id)
        return Redirect("/saksbehandling/takstunntak?slettet=true", status_code=303)


class TariffExceptionExport(Controller):
    guards = [STAFF]

    @get("/saksbehandling/takstunntak.csv", name="staff_tariff_exceptions_csv")
    async def export(self, db: AsyncSession, now: datetime) -> Response:
        rows = await _deviations(db, now)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(
            [
                "lokale",
                "bygg",
                "virksomhet",
                "kommunedel",
                "takstkategori",
                "felt",
                "enhet",
                "harmonisert_sats_kr",
                "unntak_sats_kr",
                "avvik_kr",
                "avvik_prosent",
                "regelsett_versjon",
                "begrunnelse",
                "godkjent_av",
                "godkjent_dato",
            ]
        )
        for row in rows:
            p, e = row.premises, row.exception
            writer.writerow(
                [
                    p.name,
                    p.building.name,
                    p.building.department.name,
                    p.building.district.name,
                    p.tariff_category,
                    e.field,
                    row.unit,
                    "" if row.harmonised_rate is None else str(row.harmonised_rate),
                    str(e.value),
                    "" if row.difference is None else str(row.difference),
                    "" if row.percent is None else str(row.percent),
                    row.rule_set_version,
                    e.reason,
                    row.approved_by,
                    to_local(e.created_at).date().isoformat(),
                ]
            )
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={  # Litestar adds "; charset=utf-8"
                "Content-Disposition": 'attachment; filename="takstunntak.csv"'
            },
        )
