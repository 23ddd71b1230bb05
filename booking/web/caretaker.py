"""The caretaker's list: today's and this week's bookings in the buildings they look
after, with who comes, how many, for whom and how to reach them. Printable (the print
style sheet drops the navigation). Administrators may look at any building. A seasonal
date that has begun can be marked as not used (booking.services.season_publish)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Person
from booking.services.caretaking import buildings_of, local_today, monday_of, week_rota
from booking.services.season_publish import mark_not_used
from booking.services.season_views import season_marks
from booking.web.staff import CARETAKER, page


class CaretakerPages(Controller):
    guards = [CARETAKER]

    @get("/vaktmester", name="caretaker")
    async def rota(
        self,
        db: AsyncSession,
        person: Person,
        now: datetime,
        uke: str | None = None,
        bygg: str | None = None,
        merket: int | None = None,
    ) -> Template:
        today = local_today(now)
        try:
            monday = monday_of(date.fromisoformat(uke)) if uke else monday_of(today)
        except ValueError:
            monday = monday_of(today)
        is_admin = "admin" in person.roles
        mine = await buildings_of(db, person.id)
        choices = await buildings_of(db, None) if is_admin else mine
        chosen = [b for b in choices if b.slug == bygg] if bygg else mine
        rota = await week_rota(db, chosen, monday)
        marks = await season_marks(db, [b for r in rota for _, day in r.days for b in day])
        return page(
            "caretaker.html",
            person,
            "caretaker",
            rota=rota,
            today=today,
            monday=monday,
            previous=monday - timedelta(days=7),
            next=monday + timedelta(days=7),
            this_week=monday == monday_of(today),
            choices=choices,
            bygg=bygg or "",
            looks_after=mine,
            marks=marks,
            now=now,
            marked=merket,
            mine_ids={b.id for b in mine},
        )

    @post("/vaktmester/ikke-brukt/{booking_id:int}", status_code=303)
    async def not_used(
        self,
        request: Request,
        booking_id: int,
        db: AsyncSession,
        person: Person,
        now: datetime,
    ) -> Redirect:
        """Mark a seasonal date of a building one looks after as not used; back to the same week."""
        await mark_not_used(db, booking_id, caretaker_id=person.id, now=now)
        form = await request.form()
        back = {key: form.get(key) for key in ("uke", "bygg") if form.get(key)}
        back["merket"] = str(booking_id)
        return Redirect(f"/vaktmester?{urlencode(back)}#bestilling-{booking_id}", status_code=303)
