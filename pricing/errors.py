"""Errors with stable codes, on the one coded-error base class (common.errors), so the
web layer maps them to HTTP without parsing text."""

from __future__ import annotations

from common.errors import CodedError


class PricingError(CodedError):
    """Base for every refusal the pricing core can give.

    `code` is stable and meant for programs; the messages are for people and quote the rule.
    Without an English message the Norwegian one stands for both.
    """

    def __init__(self, code: str, message_nb: str, message_en: str | None = None) -> None:
        super().__init__(code, message_nb, message_en if message_en is not None else message_nb)

    def __str__(self) -> str:
        return self.message_nb

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message_nb!r})"


class RuleSetError(PricingError):
    """A rule set that cannot be used. `place` names the field, e.g. `tariff.gymsal.rate`."""

    def __init__(self, code: str, message: str, place: str, *, message_en: str | None = None) -> None:
        super().__init__(code, message, message_en)
        self.message = message
        self.place = place
        if place:
            self.details["place"] = place

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message


class LendingRefusal(PricingError):
    """The lending criteria do not allow this booking; the message quotes the criterion."""
