from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from booking.db.models import Membership, Organisation
from booking.domain.errors import DomainError
from booking.services.organisations import register_organisation
from tests.world import build_world

NOW = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


async def test_register_validates_the_number_and_writes_nothing_on_refusal(db):
    world = await build_world(db.session)
    with pytest.raises(DomainError) as refused:
        await register_organisation(
            db.session, name="Nytt kor", orgnr="974760674", delegate_id=world.person_id, now=NOW
        )
    assert refused.value.code == "invalid_orgnr"
    with pytest.raises(DomainError) as duplicate:
        await register_organisation(db.session, name="Kopi", orgnr="974 760 673", delegate_id=world.person_id, now=NOW)
    assert (duplicate.value.code, duplicate.value.status) == ("duplicate_orgnr", 409)
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Organisation)) == 1
    made = await register_organisation(
        db.session,
        name="Nytt kor",
        orgnr="991 012 133",
        delegate_id=world.person_id,
        now=NOW,
        in_frivillighetsregisteret=True,
    )
    async with db.sessions() as s:
        assert (
            await s.scalar(select(Membership.person_id).where(Membership.organisation_id == made.id)) == world.person_id
        )
