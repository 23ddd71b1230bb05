"""Notifications: e-mails written to an outbox in the same transaction as the change
they report, and a sender that delivers each exactly once (`booking send-mail`)."""

from __future__ import annotations

from booking.notify.booking_mail import (
    GIVEN_BACK,
    MOVED_IN_SERIES,
    WITHDRAWN,
    booking_changed,
    booking_reference,
    change_mail,
    enqueue_due_reminders,
    ics_attachment,
    payment_receipt,
    payment_refunded,
)
from booking.notify.outbox import Attachment, Mail, enqueue, undeliverable
from booking.notify.series_mail import Refused, SeriesDate, series_paid, series_summary

__all__ = [
    "GIVEN_BACK",
    "MOVED_IN_SERIES",
    "WITHDRAWN",
    "Attachment",
    "Mail",
    "booking_changed",
    "change_mail",
    "booking_reference",
    "enqueue",
    "enqueue_due_reminders",
    "ics_attachment",
    "payment_receipt",
    "payment_refunded",
    "Refused",
    "SeriesDate",
    "series_paid",
    "series_summary",
    "undeliverable",
]
