"""Delivering the outbox after commit: write the mails stored as events (rendering them
here, outside the transactions that stored them), then claim a row, send it, mark it sent. SMTP with
the settings from the environment, or `.eml` files in a folder when no SMTP host is set
(development). A failure is kept on the row and tried again later with a back-off."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Callable, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import OutboxMail
from booking.notify import outbox
from booking.notify.booking_mail import render_booking_event, render_payment_event
from booking.notify.season_mail import render_received_event, render_released_event, render_season_event
from booking.notify.series_mail import render_series_event
from booking.settings import Settings

log = logging.getLogger("booking.notify")

LEASE = timedelta(minutes=5)


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Deliver or raise; called in a worker thread."""
        ...


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self.port == 465:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            client.ehlo()
            if self.port != 465 and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(message)


@dataclass(frozen=True)
class FileTransport:
    """Development: each mail a file; written under a temporary name, then renamed, so a
    reader never sees half a mail."""

    directory: Path

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", message["X-Lokaler-Outbox"] or "mail")
        final = self.directory / f"{name}.eml"
        temporary = self.directory / f".{name}.{os.getpid()}.tmp"
        temporary.write_bytes(bytes(message))
        temporary.replace(final)


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_host:
        return SmtpTransport(settings.smtp_host, settings.smtp_port, settings.smtp_user, settings.smtp_password)
    return FileTransport(settings.mail_dir)


def message_for(row: OutboxMail, sender: str, domain: str = "lokaler") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at.astimezone(timezone.utc))
    # The same id on every attempt: should a mail ever go out twice (a crash between
    # sending and marking it sent), mail clients show it once.
    digest = hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:24]
    message["Message-ID"] = f"<{row.id}.{digest}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Lokaler-Outbox"] = f"{row.id:08d}-{row.dedupe_key}"
    message.set_content(row.body_text)
    for attachment in row.attachments or []:
        maintype, _, rest = attachment["content_type"].partition("/")
        subtype, *parameters = [part.strip() for part in rest.split(";")]
        params = dict(p.split("=", 1) for p in parameters if "=" in p)
        message.add_attachment(attachment["content"], subtype=subtype, filename=attachment["filename"], params=params)
    # Last: set_content and add_attachment move Content-* headers into the parts.
    message["Content-Language"] = row.language
    return message


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0


# Which function writes a mail stored as an event of each kind; any other kind is a
# booking's change or reminder (`render_booking_event`).
RENDERERS = {
    "receipt": render_payment_event,
    "payment_refunded": render_payment_event,
    "series": render_series_event,
    "season_received": render_received_event,
    "season_published": render_season_event,
    "season_released": render_released_event,
}


def _renderer(kind: str):
    return RENDERERS.get(kind, render_booking_event)


async def render_pending(session: AsyncSession, *, limit: int = 200) -> int:
    """Write the mails still stored as events: rendered from a read, stored by a short
    UPDATE. Safe with several senders: they render the same event the same way, and the
    first to store it wins. Returns how many this call stored."""
    stored = 0
    rows = [(row.id, row.event, row.language) for row in await outbox.unrendered(session, limit)]
    written, failed = [], []
    for mail_id, event, language in rows:
        try:
            written.append((mail_id, *await _renderer(event["mail"])(session, event, language)))
        except Exception as error:  # noqa: BLE001 - one event that cannot be written holds up no other mail
            log.exception("mail %s could not be written from its event %r", mail_id, event)
            failed.append((mail_id, f"{type(error).__name__}: {error}"))
    for mail_id, error in failed:
        async with write_transaction(session):
            await outbox.rendering_failed(session, mail_id, error)
    for mail_id, subject, body, attachments in written:
        async with write_transaction(session):
            stored += await outbox.store_rendering(session, mail_id, subject, body, attachments)
    return stored


async def send_pending(
    session: AsyncSession,
    transport: Transport,
    *,
    sender: str,
    clock: Callable[[], datetime],
    limit: int = 200,
    lease: timedelta = LEASE,
    domain: str = "lokaler",
) -> SendReport:
    """Deliver what is due, one claimed row at a time. Safe to run on several machines at
    once: a row is sent only by the sender whose conditional UPDATE claimed it."""
    report = SendReport()
    await render_pending(session, limit=limit)
    candidates = await outbox.due_ids(session, clock(), limit)
    for mail_id in candidates:
        async with write_transaction(session):
            row = await outbox.claim(session, mail_id, clock(), lease)
        if row is None:
            continue  # another sender has it, or has sent it
        try:
            await asyncio.to_thread(transport.send, message_for(row, sender, domain))
        except Exception as error:  # noqa: BLE001 - any failure is kept on the row and retried
            log.warning("mail %s to %s failed (attempt %s): %s", row.id, row.to_address, row.attempts, error)
            async with write_transaction(session):
                await outbox.mark_failed(session, row.id, row.attempts, f"{type(error).__name__}: {error}", clock())
            report.failed += 1
            continue
        async with write_transaction(session):
            await outbox.mark_sent(session, row.id, clock())
        report.sent += 1
    return report
