"""Notifications: e-mails written to an outbox in the same transaction as the change
they report, and a sender that delivers each exactly once (`booking send-mail`)."""
from __future__ import annotations

from booking.notify.booking_mail import (
    booking_changed,
    booking_event,
    booking_reference,
    enqueue_due_reminders,
    ics_attachment,
    payment_receipt,
    payment_refunded,
)
from booking.notify.outbox import Attachment, Mail, enqueue, undeliverable

__all__ = [
    "Attachment", "Mail", "booking_changed", "booking_event", "booking_reference", "enqueue",
    "enqueue_due_reminders", "ics_attachment", "payment_receipt", "payment_refunded", "undeliverable",
]
