"""What a draft rule set would change: field by field, and in money for real bookings.

Nothing here applies a draft; the administrator sees the effect before publishing it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from .errors import PricingError
from .facts import Booker, BookingDetails, PremisesFacts
from .priorities import rule_at
from .quoting import quote
from .rules import RuleSet
from .serialise import rule_set_to_dict

LARGEST_CHANGES_SHOWN = 10

BookingToPrice = tuple[Hashable, PremisesFacts, datetime, datetime, Booker, BookingDetails]


def diff_rule_sets(old: RuleSet, new: RuleSet) -> list[dict[str, Any]]:
    """Field-level changes: [{"place": "tariff.gymsal.rate", "change": "changed", "old": "350", "new": "400"}].

    Lists (groups a surcharge applies to, and the like) compare as one value. The
    allocation tiers are compared by key (`allocation.tiers.others.name_nb`), their order
    as the list of keys (`allocation.tiers`); each allocation change also states the rule
    in words as it is after the change, or as it was when removed (`rule_nb`, `rule_en`).
    """
    before, after = _places(old), _places(new)
    changes = []
    for place in [*before, *(place for place in after if place not in before)]:
        if place not in after:
            changes.append({"place": place, "change": "removed", "old": before[place], "new": None})
        elif place not in before:
            changes.append({"place": place, "change": "added", "old": None, "new": after[place]})
        elif before[place] != after[place]:
            changes.append({"place": place, "change": "changed", "old": before[place], "new": after[place]})
    for change in changes:
        if change["place"].startswith("allocation."):
            rules = (old if change["change"] == "removed" else new).allocation
            words = rule_at(rules, change["place"]) if rules else None
            if words:
                change["rule_nb"], change["rule_en"] = words
    return changes


def _places(rule_set: RuleSet) -> dict[str, Any]:
    plain = rule_set_to_dict(rule_set)
    allocation = plain.pop("allocation", None)
    flat = _flatten(plain)
    if allocation is not None:
        tiers = allocation.pop("tiers")
        flat["allocation.tiers"] = [tier["key"] for tier in tiers]
        flat.update(
            _flatten({tier["key"]: {k: v for k, v in tier.items() if k != "key"} for tier in tiers}, "allocation.tiers")
        )
        flat.update(_flatten(allocation, "allocation"))
    return flat


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        place = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, place))
        else:
            flat[place] = value
    return flat


def impact_preview(bookings: Iterable[BookingToPrice], current: RuleSet, draft: RuleSet) -> dict[str, Any]:
    """Quote each booking under both rule sets and summarise the difference (JSON-able).

    Totals cover the bookings both rule sets can price; the others are listed as unpriceable.
    """
    priced, unpriceable = [], []
    for key, premises, start, end, booker, details in bookings:
        try:
            before = quote(premises, start, end, booker, details, current).total
            after = quote(premises, start, end, booker, details, draft).total
        except PricingError as error:
            unpriceable.append({"key": _json_key(key), "code": error.code, "message_nb": error.message_nb})
            continue
        priced.append({"key": _json_key(key), "before": before, "after": after, "difference": after - before})
    changed = [row for row in priced if row["difference"]]
    largest = sorted(changed, key=lambda row: abs(row["difference"]), reverse=True)[:LARGEST_CHANGES_SHOWN]
    total_before = sum((row["before"] for row in priced), Decimal(0))
    total_after = sum((row["after"] for row in priced), Decimal(0))
    return {
        "current_version": current.version,
        "draft_version": draft.version,
        "bookings": len(priced) + len(unpriceable),
        "quoted_differently": len(changed),
        "total_before": str(total_before),
        "total_after": str(total_after),
        "difference": str(total_after - total_before),
        "largest_changes": [{k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()} for row in largest],
        "unpriceable": unpriceable,
    }


def _json_key(key: Hashable) -> Any:
    return key if isinstance(key, (str, int)) else str(key)
