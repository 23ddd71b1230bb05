"""The harmonised rule set as the engine applies it: published versions from the
database, the version in force on a booking's start date, and the adapter from
booking records to pricing's plain facts."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.engine import write_transaction
from booking.db.models import Organisation, Person, Premises, RuleSetVersion, TariffException
from booking.domain.errors import DomainError
from booking.domain.intervals import Interval
from booking.services.lending import Assessment, Request, details_of
from booking.settings import ROOT
from pricing import BookingDetails
from pricing.lending import ApprovalCriterion, approval_criteria, approvals_needed
from pricing.payment_methods import METHOD_NAMES, allowed_payment_methods, method_names

DEFAULT_RULES = ROOT / "seed_data" / "rules" / "default.toml"

# Premises flagged `requires_approval` that no rule of the rule set sends to approval.
PREMISES_APPROVAL = ApprovalCriterion(
    "premises",
    "Lokalet krever godkjenning av virksomheten som eier det.",
    "The department that owns the premises approves every booking of it.",
    lambda p, d: True,
)
# A booking on behalf of an organisation staff have not yet checked (Organisation.verified_at):
# its claimed status (voluntary, for children and youth …) is quoted, and staff decide.
ORGANISATION_UNVERIFIED = ApprovalCriterion(
    "organisation_unverified",
    "Organisasjonen er ikke kontrollert av kommunen ennå.",
    "The organisation has not yet been checked by the municipality.",
    lambda p, d: True,
)
# The criteria the engine adds to the rule set's own (`pricing.lending.approval_criteria`).
ENGINE_APPROVALS = (PREMISES_APPROVAL, ORGANISATION_UNVERIFIED)


@functools.cache
def default_rule_set() -> pricing.RuleSet:
    """The default harmonised rule set shipped in seed_data/ (read once per process)."""
    return pricing.parse_rule_set(DEFAULT_RULES.read_text(encoding="utf-8"))


def unchecked_at(organisation: Organisation | None, at: datetime) -> bool:
    """Whether an organisation was still waiting for staff's check at `at` (a booking's
    creation): never verified, or verified only later."""
    return organisation is not None and (organisation.verified_at is None or organisation.verified_at > at)


def premises_facts(premises: Premises, rate_override: Decimal | None = None) -> pricing.PremisesFacts:
    return pricing.PremisesFacts(
        premises.slug,
        premises.name,
        premises.kind,
        premises.tariff_category,
        premises.building.department.kind,
        rate_override=rate_override,
    )


def booker_facts(person: Person | None, organisation: Organisation | None) -> pricing.Booker:
    org = None
    if organisation is not None:
        from stdnum.no import orgnr

        org = pricing.OrganisationFacts(
            organisation.name,
            organisation.orgnr,
            organisation.works_for_children_youth,
            organisation.commercial,
            organisation.municipal,
            orgnr_valid=bool(organisation.orgnr and orgnr.is_valid(organisation.orgnr)),
        )
    return pricing.Booker(person.birth_date if person else None, org)


class HarmonisedRules:
    """The engine's LendingRules, backed by the published versions of the rule set."""

    def __init__(self, versions: list[pricing.RuleSet], rate_overrides: Mapping[int, Decimal] | None = None) -> None:
        self.versions = versions
        # premises id → the base rate of its approved tariff exception (TariffException)
        self.rate_overrides = dict(rate_overrides or {})

    def in_force(self, on: date | datetime) -> pricing.RuleSet:
        return pricing.select_version(self.versions, on)

    def facts(self, premises: Premises) -> pricing.PremisesFacts:
        """The premises as pricing sees it, with its tariff exception if it has one."""
        return premises_facts(premises, self.rate_overrides.get(premises.id))

    def quote(
        self,
        premises: Premises,
        interval: Interval,
        person: Person | None,
        organisation: Organisation | None,
        details: BookingDetails,
        *,
        group: str | None = None,
    ) -> pricing.Quote:
        """What it costs, by the version in force at its start (the premises' tariff
        exception included); `group` replaces the derived customer group."""
        return pricing.quote(
            self.facts(premises),
            interval.start,
            interval.end,
            booker_facts(person, organisation),
            details,
            self.in_force(interval.start),
            group=group,
        )

    def approvals(
        self, premises: Premises, details: BookingDetails, start: datetime, *, unchecked_organisation: bool = False
    ) -> tuple[ApprovalCriterion, ...]:
        """Why a booking of these premises with these details needs approval, by the version
        in force at its start: the same criteria `assess` applies, each with its code."""
        found = approvals_needed(self.facts(premises), details, self.in_force(start))
        found = found or ((PREMISES_APPROVAL,) if premises.requires_approval else ())
        return found + ((ORGANISATION_UNVERIFIED,) if unchecked_organisation else ())

    def reasons_of_codes(self, codes, on: datetime) -> tuple[tuple[str, str], ...] | None:
        """The approval criteria with these codes as (Norwegian, English), as the version
        in force `on` states them; None when a code is not known (any longer)."""
        criteria = {c.code: c for c in (*approval_criteria(self.in_force(on)), *ENGINE_APPROVALS)}
        if not all(code in criteria for code in codes):
            return None
        return tuple((criteria[code].rule_nb, criteria[code].rule_en) for code in codes)

    def approval_reasons_of(self, booking, stored: str, codes: list[str] | None = None) -> tuple[tuple[str, str], ...]:
        """The reasons a requested booking was sent to approval, as (Norwegian, English).

        The history row keeps the approval criteria's codes: each is shown from the rule
        set in force on the booking's date, in either language. A row written before codes
        were kept has only the Norwegian sentences joined by "; ": they are derived again
        from the rules, and when that no longer gives what was stored (say, an older
        engine's wording), or a code is no longer known, the stored text is shown as it is."""
        if codes:
            known = self.reasons_of_codes(codes, booking.start_at)
            if known is not None:
                return known
            return ((stored, stored),) if stored else ()
        derived = self.approvals(
            booking.premises,
            details_of(booking),
            booking.start_at,
            unchecked_organisation=unchecked_at(booking.organisation, booking.created_at),
        )
        if derived and "; ".join(c.rule_nb for c in derived) == stored:
            return tuple((c.rule_nb, c.rule_en) for c in derived)
        return ((stored, stored),) if stored else ()

    def assess(self, request: Request) -> Assessment:
        rule_set = self.in_force(request.interval.start)
        facts = self.facts(request.premises)
        who = booker_facts(request.person, request.organisation)
        details = request.details
        decision = pricing.check_lending(
            facts,
            request.interval.start,
            request.interval.end,
            who,
            details,
            rule_set,
            now=request.now,
            upcoming_bookings=request.upcoming_bookings,
        )
        price = self.quote(request.premises, request.interval, request.person, request.organisation, details)
        # In Norwegian, as the booking's history keeps them; `approval_reasons_of` gives both languages.
        approvals = self.approvals(
            request.premises,
            request.details,
            request.interval.start,
            unchecked_organisation=unchecked_at(request.organisation, request.now),
        )
        reasons = tuple(c.rule_nb for c in approvals)
        check_payment_method(request.payment_method, rule_set.groups[price.customer_group], who, price.total)
        return Assessment(
            needs_approval=bool(reasons),
            approval_reasons=reasons,
            approval_reasons_en=tuple(c.rule_en for c in approvals),
            approval_codes=tuple(c.code for c in approvals),
            # Card: the slot is held until paid. Invoice (organisations): confirmed now,
            # invoiced after. None with a price: bookings made without a choice (staff,
            # sample data) keep the price snapshot and are not charged online.
            needs_payment=price.total > 0 and request.payment_method == "card",
            hold_minutes=decision.hold_minutes,
            price_total=price.total,
            price_snapshot=price.to_snapshot(),
        )


def check_payment_method(method: str | None, group: pricing.CustomerGroup, who: pricing.Booker, total) -> None:
    """A priced booking's method must be one the rule set lets its customer group use."""
    if method is None or total <= 0:
        return
    allowed = allowed_payment_methods(group, who)
    if method not in allowed:
        raise method_not_allowed(method, allowed)


def method_not_allowed(method: str, allowed: tuple[str, ...]) -> DomainError:
    known = method in METHOD_NAMES
    nb = f"Betalingsmåten «{method_names([method], 'nb') if known else method}» kan ikke brukes her."
    en = f"The payment method {method!r} cannot be used here."
    if allowed:
        nb += f" Du kan betale med {method_names(allowed, 'nb')}."
        en += f" You can pay by {method_names(allowed, 'en')}."
    else:
        nb += " Denne bestillingen kan ikke betales nå."
        en += " This booking cannot be paid for now."
    return DomainError("payment_method_not_allowed", nb, en, method=method, allowed=list(allowed))


async def published(session: AsyncSession) -> list[pricing.RuleSet]:
    rows = (
        await session.execute(
            select(RuleSetVersion).where(RuleSetVersion.status == "published").order_by(RuleSetVersion.valid_from)
        )
    ).scalars()
    return [pricing.rule_set_from_dict(row.content) for row in rows]


async def ensure_default_published(session: AsyncSession, now: datetime) -> None:
    """The first run publishes the default rule set from seed_data/, once."""
    async with write_transaction(session):
        if await session.scalar(select(RuleSetVersion.id).where(RuleSetVersion.status == "published").limit(1)):
            return
        rule_set = default_rule_set()
        session.add(
            RuleSetVersion(
                label=rule_set.version,
                valid_from=rule_set.valid_from,
                status="published",
                author="Lokaler",
                reason="Standard harmonisert regelsett",
                content_hash=pricing.content_hash(rule_set),
                content=pricing.rule_set_to_dict(rule_set),
                created_at=now,
                published_at=now,
            )
        )


async def current_rules(session: AsyncSession) -> HarmonisedRules:
    """The published versions; before any is published (a database the app has not started
    on yet: its start publishes the default, `ensure_default_published`), the default rule
    set, read-only: this never writes, and so needs no clock.

    The parsed versions are kept per process (`_parsed_versions`), and each call asks the
    database only which versions are published, with the tariff exceptions' rates in the
    same statement (`RULES_READ`): a version published by any process is used from the
    next request on, everywhere."""
    rows = (await session.execute(RULES_READ)).all()
    versions = await _parsed_versions(session, (rows[0].published, rows[0].newest)) or [default_rule_set()]
    return HarmonisedRules(versions, {row.premises_id: Decimal(row.rate) for row in rows if row.premises_id})


# One row per tariff exception setting a rate (or one row with none), each with the
# published versions' fingerprint: their number and the newest id. A published row is
# never changed (RuleSetVersion), so these two say whether anything was published or removed.
_PUBLISHED = (
    select(func.count(RuleSetVersion.id).label("published"), func.max(RuleSetVersion.id).label("newest"))
    .where(RuleSetVersion.status == "published")
    .subquery()
)
RULES_READ = (
    select(_PUBLISHED, TariffException.premises_id, TariffException.value.label("rate"))
    .select_from(_PUBLISHED)
    .outerjoin(TariffException, TariffException.field == "rate")
    .order_by(TariffException.id)
)

# engine → (published-versions fingerprint, the versions parsed). Per engine, because one
# process (the tests, a CLI command) may talk to several databases.
_VERSIONS_SEEN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def _parsed_versions(session: AsyncSession, fingerprint: tuple[int, int | None]) -> list[pricing.RuleSet]:
    """The published versions, parsed only when their fingerprint changed since this
    process last read them."""
    if not fingerprint[0]:
        return []
    engine = session.bind.sync_engine if hasattr(session.bind, "sync_engine") else session.bind
    seen = _VERSIONS_SEEN.get(engine)
    if seen is not None and seen[0] == fingerprint:
        return list(seen[1])
    versions = await published(session)
    _VERSIONS_SEEN[engine] = (fingerprint, tuple(versions))
    return versions


async def categories_in_use(session: AsyncSession) -> set[str]:
    return set((await session.execute(select(Premises.tariff_category).distinct())).scalars())


async def read_draft(session: AsyncSession, text: str) -> pricing.RuleSet:
    """A rule set's TOML text, validated against the tariff categories the premises use."""
    return pricing.parse_rule_set(text, categories_in_use=await categories_in_use(session))


async def impact(session: AsyncSession, draft: pricing.RuleSet, now: datetime) -> dict:
    """How the draft would quote every future slot-holding booking, against the rules in
    force: computed, not applied."""
    from booking.db.models import Booking
    from booking.services.bookings import SLOT_HOLDING_VALUES

    rules = await current_rules(session)
    rows = (
        (await session.execute(select(Booking).where(Booking.start_at > now, Booking.status.in_(SLOT_HOLDING_VALUES))))
        .scalars()
        .all()
    )
    items = [
        (
            b.id,
            rules.facts(b.premises),
            b.start_at,
            b.end_at,
            booker_facts(b.person, b.organisation),
            details_of(b),
        )
        for b in rows
    ]
    return pricing.impact_preview(items, rules.in_force(now), draft)


async def publish(
    session: AsyncSession,
    draft: pricing.RuleSet,
    *,
    valid_from: date,
    author: str,
    reason: str,
    now: datetime,
    draft_id: int | None = None,
) -> RuleSetVersion:
    """A new, frozen version. It may not start in the past: bookings already quoted keep
    their snapshots, and history is not rewritten. The default, in force until now if
    nothing was published yet, is published first, so it stays in force before this one."""
    from common.localtime import to_local

    if valid_from < to_local(now).date():
        raise DomainError(
            "valid_from_in_past",
            "En ny versjon kan ikke gjelde fra en dato som har vært.",
            f"valid_from {valid_from} is in the past.",
        )
    if not reason.strip():
        raise DomainError("reason_required", "Skriv hvorfor reglene endres.", "A reason is required.")
    content = {**pricing.rule_set_to_dict(draft), "valid_from": valid_from.isoformat()}
    rule_set = pricing.rule_set_from_dict(content)
    async with write_transaction(session):
        await ensure_default_published(session, now)
        version = RuleSetVersion(
            label=rule_set.version,
            valid_from=valid_from,
            status="published",
            author=author,
            reason=reason,
            content_hash=pricing.content_hash(rule_set),
            content=pricing.rule_set_to_dict(rule_set),
            created_at=now,
            published_at=now,
        )
        session.add(version)
        if draft_id is not None:  # the staff draft it came from is used up, in the same transaction
            draft_row = await session.get(RuleSetVersion, draft_id)
            if draft_row is not None and draft_row.status == "draft":
                await session.delete(draft_row)
    return version


async def versions(session: AsyncSession) -> list[RuleSetVersion]:
    return list(
        (
            await session.execute(
                select(RuleSetVersion).where(RuleSetVersion.status == "published").order_by(RuleSetVersion.valid_from)
            )
        ).scalars()
    )
