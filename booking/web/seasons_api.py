"""JSON API v1, seasonal allocation: staff set a round up, open and close it, compute the
proposal and publish it; a delegate reads the round and applies for their organisation.
The same use cases as the staff pages (booking.services.seasons, season_proposal,
season_publish); this module only parses and presents. Authenticated like the booking
API (bearer token, or the browser session with the CSRF header); errors are
application/problem+json with a stable code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Person, Season, SeasonAllocation, SeasonApplication
from booking.domain.errors import NotFound
from booking.domain.premises import WEEKDAYS
from booking.services import season_proposal, season_publish, seasons
from booking.services.accounts import STAFF_ROLES
from booking.services.rulebook import HarmonisedRules
from booking.web.auth import requires
from booking.web.bookings_api import session_csrf
from booking.web.season_input import SeasonRequest, setup_from_request

STAFF = requires(*STAFF_ROLES)


@dataclass
class ApplicationRequest:
    organisation_id: int
    needs: list[Any]  # each need is checked by the service, with its own codes


def is_staff(person: Person) -> bool:
    return bool(set(STAFF_ROLES) & set(person.roles))


def season_json(season: Season, premises: list) -> dict:
    return {
        "id": season.id,
        "name": season.name,
        "starts": season.starts.isoformat(),
        "ends": season.ends.isoformat(),
        "application_deadline": season.application_deadline.isoformat(),
        "state": season.state,
        "premises": [row.premises.slug for row in premises],
        # The hours most premises of the round have, and those with other hours by slug.
        "seasonal_hours": _common_hours(premises),
        "premises_hours": {row.premises.slug: row.hours for row in premises if row.hours != _common_hours(premises)},
        "excluded": list(season.excluded or []),
    }


def _common_hours(premises: list) -> dict:
    weeks = [json.dumps(row.hours, sort_keys=True) for row in premises]
    return json.loads(max(set(weeks), key=lambda week: (weeks.count(week), week))) if weeks else {}


def allocation_json(row: SeasonAllocation) -> dict:
    return {
        "id": row.id,
        "application_id": row.application_id,
        "need": row.need,
        "wish": row.wish,
        "premises": row.premises.slug,
        "weekday": WEEKDAYS[row.weekday],
        "start": row.start_time,
        "end": row.end_time,
        "tier": row.tier,
        "pinned": row.pinned,
        "state": row.state,
        "reasons": [reason["code"] for reason in row.reasons or []],
    }


def proposal_json(season: Season, rows: list[SeasonAllocation]) -> dict:
    kept = season.proposal or {}
    return {
        "allocations": [allocation_json(row) for row in rows],
        "unmet": [
            {
                **{k: u[k] for k in ("application_id", "need", "wish")},
                "reasons": [reason["code"] for reason in u["reasons"]],
            }
            for u in kept.get("unmet", [])
        ],
        "summary": kept.get("summary", {}),
        "computed_at": kept.get("computed_at"),
    }


def application_json(application: SeasonApplication) -> dict:
    return {
        "id": application.id,
        "season_id": application.season_id,
        "organisation": {"id": application.organisation_id, "name": application.organisation.name},
        "needs": application.needs,
        "created_at": application.created_at.isoformat(),
        "updated_at": application.updated_at.isoformat(),
    }


class SeasonsApi(Controller):
    path = "/api/v1/seasons"
    guards = [requires(), session_csrf]

    @post("/", status_code=201, guards=[STAFF])
    async def create(self, data: SeasonRequest, db: AsyncSession, now: datetime, person: Person) -> dict:
        season = await seasons.create_season(db, setup_from_request(data), actor_id=person.id, now=now)
        return {"id": season.id, "state": season.state}

    @get("/{season_id:int}")
    async def read(self, season_id: int, db: AsyncSession) -> dict:
        season = await seasons.get_season(db, season_id)
        return season_json(season, await seasons.round_premises(db, season_id))

    @post("/{season_id:int}/open", status_code=200, guards=[STAFF])
    async def open(self, season_id: int, db: AsyncSession, now: datetime) -> dict:
        season = await seasons.move_season(db, season_id, "open", now=now)
        return {"id": season.id, "state": season.state}

    @post("/{season_id:int}/close", status_code=200, guards=[STAFF])
    async def close(self, season_id: int, db: AsyncSession, now: datetime) -> dict:
        season = await seasons.move_season(db, season_id, "close", now=now)
        return {"id": season.id, "state": season.state}

    @post("/{season_id:int}/applications", status_code=201)
    async def apply(
        self,
        season_id: int,
        data: ApplicationRequest,
        db: AsyncSession,
        rules: HarmonisedRules,
        now: datetime,
        person: Person,
    ) -> Response:
        """Apply for an organisation one is a delegate of; sent again before the deadline,
        it replaces the organisation's application (200)."""
        season = await seasons.get_season(db, season_id)
        result = await seasons.submit_application(
            db,
            season_id,
            person_id=person.id,
            organisation_id=data.organisation_id,
            needs=data.needs,
            rules=season_proposal.priority_rules(rules, season),
            now=now,
        )
        return Response({"id": result.id}, status_code=201 if result.created else 200)

    @get("/{season_id:int}/applications/{application_id:int}")
    async def application(self, season_id: int, application_id: int, db: AsyncSession, person: Person) -> dict:
        await seasons.get_season(db, season_id)
        application = await seasons.application_of(db, application_id, person_id=person.id, staff=is_staff(person))
        if application.season_id != season_id:
            raise NotFound(
                "unknown_application",
                "Fant ikke søknaden.",
                f"No application {application_id} in season {season_id}.",
            )
        return application_json(application)

    @get("/{season_id:int}/proposal", guards=[STAFF])
    async def proposal(self, season_id: int, db: AsyncSession) -> dict:
        """The proposal as last computed (and as staff have pinned and moved it since)."""
        season = await seasons.get_season(db, season_id)
        return proposal_json(season, await seasons.allocations(db, season_id))

    @post("/{season_id:int}/proposal", status_code=200, guards=[STAFF])
    async def propose(self, season_id: int, db: AsyncSession, rules: HarmonisedRules, now: datetime) -> dict:
        """Compute the proposal again; what staff pinned is kept."""
        await season_proposal.propose(db, season_id, rule_book=rules, now=now)
        season = await seasons.get_season(db, season_id)
        return proposal_json(season, await seasons.allocations(db, season_id, ("proposed",)))

    @post("/{season_id:int}/publish", status_code=200, guards=[STAFF])
    async def publish(
        self, season_id: int, db: AsyncSession, rules: HarmonisedRules, now: datetime, person: Person
    ) -> dict:
        """Publish a closed round as weekly series; again, the same answer and nothing new."""
        published = await season_publish.publish(db, season_id, rule_book=rules, actor_id=person.id, now=now)
        return published.to_data()
