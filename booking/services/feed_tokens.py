"""Capability URLs for the non-public feeds: create (the plain token is returned once,
only its hash is stored), list, rotate and revoke.

Tokens are managed by their owner and by staff ("department_staff", "admin"). A token
opens its feed only while its owner may still see that feed: a caretaker who hands a
building over, or a delegate who leaves the organisation, loses the feeds with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import Building, FeedToken, Membership, Organisation, Person, Premises
from booking.domain.errors import DomainError, Forbidden, NotFound
from booking.services.accounts import STAFF_ROLES as ACCOUNT_STAFF_ROLES
from calendars import hash_token, new_token, token_matches

FEED_KINDS = ("premises", "building", "caretaker", "organisation", "person")
STAFF_ROLES = frozenset(ACCOUNT_STAFF_ROLES)
# What new_token() makes is 32 URL-safe characters; anything far from that is not a token.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,128}")


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the plain token: show it once, it is not stored anywhere
    record: FeedToken

    @property
    def path(self) -> str:
        return f"/kalender/{self.token}.ics"


def is_staff(person: Person | None) -> bool:
    return person is not None and bool(STAFF_ROLES.intersection(person.roles or ()))


async def _subject_exists(session: AsyncSession, kind: str, subject_id: int) -> bool:
    """The premises, building, organisation or person the feed shows; for a caretaker
    feed, a person who looks after at least one building."""
    if kind == "caretaker":
        return await session.scalar(select(Building.id).where(Building.caretaker_id == subject_id).limit(1)) is not None
    model = {"premises": Premises, "building": Building, "organisation": Organisation}.get(kind, Person)
    return await session.scalar(select(model.id).where(model.id == subject_id)) is not None


async def entitled(session: AsyncSession, owner: Person, kind: str, subject_id: int) -> bool:
    """Whether this person may see this feed: staff all of them, others their own."""
    if is_staff(owner):
        return True
    if kind in ("person", "caretaker"):
        return owner.id == subject_id
    if kind == "organisation":
        return (
            await session.scalar(
                select(Membership.id).where(Membership.organisation_id == subject_id, Membership.person_id == owner.id)
            )
            is not None
        )
    if kind == "building":
        caretaker = await session.scalar(select(Building.caretaker_id).where(Building.id == subject_id))
    elif kind == "premises":
        caretaker = await session.scalar(
            select(Building.caretaker_id)
            .join(Premises, Premises.building_id == Building.id)
            .where(Premises.id == subject_id)
        )
    else:
        return False
    return caretaker is not None and caretaker == owner.id


async def _check_actor(session: AsyncSession, actor_id: int | None, owner_id: int) -> None:
    """The owner and staff may manage a token; `actor_id=None` is the operator's command line."""
    if actor_id is None or actor_id == owner_id:
        return
    if not is_staff(await session.get(Person, actor_id)):
        raise Forbidden(
            "feed_token_forbidden",
            "Du kan bare endre dine egne kalenderlenker.",
            "Only the owner of a feed link and staff may manage it.",
        )


async def create_token(
    session: AsyncSession, *, feed: str, subject_id: int, owner_id: int, actor_id: int | None, now: datetime
) -> IssuedToken:
    """A new secret feed URL for `owner_id`, inside the caller's write transaction."""
    if feed not in FEED_KINDS:
        raise DomainError(
            "unknown_feed_kind",
            f"Ukjent kalendertype «{feed}».",
            f"Unknown feed kind {feed!r}.",
            allowed=list(FEED_KINDS),
        )
    owner = await session.get(Person, owner_id)
    if owner is None:
        raise NotFound("unknown_person", "Fant ikke brukeren.", f"No person {owner_id}.")
    if not await _subject_exists(session, feed, subject_id):
        raise NotFound("unknown_feed_subject", "Fant ikke det kalenderen skal vise.", f"No {feed} {subject_id}.")
    await _check_actor(session, actor_id, owner_id)
    if not await entitled(session, owner, feed, subject_id):
        raise Forbidden(
            "feed_not_allowed",
            "Denne personen kan ikke abonnere på denne kalenderen.",
            f"Person {owner_id} may not see the {feed} feed {subject_id}.",
        )
    token = new_token()
    record = FeedToken(
        feed=feed,
        subject_id=subject_id,
        owner_id=owner_id,
        token_hash=hash_token(token),
        created_at=now,
        revoked_at=None,
    )
    session.add(record)
    await session.flush()
    return IssuedToken(token, record)


async def list_tokens(
    session: AsyncSession, *, owner_id: int, actor_id: int | None, include_revoked: bool = False
) -> list[FeedToken]:
    await _check_actor(session, actor_id, owner_id)
    query = select(FeedToken).where(FeedToken.owner_id == owner_id)
    if not include_revoked:
        query = query.where(FeedToken.revoked_at.is_(None))
    return list((await session.execute(query.order_by(FeedToken.id))).scalars())


async def revoke_token(session: AsyncSession, token_id: int, *, actor_id: int | None, now: datetime) -> FeedToken:
    """Revoke at once; revoking again changes nothing."""
    record = (
        await session.execute(select(FeedToken).where(FeedToken.id == token_id).with_for_update())
    ).scalar_one_or_none()
    if record is None:
        raise NotFound("unknown_feed_token", "Fant ikke kalenderlenken.", f"No feed token {token_id}.")
    await _check_actor(session, actor_id, record.owner_id)
    if record.revoked_at is None:
        record.revoked_at = now
    return record


async def rotate_token(session: AsyncSession, token_id: int, *, actor_id: int | None, now: datetime) -> IssuedToken:
    """A new URL for the same feed and owner; the old one stops working in the same transaction."""
    old = await revoke_token(session, token_id, actor_id=actor_id, now=now)
    return await create_token(
        session, feed=old.feed, subject_id=old.subject_id, owner_id=old.owner_id, actor_id=actor_id, now=now
    )


async def change_link(
    session: AsyncSession, action: str, *, calendar: str, link: str, person_id: int, now: datetime
) -> IssuedToken | None:
    """ "Mine kalendere": a new link for a calendar ("ny", `calendar` as "person:3" or
    "organisation:5"), a link replaced ("bytt") or deleted ("slett"), in one transaction.
    Returns the new link (shown once: only its hash is kept)."""
    async with write_transaction(session):
        if action == "ny":
            kind, _, subject = calendar.partition(":")
            if kind not in ("person", "organisation") or not subject.isdigit():
                raise DomainError("unknown_feed_kind", "Velg en kalender.", "Choose a calendar.")
            return await create_token(
                session, feed=kind, subject_id=int(subject), owner_id=person_id, actor_id=person_id, now=now
            )
        if action in ("bytt", "slett") and link.isdigit():
            if action == "bytt":
                return await rotate_token(session, int(link), actor_id=person_id, now=now)
            await revoke_token(session, int(link), actor_id=person_id, now=now)
            return None
        raise DomainError("unknown_action", "Ukjent handling.", "Unknown action.")


async def token_feed(session: AsyncSession, token: str) -> tuple[str, int] | None:
    """(feed kind, subject id) for a live token whose owner may still see the feed, else None."""
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    row = (
        await session.execute(
            select(FeedToken, Person)
            .join(Person, Person.id == FeedToken.owner_id)
            .where(FeedToken.token_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return None
    record, owner = row
    if record.revoked_at is not None or not token_matches(token, record.token_hash):
        return None
    if not await entitled(session, owner, record.feed, record.subject_id):
        return None
    return record.feed, record.subject_id


async def resolve_subject(session: AsyncSession, kind: str, text: str) -> int:
    """The subject id a person typed: a slug (premises, building), an e-mail or id
    (caretaker, person), an id or organisation number (organisation)."""
    text = text.strip()
    found = None
    if kind in ("premises", "building"):
        model = Premises if kind == "premises" else Building
        found = await session.scalar(select(model.id).where(model.slug == text))
    elif kind in ("caretaker", "person"):
        query = (
            select(Person.id).where(func.lower(Person.email) == text.lower())
            if "@" in text
            else (select(Person.id).where(Person.id == int(text)) if text.isdigit() else None)
        )
        found = None if query is None else await session.scalar(query)
    elif kind == "organisation" and text.isdigit():
        found = await session.scalar(select(Organisation.id).where(Organisation.orgnr == text))
        if found is None and len(text) < 9:
            found = await session.scalar(select(Organisation.id).where(Organisation.id == int(text)))
    elif kind not in FEED_KINDS:
        raise DomainError(
            "unknown_feed_kind",
            f"Ukjent kalendertype «{kind}».",
            f"Unknown feed kind {kind!r}.",
            allowed=list(FEED_KINDS),
        )
    if found is None:
        raise NotFound("unknown_feed_subject", f"Fant ikke «{text}».", f"No {kind} {text!r}.")
    return found
