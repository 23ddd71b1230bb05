"""The `booking` command: database, sample data, server and background jobs.
Each background job is safe to run on several machines at once."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from booking.cli_calendars import add_calendar_commands
from booking.cli_seasons import add_season_commands
from booking.cli_support import Refused, check_texts, read_file
from booking.cli_support import now as _now
from booking.cli_support import refuse as _refuse
from booking.cli_support import run as _run
from booking.settings import get_settings


def db_upgrade(args) -> int:
    from booking.db.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database is at the newest migration")
    return 0


def seed(args) -> int:
    if not args.sample:
        print("say what to load: booking seed --sample", file=sys.stderr)
        return 2
    from booking.media.store import media_store
    from booking.services.rulebook import current_rules
    from booking.services.seed import seed_sample

    async def work(session):
        rules = await current_rules(session)
        return await seed_sample(
            session, rules=rules, media=media_store(get_settings().media_dir), now=_now(), bookings=args.bookings
        )

    report = _run(work)
    print(f"sample data: {report.bookings} new bookings, {report.series} new weekly series")
    return 0


def serve(args) -> int:
    import uvicorn

    uvicorn.run(  # on uvloop with httptools' parser (both dependencies), uvicorn's choice when present
        "booking.web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        proxy_headers=True,
    )
    return 0


def expire_holds(args) -> int:
    from booking.db.engine import write_transaction
    from booking.services.bookings import release_expired_holds

    async def work(session):
        async with write_transaction(session):
            return await release_expired_holds(session, _now())

    released = _run(work)
    print(f"expired {len(released)} hold(s)")
    return 0


def rules(args) -> int:
    """show | validate FILE | diff FILE | publish FILE --valid-from DATE --reason TEXT"""
    import json
    from datetime import date

    import pricing
    from booking.services import rulebook

    text = read_file(args.file).decode("utf-8") if args.action != "show" else ""

    async def work(session):
        if args.action == "show":
            current = await rulebook.current_rules(session)
            for v in await rulebook.versions(session):
                print(f"# version {v.label}, valid from {v.valid_from}, by {v.author}: {v.reason} ({v.content_hash})")
            print(pricing.dump_toml(current.in_force(_now())))
            return 0
        draft = await rulebook.read_draft(session, text)
        if args.action == "validate":
            print(f"{args.file}: valid (version {draft.version}, {pricing.content_hash(draft)})")
        elif args.action == "diff":
            current = (await rulebook.current_rules(session)).in_force(_now())
            for change in pricing.diff_rule_sets(current, draft):
                print(f"{change['change']:8} {change['place']}: {change.get('old')} -> {change.get('new')}")
                if "rule_en" in change:  # an allocation rule, also in words
                    print(f"{'':8} {change['rule_en']}")
            print(json.dumps(await rulebook.impact(session, draft, _now()), indent=2, default=str))
        else:
            version = await rulebook.publish(
                session,
                draft,
                valid_from=date.fromisoformat(args.valid_from),
                author=args.author,
                reason=args.reason,
                now=_now(),
            )
            print(f"published version {version.label} valid from {version.valid_from} ({version.content_hash})")
        return 0

    return _run(work)


def users_create(args) -> int:
    from datetime import date

    from booking.domain.errors import DomainError
    from booking.services.accounts import create_person
    from common.localtime import to_local

    birth_date = None
    if args.birth_date:
        try:
            birth_date = date.fromisoformat(args.birth_date)
        except ValueError:
            raise _refuse(
                DomainError(
                    "invalid_birth_date",
                    "Fødselsdatoen skrives ÅÅÅÅ-MM-DD.",
                    f"The birth date is written YYYY-MM-DD, not {args.birth_date!r}.",
                )
            ) from None

    async def work(session):
        return await create_person(
            session,
            email=args.email,
            name=args.name,
            password=args.password,
            roles=args.role or ["person"],
            birth_date=birth_date,
            language=args.language,
            today=to_local(_now()).date(),
        )

    person = _run(work)
    print(f"created {person.email} with roles {', '.join(person.roles)}")
    if birth_date is None:
        print(
            "warning: no --birth-date, so this account cannot book: booking needs the birth date "
            "(a person must be 18 or older)",
            file=sys.stderr,
        )
    return 0


def token_create(args) -> int:
    from booking.services.accounts import issue_api_token, person_by_email

    async def work(session):
        person = await person_by_email(session, args.email)
        if person is None:
            return None
        return await issue_api_token(session, person.id, label=args.label, now=_now())

    token = _run(work)
    if token is None:
        print(f"error [unknown_person] no account for {args.email}", file=sys.stderr)
        return 2
    print(token)
    return 0


def send_mail(args) -> int:
    from booking.services.mail import send_mail as run

    result = _run(lambda session: run(session, get_settings(), clock=_now, limit=args.limit))
    print(f"{result.reminders} reminder(s) queued, {result.sent} mail(s) sent, {result.failed} failed (retried later)")
    return 1 if result.failed and not result.sent else 0


def invoices_export(args) -> int:
    from pathlib import Path

    from booking.services.invoices import export_invoices

    data = _run(lambda session: export_invoices(session, args.period, now=_now()))
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def payments_command(args) -> int:
    """payments retry-refunds | payments attention | payments reconcile [--older-than MINUTES]"""
    from datetime import timedelta

    from booking.services.payment_events import reconcile_payments
    from booking.services.refunds import payments_needing_attention, process_refunds

    async def work(session):
        if args.action == "reconcile":
            outcomes = await reconcile_payments(
                session, get_settings(), now=_now(), older_than=timedelta(minutes=args.older_than)
            )
            details = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
            print(f"{sum(outcomes.values())} open card payment(s) checked{': ' + details if details else ''}")
            return 1 if outcomes["unavailable"] else 0
        if args.action == "retry-refunds":
            report = await process_refunds(session, get_settings(), now=_now())
            print(f"{len(report.refunded)} refunded, {len(report.pending)} pending, {len(report.failed)} failed")
            return 1 if report.failed else 0
        rows = await payments_needing_attention(session, _now())
        for row in rows:
            print(
                f"{row.kind} {row.id}\tbooking {row.booking_id}\t{row.provider}\t{row.state}\t{row.amount} "
                f"{row.currency}\tattempts {row.attempts}\t{row.last_error or ''}"
            )
        print(f"{len(rows)} payment(s) need attention")
        return 0

    return _run(work)


def _minutes(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"a whole number of minutes, 0 or more, not {text!r}")
    return int(text)


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
        dest="action", required=True
    )
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
    creating = users.add_parser(
        "create",
        help="create an account",
        description="Create an account. To book, the account needs --birth-date: the lending rules let only "
        "persons of 18 or older book, so an account without a birth date cannot book.",
    )
    creating.add_argument("--email", required=True)
    creating.add_argument("--name", required=True, help="the person's full name")
    creating.add_argument("--password", required=True, help="at least 8 characters")
    creating.add_argument("--role", action="append", help="person, delegate, caretaker, department_staff, admin")
    creating.add_argument(
        "--birth-date",
        help="YYYY-MM-DD, not in the future; needed for the account to book (persons must be 18 or older)",
    )
    creating.add_argument("--language", default="nb", choices=("nb", "en"))
    creating.set_defaults(run=users_create)
    tokens = commands.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    issuing = tokens.add_parser("create", help="issue a bearer token for an account (printed once)")
    issuing.add_argument("email")
    issuing.add_argument("--label", default="CLI")
    issuing.set_defaults(run=token_create)
    add_calendar_commands(commands)
    add_season_commands(commands)
    commands.add_parser("expire-holds", help="release holds past their expiry").set_defaults(run=expire_holds)
    mailing = commands.add_parser("send-mail", help="queue due reminders and deliver the e-mail outbox")
    mailing.add_argument("--limit", type=int, default=200, help="at most this many mails in one run")
    mailing.set_defaults(run=send_mail)
    invoices = commands.add_parser("invoices", help="invoices").add_subparsers(dest="invoices_command", required=True)
    exporting = invoices.add_parser("export", help="CSV of the invoice bookings completed in a month")
    exporting.add_argument("--period", required=True, help="YYYY-MM, a month that is over")
    exporting.add_argument("--out", help="write to this file instead of standard output")
    exporting.set_defaults(run=invoices_export)
    payments = commands.add_parser("payments", help="card payments").add_subparsers(dest="action", required=True)
    payments.add_parser("retry-refunds", help="call the provider again for refunds not yet done").set_defaults(
        run=payments_command
    )
    payments.add_parser("attention", help="list refunds and payments staff must look at").set_defaults(
        run=payments_command
    )
    reconciling = payments.add_parser(
        "reconcile", help="fetch card payments still open from the provider and apply them as their webhook would have"
    )
    reconciling.add_argument(
        "--older-than",
        type=_minutes,
        default=5,
        metavar="MINUTES",
        help="leave younger payments to the webhook (default 5)",
    )
    reconciling.set_defaults(run=payments_command)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        get_settings()
    except ValueError as error:  # a setting that cannot be read (BOOKING_ENV=prod, say): said before anything runs
        print(f"error [invalid_setting] {error}", file=sys.stderr)
        return 2
    try:
        check_texts(args)
        return args.run(args)
    except Refused:
        return 2


if __name__ == "__main__":
    sys.exit(main())
