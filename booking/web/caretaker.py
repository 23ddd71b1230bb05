"""The caretaker's list: today's and this week's bookings in the buildings they look
after, with who comes, how many, for whom and how to reach them. Printable (the print
style sheet drops the navigation). Administrators may look at any building."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from litestar import Controller, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.db.models import Person
from booking.services.caretaking import buildings_of, local_today, monday_of, week_rota
from booking.web.staff import CARETAKER, page


class CaretakerPages(Controller):
    guards = [CARETAKER]

    @get("/vaktmester", name="caretaker")
    async def rota(self, sessions: async_sessionmaker[AsyncSession], person: Person, now: datetime,
                   uke: str | None = None, bygg: str | None = None) -> Template:
        today = local_today(now)
        try:
            monday = monday_of(date.fromisoformat(uke)) if uke else monday_of(today)
        except ValueError:
            monday = monday_of(today)
        is_admin = "admin" in person.roles
        async with sessions() as session:
            mine = await buildings_of(session, person.id)
            choices = await buildings_of(session, None) if is_admin else mine
            chosen = [b for b in choices if b.slug == bygg] if bygg else mine
            rota = await week_rota(session, chosen, monday)
        return page("caretaker.html", person, "caretaker", rota=rota, today=today, monday=monday,
                    previous=monday - timedelta(days=7), next=monday + timedelta(days=7),
                    this_week=monday == monday_of(today), choices=choices, bygg=bygg or "",
                    looks_after=mine)
