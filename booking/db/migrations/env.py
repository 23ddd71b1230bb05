"""Alembic environment: runs the migrations on the engine from BOOKING_DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context

from booking.db.engine import make_engine
from booking.db.models import Base
from booking.settings import get_settings


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def main() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url, autocommit=False)  # a migration is one transaction
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
        await connection.commit()
    await engine.dispose()


asyncio.run(main())
