"""`booking send-mail`: enqueue the reminders that are due, then deliver the outbox.
Safe to run on several machines at once (reminders are keyed, rows are claimed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.notify import enqueue_due_reminders
from booking.notify.sender import Transport, send_pending, transport_for
from booking.settings import Settings


@dataclass(frozen=True)
class MailRun:
    reminders: int
    sent: int
    failed: int


async def send_mail(
    session: AsyncSession,
    settings: Settings,
    *,
    clock: Callable[[], datetime],
    transport: Transport | None = None,
    limit: int = 200,
) -> MailRun:
    async with write_transaction(session):
        reminders = await enqueue_due_reminders(session, clock())
    report = await send_pending(
        session,
        transport or transport_for(settings),
        sender=settings.smtp_from,
        clock=clock,
        limit=limit,
        domain=urlsplit(settings.base_url).hostname or "lokaler",
    )
    return MailRun(reminders, report.sent, report.failed)
