"""Which calendar URLs may be fetched: the policy, pure (no network).

A user types the URL, so it is untrusted: it must not reach loopback, the private
network, cloud metadata (169.254.169.254) and the like (SSRF). `check_import_url` judges
a URL and the addresses its host resolves to; the fetch itself, which resolves, checks
with this, connects to exactly the checked address and checks every redirect the same
way, is booking/services/calendar_fetch.py.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from calendars.errors import CalendarImportError

ALLOWED_SCHEMES = ("http", "https")


def normalise_import_url(url: str) -> str:
    """webcal:// is what calendar buttons on the web link to; it means https (or http)."""
    url = url.strip()
    lowered = url.lower()
    if lowered.startswith("webcals://"):
        return "https://" + url[len("webcals://") :]
    if lowered.startswith("webcal://"):
        return "https://" + url[len("webcal://") :]
    return url


def check_import_url(url: str, resolved_addresses: list[str], *, allow_private: bool) -> None:
    """Refuse (CalendarImportError "url_not_allowed") anything but http(s) to public addresses.

    ``allow_private`` lets loopback, private and link-local addresses through, for tests
    and for a municipality that runs its calendar server on its own network; multicast,
    unspecified and reserved addresses are never allowed.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise CalendarImportError.of("url_not_allowed", f"unparseable URL: {error}") from error
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise CalendarImportError.of("url_not_allowed", f"scheme {parts.scheme!r}")
    if not parts.hostname:
        raise CalendarImportError.of("url_not_allowed", "no host")
    if not resolved_addresses:
        raise CalendarImportError.of("url_not_allowed", f"{parts.hostname} resolves to nothing")
    # Every address must pass, not just one: a DNS answer mixing a public and a private
    # address would otherwise let the connection land on the private one.
    for address in resolved_addresses:
        reason = _refusal_reason(address, allow_private=allow_private)
        if reason:
            raise CalendarImportError.of("url_not_allowed", f"{parts.hostname} -> {address}: {reason}")


def _refusal_reason(address: str, *, allow_private: bool) -> str:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"  # 0.0.0.0 connects to this machine
    if ip.is_reserved and not ip.is_loopback:  # Python counts ::1 as reserved too
        return "reserved"  # 240.0.0.0/4 and friends: nothing legitimate lives there
    if allow_private:
        return ""
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "not globally routable"  # e.g. 100.64.0.0/10 carrier-grade NAT
    return ""
