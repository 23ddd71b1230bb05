"""How a customer group may pay: part of the rule set (`[groups.*] payment_methods`).

A version stored before the rule existed has no list; it keeps the behaviour it was
published under: card for everyone, invoice too for an organisation with a valid
organisation number. An invoice to an organisation is addressed to its organisation
number, so without a valid one an organisation is never invoiced, whatever the list says;
a private person's invoice goes to the person.
"""

from __future__ import annotations

from .facts import Booker
from .rules import PAYMENT_METHODS, CustomerGroup

METHOD_NAMES = {"card": ("kort", "card"), "invoice": ("faktura", "invoice")}  # (Norwegian, English)


def allowed_payment_methods(group: CustomerGroup, booker: Booker) -> tuple[str, ...]:
    """The methods, in the order to show them, the rule set lets this booker pay by."""
    organisation = booker.organisation
    invoice_to_organisation = organisation is not None and organisation.orgnr_valid
    listed = group.payment_methods
    if listed is None:
        listed = ("card", "invoice") if invoice_to_organisation else ("card",)
    return tuple(
        m
        for m in PAYMENT_METHODS
        if m in listed and (m != "invoice" or organisation is None or invoice_to_organisation)
    )


def method_names(methods: tuple[str, ...] | list[str], language: str) -> str:
    """ "kort eller faktura" / "card or invoice"."""
    index = 0 if language == "nb" else 1
    names = [METHOD_NAMES.get(m, (m, m))[index] for m in methods]
    joiner = " eller " if language == "nb" else " or "
    return joiner.join(names) if names else ("ingen" if language == "nb" else "none")
