"""`booking calendars` (external calendars imported as closures) and `booking feeds`
(secret iCal feed URLs)."""

from __future__ import annotations

import sys

from booking.cli_support import now as _now
from booking.cli_support import read_file
from booking.cli_support import run as _run
from booking.settings import get_settings


def calendars_command(args) -> int:
    """calendars import --building SLUG|--premises SLUG (--file PATH | --url URL) [--name N] | calendars refresh
    | calendars list | calendars remove ID"""
    from pathlib import Path

    from booking.db.engine import write_transaction
    from booking.services.imports import (
        attach_and_import,
        calendar_sources,
        import_source,
        remove_source,
        url_sources,
    )
    from common.errors import CodedError

    allow_private = get_settings().allow_private_imports
    data = None
    if args.action == "import" and args.file:
        data = read_file(args.file)

    def show(source, report) -> None:
        print(
            f"calendar {source.id} ({source.name}): {report.added} added, {report.updated} updated, "
            f"{report.removed} removed, {report.unchanged} unchanged closures"
        )
        for hit in report.collisions:
            print(
                f"  collision: booking {hit.booking_id} ({hit.status}) in {hit.premises} "
                f'{hit.start:%Y-%m-%d %H:%M}-{hit.end:%H:%M} UTC overlaps "{hit.event_summary}"'
            )

    async def work(session):
        if args.action == "refresh":
            sources = await url_sources(session)
            failed = 0
            for source in sources:
                try:
                    show(source, await import_source(session, source.id, now=_now(), allow_private=allow_private))
                except CodedError as error:
                    failed += 1
                    print(
                        f"calendar {source.id} ({source.name}): error [{error.code}] {error.message_en}",
                        file=sys.stderr,
                    )
            return 1 if failed else 0
        if args.action == "list":
            for source, attached_to in await calendar_sources(session):
                imported = f"{source.last_imported_at:%Y-%m-%d %H:%M} UTC" if source.last_imported_at else "never"
                fields = [
                    str(source.id),
                    attached_to,
                    source.name,
                    source.url or "(uploaded file)",
                    f"imported {imported}",
                ] + ([f"error {source.last_error}"] if source.last_error else [])
                print("\t".join(fields))
            return 0
        if args.action == "remove":
            async with write_transaction(session):
                removed = await remove_source(session, args.id)
            print(f"calendar {args.id} removed with its {removed} closure(s)")
            return 0
        show(
            *await attach_and_import(
                session,
                building_slug=args.building,
                premises_slug=args.premises,
                name=args.name or (Path(args.file).name if args.file else None),
                url=args.url,
                data=data,
                now=_now(),
                allow_private=allow_private,
            )
        )
        return 0

    return _run(work)


def feeds_command(args) -> int:
    """feeds token create --feed KIND --subject S --owner EMAIL | list --owner EMAIL | rotate ID | revoke ID"""
    from booking.db.engine import write_transaction
    from booking.services import feeds
    from booking.services.accounts import person_by_email

    base_url = get_settings().base_url

    def show(issued) -> None:
        urls = feeds.feed_urls(base_url, issued.path)
        print(
            f"feed token {issued.record.id} ({issued.record.feed} {issued.record.subject_id}); "
            "the URL is shown only now:"
        )
        print(urls["https"])
        print(urls["webcal"])

    async def work(session):
        async with write_transaction(session):
            if args.action in ("create", "list"):
                owner = await person_by_email(session, args.owner)
                if owner is None:
                    print(f"error [unknown_person] no account for {args.owner}", file=sys.stderr)
                    return 2
            if args.action == "create":
                subject_id = await feeds.resolve_subject(session, args.feed, args.subject)
                show(
                    await feeds.create_token(
                        session, feed=args.feed, subject_id=subject_id, owner_id=owner.id, actor_id=None, now=_now()
                    )
                )
            elif args.action == "list":
                for record in await feeds.list_tokens(session, owner_id=owner.id, actor_id=None):
                    print(f"{record.id}\t{record.feed}\t{record.subject_id}\tcreated {record.created_at:%Y-%m-%d}")
            elif args.action == "rotate":
                show(await feeds.rotate_token(session, args.id, actor_id=None, now=_now()))
            else:
                await feeds.revoke_token(session, args.id, actor_id=None, now=_now())
                print(f"feed token {args.id} revoked")
        return 0

    return _run(work)


def add_calendar_commands(commands) -> None:
    calendars = commands.add_parser("calendars", help="external calendars imported as closures").add_subparsers(
        dest="action", required=True
    )
    importing = calendars.add_parser("import", help="attach a calendar to a building or premises and import it")
    target = importing.add_mutually_exclusive_group(required=True)
    target.add_argument("--building", help="building slug")
    target.add_argument("--premises", help="premises slug")
    origin = importing.add_mutually_exclusive_group(required=True)
    origin.add_argument("--file", help="an .ics file")
    origin.add_argument("--url", help="an http(s) or webcal address")
    importing.add_argument("--name", help="what staff call the calendar (default: file name or URL)")
    importing.set_defaults(run=calendars_command)
    calendars.add_parser("refresh", help="re-import every calendar that has a URL").set_defaults(run=calendars_command)
    calendars.add_parser(
        "list", help="every attached calendar: id, building or premises, name, URL, last import"
    ).set_defaults(run=calendars_command)
    removing = calendars.add_parser("remove", help="detach a calendar and delete the closures it imported")
    removing.add_argument("id", type=int, help="the calendar's id (see calendars list)")
    removing.set_defaults(run=calendars_command)
    feed_tokens = commands.add_parser("feeds", help="iCal feeds").add_subparsers(dest="feeds_command", required=True)
    feed_token = feed_tokens.add_parser("token", help="secret feed URLs").add_subparsers(dest="action", required=True)
    making = feed_token.add_parser("create", help="a new secret feed URL (printed once)")
    making.add_argument(
        "--feed", required=True, choices=("premises", "building", "caretaker", "organisation", "person")
    )
    making.add_argument(
        "--subject",
        required=True,
        help="slug (premises, building), e-mail or id (caretaker, person), id or organisation number (organisation)",
    )
    making.add_argument("--owner", required=True, help="e-mail of the person the URL is for")
    making.set_defaults(run=feeds_command)
    listing = feed_token.add_parser("list", help="a person's live feed URLs (ids only)")
    listing.add_argument("--owner", required=True)
    listing.set_defaults(run=feeds_command)
    for action, text in (("rotate", "replace a feed URL with a new one"), ("revoke", "stop a feed URL")):
        sub = feed_token.add_parser(action, help=text)
        sub.add_argument("id", type=int)
        sub.set_defaults(run=feeds_command)
