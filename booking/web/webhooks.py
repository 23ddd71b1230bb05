"""Payment providers' webhooks: POST /webhooks/{provider}. Exempt from CSRF and from
session authentication only; the provider's signature is the authentication. The event
is a trigger: the services fetch the payment from the provider before acting.

Answers: 200 handled (or already handled, or not about us); 400 bad signature, with
nothing changed; 404 unknown provider; 503 when the provider or the database is
unavailable for now, so the provider delivers the event again later."""

from __future__ import annotations

import logging
from datetime import datetime

from litestar import Controller, MediaType, Request, Response, post
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking.payments import BadSignature, ProviderUnavailable
from booking.services.payment_events import handle_webhook
from booking.settings import Settings

log = logging.getLogger("booking.web.webhooks")

MAX_BODY = 512 * 1024  # Stripe's events are a few kB


def _answer(status: int, outcome: str) -> Response:
    return Response({"outcome": outcome}, status_code=status, media_type=MediaType.JSON)


class Webhooks(Controller):
    path = "/webhooks"
    include_in_schema = False

    @post(
        "/{provider:str}",
        opt={"exclude_from_csrf": True, "exclude_from_auth": True},
        status_code=200,
        request_max_body_size=MAX_BODY,
    )
    async def receive(
        self, request: Request, provider: str, db: AsyncSession, settings: Settings, now: datetime
    ) -> Response:
        body = await request.body()
        try:
            outcome = await handle_webhook(db, settings, provider, body, request.headers, now=now)
        except BadSignature as error:
            log.warning("webhook %s refused: %s", provider, error)
            return _answer(400, "bad_signature")
        except ProviderUnavailable as error:
            log.warning("webhook %s: provider unavailable, asking for a retry: %s", provider, error)
            return _answer(503, "retry")
        except DBAPIError as error:
            if isinstance(error, IntegrityError):
                raise
            log.warning("webhook %s: database unavailable, asking for a retry: %s", provider, error)
            return _answer(503, "retry")
        return _answer(200, outcome)
