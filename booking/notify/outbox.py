"""The outbox: an e-mail is a row written in the same transaction as the change it
reports, so a change is never committed without its mail nor a mail sent for a change
that was rolled back. Each mail is stored as an event (its kind, ids and facts) and
rendered by the sender, so nothing is rendered while the change holds the write lock. A
sender claims rows with a conditional UPDATE (a lease in `claimed_until`), so two
senders never deliver one row twice."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Insert, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import OutboxMail

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; method=PUBLISH"
    content: str  # text; attachments are text files (.ics)

    def to_data(self) -> dict[str, str]:
        return {"filename": self.filename, "content_type": self.content_type, "content": self.content}


@dataclass(frozen=True)
class Mail:
    dedupe_key: str  # one mail per key, ever: "booking-12-3-confirmed", "reminder-12-2026-12-08T17:00"
    to_address: str
    language: str
    subject: str
    body_text: str
    attachments: tuple[Attachment, ...] = ()
    event: dict | None = None  # not yet written: what the sender renders subject, body and attachments from


def event_mail(dedupe_key: str, to_address: str, language: str, event: dict) -> Mail:
    return Mail(dedupe_key, to_address, language, "", "", (), event)


async def enqueue(session: AsyncSession, mail: Mail, now: datetime) -> bool:
    """Add the mail unless one with its key exists; True when it was added."""
    connection = await session.connection()  # Core, not the ORM's bulk insert: one plain statement
    result = await connection.execute(insert_unless_stored(connection.dialect.name), outbox_row(mail, now))
    return bool(result.rowcount)


def outbox_row(mail: Mail, now: datetime) -> dict:
    """The outbox row of a mail stored now."""
    return {
        "dedupe_key": mail.dedupe_key,
        "to_address": mail.to_address,
        "language": mail.language,
        "subject": mail.subject,
        "body_text": mail.body_text,
        "attachments": [a.to_data() for a in mail.attachments],
        "event": mail.event,
        "created_at": now,
        "claimed_until": None,
        "sent_at": None,
        "attempts": 0,
        "last_error": None,
    }


@functools.cache
def insert_unless_stored(dialect: str) -> Insert:
    """The outbox's INSERT … ON CONFLICT (dedupe_key) DO NOTHING, built once per dialect."""
    return (
        (postgresql if dialect == "postgresql" else sqlite)
        .insert(OutboxMail)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


async def unrendered(session: AsyncSession, limit: int) -> list[OutboxMail]:
    """Mails still stored as events, oldest first."""
    return list(
        (
            await session.execute(
                select(OutboxMail)
                .where(OutboxMail.event.is_not(None), OutboxMail.sent_at.is_(None), OutboxMail.attempts < MAX_ATTEMPTS)
                .order_by(OutboxMail.id)
                .limit(limit)
            )
        ).scalars()
    )


async def rendering_failed(session: AsyncSession, mail_id: int, error: str) -> None:
    """An event that could not be written counts as a failed attempt: after MAX_ATTEMPTS it
    is no longer tried and is listed with the undeliverable mails, for staff to look at."""
    await session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.event.is_not(None))
        .values(attempts=OutboxMail.attempts + 1, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )


async def store_rendering(
    session: AsyncSession, mail_id: int, subject: str, body_text: str, attachments: tuple[Attachment, ...]
) -> bool:
    """Write the rendered mail in place of its event; a row another sender rendered first
    is left as it is (both rendered the same event)."""
    result = await session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.event.is_not(None))
        .values(subject=subject, body_text=body_text, attachments=[a.to_data() for a in attachments], event=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def _claimable(now: datetime):
    return and_(
        OutboxMail.sent_at.is_(None),
        OutboxMail.event.is_(None),
        OutboxMail.attempts < MAX_ATTEMPTS,
        or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until <= now),
    )


async def due_ids(session: AsyncSession, now: datetime, limit: int) -> list[int]:
    return list(
        (
            await session.execute(select(OutboxMail.id).where(_claimable(now)).order_by(OutboxMail.id).limit(limit))
        ).scalars()
    )


async def claim(session: AsyncSession, mail_id: int, now: datetime, lease: timedelta) -> OutboxMail | None:
    """Take one row for `lease`. The WHERE is re-checked by the database when the row is
    updated, so of two senders racing for a row exactly one gets it."""
    claimed = (
        await session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id, _claimable(now))
            .values(claimed_until=now + lease, attempts=OutboxMail.attempts + 1)
            .returning(OutboxMail.id)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()
    if claimed is None:
        return None
    return (
        await session.execute(
            select(OutboxMail).where(OutboxMail.id == mail_id).execution_options(populate_existing=True)
        )
    ).scalar_one()


async def mark_sent(session: AsyncSession, mail_id: int, now: datetime) -> None:
    await session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.sent_at.is_(None))
        .values(sent_at=now, claimed_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes, at most an hour, before a failed mail is tried again."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


async def mark_failed(session: AsyncSession, mail_id: int, attempts: int, error: str, now: datetime) -> None:
    await session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.sent_at.is_(None))
        .values(claimed_until=now + backoff(attempts), last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )


async def undeliverable(session: AsyncSession) -> list[OutboxMail]:
    """Mails that failed and are no longer retried: for staff to look at."""
    return list(
        (
            await session.execute(
                select(OutboxMail)
                .where(OutboxMail.sent_at.is_(None), OutboxMail.attempts >= MAX_ATTEMPTS)
                .order_by(OutboxMail.id)
            )
        ).scalars()
    )
