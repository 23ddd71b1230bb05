"""Pictures of premises through the app on SQLite and PostgreSQL: department staff upload
one with alt texts, and it shows on the premises page, in search and in the API, resized
and without its camera's metadata; every refusal says why at its field and stores nothing; only the
owning department (and administrators) may add, move or remove; removing deletes the files."""

from __future__ import annotations

import html
import re
from io import BytesIO

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image, ImageCms
from sqlalchemy import select

from booking.db.models import Premises, PremisesPhoto
from booking.settings import from_environment
from booking.web.app import create_app
from tests.integration.test_staff import build_staff_world, csrf, login_as, post_form

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
ALT_NB = "Møtesalen med langbord og tolv stoler foran et stort vindu"
ALT_EN = "The meeting room with a long table and twelve chairs by a large window"
GPS = 0x8825  # the EXIF tag of the GPS block


def photo(size=(3000, 2000), colour="steelblue", fmt="JPEG", **save) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, **save)
    return out.getvalue()


def camera_photo() -> bytes:
    """A landscape JPEG as a phone writes it: camera make and model, a GPS position, an
    orientation that says "turn me upright" (portrait), and a colour profile."""
    exif = Image.Exif()
    exif[0x010F] = "Testkamera AS"  # Make
    exif[0x0110] = "Lommemodell 7"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif.get_ifd(GPS).update({1: "N", 2: (59.0, 44.0, 38.0), 3: "E", 4: (10.0, 12.0, 16.0)})
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return photo(exif=exif, icc_profile=profile, quality=90)


@pytest.fixture
async def staff(db, tmp_path):
    staff_world = await build_staff_world(db.session)
    media = tmp_path / "media"
    app = create_app(from_environment({"BOOKING_DATABASE_URL": db.url, "BOOKING_MEDIA_DIR": str(media)}))
    async with AsyncTestClient(app=app) as client:
        client.staff, client.db, client.media = staff_world, db, media
        yield client


async def upload(
    client,
    slug: str,
    data: bytes,
    *,
    filename="bilde.jpg",
    content_type="image/jpeg",
    alt_nb=ALT_NB,
    alt_en="",
    headers=None,
):
    return await client.post(
        f"/saksbehandling/lokaler/{slug}/bilder",
        data={"alt_nb": alt_nb, "alt_en": alt_en, "_csrf_token": csrf(client)},
        files={"bilde": (filename, data, content_type)},
        headers=headers,
        follow_redirects=False,
    )


async def photos(client, slug: str | None = None) -> list[PremisesPhoto]:
    query = select(PremisesPhoto).order_by(PremisesPhoto.position, PremisesPhoto.id)
    if slug:
        query = query.join(Premises, Premises.id == PremisesPhoto.premises_id).where(Premises.slug == slug)
    async with client.db.sessions() as s:
        return list((await s.execute(query)).scalars())


def files(client) -> set[str]:
    return {path.name for path in client.media.rglob("*") if path.is_file()} if client.media.exists() else set()


async def test_an_uploaded_photo_shows_resized_and_without_metadata(staff):
    await login_as(staff, "department_staff")
    original = camera_photo()
    assert b"Testkamera AS" in original
    answer = await upload(staff, "motesalen", original, alt_en=ALT_EN)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/saksbehandling/lokaler/motesalen?bilde=lagt-til#bilder"
    [row] = await photos(staff)
    # Turned upright (portrait) and resized to at most 1600 px; the small one at most 320 × 240.
    assert (row.width, row.height, row.small_width, row.small_height) == (1067, 1600, 160, 240)
    assert (row.alt_nb, row.alt_en) == (ALT_NB, ALT_EN)
    assert files(staff) == {row.key, row.small_key}

    await login_as(staff, None)  # the public sees it
    served = await staff.get(f"/bilder/{row.key}")
    assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    shown = Image.open(BytesIO(served.content))
    assert (shown.format, shown.size) == ("WEBP", (1067, 1600))
    assert not shown.getexif() and not {"exif", "xmp", "icc_profile"} & set(shown.info)
    for rendition in (row.key, row.small_key):
        data = (await staff.get(f"/bilder/{rendition}")).content
        assert b"Testkamera" not in data and b"Lommemodell" not in data and b"Exif" not in data
    again = await staff.get(f"/bilder/{row.key}", headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert (await staff.get("/bilder/" + "0" * 64 + ".webp")).status_code == 404
    assert (await staff.get("/bilder/..%2Fbooking.db")).status_code == 404

    page = (await staff.get("/lokaler/motesalen")).text
    assert f'<img src="/bilder/{row.key}" width="1067" height="1600" alt="{html.escape(ALT_NB)}">' in page
    english = (await staff.get("/lokaler/motesalen", headers=ENGLISH)).text
    assert f'alt="{ALT_EN}"' in english
    search = (await staff.get("/")).text
    assert (
        f'<img class="thumb" src="/bilder/{row.small_key}" width="160" height="240" alt="{html.escape(ALT_NB)}"'
        in search
    )
    assert search.count('class="thumb"') == 1  # the other premises have none, and show as before
    assert "Klasserom 1" in search
    without = await staff.get("/lokaler/klasserom-1")
    assert without.status_code == 200 and 'class="photos"' not in without.text
    assert (await staff.get("/api/v1/premises/motesalen")).json()["photos"] == [
        {
            "url": f"/bilder/{row.key}",
            "width": 1067,
            "height": 1600,
            "small": {"url": f"/bilder/{row.small_key}", "width": 160, "height": 240},
            "alt_nb": ALT_NB,
            "alt_en": ALT_EN,
        }
    ]
    assert (await staff.get("/api/v1/premises/klasserom-1")).json()["photos"] == []


async def test_english_alt_text_falls_back_to_norwegian_and_photos_keep_their_order(staff):
    await login_as(staff, "department_staff")
    for colour, alt in (
        ("red", "Første bilde: scenen"),
        ("green", "Andre bilde: garderoben"),
        ("blue", "Tredje bilde: inngangen"),
    ):
        assert (await upload(staff, "hallen", photo((800, 600), colour), alt_nb=alt)).status_code == 303
    first, second, third = await photos(staff, "hallen")
    english = (await staff.get("/lokaler/hallen", headers=ENGLISH)).text
    assert re.findall(r'alt="([^"]*)"', english) == [
        "Første bilde: scenen",
        "Andre bilde: garderoben",
        "Tredje bilde: inngangen",
    ]
    assert (first.width, first.height) == (800, 600)  # never made larger

    assert (
        await post_form(staff, f"/saksbehandling/lokaler/hallen/bilder/{third.id}/flytt", {"retning": "opp"})
    ).status_code == 303
    assert (
        await post_form(staff, f"/saksbehandling/lokaler/hallen/bilder/{first.id}/flytt", {"retning": "ned"})
    ).status_code == 303
    assert [p.id for p in await photos(staff, "hallen")] == [third.id, first.id, second.id]
    moved = await post_form(staff, f"/saksbehandling/lokaler/hallen/bilder/{third.id}/flytt", {"retning": "opp"})
    assert moved.headers["location"] == "/saksbehandling/lokaler/hallen?bilde=flyttet#bilder"
    assert [p.id for p in await photos(staff, "hallen")] == [third.id, first.id, second.id]  # first stays first
    page = (await staff.get(moved.headers["location"])).text
    assert "Bildet er flyttet." in page
    assert page.index("Tredje bilde") < page.index("Første bilde") < page.index("Andre bilde")
    search = (await staff.get("/")).text
    assert f'src="/bilder/{third.small_key}"' in search and f'src="/bilder/{first.small_key}"' not in search


async def test_removing_a_photo_deletes_its_files_unless_another_uses_them(staff):
    await login_as(staff, "department_staff")
    same = photo((1200, 900), "darkorange")
    for slug in ("motesalen", "hallen"):
        assert (await upload(staff, slug, same)).status_code == 303
    assert (await upload(staff, "motesalen", photo((1200, 900), "purple"))).status_code == 303
    shared, own = await photos(staff, "motesalen")
    [elsewhere] = await photos(staff, "hallen")
    assert (shared.key, shared.small_key) == (elsewhere.key, elsewhere.small_key)  # same bytes, same key
    assert len(files(staff)) == 4

    answer = await post_form(staff, f"/saksbehandling/lokaler/motesalen/bilder/{own.id}/slett")
    assert answer.headers["location"] == "/saksbehandling/lokaler/motesalen?bilde=slettet#bilder"
    assert files(staff) == {shared.key, shared.small_key}
    assert (await staff.get(f"/bilder/{own.key}")).status_code == 404
    assert f"/bilder/{own.key}" not in (await staff.get("/lokaler/motesalen")).text

    await post_form(staff, f"/saksbehandling/lokaler/motesalen/bilder/{shared.id}/slett")
    assert files(staff) == {shared.key, shared.small_key}  # the hall still shows it
    assert (await staff.get(f"/bilder/{shared.key}")).status_code == 200
    await post_form(staff, f"/saksbehandling/lokaler/hallen/bilder/{elsewhere.id}/slett")
    assert files(staff) == set() and await photos(staff) == []
    assert (await post_form(staff, f"/saksbehandling/lokaler/hallen/bilder/{elsewhere.id}/slett")).status_code == 404


def gif_named_jpeg() -> bytes:
    out = BytesIO()
    Image.new("P", (400, 300)).save(out, "GIF")
    return out.getvalue()


def bomb() -> bytes:
    """A PNG of 8000 × 8000 pixels (64 megapixels) in a few kilobytes."""
    out = BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")
    return out.getvalue()


REFUSALS = [
    # (what, file, alt text, field, code's message)
    (
        "a text file named .jpg",
        b"Dette er ikke et bilde.\n",
        ALT_NB,
        "bilde",
        "Filen er ikke et bilde i JPEG, PNG eller WebP.",
    ),
    ("a GIF named .jpg", gif_named_jpeg(), ALT_NB, "bilde", "Filen er ikke et bilde i JPEG, PNG eller WebP."),
    ("half a JPEG", photo()[:4000], ALT_NB, "bilde", "Bildet kan ikke leses. Filen kan være skadet."),
    ("a decompression bomb", bomb(), ALT_NB, "bilde", "Bildet har for mange piksler (høyst 50 megapiksler)."),
    (
        "over 10 MB",
        photo((200, 200)) + bytes(10 * 1024 * 1024),
        ALT_NB,
        "bilde",
        "Bildet er for stort. Det kan være høyst 10 MB.",
    ),
    ("no file", b"", ALT_NB, "bilde", "Velg en bildefil."),
    ("no alt text", photo(), "   ", "alt_nb", "Skriv en alternativ tekst på norsk"),
    ("an alt text of 301 characters", photo(), "x" * 301, "alt_nb", "Den alternative teksten kan ha høyst 300 tegn."),
]


async def test_each_refusal_says_why_at_its_field_and_stores_nothing(staff):
    await login_as(staff, "department_staff")
    for what, data, alt, field, message in REFUSALS:
        answer = await upload(staff, "motesalen", data, alt_nb=alt)
        assert answer.status_code == 422, what
        assert message in html.unescape(answer.text), what
        assert f'id="{field}-error"' in answer.text and f'href="#{field}"' in answer.text, what
        assert await photos(staff) == [] and files(staff) == set(), what
    # A missing alt text is kept apart from the file's problem, and English readers get English.
    english = await upload(staff, "motesalen", b"GIF89a", alt_nb="", headers=ENGLISH)
    assert english.status_code == 422
    assert "The file is not a JPEG, PNG or WebP picture." in english.text
    assert "Write an alt text in Norwegian" in english.text
    assert 'value="Møtesalen"' in english.text  # the premises form is shown as stored
    assert await photos(staff) == [] and files(staff) == set()


async def test_a_far_too_big_request_is_refused_before_it_is_read(staff):
    await login_as(staff, "department_staff")
    answer = await upload(staff, "motesalen", bytes(12 * 1024 * 1024))
    assert answer.status_code == 413
    assert "Et bilde kan være høyst 10 MB." in html.unescape(answer.text)
    assert await photos(staff) == [] and files(staff) == set()


async def test_only_the_owning_department_and_administrators_manage_photos(staff):
    await login_as(staff, "department_staff")
    assert (await upload(staff, "motesalen", photo((640, 480)))).status_code == 303
    [kept] = await photos(staff)
    for role, status in (("other_staff", 403), ("person", 403), ("caretaker", 403)):
        await login_as(staff, role)
        assert (await upload(staff, "motesalen", photo((640, 480), "red"))).status_code == status, role
        assert (
            await post_form(staff, f"/saksbehandling/lokaler/motesalen/bilder/{kept.id}/slett")
        ).status_code == status, role
        assert (
            await post_form(staff, f"/saksbehandling/lokaler/motesalen/bilder/{kept.id}/flytt", {"retning": "ned"})
        ).status_code == status, role
    await login_as(staff, None)
    answer = await upload(staff, "motesalen", photo((640, 480), "red"))
    assert answer.status_code == 303 and answer.headers["location"].startswith("/logg-inn")
    assert [p.id for p in await photos(staff)] == [kept.id] and len(files(staff)) == 2
    await login_as(staff, "admin")
    assert (await upload(staff, "klasserom-1", photo((640, 480), "red"))).status_code == 303
    assert len(await photos(staff, "klasserom-1")) == 1
    # A photo is moved and removed only through its own premises.
    await login_as(staff, "department_staff")
    assert (await post_form(staff, f"/saksbehandling/lokaler/hallen/bilder/{kept.id}/slett")).status_code == 404
    assert [p.id for p in await photos(staff, "motesalen")] == [kept.id]


async def test_the_staff_page_lists_photos_with_their_alt_texts_and_controls(staff):
    await login_as(staff, "department_staff")
    page = (await staff.get("/saksbehandling/lokaler/motesalen")).text
    assert "Lokalet har ingen bilder ennå." in page and 'enctype="multipart/form-data"' in page
    assert (
        '<label for="bilde">Bildefil</label>' in page
        and '<label for="alt_nb">Alternativ tekst på norsk</label>' in page
    )
    for colour in ("red", "green"):
        await upload(staff, "motesalen", photo((640, 480), colour), alt_en=ALT_EN)
    page = (await staff.get("/saksbehandling/lokaler/motesalen?bilde=lagt-til")).text
    assert "Bildet er lagt til." in page and page.count(f"Alternativ tekst: {ALT_NB}") == 2
    assert page.count(">Flytt opp<") == 1 and page.count(">Flytt ned<") == 1 and page.count(">Slett bildet<") == 2
    english = (await staff.get("/saksbehandling/lokaler/motesalen?bilde=lagt-til", headers=ENGLISH)).text
    for text in (
        "Pictures",
        "The picture has been added.",
        "Move up",
        "Delete the picture",
        "Alt text in Norwegian",
        "Upload the picture",
    ):
        assert text in english, text
