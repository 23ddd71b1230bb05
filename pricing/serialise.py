"""A rule set as a dict (for the database and the draft editor) and as TOML text.

Both forms read back through `rule_set_from_dict`/`parse_rule_set`, so a stored or edited
version is validated exactly like the seed file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .money import decimal_text

if TYPE_CHECKING:  # rules imports this module for RuleSet.__hash__
    from .rules import RuleSet


def rule_set_to_dict(rule_set: RuleSet) -> dict[str, Any]:
    """JSON-able: Decimals and dates as strings, absent optional values left out."""
    return _plain(rule_set, json_safe=True)


def content_hash(rule_set: RuleSet) -> str:
    canonical = json.dumps(rule_set_to_dict(rule_set), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _plain(value: Any, *, json_safe: bool, named_by_table: bool = False) -> Any:
    if is_dataclass(value):
        # An entry of a table (`[tariff.gymsal]`) is named by it; one in a list keeps its `key`.
        items = ((f.name, getattr(value, f.name)) for f in fields(value) if not (named_by_table and f.name == "key"))
        return {name: _plain(item, json_safe=json_safe) for name, item in items if item is not None}
    if isinstance(value, Mapping):
        return {key: _plain(item, json_safe=json_safe, named_by_table=True) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(item, json_safe=json_safe) for item in value]
    if isinstance(value, Decimal):
        return decimal_text(value) if json_safe else value
    if isinstance(value, date):
        return value.isoformat() if json_safe else value
    return value


def dump_toml(rule_set: RuleSet) -> str:
    """TOML that `parse_rule_set` reads back to an equal RuleSet; tomllib only reads, so we write."""
    lines = [
        f"# Priser og vilkår, versjon {rule_set.version}, gjelder fra {rule_set.valid_from.isoformat()}.",
        "# Beløp i NOK. Faktorer: 1 = full pris, 0 = gratis.",
    ]
    _write_table(lines, [], _plain(rule_set, json_safe=False))
    return "\n".join(lines).strip() + "\n"


def _write_table(lines: list[str], path: list[str], table: Mapping[str, Any]) -> None:
    arrays = {key: value for key, value in table.items() if _is_array_of_tables(value)}
    tables = {key: value for key, value in table.items() if isinstance(value, Mapping)}
    scalars = {key: value for key, value in table.items() if key not in arrays and key not in tables}
    # An empty table needs its header, or it would vanish; a pure container does not.
    if path and (scalars or not (tables or arrays)):
        lines += ["", f"[{'.'.join(path)}]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in scalars.items()]
    for key, items in arrays.items():  # `[[allocation.tiers]]`; their own lists of tables are inline
        for item in items:
            lines += ["", f"[[{'.'.join([*path, key])}]]"]
            lines += [f"{name} = {_toml_value(value)}" for name, value in item.items()]
    for key, value in tables.items():
        _write_table(lines, [*path, key], value)


def _is_array_of_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, (int, date)):
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string (same escapes, \uXXXX included),
        # except that TOML also wants DEL escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):  # an inline table
        return "{ " + ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
