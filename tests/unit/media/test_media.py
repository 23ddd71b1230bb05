"""Pictures without the app: each allowed type is decoded and re-encoded as WebP (with
its transparency, without its metadata), a colour profile is not kept,
and the file store keeps bytes by content key and nothing else."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image, ImageCms

from booking.domain.errors import DomainError
from booking.media.images import MAX_PIXELS, prepare
from booking.media.store import FileStore, key_for


def encoded(image: Image.Image, fmt: str, **save) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    return Image.open(BytesIO(data))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_each_allowed_type_becomes_webp_at_most_1600_and_320_by_240(fmt):
    picture = prepare(encoded(Image.new("RGB", (2000, 500), "teal"), fmt))
    assert (picture.large.width, picture.large.height) == (1600, 400)
    assert (picture.small.width, picture.small.height) == (320, 80)
    for rendition in (picture.large, picture.small):
        image = decoded(rendition.data)
        assert image.format == "WEBP" and image.size == (rendition.width, rendition.height)


def test_transparency_is_kept():
    clear = Image.new("RGBA", (100, 100), (255, 0, 0, 0))
    for data in (encoded(clear, "PNG"), encoded(clear.convert("P"), "PNG", transparency=0)):
        image = decoded(prepare(data).large.data)
        assert image.mode == "RGBA" and image.getpixel((50, 50))[3] == 0


def test_a_colour_profile_is_dropped_and_the_colour_stays():
    """The pixels go through the file's profile to sRGB (here sRGB itself), and the profile is not kept."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded(Image.new("RGB", (64, 64), (200, 30, 30)), "PNG", icc_profile=profile)
    assert decoded(data).info["icc_profile"] == profile
    result = prepare(data).large.data
    assert "icc_profile" not in decoded(result).info
    red, green, blue = decoded(result).convert("RGB").getpixel((32, 32))
    assert abs(red - 200) <= 6 and green < 45 and blue < 45  # sRGB to sRGB: the colour stays


def test_a_cmyk_jpeg_is_shown_in_rgb():
    image = decoded(prepare(encoded(Image.new("CMYK", (80, 60), (0, 255, 255, 0)), "JPEG")).large.data)
    assert image.mode == "RGB" and image.getpixel((40, 30))[0] > 200


def test_pixels_are_counted_before_decoding():
    wide = encoded(Image.new("1", (MAX_PIXELS // 1000 + 1, 1000)), "PNG")
    with pytest.raises(DomainError) as refused:
        prepare(wide)
    assert refused.value.code == "photo_too_many_pixels"
    assert prepare(encoded(Image.new("1", (MAX_PIXELS // 10_000, 100)), "PNG")).large.width == 1600


def test_the_file_store_keeps_bytes_by_content_key(tmp_path):
    store = FileStore(tmp_path / "media")
    data = b"RIFF....WEBP"
    key = key_for(data)
    assert store.get(key) is None
    store.put(key, data)
    store.put(key, data)  # the same bytes again: nothing changes
    assert store.get(key) == data and [p.name for p in (tmp_path / "media").rglob("*") if p.is_file()] == [key]
    store.delete(key)
    store.delete(key)  # already gone: no error
    assert store.get(key) is None
    for bad in ("../booking.db", "x.webp", key.upper(), key + "/..", "0" * 64 + ".png"):
        with pytest.raises(ValueError):
            store.get(bad)
