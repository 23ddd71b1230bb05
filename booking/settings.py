"""Settings, read once from the environment (documented in README.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str
    hold_minutes: int
    allow_private_imports: bool
    # "development" or "production"; in production the offline test-mode card provider is never on.
    env: str = "development"
    # Card payments via Stripe, when both secrets are set (without them, outside production: test mode).
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_api_base: str | None = None  # another Stripe-compatible server (tests)
    # Without Stripe keys and outside production: the test-mode provider keeps its checkouts here.
    testpay_dir: Path = ROOT / "var" / "testpay"
    # E-mail. Without an SMTP host, `booking send-mail` writes .eml files to mail_dir.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str = "Lokaler <noreply@lokaler.invalid>"
    mail_dir: Path = ROOT / "var" / "outbox"
    # Pictures of premises (booking.media.store.FileStore).
    media_dir: Path = ROOT / "var" / "media"
    # The environment these settings were read from, for a payment provider module that
    # brings its own variables (so adding a provider needs no change here).
    environment: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.env == "production"


ENVS = ("development", "production")


def _env(value: str) -> str:
    """BOOKING_ENV, strictly: a misspelt "production" must not switch the test-mode provider on."""
    if value not in ENVS:
        raise ValueError(f"BOOKING_ENV must be one of {', '.join(ENVS)}, not {value!r}")
    return value


def from_environment(env: dict[str, str] | os._Environ = os.environ) -> Settings:
    return Settings(
        database_url=env.get("BOOKING_DATABASE_URL", f"sqlite+aiosqlite:///{ROOT / 'var' / 'booking.db'}"),
        secret_key=env.get("BOOKING_SECRET_KEY", "development-only-secret-change-me-0123456789"),
        base_url=env.get("BOOKING_BASE_URL", "http://127.0.0.1:8000"),
        hold_minutes=int(env.get("BOOKING_HOLD_MINUTES", "15")),
        allow_private_imports=env.get("BOOKING_ALLOW_PRIVATE_IMPORTS", "") == "1",
        env=_env(env.get("BOOKING_ENV", "development")),
        stripe_secret_key=env.get("BOOKING_STRIPE_SECRET_KEY") or None,
        stripe_webhook_secret=env.get("BOOKING_STRIPE_WEBHOOK_SECRET") or None,
        stripe_api_base=env.get("BOOKING_STRIPE_API_BASE") or None,
        testpay_dir=Path(env.get("BOOKING_TESTPAY_DIR", str(ROOT / "var" / "testpay"))),
        smtp_host=env.get("BOOKING_SMTP_HOST") or None,
        smtp_port=int(env.get("BOOKING_SMTP_PORT", "587")),
        smtp_user=env.get("BOOKING_SMTP_USER") or None,
        smtp_password=env.get("BOOKING_SMTP_PASSWORD") or None,
        smtp_from=env.get("BOOKING_SMTP_FROM", "Lokaler <noreply@lokaler.invalid>"),
        mail_dir=Path(env.get("BOOKING_MAIL_DIR", str(ROOT / "var" / "outbox"))),
        media_dir=Path(env.get("BOOKING_MEDIA_DIR", str(ROOT / "var" / "media"))),
        environment=MappingProxyType(dict(env)),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return from_environment()
