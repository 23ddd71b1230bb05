"""What every `booking` subcommand shares: the clock, running a use case against the
configured database (on one session), and printing a refusal (stable code, exit status 2)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timezone
from pathlib import Path

from booking.settings import get_settings


def now() -> datetime:
    return datetime.now(timezone.utc)


class Refused(Exception):
    """A use case said no; its message has been printed. The command exits with 2."""


def refuse(error) -> Refused:
    """Print a refusal with its stable code; the command then exits with status 2."""
    place = getattr(error, "place", "")
    print(f"error [{error.code}] {place + ': ' if place else ''}{error.message_en}", file=sys.stderr)
    return Refused()


def run(work):
    """Run a use case against the configured database. A refusal is printed with its
    stable code and the command exits with status 2; nothing was written."""
    from common.errors import CodedError

    try:
        return asyncio.run(with_session(work))
    except CodedError as error:
        raise refuse(error) from None


def read_file(name: str) -> bytes:
    """A file named on the command line, read by the command itself (the cores parse
    text, never a file name); one that cannot be read is refused: exit status 2."""
    try:
        return Path(name).read_bytes()
    except OSError as error:
        print(f"error [unreadable_file] {name}: {error.strerror}", file=sys.stderr)
        raise Refused() from None


def check_texts(args: argparse.Namespace) -> None:
    """The web's one rule for free text (booking.domain.text) on every text given on the
    command line, before anything runs: a control character is refused (Refused, exit
    status 2) and nothing is written."""
    from booking.domain.errors import DomainError
    from booking.domain.text import check_text

    try:
        for key, value in vars(args).items():
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, str):
                    check_text(text, key.replace("_", "-"))
    except DomainError as error:
        raise refuse(error) from None


async def with_session(work):
    """`work(session)` on one session of the configured database, as a request has one;
    the use cases it calls own their transactions."""
    from booking.db.engine import make_engine, session_factory

    engine = make_engine(get_settings().database_url)
    try:
        async with session_factory(engine)() as session:
            return await work(session)
    finally:
        await engine.dispose()
