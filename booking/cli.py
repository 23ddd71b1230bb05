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


def rules(args) -> int:
    """show | validate FILE | diff FILE | publish FILE --valid-from DATE --reason TEXT"""
    import json
    from datetime import date

    import pricing
    from booking.services import rulebook

    async def work(sessions):
        if args.action == "show":
            current = await rulebook.current_rules(sessions)
            for v in await rulebook.versions(sessions):
                print(f"# version {v.label}, valid from {v.valid_from}, by {v.author}: {v.reason} ({v.content_hash})")
            print(pricing.dump_toml(current.in_force(_now())))
            return 0
        draft = await rulebook.read_draft(sessions, args.file)
        if args.action == "validate":
            print(f"{args.file}: valid (version {draft.version}, {pricing.content_hash(draft)})")
        elif args.action == "diff":
            current = (await rulebook.current_rules(sessions)).in_force(_now())
            for change in pricing.diff_rule_sets(current, draft):
                print(f"{change['change']:8} {change['place']}: {change.get('old')} -> {change.get('new')}")
            print(json.dumps(await rulebook.impact(sessions, draft, _now()), indent=2, default=str))
        else:
            version = await rulebook.publish(sessions, draft, valid_from=date.fromisoformat(args.valid_from),
                                             author=args.author, reason=args.reason, now=_now())
            print(f"published version {version.label} valid from {version.valid_from} ({version.content_hash})")
        return 0

    from booking.services.rulebook import REFUSALS
    try:
        return asyncio.run(_with_sessions(work))
    except REFUSALS as error:
        place = getattr(error, "place", "")
        print(f"error [{error.code}] {place + ': ' if place else ''}{error.message_en}", file=sys.stderr)
        return 2


def users_create(args) -> int:
    from datetime import date

    from booking.services.accounts import create_person
    from booking.services.rulebook import REFUSALS

    async def work(sessions):
        return await create_person(
            sessions, email=args.email, name=args.name, password=args.password, roles=args.role or ["person"],
            birth_date=date.fromisoformat(args.birth_date) if args.birth_date else None, language=args.language)

    try:
        person = asyncio.run(_with_sessions(work))
    except REFUSALS as error:
        print(f"error [{error.code}] {error.message_en}", file=sys.stderr)
        return 2
    print(f"created {person.email} with roles {', '.join(person.roles)}")
    return 0


def token_create(args) -> int:
    from booking.services.accounts import issue_api_token, person_by_email

    async def work(sessions):
        async with sessions() as session:
            person = await person_by_email(session, args.email)
        if person is None:
            return None
        return await issue_api_token(sessions, person.id, label=args.label, now=_now())

    token = asyncio.run(_with_sessions(work))
    if token is None:
        print(f"error [unknown_person] no account for {args.email}", file=sys.stderr)
        return 2
    print(token)
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
    rule_commands = commands.add_parser("rules", help="the harmonised rule set").add_subparsers(
        dest="action", required=True)
    rule_commands.add_parser("show", help="print the version in force and the history").set_defaults(run=rules)
    for action, text in (("validate", "check a rule-set file"), ("diff", "compare a file with the rules in force")):
        sub = rule_commands.add_parser(action, help=text)
        sub.add_argument("file")
        sub.set_defaults(run=rules)
    publishing = rule_commands.add_parser("publish", help="publish a file as a new version")
    publishing.add_argument("file")
    publishing.add_argument("--valid-from", required=True, help="YYYY-MM-DD, today or later")
    publishing.add_argument("--reason", required=True)
    publishing.add_argument("--author", default="administrator")
    publishing.set_defaults(run=rules)
    users = commands.add_parser("users", help="accounts").add_subparsers(dest="users_command", required=True)
    creating = users.add_parser("create", help="create an account")
    creating.add_argument("--email", required=True)
    creating.add_argument("--name", required=True)
    creating.add_argument("--password", required=True)
    creating.add_argument("--role", action="append", help="person, delegate, caretaker, department_staff, admin")
    creating.add_argument("--birth-date", help="YYYY-MM-DD")
    creating.add_argument("--language", default="nb", choices=("nb", "en"))
    creating.set_defaults(run=users_create)
    tokens = commands.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    issuing = tokens.add_parser("create", help="issue a bearer token for an account (printed once)")
    issuing.add_argument("email")
    issuing.add_argument("--label", default="CLI")
    issuing.set_defaults(run=token_create)
    commands.add_parser("expire-holds", help="release holds past their expiry").set_defaults(run=expire_holds)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
