"""Pictures of premises: staff of the department that owns a premises (and
administrators) add them with a required Norwegian alt text (English optional), move
them and remove them; the public pages show them in order.

A picture is decoded and re-encoded by `booking.media.images` before anything is kept,
so a refused upload stores nothing; its two renditions go to the media store under
content keys, and one row says which premises, which files and the alt texts. A file
is deleted with the last row that uses it."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import end_reads, write_transaction
from booking.db.models import Premises, PremisesPhoto
from booking.domain.errors import DomainError, FieldProblem, NotFound
from booking.media.images import Picture, prepare
from booking.media.store import MediaStore, key_for
from booking.services.premises_admin import InvalidForm, StaffScope, premises_to_edit

MAX_ALT = 300


async def photos_of(session: AsyncSession, premises_id: int) -> list[PremisesPhoto]:
    return list(
        (
            await session.execute(
                select(PremisesPhoto)
                .where(PremisesPhoto.premises_id == premises_id)
                .order_by(PremisesPhoto.position, PremisesPhoto.id)
            )
        ).scalars()
    )


async def first_photos(session: AsyncSession, premises_ids: list[int]) -> dict[int, PremisesPhoto]:
    """Each premises' first picture, for a list of premises, in one query."""
    rows = (
        await session.execute(
            select(PremisesPhoto)
            .where(PremisesPhoto.premises_id.in_(premises_ids))
            .order_by(PremisesPhoto.position.desc(), PremisesPhoto.id.desc())
        )
    ).scalars()
    return {photo.premises_id: photo for photo in rows}  # the last written is the first in order


def alt_text_problems(alt_nb: str, alt_en: str) -> list[FieldProblem]:
    problems = []
    if not alt_nb:
        problems.append(
            FieldProblem(
                "alt_nb",
                "alt_text_required",
                "Skriv en alternativ tekst på norsk: hva bildet viser, for dem som ikke ser det.",
                "Write an alt text in Norwegian: what the picture shows, for those who cannot see it.",
            )
        )
    for field, text in (("alt_nb", alt_nb), ("alt_en", alt_en)):
        if len(text) > MAX_ALT:
            problems.append(
                FieldProblem(
                    field,
                    "alt_text_too_long",
                    f"Den alternative teksten kan ha høyst {MAX_ALT} tegn.",
                    f"The alt text can be at most {MAX_ALT} characters.",
                )
            )
    return problems


async def store_photo(
    session: AsyncSession,
    media: MediaStore,
    premises: Premises,
    picture: Picture,
    alt_nb: str,
    alt_en: str,
    *,
    now: datetime,
    by: int | None = None,
) -> PremisesPhoto:
    """A prepared picture, last among the premises' pictures, in the caller's transaction.
    The files are written last: when they cannot be, the row is rolled back with the rest."""
    last = await session.scalar(
        select(func.max(PremisesPhoto.position)).where(PremisesPhoto.premises_id == premises.id)
    )
    photo = PremisesPhoto(
        premises_id=premises.id,
        position=0 if last is None else last + 1,
        key=key_for(picture.large.data),
        width=picture.large.width,
        height=picture.large.height,
        small_key=key_for(picture.small.data),
        small_width=picture.small.width,
        small_height=picture.small.height,
        alt_nb=alt_nb,
        alt_en=alt_en,
        created_at=now,
        created_by_id=by,
    )
    session.add(photo)
    await session.flush()
    for rendition in (picture.large, picture.small):
        await asyncio.to_thread(media.put, key_for(rendition.data), rendition.data)
    return photo


async def add_photo(
    session: AsyncSession,
    media: MediaStore,
    scope: StaffScope,
    slug: str,
    data: bytes,
    alt_nb: str,
    alt_en: str,
    *,
    now: datetime,
) -> PremisesPhoto:
    """Check who asks, the alt texts and the file (all problems together), then keep it."""
    await premises_to_edit(session, scope, slug)  # refuses another department before reading the file
    await end_reads(session)  # no transaction is held while the picture is decoded
    problems = alt_text_problems(alt_nb, alt_en)
    picture = None
    if not data:
        problems.insert(0, FieldProblem("bilde", "photo_missing", "Velg en bildefil.", "Choose a picture file."))
    else:
        try:
            picture = await asyncio.to_thread(prepare, data)
        except DomainError as refused:
            problems.insert(0, FieldProblem("bilde", refused.code, refused.message_nb, refused.message_en))
    if problems:
        raise InvalidForm(problems)
    async with write_transaction(session):
        premises = await premises_to_edit(session, scope, slug)
        return await store_photo(session, media, premises, picture, alt_nb, alt_en, now=now, by=scope.person_id)


async def _photo_and_siblings(
    session: AsyncSession, scope: StaffScope, slug: str, photo_id: int
) -> tuple[PremisesPhoto, list[PremisesPhoto]]:
    premises = await premises_to_edit(session, scope, slug)
    photos = await photos_of(session, premises.id)
    photo = next((p for p in photos if p.id == photo_id), None)
    if photo is None:
        raise NotFound(
            "unknown_photo", "Fant ikke bildet. Det kan være slettet.", f"No picture {photo_id} of premises {slug!r}."
        )
    return photo, photos


async def move_photo(session: AsyncSession, scope: StaffScope, slug: str, photo_id: int, step: int) -> None:
    """One place earlier (step -1) or later (+1); at either end it stays."""
    async with write_transaction(session):
        photo, photos = await _photo_and_siblings(session, scope, slug, photo_id)
        index = photos.index(photo)
        if 0 <= index + step < len(photos):
            photos.insert(index + step, photos.pop(index))
        for position, each in enumerate(photos):
            each.position = position


async def remove_photo(session: AsyncSession, media: MediaStore, scope: StaffScope, slug: str, photo_id: int) -> None:
    """The row, then its files unless another picture (the same file elsewhere) uses them."""
    async with write_transaction(session):
        photo, _ = await _photo_and_siblings(session, scope, slug, photo_id)
        keys = {photo.key, photo.small_key}
        await session.delete(photo)
        await session.flush()
        used = (
            await session.execute(
                select(PremisesPhoto.key, PremisesPhoto.small_key).where(
                    or_(PremisesPhoto.key.in_(keys), PremisesPhoto.small_key.in_(keys))
                )
            )
        ).all()
    for key in keys - {key for row in used for key in row}:
        await asyncio.to_thread(media.delete, key)
