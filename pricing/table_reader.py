"""Reading one table of a rule set, with the place of every value at hand for errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, TypeVar

from .errors import RuleSetError

MAX_FACTOR = Decimal(5)
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")  # bare TOML keys, so places and dumps stay simple
_MISSING = object()
Entry = TypeVar("Entry")


def rule_error(code: str, place: str, message_nb: str, message_en: str) -> RuleSetError:
    return RuleSetError(code, message_nb, place, message_en=message_en)


class TableReader:
    """One TOML table being read; knows its place and which keys were used (to catch typos)."""

    def __init__(self, data: Any, place: str) -> None:
        if not isinstance(data, Mapping):
            raise rule_error("invalid_value", place, "Skal være en tabell.", "Must be a table.")
        self.data, self.place = data, place
        self.used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.place}.{key}" if self.place else key

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key in self.data and self.data[key] is not None:
            return self.data[key]
        if default is _MISSING:
            raise rule_error("missing_field", self.at(key), "Feltet mangler.", "The field is missing.")
        return default

    def text(self, key: str, default: Any = _MISSING) -> str:
        value = self.raw(key, default)
        if not isinstance(value, str):
            raise rule_error("invalid_value", self.at(key), "Skal være tekst.", "Must be text.")
        return value

    def choice(self, key: str, allowed: Iterable[str], default: Any = _MISSING) -> str:
        value = self.text(key, default)
        allowed = tuple(allowed)
        if value not in allowed:
            raise rule_error(
                "invalid_value",
                self.at(key),
                f"«{value}» er ikke gyldig; velg en av {', '.join(allowed)}.",
                f"'{value}' is not valid; choose one of {', '.join(allowed)}.",
            )
        return value

    def integer(self, key: str, default: Any = _MISSING) -> int:
        return _whole_number(self.raw(key, default), self.at(key))

    def integers(self, key: str, default: Any = _MISSING) -> tuple[int, ...]:
        value = self.raw(key, default)
        if not isinstance(value, (list, tuple)):
            raise rule_error(
                "invalid_value", self.at(key), "Skal være en liste med hele tall.", "Must be a list of whole numbers."
            )
        return tuple(_whole_number(item, f"{self.at(key)}[{index}]") for index, item in enumerate(value))

    def optional(self, key: str, read: Callable[[str], Entry]) -> Entry | None:
        """`read(key)` when the key is given, else None (not asked)."""
        return None if self.raw(key, default=None) is None else read(key)

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise rule_error("invalid_value", self.at(key), "Skal være true eller false.", "Must be true or false.")
        return value

    def date(self, key: str) -> date:
        value = self.raw(key)
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                pass
        if not isinstance(value, date) or hasattr(value, "hour"):
            raise rule_error(
                "invalid_value",
                self.at(key),
                "Skal være en dato (ÅÅÅÅ-MM-DD).",
                "Must be a date (YYYY-MM-DD).",
            )
        return value

    def decimal(self, key: str, default: Any = _MISSING) -> Decimal:
        value = self.raw(key, default)
        if isinstance(value, bool) or isinstance(value, float):
            # A float has already lost exactness; ask for text or a TOML number instead.
            raise rule_error(
                "invalid_value",
                self.at(key),
                "Skal være et desimaltall skrevet som tekst.",
                "Must be a decimal written as text.",
            )
        try:
            number = Decimal(value) if isinstance(value, (int, str, Decimal)) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise rule_error("invalid_value", self.at(key), "Skal være et tall.", "Must be a number.")
        return number

    def money(self, key: str, default: Any = _MISSING, *, missing_code: str = "missing_field") -> Decimal:
        if key not in self.data and default is _MISSING:
            raise rule_error(missing_code, self.at(key), "Prisen mangler.", "The price is missing.")
        amount = self.decimal(key, default)
        if amount < 0:
            raise rule_error(
                "negative_price",
                self.at(key),
                f"Prisen kan ikke være negativ ({amount}).",
                f"The price cannot be negative ({amount}).",
            )
        return amount

    def factor(self, key: str, default: Any = _MISSING) -> Decimal:
        value = self.decimal(key, default)
        if not Decimal(0) <= value <= MAX_FACTOR:
            raise rule_error(
                "factor_out_of_range",
                self.at(key),
                f"Faktoren må være mellom 0 og {MAX_FACTOR} (er {value}).",
                f"The factor must be between 0 and {MAX_FACTOR} (is {value}).",
            )
        return value

    def share(self, key: str, default: Any = _MISSING) -> Decimal:
        """A part of a whole, 0..1: a VAT rate or the share of the price a late cancellation costs."""
        value = self.decimal(key, default)
        if not Decimal(0) <= value <= Decimal(1):
            raise rule_error(
                "invalid_value",
                self.at(key),
                f"Skal være mellom 0 og 1 (er {value}).",
                f"Must be between 0 and 1 (is {value}).",
            )
        return value

    def keys(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        value = self.raw(key, default)
        if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
            raise rule_error(
                "invalid_value",
                self.at(key),
                "Skal være en liste med tekster.",
                "Must be a list of texts.",
            )
        return tuple(value)

    def name(self, key: str) -> str:
        """A key given as a value (`key = "children_youth"`), spelled like the keys of tables."""
        value = self.text(key)
        if not _KEY.match(value):
            raise rule_error(
                "invalid_key", self.at(key), "Nøkler bruker bare a-z, 0-9 og _.", "Keys use only a-z, 0-9 and _."
            )
        return value

    def table(self, key: str, default: Any = _MISSING) -> TableReader:
        return TableReader(self.raw(key, default), self.at(key))

    def int_map(self, key: str) -> Mapping[str, int]:
        table = self.table(key, default={})
        values = {name: table.integer(name) for name in table.data}
        return MappingProxyType(values)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise rule_error(
                "unknown_field",
                self.at(unknown[0]),
                "Ukjent felt (skrivefeil?).",
                "Unknown field (a typo?).",
            )

    def entries(self, build: Callable[[str, TableReader], Entry]) -> Mapping[str, Entry]:
        """A table of named entries (`[tariff.gymsal]`, ...), each built and checked for typos."""
        items = {}
        for key in self.data:
            place = self.at(key)
            if not isinstance(key, str) or not _KEY.match(key):
                raise rule_error(
                    "invalid_key",
                    place,
                    "Nøkler bruker bare a-z, 0-9 og _.",
                    "Keys use only a-z, 0-9 and _.",
                )
            entry = TableReader(self.data[key], place)
            items[key] = build(key, entry)
            entry.finish()
        return MappingProxyType(items)

    def array(self, key: str, build: Callable[[TableReader], Entry], default: Any = _MISSING) -> tuple[Entry, ...]:
        """An array of tables (`[[allocation.tiers]]`, inline tables in a list), in order,
        each built and checked for typos; the place of each is `key[index]`."""
        value = self.raw(key, default)
        if not isinstance(value, (list, tuple)):
            raise rule_error(
                "invalid_value", self.at(key), "Skal være en liste med tabeller.", "Must be a list of tables."
            )
        items = []
        for index, item in enumerate(value):
            entry = TableReader(item, f"{self.at(key)}[{index}]")
            items.append(build(entry))
            entry.finish()
        return tuple(items)


def _whole_number(value: Any, place: str) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise rule_error(
            "invalid_value",
            place,
            "Skal være et helt tall, 0 eller mer.",
            "Must be a whole number, 0 or more.",
        )
    return value
