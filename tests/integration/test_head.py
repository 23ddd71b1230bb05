"""Every GET route answers HEAD with what GET answers: the same status and caching
headers, no body (uptime monitors, link checkers and calendar clients ask with HEAD).
On SQLite and PostgreSQL, logged in as a delegate so that most pages render."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from booking.db.engine import write_transaction
from booking.services.feed_tokens import create_token
from booking.settings import from_environment
from booking.web.app import create_app
from tests.integration.booking_web_support import app_for, log_in, world_with_passwords

# Values that exist in the test world where a route has parameters; ids are made up (404).
PARAMETERS = {"slug": "motesalen", "filename": "motesalen.ics", "file_path": "site.css", "path": "openapi.json"}
COMPARED = ("content-type", "cache-control", "etag", "last-modified", "location", "content-disposition")


def get_routes() -> list[str]:
    app = create_app(from_environment({"BOOKING_DATABASE_URL": "sqlite+aiosqlite:///:memory:"}))
    return sorted(route.path for route in app.routes if isinstance(route, HTTPRoute) and "GET" in route.methods)


def concrete(path: str) -> str:
    def value(match: re.Match) -> str:
        name, kind = match.group(1), match.group(2)
        return "999999" if kind == "int" else PARAMETERS.get(name, "x")

    return re.sub(r"\{(\w+):(\w+)\}", value, path)


@pytest.fixture
async def client(db):
    world = await world_with_passwords(db)
    async with AsyncTestClient(app=app_for(db)) as client:
        client.world, client.db = world, db
        yield client


def same_answer(get, head) -> None:
    assert head.status_code == get.status_code, (head.request.url, head.status_code, get.status_code)
    for name in COMPARED:
        assert head.headers.get(name) == get.headers.get(name), (head.request.url, name)
    assert head.content == b""


async def test_every_get_route_answers_head(client):
    await log_in(client, "kari@example.no")
    routes = get_routes()
    assert "/" in routes and "/kalender/lokaler/{filename:str}" in routes and "/static/{file_path:path}" in routes
    for path in routes:
        url = concrete(path)
        get = await client.get(url, follow_redirects=False)
        head = await client.head(url, follow_redirects=False)
        assert head.status_code != 405, url
        same_answer(get, head)


async def test_head_of_the_front_page_logged_out(client):
    answer = await client.head("/")
    assert answer.status_code == 200 and answer.content == b""
    assert answer.headers["content-type"].startswith("text/html")


async def test_head_of_a_static_file_and_its_etag(client):
    get = await client.get("/static/site.css")
    head = await client.head("/static/site.css")
    same_answer(get, head)
    assert head.headers["etag"] and head.headers["content-length"] == get.headers["content-length"] != "0"


async def test_head_of_the_feeds_keeps_etag_and_304(client):
    now = datetime.now(timezone.utc)
    async with client.db.sessions() as s, write_transaction(s):
        issued = await create_token(
            s, feed="person", subject_id=client.world.person_id, owner_id=client.world.person_id, actor_id=None, now=now
        )
    for url in ("/kalender/lokaler/motesalen.ics", issued.path):
        get = await client.get(url)
        head = await client.head(url)
        assert get.status_code == 200 and get.content
        same_answer(get, head)
        assert head.headers["etag"] and head.headers["content-type"].startswith("text/calendar")
        unchanged = await client.head(url, headers={"If-None-Match": head.headers["etag"]})
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert unchanged.headers["etag"] == head.headers["etag"]


async def test_head_where_there_is_no_get_is_still_405(client):
    answer = await client.head("/api/v1/quotes")
    assert answer.status_code == 405
