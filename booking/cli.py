"""The `booking` command: database, sample data, server and background jobs.
Each background job is safe to run on several machines at once."""
from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timezone
from typing import Sequence

from booking.settings import get_settings


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _with_sessions(work):
    from booking.db.engine import make_engine, session_factory
    engine = make_engine(get_settings().database_url)
    try:
        return await work(session_factory(engine))
    finally:
        await engine.dispose()


def db_upgrade(args) -> int:
    from booking.db.migrate import upgrade
    upgrade(get_settings().database_url)
    print("database is at the newest migration")
    return 0


def seed(args) -> int:
    if not args.sample:
        print("say what to load: booking seed --sample", file=sys.stderr)
        return 2
    from booking.services.rulebook import current_rules
    from booking.services.seed import seed_sample

    async def work(sessions):
        rules = await current_rules(sessions)
        return await seed_sample(sessions, rules=rules, now=_now(), bookings=args.bookings)

    report = asyncio.run(_with_sessions(work))
    print(f"sample data: {report.bookings} new bookings, {report.series} new weekly series")
    return 0


def serve(args) -> int:
    import uvicorn
    uvicorn.run("booking.web.app:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="info", proxy_headers=True)
    return 0


def expire_holds(args) -> int:
    from booking.db.engine import write_transaction
    from booking.services.bookings import release_expired_holds

    async def work(sessions):
        async with write_transaction(sessions) as session:
            return await release_expired_holds(session, _now())

    released = asyncio.run(_with_sessions(work))
    print(f"expired {len(released)} hold(s)")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="booking", description="Lokaler: municipal premises booking")
    commands = root.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply all migrations").set_defaults(run=db_upgrade)
    seeding = commands.add_parser("seed", help="load data")
    seeding.add_argument("--sample", action="store_true", help="the sample municipality (idempotent)")
    seeding.add_argument("--bookings", type=int, default=300, help="how many sample bookings to try")
    seeding.set_defaults(run=seed)
    serving = commands.add_parser("serve", help="run the web server")
    serving.add_argument("--host", default="127.0.0.1")
    serving.add_argument("--port", type=int, default=8000)
    serving.add_argument("--workers", type=int, default=1)
    serving.set_defaults(run=serve)
    commands.add_parser("expire-holds", help="release holds past their expiry").set_defaults(run=expire_holds)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
