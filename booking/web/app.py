"""The Litestar application: public pages, JSON API, and (from later issues) account,
staff, feeds and webhooks. Stateless: everything lives in the database."""

from __future__ import annotations

import hashlib
import logging
from contextlib import asynccontextmanager

from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from booking.db.engine import make_engine, session_factory
from booking.db.failures import database_unavailable
from booking.media.store import media_store
from booking.services.rulebook import ensure_default_published
from booking.settings import ROOT, Settings, get_settings
from booking.web import (
    account,
    api,
    approvals_api,
    booking_pages,
    bookings_api,
    caretaker,
    events,
    feeds,
    i18n,
    me_api,
    my_pages,
    open_events_api,
    payment_pages,
    photos,
    public,
    reports,
    season_applications,
    season_mine,
    seasons_api,
    staff,
    staff_organisations,
    staff_payments,
    staff_premises,
    staff_rules,
    staff_seasons,
    staff_tariff,
)
from booking.web.auth import current_person, provide_person
from booking.web.deps import (
    close_request_session,
    provide_db,
    provide_media,
    provide_now,
    provide_rules,
    provide_settings,
)
from booking.web.errors import handle
from booking.web.free_text import refuse_control_characters
from booking.web.head import head_as_get
from booking.web.webhooks import Webhooks

STRIPE_CHECKOUT = "https://checkout.stripe.com"


def content_security_policy(settings: Settings) -> str:
    """No inline scripts or styles, no framing. A booking form may end on the payment
    provider's hosted checkout (a redirect after the POST), so that origin is allowed as
    a form target too."""
    checkout = settings.stripe_api_base or STRIPE_CHECKOUT
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"frame-ancestors 'none'; base-uri 'self'; form-action 'self' {checkout}"
    )


SECURITY_HEADERS = {
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def _templates(engine: JinjaTemplateEngine) -> None:
    i18n.install(engine.engine)  # gettext, and dates and kroner in the page's language


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()

    @asynccontextmanager
    async def database(app: Litestar):
        # The database the app's settings name when it starts (the tests start one app on
        # one database after another).
        engine = make_engine(app.state.settings.database_url)
        app.state.sessions = session_factory(engine)
        try:
            async with app.state.sessions() as session:
                await ensure_default_published(session, provide_now())
        except Exception as error:
            if not database_unavailable(error):
                raise
            # Start anyway: requests answer 503 until the database is back, and use the
            # default rules, read-only, until a start publishes them (`current_rules`).
            logging.getLogger("booking.web").warning("database unavailable at start: %r", error)
        try:
            yield
        finally:
            await engine.dispose()

    async def security_headers(message, scope) -> None:
        if message["type"] == "http.response.start":
            headers = message.setdefault("headers", [])
            for name, value in {**SECURITY_HEADERS, "Content-Security-Policy": csp}.items():
                headers.append((name.lower().encode(), value.encode()))

    async def before_handlers(request: Request) -> None:
        # Pages show who is logged in; resolving once here keeps it to one query.
        await current_person(request)
        # Free text is held to one rule before any handler can save or echo it.
        await refuse_control_characters(request)

    csp = content_security_policy(settings)
    secure = settings.base_url.startswith("https://")
    secret = hashlib.sha256(settings.secret_key.encode()).digest()
    session = CookieBackendConfig(secret=secret, key="lokaler_session", secure=secure, samesite="lax", httponly=True)
    csrf = CSRFConfig(
        secret=settings.secret_key, cookie_secure=secure, cookie_samesite="lax", exclude=["/api/", "/webhooks/"]
    )

    app = Litestar(
        route_handlers=[
            public.PublicPages,
            api.PremisesApi,
            account.AccountPages,
            account.AuthApi,
            Webhooks,
            feeds.FeedsController,
            booking_pages.BookingPages,
            booking_pages.InfoPages,
            bookings_api.BookingsApi,
            approvals_api.ApprovalsApi,
            me_api.MeApi,
            payment_pages.PaymentPages,
            payment_pages.TestCheckoutPages,
            staff_payments.PaymentOverviewPages,
            my_pages.MyPages,
            i18n.LanguageSwitch,
            staff.ApprovalPages,
            staff_organisations.OrganisationCheckPages,
            staff_premises.PremisesEditor,
            staff_premises.ClosurePages,
            photos.PhotoFiles,
            staff_rules.RuleSetEditor,
            staff_tariff.TariffExceptionPages,
            staff_tariff.TariffExceptionExport,
            reports.ReportPages,
            caretaker.CaretakerPages,
            season_applications.SeasonApplicationPages,
            season_mine.MySeasonPages,
            seasons_api.SeasonsApi,
            staff_seasons.SeasonPages,
            events.EventPages,
            events.MyEventPages,
            events.StaffEventPages,
            open_events_api.OpenEventsApi,
            create_static_files_router(path="/static", directories=[ROOT / "booking" / "web" / "static"]),
        ],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "rules": Provide(provide_rules),
            "media": Provide(provide_media, sync_to_thread=False),
            "now": Provide(provide_now, sync_to_thread=False),
            "person": Provide(provide_person),
        },
        # settings for handlers that need this app's (webhooks); the media store for pictures
        state=State({"settings": settings, "media": media_store(settings.media_dir)}),
        middleware=[close_request_session, session.middleware],
        csrf_config=csrf,
        before_request=before_handlers,
        lifespan=[database],
        template_config=TemplateConfig(
            directory=ROOT / "templates", engine=JinjaTemplateEngine, engine_callback=_templates
        ),
        exception_handlers={Exception: handle},
        openapi_config=OpenAPIConfig(title="Lokaler API", version="1", path="/schema"),
        before_send=[security_headers],
    )
    app.asgi_handler = head_as_get(app.asgi_handler)  # before routing: every GET route answers HEAD
    return app
