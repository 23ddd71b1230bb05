"""Pricing and lending rules for Lokaler, as data. PURE: no database, no web framework.

The booking engine calls only what is exported here. Rule sets are versioned data
(`seed_data/rules/default.toml`); every local-time rule uses Europe/Oslo.
"""

from .changes import diff_rule_sets, impact_preview
from .errors import LendingRefusal, PricingError, RuleSetError
from .facts import Booker, BookingDetails, OrganisationFacts, PremisesFacts
from .groups import customer_group
from .lending import LendingDecision, cancellation_fee, check_lending
from .parsing import parse_rule_set, rule_set_from_dict
from .quoting import Quote, QuoteLine, quote
from .rules import (
    AddOn,
    CustomerGroup,
    Exemption,
    LendingCriteria,
    RuleSet,
    TariffCategory,
    TimeBand,
    select_version,
)
from .serialise import content_hash, dump_toml, rule_set_to_dict
from .terms import premises_prices, terms_document

__all__ = [
    "AddOn",
    "Booker",
    "BookingDetails",
    "CustomerGroup",
    "Exemption",
    "LendingCriteria",
    "LendingDecision",
    "LendingRefusal",
    "OrganisationFacts",
    "PremisesFacts",
    "PricingError",
    "Quote",
    "QuoteLine",
    "RuleSet",
    "RuleSetError",
    "TariffCategory",
    "TimeBand",
    "cancellation_fee",
    "check_lending",
    "content_hash",
    "customer_group",
    "diff_rule_sets",
    "dump_toml",
    "impact_preview",
    "parse_rule_set",
    "quote",
    "rule_set_from_dict",
    "rule_set_to_dict",
    "select_version",
    "premises_prices",
    "terms_document",
]
