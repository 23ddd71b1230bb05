"""Staff: seasonal allocation at /saksbehandling/sesonger. The list of rounds and a form
to set one up; a round's page with its state and actions (open, close, compute the
proposal, publish), the summary, a week plan per premises, unmet wishes with the reasons
in the reader's language, pinning and moving allocations, and after publishing the
result and withdrawing; and the queue of published time caretakers often find unused.
Each action is one use case of booking.services.seasons, season_proposal or
season_publish; the pages only read forms and present."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Building, Person, Premises, SeasonAllocation
from booking.domain.errors import DomainError, NotFound
from booking.domain.premises import WEEKDAY_NAMES_NB, WEEKDAYS
from booking.services import season_proposal, season_publish, seasons
from booking.services.premises_admin import InvalidForm
from booking.services.rulebook import HarmonisedRules, current_rules
from booking.web.i18n import N_, language_of, message_of
from booking.web.season_input import form_problem, setup_from_form
from booking.web.season_view import (
    allocation_views,
    collision_views,
    premises_label,
    summary_view,
    unmet_views,
    week_plans,
)
from booking.web.staff import STAFF, field_errors, form_of, page

HOME = "/saksbehandling/sesonger"
STATES = {
    "draft": N_("Utkast (ikke åpnet)"),
    "open": N_("Åpen for søknader"),
    "closed": N_("Lukket for søknader"),
    "published": N_("Publisert"),
}
ALLOCATION_STATES = {
    "proposed": N_("Foreslått"),
    "published": N_("Publisert"),
    "given_back": N_("Gitt tilbake"),
    "withdrawn": N_("Trukket tilbake"),
}
DONE = {
    "opprettet": N_("Sesongen er opprettet som utkast. Åpne den når søknadene kan komme."),
    "apnet": N_("Sesongen er åpen for søknader."),
    "lukket": N_("Sesongen er lukket for søknader."),
    "forslag": N_("Forslaget er laget. Festede tildelinger er beholdt."),
    "publisert": N_("Tildelingene er publisert som faste bestillinger. Organisasjonene får e-post."),
    "festet": N_("Tildelingen er festet og beholdes når forslaget lages på nytt."),
    "lost": N_("Tildelingen er ikke lenger festet."),
    "flyttet": N_("Tildelingen er flyttet og festet."),
    "trukket": N_("Tildelingen er trukket tilbake. De kommende datoene er avbestilt og ledige for andre."),
}
DEFAULT_HOURS = {day: "16:00-22:30" for day in WEEKDAYS[:5]}
NOT_USED_LIMIT = 3  # when no rule set has priority rules: the default rule set's number


async def halls_by_building(db: AsyncSession) -> list[tuple[Building, list[Premises]]]:
    """Halls and gyms, the premises seasonal time is given in, grouped by building."""
    rows = (
        (
            await db.execute(
                select(Premises).join(Building).where(Premises.kind == "hall").order_by(Building.name, Premises.name)
            )
        )
        .scalars()
        .unique()
    )
    grouped: dict[int, tuple[Building, list[Premises]]] = {}
    for p in rows:
        grouped.setdefault(p.building_id, (p.building, []))[1].append(p)
    return list(grouped.values())


def _rules(rule_book, season):
    try:
        return season_proposal.priority_rules(rule_book, season)
    except DomainError:
        return None  # the page still shows the round; reasons are then given as codes


class SeasonPages(Controller):
    path = HOME
    guards = [STAFF]

    async def _list(
        self,
        db,
        person: Person,
        *,
        values: dict | None = None,
        errors: dict | None = None,
        status_code: int = 200,
    ) -> Template:
        rounds = await seasons.seasons(db)
        halls = await halls_by_building(db)
        values = values or {"apent_" + day: hours for day, hours in DEFAULT_HOURS.items()}
        return page(
            "seasons.html",
            person,
            "seasons",
            status_code,
            seasons=rounds,
            states=STATES,
            halls=halls,
            v=values,
            errors=errors or {},
            weekdays=list(zip(WEEKDAYS, WEEKDAY_NAMES_NB)),
        )

    @get("/", name="staff_seasons")
    async def list_seasons(self, db: AsyncSession, person: Person) -> Template:
        return await self._list(db, person)

    @post("/", status_code=303)
    async def create(self, request: Request, db: AsyncSession, person: Person, now: datetime) -> Template | Redirect:
        form = await form_of(request)
        try:
            season = await seasons.create_season(db, setup_from_form(form), actor_id=person.id, now=now)
        except DomainError as error:
            invalid = error if isinstance(error, InvalidForm) else form_problem(error)
            values = {
                name: form.text(name)
                for name in (
                    "navn",
                    "forste_dato",
                    "siste_dato",
                    "frist_dato",
                    "frist_tid",
                    *("apent_" + day for day in WEEKDAYS),
                )
            }
            values.update(unntak="\n".join(form.all("unntak")), lokaler=form.all("lokaler"))
            return await self._list(db, person, values=values, errors=field_errors(request, invalid), status_code=422)
        return Redirect(f"{HOME}/{season.id}?utfort=opprettet", status_code=303)

    @get("/ubrukt", name="staff_seasons_unused")
    async def unused(self, request: Request, db: AsyncSession, rules: HarmonisedRules, person: Person) -> Template:
        """Published allocations whose dates caretakers marked not used at least as often
        as the season's rules say staff should be told."""
        rounds = await seasons.seasons(db)
        limits = {s.id: (p.not_used_limit if (p := _rules(rules, s)) else NOT_USED_LIMIT) for s in rounds}
        found = await season_publish.often_unused(db, min(limits.values(), default=NOT_USED_LIMIT))
        found = [(row, count) for row, count in found if count >= limits.get(row.season_id, NOT_USED_LIMIT)]
        names = {s.id: s.name for s in rounds}
        language = language_of(request)
        items = [
            (view, count, names.get(row.season_id, ""), row.season_id)
            for (row, count), view in zip(found, allocation_views([r for r, _ in found], None, language))
        ]
        return page("seasons_unused.html", person, "seasons", items=items)

    async def _season(
        self,
        request: Request,
        db,
        person: Person,
        season_id: int,
        *,
        status_code: int = 200,
        done: str | None = None,
        errors: dict | None = None,
        values: dict | None = None,
        action_error: str | None = None,
    ) -> Template:
        rule_book = await current_rules(db)
        season = await seasons.get_season(db, season_id)
        premises = await seasons.round_premises(db, season_id)
        applications = await seasons.applications(db, season_id)
        rows = await seasons.allocations(db, season_id, ("proposed", "published", "given_back", "withdrawn"))
        rules = _rules(rule_book, season)
        language = language_of(request)
        views = allocation_views(rows, rules, language)
        active = [v for v in views if v.state in ("proposed", "published")]
        labels = {row.premises.slug: premises_label(row.premises) for row in premises}
        kept = season.proposal or {}
        return page(
            "season.html",
            person,
            "seasons",
            status_code,
            season=season,
            states=STATES,
            allocation_states=ALLOCATION_STATES,
            premises=premises,
            labels=labels,
            applications=applications,
            needs=sum(len(a.needs) for a in applications),
            allocations=views,
            plans=week_plans(premises, active),
            unmet=unmet_views(season, applications, labels, rules, language),
            summary=summary_view(kept.get("summary", {}), rules, language),
            computed_at=datetime.fromisoformat(kept["computed_at"]) if kept.get("computed_at") else None,
            published=kept.get("published"),
            collisions=collision_views(kept.get("published"), applications, language),
            weekdays=list(zip(WEEKDAYS, WEEKDAY_NAMES_NB)),
            done=DONE.get(done or ""),
            errors=errors or {},
            v=values or {},
            action_error=action_error,
        )

    @get("/{season_id:int}", name="staff_season")
    async def season(
        self,
        request: Request,
        season_id: int,
        db: AsyncSession,
        person: Person,
        utfort: str | None = None,
    ) -> Template:
        return await self._season(request, db, person, season_id, done=utfort)

    async def _act(
        self, request: Request, db, person: Person, season_id: int, done: str, action, anchor: str = ""
    ) -> Template | Redirect:
        """Run a use case; a refusal is shown on the season's page, in the reader's language."""
        try:
            await action()
        except DomainError as error:
            if isinstance(error, NotFound) and error.code in ("unknown_season", "unknown_allocation"):
                raise
            return await self._season(
                request, db, person, season_id, status_code=error.status, action_error=message_of(request, error)
            )
        return Redirect(f"{HOME}/{season_id}?utfort={done}{anchor}", status_code=303)

    @post("/{season_id:int}/apne", status_code=303)
    async def open_round(
        self,
        request: Request,
        season_id: int,
        db: AsyncSession,
        person: Person,
        now: datetime,
    ) -> Template | Redirect:
        return await self._act(
            request,
            db,
            person,
            season_id,
            "apnet",
            lambda: seasons.move_season(db, season_id, "open", now=now),
        )

    @post("/{season_id:int}/lukk", status_code=303)
    async def close_round(
        self,
        request: Request,
        season_id: int,
        db: AsyncSession,
        person: Person,
        now: datetime,
    ) -> Template | Redirect:
        return await self._act(
            request,
            db,
            person,
            season_id,
            "lukket",
            lambda: seasons.move_season(db, season_id, "close", now=now),
        )

    @post("/{season_id:int}/forslag", status_code=303)
    async def propose(
        self,
        request: Request,
        season_id: int,
        db: AsyncSession,
        rules: HarmonisedRules,
        person: Person,
        now: datetime,
    ) -> Template | Redirect:
        return await self._act(
            request,
            db,
            person,
            season_id,
            "forslag",
            lambda: season_proposal.propose(db, season_id, rule_book=rules, now=now),
            "#oppsummering",
        )

    @post("/{season_id:int}/publiser", status_code=303)
    async def publish(
        self,
        request: Request,
        season_id: int,
        db: AsyncSession,
        rules: HarmonisedRules,
        person: Person,
        now: datetime,
    ) -> Template | Redirect:
        return await self._act(
            request,
            db,
            person,
            season_id,
            "publisert",
            lambda: season_publish.publish(db, season_id, rule_book=rules, actor_id=person.id, now=now),
            "#resultat",
        )

    async def _allocation(self, db, season_id: int, allocation_id: int) -> SeasonAllocation:
        row = await db.get(SeasonAllocation, allocation_id)
        if row is None or row.season_id != season_id:
            raise NotFound(
                "unknown_allocation", "Fant ikke tildelingen.", f"No allocation {allocation_id} in season {season_id}."
            )
        return row

    @post("/{season_id:int}/tildelinger/{allocation_id:int}/fest", status_code=303)
    async def pin(
        self,
        request: Request,
        season_id: int,
        allocation_id: int,
        db: AsyncSession,
        person: Person,
        now: datetime,
    ) -> Template | Redirect:
        await self._allocation(db, season_id, allocation_id)
        pinned = (await form_of(request)).text("festet") != "nei"
        return await self._act(
            request,
            db,
            person,
            season_id,
            "festet" if pinned else "lost",
            lambda: season_proposal.pin(db, allocation_id, pinned=pinned, now=now),
            f"#tildeling-{allocation_id}",
        )

    @post("/{season_id:int}/tildelinger/{allocation_id:int}/flytt", status_code=303)
    async def move(
        self,
        request: Request,
        season_id: int,
        allocation_id: int,
        db: AsyncSession,
        person: Person,
        now: datetime,
    ) -> Template | Redirect:
        await self._allocation(db, season_id, allocation_id)
        form = await form_of(request)
        wanted = {name: form.text(name) for name in ("lokale", "ukedag", "fra", "til")}
        try:
            await season_proposal.move(
                db,
                allocation_id,
                premises_slug=wanted["lokale"],
                weekday=wanted["ukedag"],
                start=wanted["fra"],
                end=wanted["til"],
                now=now,
            )
        except DomainError as error:
            if isinstance(error, NotFound):
                raise
            return await self._season(
                request,
                db,
                person,
                season_id,
                status_code=error.status,
                errors={f"flytt-{allocation_id}": message_of(request, error)},
                values={f"flytt-{allocation_id}": wanted},
            )
        return Redirect(f"{HOME}/{season_id}?utfort=flyttet#tildeling-{allocation_id}", status_code=303)

    @post("/{season_id:int}/tildelinger/{allocation_id:int}/trekk", status_code=303)
    async def withdraw(
        self,
        request: Request,
        season_id: int,
        allocation_id: int,
        db: AsyncSession,
        person: Person,
        now: datetime,
    ) -> Template | Redirect:
        await self._allocation(db, season_id, allocation_id)
        return await self._act(
            request,
            db,
            person,
            season_id,
            "trukket",
            lambda: season_publish.withdraw(db, allocation_id, actor_id=person.id, now=now),
            f"#tildeling-{allocation_id}",
        )
