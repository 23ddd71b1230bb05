"""HEAD answers what GET answers, for every GET route (pages, the API, static files and
the iCal feeds with their ETag and 304): uptime monitors, link checkers and calendar
clients ask with HEAD. It wraps the whole application, before routing, so a route needs
no declaration of its own: the request is routed and handled as a GET, every header is
kept (Content-Length too, as RFC 9110 9.3.2 allows) and the body is not sent."""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send


def head_as_get(app: ASGIApp) -> ASGIApp:
    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # A copy: the server keeps its own scope, and knows it answers a HEAD.
        await app({**scope, "method": "GET"}, receive, without_body)

    return answer
