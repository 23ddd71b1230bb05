"""The schema. Instants are UTC (`DateTimeUTC`); rules that are local wall time
(opening hours, seasons, series) are stored as the text the domain parses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from booking.domain.premises import ACCESSIBILITY

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTimeUTC, dict[str, Any]: JSON, list[Any]: JSON}


class District(Base):
    __tablename__ = "district"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Department(Base):
    __tablename__ = "department"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # school, culture, sport, property, …
    account_code: Mapped[str] = mapped_column(String(40), default="")


class Building(Base):
    __tablename__ = "building"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    caretaker_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    district: Mapped[District] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")
    caretaker: Mapped["Person | None"] = relationship(lazy="joined")


class Premises(Base):
    __tablename__ = "premises"
    __table_args__ = (
        CheckConstraint("kind IN ('room', 'hall', 'outdoor_area')", name="kind"),
        CheckConstraint("slot_minutes IN (15, 30, 60)", name="slot_minutes"),
        CheckConstraint("min_minutes > 0 AND max_minutes >= min_minutes", name="durations"),
        CheckConstraint("buffer_before >= 0 AND buffer_after >= 0", name="buffers"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id"))
    kind: Mapped[str] = mapped_column(String(20))
    tariff_category: Mapped[str] = mapped_column(String(40))
    capacity: Mapped[int] = mapped_column(Integer)
    area_m2: Mapped[int | None]
    equipment: Mapped[list[Any]] = mapped_column(default=list)
    description_nb: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    season_first: Mapped[str | None] = mapped_column(String(5))  # MM-DD local
    season_last: Mapped[str | None] = mapped_column(String(5))
    slot_minutes: Mapped[int] = mapped_column(default=30)
    min_minutes: Mapped[int] = mapped_column(default=30)
    max_minutes: Mapped[int] = mapped_column(default=720)
    buffer_before: Mapped[int] = mapped_column(default=0)
    buffer_after: Mapped[int] = mapped_column(default=0)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    closed_on_public_holidays: Mapped[bool] = mapped_column(default=False)
    # Universal design as searchable columns, one per attribute (see ACCESSIBILITY).
    step_free_access: Mapped[bool] = mapped_column(default=False)
    lift: Mapped[bool] = mapped_column(default=False)
    accessible_toilet: Mapped[bool] = mapped_column(default=False)
    hearing_loop: Mapped[bool] = mapped_column(default=False)
    accessible_parking: Mapped[bool] = mapped_column(default=False)
    contrast_marking: Mapped[bool] = mapped_column(default=False)
    tactile_guidance: Mapped[bool] = mapped_column(default=False)
    automatic_door: Mapped[bool] = mapped_column(default=False)

    building: Mapped[Building] = relationship(lazy="joined")

    @property
    def accessibility(self) -> list[str]:
        return [key for key in ACCESSIBILITY if getattr(self, key)]


class PremisesPhoto(Base):
    """A picture of a premises: two WebP renditions in the media store, by content key
    (`large` for its page, `small` for a search result), its alt texts, and its place
    among the premises' pictures (lowest `position` first)."""

    __tablename__ = "premises_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(80))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    small_key: Mapped[str] = mapped_column(String(80))
    small_width: Mapped[int] = mapped_column(Integer)
    small_height: Mapped[int] = mapped_column(Integer)
    alt_nb: Mapped[str] = mapped_column(String(300))
    alt_en: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    orgnr: Mapped[str | None] = mapped_column(String(9), unique=True)
    works_for_children_youth: Mapped[bool] = mapped_column(default=False)
    in_frivillighetsregisteret: Mapped[bool] = mapped_column(default=False)
    sports_club: Mapped[bool] = mapped_column(default=False)
    based_in_municipality: Mapped[bool] = mapped_column(default=True)
    commercial: Mapped[bool] = mapped_column(default=False)
    municipal: Mapped[bool] = mapped_column(default=False)
    # The flags above are what the organisation claims; until staff have checked them
    # (verified_at is set), every booking on its behalf needs approval.
    registered_at: Mapped[datetime | None]
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class Person(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    language: Mapped[str] = mapped_column(String(5), default="nb")


class Membership(Base):
    """A person who may act for an organisation (a delegate)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("organisation_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)


class BookingSeries(Base):
    __tablename__ = "booking_series"
    __table_args__ = (Index("series_idempotency", "person_id", "idempotency_key", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    rrule: Mapped[str] = mapped_column(String(200))
    pattern: Mapped[dict[str, Any]] = mapped_column()  # WeeklyPattern.to_data()
    # Dates edited on their own ("this" scope) keep their own time when the rest moves.
    exceptions: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    # The same submission again (a reload, a retry) finds the series it made, not a second one.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_digest: Mapped[str | None] = mapped_column(String(64))  # what was asked, to refuse a reused key


class Booking(Base):
    __tablename__ = "booking"
    __table_args__ = (
        UniqueConstraint("person_id", "idempotency_key", name="idempotency"),
        CheckConstraint("end_at > start_at", name="positive_duration"),
        CheckConstraint("target_group IN ('children_youth', 'adults', 'all')", name="target_group"),
        CheckConstraint(
            "status IN ('held', 'requested', 'confirmed', 'rejected', 'cancelled', 'expired')", name="status"
        ),
        Index("ix_booking_premises_start", "premises_id", "start_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(300), default="")
    attendees: Mapped[int] = mapped_column(default=1)
    target_group: Mapped[str] = mapped_column(String(20), default="all")
    alcohol: Mapped[bool] = mapped_column(default=False)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), index=True)
    hold_expires_at: Mapped[datetime | None]
    price_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    price_total: Mapped[Any] = mapped_column(Numeric(12, 2), default=0)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("booking_series.id"), index=True)
    occurrence_date: Mapped[date | None] = mapped_column(Date)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sequence: Mapped[int] = mapped_column(default=0)  # bumped on every change (iCal SEQUENCE)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    # The fee kept when the booking was cancelled (NOK; 0 when free); None while it is not cancelled.
    cancellation_fee: Mapped[Any] = mapped_column(Numeric(12, 2), nullable=True)
    payment_method: Mapped[str | None] = mapped_column(String(20))  # None (free) | card | invoice
    caretaker_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The adult who answers for the event on the spot (the caretaker sees them).
    responsible_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    responsible_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")

    premises: Mapped[Premises] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    person: Mapped[Person] = relationship(lazy="joined")


class SlotClaim(Base):
    """One row per atomic unit a slot-holding booking occupies, over its buffered range.
    On PostgreSQL an exclusion constraint makes overlapping claims impossible; the rows
    are deleted when the booking leaves the slot-holding states."""

    __tablename__ = "slot_claim"
    __table_args__ = (Index("ix_slot_claim_unit_time", "unit_id", "busy_from", "busy_to"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("premises.id"))
    busy_from: Mapped[datetime]
    busy_to: Mapped[datetime]


class Closure(Base):
    __tablename__ = "closure"
    __table_args__ = (
        CheckConstraint("scope IN ('premises', 'building', 'municipality')", name="scope"),
        CheckConstraint("source IN ('manual', 'public_holiday', 'ical_import')", name="source"),
        UniqueConstraint("source_ref", "source_uid", name="import_uid"),
        Index("ix_closure_time", "start_at", "end_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    premises_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    source_ref: Mapped[str | None] = mapped_column(String(200))  # which import
    source_uid: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BookingHistory(Base):
    """Append-only: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "booking_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Why it went to approval, as the approval criteria's codes (the reason is their Norwegian text).
    reason_codes: Mapped[list[Any] | None] = mapped_column(JSON)


class RuleSetVersion(Base):
    """A version of the harmonised rule set. A published row is never changed: a change
    by staff is a new version (draft → preview → publish)."""

    __tablename__ = "rule_set_version"
    __table_args__ = (CheckConstraint("status IN ('draft', 'published')", name="status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    valid_from: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    author: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(80))
    content: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class FeedToken(Base):
    """A capability URL for a non-public iCal feed: the token is shown once, stored hashed.
    `feed` is premises | building | caretaker | organisation | person; `subject_id` the row."""

    __tablename__ = "feed_token"
    __table_args__ = (
        CheckConstraint("feed IN ('premises', 'building', 'caretaker', 'organisation', 'person')", name="feed"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    feed: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class CalendarSource(Base):
    """An external calendar whose events become closures of a building or premises."""

    __tablename__ = "calendar_source"
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    premises_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id"))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    last_imported_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]


class LoginAttempt(Base):
    """Failed logins, for rate limiting that works across server processes."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime]


class TariffException(Base):
    """A premises-level deviation from the harmonised tariff: explicit, reasoned, approved."""

    __tablename__ = "tariff_exception"
    id: Mapped[int] = mapped_column(primary_key=True)
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))  # "rate" (base rate) is the one the engine applies
    value: Mapped[Any] = mapped_column(Numeric(12, 2))
    reason: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]


class FeedEventCache(Base):
    """Each event's serialised VEVENT from when it last changed, so a feed is a join of
    stored text; `version` is what the text was built from (sequence, status, stamp)."""

    __tablename__ = "feed_event_cache"
    uid: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)


class Payment(Base):
    """A payment or refund with its own states; a booking can have several."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("kind IN ('payment', 'refund')", name="kind"),
        CheckConstraint("state IN ('created', 'pending', 'paid', 'failed', 'cancelled', 'refunded')", name="state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="payment")
    provider: Mapped[str] = mapped_column(String(20))  # stripe | invoice | …
    state: Mapped[str] = mapped_column(String(20), default="created")
    amount: Mapped[Any] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="NOK")
    provider_ref: Mapped[str | None] = mapped_column(String(200), index=True)  # e.g. PaymentIntent id
    checkout_url: Mapped[str | None] = mapped_column(String(2000))
    refund_of: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    # A weekly series is paid in one checkout: one payment row per occurrence, the first
    # row leads (its id goes to the provider) and the others are `part_of` it.
    part_of: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookEvent(Base):
    """Provider events already handled, so a replay changes nothing twice."""

    __tablename__ = "webhook_event"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="once"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime]


class OutboxMail(Base):
    """An e-mail stored in the same transaction as the change it reports; a sender
    renders it if it is still an event, claims, delivers and marks it, so it is sent once
    even with several senders."""

    __tablename__ = "outbox_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="nb")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(default=list)  # [{"filename", "content_type", "content"}]
    # What happened, as data (the mail's kind, ids and facts), while the mail is not yet
    # written: the sender renders it outside the change's transaction (subject, body and
    # attachments filled, `event` cleared). None: the mail is written.
    event: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class InvoiceExport(Base):
    """Which invoice bookings an export run has taken, so each line is exported once."""

    __tablename__ = "invoice_export"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), unique=True)
    period: Mapped[str] = mapped_column(String(20))  # e.g. "2026-11"
    exported_at: Mapped[datetime]


class Season(Base):
    """A seasonal allocation round: staff name the season, its dates, the premises and
    their seasonal hours; organisations apply before the deadline; a proposal is computed
    under the priority rules in force, reviewed and published as weekly series."""

    __tablename__ = "season"
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'open', 'closed', 'published')", name="state"),
        CheckConstraint("ends >= starts", name="dates"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    application_deadline: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default="draft")
    excluded: Mapped[list[Any]] = mapped_column(default=list)  # [{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}]
    # The last proposal's unmet wishes and summary (allocations are rows of their own).
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    published_hash: Mapped[str | None] = mapped_column(String(64))  # what was published, to refuse changes
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SeasonPremises(Base):
    """A premises in a round, with its seasonal hours per weekday ({"mon": ["16:00-22:30"]})."""

    __tablename__ = "season_premises"
    __table_args__ = (UniqueConstraint("season_id", "premises_id", name="uq_season_premises"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("season.id", ondelete="CASCADE"), index=True)
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id"))
    hours: Mapped[dict[str, Any]] = mapped_column()

    premises: Mapped[Premises] = relationship(lazy="joined")


class SeasonApplication(Base):
    """An organisation's application in a round: its needs (teams or groups) with ranked
    wishes, as the JSON the allocation core reads. One per organisation and round."""

    __tablename__ = "season_application"
    __table_args__ = (UniqueConstraint("season_id", "organisation_id", name="uq_season_application"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("season.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    needs: Mapped[list[Any]] = mapped_column()
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    person: Mapped[Person] = relationship(lazy="joined")


class SeasonAllocation(Base):
    """A weekly slot given to one need: proposed (by the solver or pinned by staff), then
    published as a weekly series; given back or withdrawn later."""

    __tablename__ = "season_allocation"
    __table_args__ = (
        CheckConstraint("state IN ('proposed', 'published', 'given_back', 'withdrawn')", name="state"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("season.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("season_application.id", ondelete="CASCADE"), index=True)
    need: Mapped[int]
    wish: Mapped[int | None]
    premises_id: Mapped[int] = mapped_column(ForeignKey("premises.id"))
    weekday: Mapped[int]
    start_time: Mapped[str] = mapped_column(String(5))  # "HH:MM" local
    end_time: Mapped[str] = mapped_column(String(5))
    tier: Mapped[str] = mapped_column(String(40))
    reasons: Mapped[list[Any]] = mapped_column(default=list)  # [{"code", "tier", "rank"}]
    pinned: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20), default="proposed")
    series_id: Mapped[int | None] = mapped_column(ForeignKey("booking_series.id"))
    created_at: Mapped[datetime]

    premises: Mapped[Premises] = relationship(lazy="joined")
    application: Mapped[SeasonApplication] = relationship(lazy="joined")


class SeasonDateUnused(Base):
    """A caretaker's mark that a seasonal date was not used."""

    __tablename__ = "season_date_unused"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), unique=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("season_allocation.id", ondelete="CASCADE"), index=True)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    at: Mapped[datetime]


class OpenEvent(Base):
    """A booking opened to the public ("Hva skjer"): its public title, description and
    audience. Whether it is listed follows from the booking's status (only confirmed)
    and from staff hiding it; nothing about it is copied here."""

    __tablename__ = "open_event"
    __table_args__ = (CheckConstraint("audience IN ('all', 'children_youth')", name="audience"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    audience: Mapped[str] = mapped_column(String(20), default="all")
    revision: Mapped[int] = mapped_column(default=0)  # bumped on every edit (added to the iCal SEQUENCE)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    hidden_at: Mapped[datetime | None]  # hidden from "Hva skjer" by staff
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    booking: Mapped[Booking] = relationship(lazy="joined")
