"""Staff drafts of the next rule-set version: stored as RuleSetVersion rows with status
"draft" (never enforced: only published rows are), edited until valid, then published
through `rulebook.publish`, which uses the draft up in the same transaction.

A draft is always a valid rule set: every save goes through the same validator as the
seed file, with the tariff categories the premises use, and nothing is written when
it refuses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.engine import write_transaction
from booking.db.models import RuleSetVersion
from booking.domain.errors import DomainError, NotFound
from booking.services import rulebook

DRAFT = "draft"
PUBLISHED = "published"


async def newest_published(session: AsyncSession) -> RuleSetVersion:
    """The published version with the latest valid-from date: a new draft starts from it,
    so a version already published for a later date is not undone by accident."""
    row = (
        await session.execute(
            select(RuleSetVersion)
            .where(RuleSetVersion.status == PUBLISHED)
            .order_by(RuleSetVersion.valid_from.desc(), RuleSetVersion.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("no_rule_set", "Ingen versjon av priser og vilkår er publisert.", "No published rule set.")
    return row


async def drafts(session: AsyncSession) -> list[RuleSetVersion]:
    return list(
        (
            await session.execute(
                select(RuleSetVersion).where(RuleSetVersion.status == DRAFT).order_by(RuleSetVersion.id)
            )
        ).scalars()
    )


async def get_draft(session: AsyncSession, draft_id: int) -> RuleSetVersion:
    row = await session.get(RuleSetVersion, draft_id)
    if row is None or row.status != DRAFT:
        raise NotFound("unknown_draft", "Fant ikke utkastet.", f"No draft {draft_id}.")
    return row


async def start_draft(session: AsyncSession, *, author: str, now: datetime) -> RuleSetVersion:
    async with write_transaction(session):
        await rulebook.ensure_default_published(session, now)  # the default, if nothing was published yet
        base = await newest_published(session)
        draft = RuleSetVersion(
            label=f"Utkast fra {base.label}",
            valid_from=base.valid_from,
            status=DRAFT,
            author=author,
            reason="",
            content_hash=base.content_hash,
            content=dict(base.content),
            created_at=now,
            published_at=None,
        )
        session.add(draft)
    return draft


async def validated(session: AsyncSession, content: Mapping[str, Any]) -> pricing.RuleSet:
    """Raises RuleSetError naming the place (e.g. `tariff.gymsal.rate`)."""
    return pricing.rule_set_from_dict(content, categories_in_use=await rulebook.categories_in_use(session))


async def save_draft(session: AsyncSession, draft_id: int, content: Mapping[str, Any]) -> pricing.RuleSet:
    rule_set = await validated(session, content)
    async with write_transaction(session):
        draft = await get_draft(session, draft_id)
        draft.content = pricing.rule_set_to_dict(rule_set)
        draft.content_hash = pricing.content_hash(rule_set)
    return rule_set


async def save_draft_text(session: AsyncSession, draft_id: int, text: str) -> pricing.RuleSet:
    rule_set = await rulebook.read_draft(session, text)
    return await save_draft(session, draft_id, pricing.rule_set_to_dict(rule_set))


async def discard_draft(session: AsyncSession, draft_id: int) -> None:
    async with write_transaction(session):
        await session.delete(await get_draft(session, draft_id))


@dataclass(frozen=True)
class PublishRequest:
    valid_from: date
    label: str
    reason: str


async def publish_draft(
    session: AsyncSession, draft_id: int, request: PublishRequest, *, author: str, now: datetime
) -> RuleSetVersion:
    """Publish with a valid-from date and a reason (`rulebook.publish` refuses the past);
    the version is named by `label`, by default its valid-from date."""
    label = request.label.strip() or request.valid_from.isoformat()
    draft = await get_draft(session, draft_id)
    taken = (
        await session.execute(
            select(RuleSetVersion.label, RuleSetVersion.valid_from).where(RuleSetVersion.status == PUBLISHED)
        )
    ).all()
    if any(row.label == label for row in taken):
        raise DomainError(
            "version_label_taken",
            f"Versjonsnavnet «{label}» er allerede brukt.",
            f"The version label {label!r} is taken.",
            field="label",
        )
    if any(row.valid_from == request.valid_from for row in taken):
        raise DomainError(
            "valid_from_taken",
            "En annen versjon gjelder allerede fra denne datoen.",
            f"Another version is valid from {request.valid_from}.",
            field="valid_from",
        )
    # Validated again: a premises may have moved to a category the draft does not price.
    rule_set = await validated(session, {**draft.content, "version": label})
    return await rulebook.publish(
        session,
        rule_set,
        valid_from=request.valid_from,
        author=author,
        reason=request.reason,
        now=now,
        draft_id=draft_id,
    )


async def history(session: AsyncSession) -> list[tuple[RuleSetVersion, list[dict]]]:
    """Published versions, newest first, each with its field-level diff from the one before."""
    rows = await rulebook.versions(session)
    result, previous = [], None
    for row in rows:
        current = pricing.rule_set_from_dict(row.content)
        result.append((row, pricing.diff_rule_sets(previous, current) if previous else []))
        previous = current
    return list(reversed(result))
