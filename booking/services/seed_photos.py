"""Pictures for the sample municipality, drawn with Pillow when the sample is loaded
(nothing downloaded, no image files in the repository): a plan of the premises seen from
above, in a colour of its own, with its name. Every fourth sample premises gets one, so
the pages show premises with and without pictures. Made on the first run only."""

from __future__ import annotations

import random
from datetime import datetime
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import Premises, PremisesPhoto
from booking.media.images import prepare
from booking.media.store import MediaStore
from booking.services.photos import store_photo

SIZE = (800, 600)
FLOORS = [(236, 224, 200), (214, 230, 240), (230, 214, 230), (220, 236, 214), (240, 226, 210)]
INK = (40, 40, 40)
# What each drawing shows, for its alt texts.
SHOWS = {
    "room": ("et rom med bord og stoler", "a room with tables and chairs"),
    "hall": ("en hall med banemerking", "a hall with court markings"),
    "outdoor_area": ("et uteområde med gress og trær", "an outdoor area with grass and trees"),
}


def drawn_plan(name: str, kind: str, number: int) -> bytes:
    """A PNG: the plan of a room, hall or outdoor area seen from above, with its name."""
    rng = random.Random(name)
    image = Image.new("RGB", SIZE, (250, 250, 248))
    draw = ImageDraw.Draw(image)
    floor = (120, 180, 110) if kind == "outdoor_area" else FLOORS[number % len(FLOORS)]
    draw.rectangle((40, 40, 760, 500), fill=floor, outline=INK, width=8)
    if kind == "hall":
        draw.rectangle((90, 80, 710, 460), outline=(255, 255, 255), width=5)
        draw.line((400, 80, 400, 460), fill=(255, 255, 255), width=5)
        draw.ellipse((340, 210, 460, 330), outline=(255, 255, 255), width=5)
    elif kind == "outdoor_area":
        for _ in range(9):
            x, y = rng.randrange(80, 720), rng.randrange(80, 460)
            draw.ellipse((x - 30, y - 30, x + 30, y + 30), fill=(40, 110, 50), outline=INK, width=2)
    else:
        for row in range(3):
            for column in range(4):
                x, y = 110 + column * 160, 100 + row * 130
                draw.rectangle((x, y, x + 100, y + 50), fill=(150, 110, 70), outline=INK, width=2)
                for dx in (20, 70):
                    draw.ellipse((x + dx - 10, y + 58, x + dx + 10, y + 78), fill=(70, 90, 140))
        draw.rectangle((360, 492, 440, 508), fill=(250, 250, 248))  # the door
    draw.text((40, 525), name, fill=INK, font=_font(40))
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans when the system has it (Debian does), for æ, ø and å; else Pillow's own."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


async def seed_photos(session: AsyncSession, media: MediaStore, slugs: list[str], *, now: datetime) -> int:
    """A drawn plan for every fourth of these premises, unless there are pictures already."""
    if await session.scalar(select(PremisesPhoto.id).limit(1)) is not None:
        return 0
    chosen = slugs[::4]
    premises = list((await session.execute(select(Premises).where(Premises.slug.in_(chosen)))).scalars())
    pictures = [(p, prepare(drawn_plan(p.name, p.kind, number))) for number, p in enumerate(premises)]
    async with write_transaction(session):
        for p, picture in pictures:
            nb, en = SHOWS[p.kind]
            await store_photo(
                session,
                media,
                p,
                picture,
                f"Tegning av {p.name} sett ovenfra: {nb}.",
                f"Drawing of {p.name} seen from above: {en}.",
                now=now,
            )
    return len(pictures)
