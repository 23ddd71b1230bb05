"""Min sesongtid (logged in): the time the person's organisations were given in each
published round, with the coming dates, a way to give back the whole allocation or one
date (booking.services.season_publish.give_back: the time is free for others at once),
and each wish they did not get with the reason in words. A round that is not published
shows nothing of its proposal: staff review it first."""

from __future__ import annotations

from datetime import date, datetime

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

import allocation
from booking.db.models import Person
from booking.domain.errors import DomainError, Forbidden, NotFound
from booking.domain.premises import WEEKDAYS
from booking.services import season_publish
from booking.services.rulebook import current_rules
from booking.services.season_proposal import priority_rules, reason_of
from booking.services.season_views import premises_names, seasons_of
from booking.services.self_service import organisations_of
from booking.web.auth import requires
from booking.web.booking_pages import WEEKDAY_NAMES
from booking.web.i18n import N_, language_of, message_of, tr
from common.errors import CodedError

ALLOCATION_STATES = {"given_back": N_("Gitt tilbake"), "withdrawn": N_("Trukket tilbake av kommunen")}


class MySeasonPages(Controller):
    guards = [requires()]

    async def _page(
        self,
        request: Request,
        db: AsyncSession,
        now: datetime,
        person: Person,
        *,
        given: int | None = None,
        problems: dict[str, str] | None = None,
        refusal_code: str | None = None,
        status_code: int = 200,
    ) -> Template:
        language = language_of(request)
        organisations = await organisations_of(db, person.id)
        views = await seasons_of(db, [o.id for o in organisations], now)
        names = await premises_names(db, {u.wish["premises"] for v in views for u in v.unmet})
        rule_book = await current_rules(db) if any(v.published for v in views) else None
        why: dict[object, list[str]] = {}
        for view in views:
            if not view.published:
                continue
            try:
                rules = priority_rules(rule_book, view.season)
            except DomainError:  # no priority rules in force any more: the facts without the sentences
                continue
            for shown in view.allocations:
                why[("allocation", shown.row.id)] = [
                    allocation.explain(reason_of(r), rules, language) for r in shown.row.reasons
                ]
            for unmet in view.unmet:
                why[("unmet", view.application.id, unmet.need_index, unmet.rank)] = [
                    allocation.explain(r, rules, language) for r in unmet.reasons
                ]
        return Template(
            "seasons/mine.html",
            status_code=status_code,
            context={
                "views": views,
                "why": why,
                "names": names,
                "organisations": organisations,
                "given": given,
                "problems": problems or {},
                "refusal_code": refusal_code,
                "allocation_states": ALLOCATION_STATES,
                "weekday_names": dict(zip(WEEKDAYS, WEEKDAY_NAMES)),
                "day_names": WEEKDAY_NAMES,
                "rank_name": lambda rank: allocation.wish_rank(rank, language),
            },
        )

    @get("/min-sesongtid", name="my_season_time")
    async def mine(
        self,
        request: Request,
        db: AsyncSession,
        now: datetime,
        person: Person,
        gitt: int | None = None,
    ) -> Template:
        return await self._page(request, db, now, person, given=gitt)

    @post("/min-sesongtid/{allocation_id:int}/gi-tilbake", status_code=303)
    async def give_back(
        self,
        request: Request,
        allocation_id: int,
        db: AsyncSession,
        now: datetime,
        person: Person,
    ) -> Template | Redirect:
        """The whole allocation (`hva=hele`, confirmed with the box) or one date (`hva=dato`)."""
        form = await request.form()
        what, days, problems = form.get("hva"), None, {}
        if what == "hele":
            if not form.get("bekreft"):
                problems[f"bekreft-{allocation_id}"] = tr(
                    request, "Kryss av for å bekrefte at dere gir fra dere alle de kommende datoene."
                )
        elif what == "dato":
            try:
                days = [date.fromisoformat(form.get("dato") or "")]
            except ValueError:
                problems[f"dato-{allocation_id}"] = tr(request, "Velg datoen dere vil gi tilbake.")
        else:
            raise DomainError("unknown_action", "Ukjent handling.", "Unknown action.")
        if problems:
            return await self._page(
                request,
                db,
                now,
                person,
                problems=problems,
                refusal_code="confirm_required" if what == "hele" else "invalid_date",
                status_code=422,
            )
        try:
            count = await season_publish.give_back(db, allocation_id, person_id=person.id, days=days, now=now)
        except CodedError as refusal:
            if isinstance(refusal, (NotFound, Forbidden)):
                raise
            field = f"dato-{allocation_id}" if what == "dato" else f"bekreft-{allocation_id}"
            return await self._page(
                request,
                db,
                now,
                person,
                problems={field: message_of(request, refusal)},
                refusal_code=refusal.code,
                status_code=getattr(refusal, "status", 422),
            )
        return Redirect(f"/min-sesongtid?gitt={count}", status_code=303)
