"""Settings, read once from the environment (documented in README.md)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str
    hold_minutes: int
    allow_private_imports: bool

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def from_environment(env: dict[str, str] | os._Environ = os.environ) -> Settings:
    return Settings(
        database_url=env.get("BOOKING_DATABASE_URL", f"sqlite+aiosqlite:///{ROOT / 'var' / 'booking.db'}"),
        secret_key=env.get("BOOKING_SECRET_KEY", "development-only-secret-change-me-0123456789"),
        base_url=env.get("BOOKING_BASE_URL", "http://127.0.0.1:8000"),
        hold_minutes=int(env.get("BOOKING_HOLD_MINUTES", "15")),
        allow_private_imports=env.get("BOOKING_ALLOW_PRIVATE_IMPORTS", "") == "1",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return from_environment()
