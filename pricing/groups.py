"""Which customer group a booking belongs to: derived from facts, never typed in.

The order of the tests is the rule: a municipal unit is never a club, a commercial actor
never gets a volunteer price, and a children's club only gets the children's terms when
the booking itself is for children and youth.
"""

from __future__ import annotations

from dataclasses import dataclass

from .facts import Booker, BookingDetails


@dataclass(frozen=True)
class GroupDecision:
    key: str
    rule_nb: str
    rule_en: str


def decide_group(booker: Booker, details: BookingDetails) -> GroupDecision:
    organisation = booker.organisation
    if organisation is None:
        return GroupDecision(
            "privat",
            "Du bestiller som privatperson eller uformell gruppe, og betaler som privat.",
            "You book as a private person or an informal group, and pay as private.",
        )
    if organisation.municipal:
        return GroupDecision(
            "kommunal",
            f"{organisation.name} er en kommunal enhet.",
            f"{organisation.name} is a municipal unit.",
        )
    if organisation.commercial:
        return GroupDecision(
            "kommersiell",
            f"{organisation.name} driver kommersiell virksomhet.",
            f"{organisation.name} is a commercial organisation.",
        )
    if organisation.works_for_children_youth and details.target_group == "children_youth":
        return GroupDecision(
            "barn_og_unge",
            f"{organisation.name} har aktivitet for barn og unge, og bookingen er for barn og unge.",
            f"{organisation.name} runs activities for children and youth, and the booking is for children and youth.",
        )
    if organisation.orgnr and organisation.orgnr_valid:
        if organisation.works_for_children_youth:
            return GroupDecision(
                "frivillig",
                f"{organisation.name} har aktivitet for barn og unge, men denne bookingen er ikke for barn og unge; "
                "den regnes som frivillig organisasjon.",
                f"{organisation.name} runs activities for children and youth, but this booking is not for them; "
                "it counts as a voluntary organisation.",
            )
        return GroupDecision(
            "frivillig",
            f"{organisation.name} er en ikke-kommersiell organisasjon med gyldig organisasjonsnummer.",
            f"{organisation.name} is a non-commercial organisation with a valid organisation number.",
        )
    return GroupDecision(
        "privat",
        f"{organisation.name} har ikke gyldig organisasjonsnummer og regnes som en uformell gruppe (privat).",
        f"{organisation.name} has no valid organisation number and counts as an informal group (private).",
    )


def customer_group(booker: Booker, details: BookingDetails) -> tuple[str, str]:
    """(group key, the rule that decided it, as a Norwegian sentence)."""
    decision = decide_group(booker, details)
    return decision.key, decision.rule_nb


# How each group is decided, for the published terms; mirrors the order in decide_group.
GROUP_CRITERIA: dict[str, tuple[str, str]] = {
    "kommunal": ("Kommunale enheter.", "Municipal units."),
    "kommersiell": (
        "Organisasjoner og foretak som driver kommersielt.",
        "Organisations and companies operating commercially.",
    ),
    "barn_og_unge": (
        "Ikke-kommersielle organisasjoner med aktivitet for barn og unge, når bookingen er for barn og unge.",
        "Non-commercial organisations with activities for children and youth, when the booking is for them.",
    ),
    "frivillig": (
        "Andre ikke-kommersielle organisasjoner med gyldig organisasjonsnummer.",
        "Other non-commercial organisations with a valid organisation number.",
    ),
    "privat": (
        "Privatpersoner over 18 år og uformelle grupper, også organisasjoner uten gyldig organisasjonsnummer.",
        "Private persons over 18 and informal groups, including organisations without a valid organisation number.",
    ),
}
