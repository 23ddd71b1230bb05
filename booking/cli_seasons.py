"""`booking season`: list the allocation rounds, compute a proposal, publish a closed round."""

from __future__ import annotations

from booking.cli_support import now as _now
from booking.cli_support import run as _run


def season_command(args) -> int:
    """season list | season open ID | season close ID | season propose ID | season publish ID"""
    import allocation
    from booking.services import season_proposal, season_publish, seasons
    from booking.services.rulebook import current_rules

    async def work(session):
        if args.action == "list":
            for season in await seasons.seasons(session):
                print(f"{season.id}\t{season.state}\t{season.starts}–{season.ends}\t{season.name}")
            return None
        if args.action in ("open", "close"):
            season = await seasons.move_season(session, args.id, args.action, now=_now())
            print(f"season {season.id} is {season.state}")
            return None
        rules = await current_rules(session)
        if args.action == "propose":
            proposal = await season_proposal.propose(session, args.id, rule_book=rules, now=_now())
            priority = season_proposal.priority_rules(rules, await seasons.get_season(session, args.id))
            summary = proposal.summary
            print(
                f"proposal for season {args.id}: {len(proposal.allocations)} allocations, "
                f"{len(proposal.unmet)} wishes not met"
            )
            for key in ("hours_by_tier", "children_youth_share", "demand_met", "needs_without_allocation"):
                if key in summary:
                    print(f"  {key}: {summary[key]}")
            if args.verbose:
                for unmet in proposal.unmet:
                    why = "; ".join(allocation.explain(r, priority, "en") for r in unmet.reasons)
                    print(f"  application {unmet.application_id} need {unmet.need} wish {unmet.wish}: {why}")
            return None
        published = await season_publish.publish(session, args.id, rule_book=rules, actor_id=None, now=_now())
        print(
            f"published season {args.id}: {published.series} weekly series, {published.bookings} bookings, "
            f"{len(published.collisions)} dates not given (collisions)"
        )
        for hit in published.collisions:
            print(f"  {hit['day']} {hit['premises']}: [{hit['code']}] {hit['message_en']}")
        return None

    _run(work)
    return 0


def add_season_commands(commands) -> None:
    season = commands.add_parser("season", help="seasonal allocation rounds").add_subparsers(
        dest="action", required=True
    )
    season.add_parser("list", help="the rounds with their state").set_defaults(run=season_command)
    for action, text in (
        ("open", "open a draft round for applications"),
        ("close", "close a round for applications (early, or at the deadline)"),
    ):
        moving = season.add_parser(action, help=text)
        moving.add_argument("id", type=int)
        moving.set_defaults(run=season_command)
    proposing = season.add_parser("propose", help="compute (and keep) a proposal for a round")
    proposing.add_argument("id", type=int)
    proposing.add_argument("--verbose", action="store_true", help="every wish not met, with why")
    proposing.set_defaults(run=season_command)
    publishing = season.add_parser("publish", help="publish a closed round as weekly series")
    publishing.add_argument("id", type=int)
    publishing.set_defaults(run=season_command)
