"""Seasonal allocation, the pure core: a round's premises and needs and the published
priority rules in, allocations and unmet wishes with reason codes out. Imports neither
the web framework nor the database (a test keeps it so).

`propose` and `check_need` load on first use: `pricing` reads `allocation.rules`, and
importing the package must not bring OR-Tools or the booking package along with it.
"""

from importlib import import_module

from allocation.model import Allocation, Need, Pin, Proposal, Reason, Round, RoundPremises, Slot, Unmet
from allocation.reasons import REASON_CODES, explain, wish_rank
from allocation.rules import AGE_GROUPS, CHILDREN_YOUTH, PriorityRules, Tier, TierCondition
from allocation.sample import city_round
from allocation.summary import summarise

_LOADED_ON_FIRST_USE = {"propose": "allocation.solver", "check_need": "allocation.applications"}

__all__ = [
    "AGE_GROUPS",
    "CHILDREN_YOUTH",
    "REASON_CODES",
    "Allocation",
    "Need",
    "Pin",
    "PriorityRules",
    "Proposal",
    "Reason",
    "Round",
    "RoundPremises",
    "Slot",
    "Tier",
    "TierCondition",
    "Unmet",
    "check_need",
    "city_round",
    "explain",
    "propose",
    "summarise",
    "wish_rank",
]


def __getattr__(name: str):
    if name in _LOADED_ON_FIRST_USE:
        return getattr(import_module(_LOADED_ON_FIRST_USE[name]), name)
    raise AttributeError(f"module 'allocation' has no attribute {name!r}")
