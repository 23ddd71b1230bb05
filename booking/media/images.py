"""An uploaded picture, decoded and made safe to show: only JPEG, PNG and WebP are
decoded (the file's name and stated type are never trusted), a picture of too many
pixels is refused before it is decoded (a decompression bomb), colours are converted to
sRGB, a camera's rotation is applied, and two WebP renditions are encoded from the
pixels alone, so no EXIF, GPS position, XMP or other metadata survives."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from booking.domain.errors import DomainError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # "10 MB" in the messages
MAX_PIXELS = 50_000_000  # a 50-megapixel camera; far more is a decompression bomb
FORMATS = ("JPEG", "PNG", "WEBP")
LARGE = (1600, 1600)  # the premises page
SMALL = (320, 240)  # a search result
QUALITY = 82


@dataclass(frozen=True)
class Rendition:
    data: bytes  # WebP
    width: int
    height: int


@dataclass(frozen=True)
class Picture:
    large: Rendition
    small: Rendition


def too_big() -> DomainError:
    return DomainError(
        "photo_too_big", "Bildet er for stort. Det kan være høyst 10 MB.", "The picture is too big: at most 10 MB."
    )


def too_many_pixels() -> DomainError:
    return DomainError(
        "photo_too_many_pixels",
        "Bildet har for mange piksler (høyst 50 megapiksler). Gjør det mindre og prøv igjen.",
        "The picture has too many pixels: at most 50 megapixels.",
    )


def prepare(data: bytes) -> Picture:
    """The two renditions of an uploaded file, or a DomainError saying why not."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_big()
    try:
        image = Image.open(BytesIO(data), formats=FORMATS)  # reads the header only
    except UnidentifiedImageError:
        raise DomainError(
            "photo_wrong_type",
            "Filen er ikke et bilde i JPEG, PNG eller WebP.",
            "The file is not a JPEG, PNG or WebP picture.",
        ) from None
    except Image.DecompressionBombError:  # Pillow's own limit, far above ours
        raise too_many_pixels() from None
    if image.width * image.height > MAX_PIXELS:
        raise too_many_pixels()
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
        image = _srgb(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise DomainError(
            "photo_unreadable",
            "Bildet kan ikke leses. Filen kan være skadet.",
            "The picture cannot be read; the file may be damaged.",
        ) from None
    return Picture(_rendition(image, LARGE), _rendition(image, SMALL))


def _srgb(image: Image.Image) -> Image.Image:
    """RGB (RGBA when it has transparency), its colour profile applied rather than kept."""
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if alpha else "RGB"
    profile = image.info.get("icc_profile")
    if profile and image.mode in ("RGB", "RGBA"):
        try:
            return ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(BytesIO(profile)), ImageCms.createProfile("sRGB"), outputMode=mode
            )
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: keep the pixels as they are
    return image.convert(mode)


def _rendition(image: Image.Image, box: tuple[int, int]) -> Rendition:
    copy = image.copy()
    copy.thumbnail(box, Image.Resampling.LANCZOS)  # never larger than it was
    copy.info = {}  # nothing carried over: only the pixels are encoded
    out = BytesIO()
    copy.save(out, "WEBP", quality=QUALITY, method=4)
    return Rendition(out.getvalue(), copy.width, copy.height)
