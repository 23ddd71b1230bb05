"""JSON API v1: who am I. The person behind the token or db, their roles, the
organisations they book for (and whether staff have checked them), and where to manage
their calendar feed links. A feed's secret URL is never shown again after it is made:
only its hash is stored, so this lists the links' records and the page that manages them."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Organisation, Person
from booking.services.feed_tokens import list_tokens
from booking.services.rulebook import HarmonisedRules
from booking.services.self_service import organisations_of
from booking.web.auth import requires
from pricing.lending import age_on
from pricing.rules import local_date

FEEDS_PAGE = "/mine-kalendere"
ORGANISATIONS_PAGE = "/mine-organisasjoner"


def organisation_json(o: Organisation) -> dict:
    return {
        "id": o.id,
        "name": o.name,
        "orgnr": o.orgnr,
        "checked": o.verified_at is not None,
        "checked_at": o.verified_at.isoformat() if o.verified_at else None,
    }


class MeApi(Controller):
    path = "/api/v1"
    guards = [requires()]

    @get("/me")
    async def me(self, db: AsyncSession, rules: HarmonisedRules, now: datetime, person: Person) -> dict:
        min_age = rules.in_force(now).lending.min_age
        organisations = await organisations_of(db, person.id)
        tokens = await list_tokens(db, owner_id=person.id, actor_id=person.id)
        age = age_on(person.birth_date, local_date(now)) if person.birth_date else None
        return {
            "id": person.id,
            "name": person.name,
            "email": person.email,
            "language": person.language,
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "age": age,
            "min_age": min_age,
            "old_enough": None if age is None else age >= min_age,
            "roles": sorted(person.roles or ()),
            "organisations": [organisation_json(o) for o in organisations],
            "feeds": [
                {
                    "id": t.id,
                    "feed": t.feed,
                    "subject_id": t.subject_id,
                    "created_at": t.created_at.isoformat(),
                    "manage": FEEDS_PAGE,
                }
                for t in tokens
            ],
            "links": {
                "self": "/api/v1/me",
                "bookings": "/api/v1/me/bookings",
                "feeds": FEEDS_PAGE,
                "organisations": ORGANISATIONS_PAGE,
            },
        }
