"""Payment providers. Each module here named `*_provider` has `configure(settings)`,
which returns a provider when its settings are present and None otherwise; nothing else
in the code base lists providers, so a new one is one new module."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from booking.payments.base import (
    BadSignature,
    Checkout,
    CheckoutLine,
    CheckoutRequest,
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    ProviderRefused,
    ProviderUnavailable,
    RemotePayment,
    RemoteRefund,
)
from booking.payments.testmode_provider import NAME as TEST_MODE
from booking.settings import Settings

__all__ = [
    "BadSignature",
    "Checkout",
    "CheckoutLine",
    "CheckoutRequest",
    "PaymentProvider",
    "ProviderError",
    "ProviderEvent",
    "ProviderRefused",
    "ProviderUnavailable",
    "RemotePayment",
    "RemoteRefund",
    "TEST_MODE",
    "card_available",
    "card_in_test_mode",
    "providers",
    "provider_for_method",
]


def _provider_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_provider"))


@lru_cache(maxsize=16)
def providers(settings: Settings) -> dict[str, PaymentProvider]:
    """The configured providers by name (Payment.provider, and the webhook path)."""
    found: dict[str, PaymentProvider] = {}
    for name in _provider_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        provider = module.configure(settings)
        if provider is not None:
            found[provider.name] = provider
    return found


def provider_for_method(settings: Settings, method: str) -> PaymentProvider | None:
    """The first configured provider for a payment method, in module-name order."""
    return next((p for p in providers(settings).values() if p.method == method), None)


def card_available(settings: Settings) -> bool:
    """Whether bookers can pay by card now: a card provider is configured (for Stripe,
    both the secret key and the webhook secret are set; without them, outside production,
    the offline test mode)."""
    return provider_for_method(settings, "card") is not None


def card_in_test_mode(settings: Settings) -> bool:
    """Whether card payment is the offline test mode, in which no money moves (the pages say so)."""
    provider = provider_for_method(settings, "card")
    return provider is not None and provider.name == TEST_MODE
