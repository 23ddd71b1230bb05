"""Fetching a subscribed calendar URL without becoming a proxy into our own network.

A user types the URL, so it is untrusted: it must not reach loopback, the private
network, cloud metadata (169.254.169.254) and the like (SSRF). The check runs on the
addresses the host name resolves to, the connection then goes to exactly the address
that was checked (so a second DNS answer cannot swap in 127.0.0.1), and every redirect
is checked the same way. Standard library only: http.client under urllib.parse.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

from calendars.errors import CalendarImportError

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Lokaler-kalenderimport/1.0"
_READ_CHUNK = 64 * 1024


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


def resolve_host(host: str, port: int) -> list[str]:
    """All addresses the host resolves to, in resolver order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def fetch_calendar(
    url: str,
    *,
    timeout: float = 10,
    max_bytes: int = 2_000_000,
    allow_private: bool = False,
) -> bytes:
    """GET a calendar: at most ``max_bytes``, within ``timeout`` seconds in all, redirects checked.

    Raises CalendarImportError: url_not_allowed, fetch_timeout, fetch_failed, too_large.
    """
    url = normalise_import_url(url)
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        try:
            status, location, body = _get_once(url, deadline, max_bytes, allow_private)
        except CalendarImportError:
            raise
        except TimeoutError as error:  # socket.timeout is TimeoutError since 3.10
            raise CalendarImportError.of("fetch_timeout", str(error)) from error
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise CalendarImportError.of("fetch_failed", f"{type(error).__name__}: {error}") from error
        if status in REDIRECT_STATUSES and location:
            url = urljoin(url, location)
            continue
        if status != 200:
            raise CalendarImportError.of("fetch_failed", f"HTTP {status}")
        return body
    raise CalendarImportError.of("fetch_failed", f"more than {MAX_REDIRECTS} redirects")


def _get_once(url: str, deadline: float, max_bytes: int, allow_private: bool) -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    try:
        addresses = resolve_host(host, port) if host and scheme in ALLOWED_SCHEMES else []
    except socket.gaierror as error:
        raise CalendarImportError.of("fetch_failed", f"cannot resolve {host}: {error}") from error
    check_import_url(url, addresses, allow_private=allow_private)

    connection = _pinned_connection(scheme, host, port, addresses, _remaining(deadline))
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(
            "GET",
            target,
            headers={"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5", "Accept-Encoding": "identity"},
        )
        # Kept now: for an HTTP/1.0 or "Connection: close" answer, getresponse() hands the
        # socket to the response and clears connection.sock, yet we must still bound reads.
        sock = connection.sock
        response = connection.getresponse()
        if response.status != 200:
            return response.status, response.getheader("Location", ""), b""
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise CalendarImportError.of("too_large", f"Content-Length {declared}, limit {max_bytes}")
        return 200, "", _read_limited(sock, response, deadline, max_bytes)
    finally:
        connection.close()


def _read_limited(sock: socket.socket, response, deadline: float, max_bytes: int) -> bytes:
    # read1, not read(n): read(n) waits for n bytes, so a server dripping a byte at a
    # time could hold us far past the deadline.
    chunks: list[bytes] = []
    received = 0
    while received <= max_bytes:
        sock.settimeout(_remaining(deadline))
        chunk = response.read1(min(_READ_CHUNK, max_bytes + 1 - received))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        received += len(chunk)
    raise CalendarImportError.of("too_large", f"more than {max_bytes} bytes")


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("calendar fetch deadline passed")
    return remaining


def _pinned_connection(scheme: str, host: str, port: int, addresses: list[str], timeout: float):
    """An HTTP(S) connection to ``host`` (Host header, TLS name) that dials only ``addresses``."""
    connection_class = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    connection = connection_class(host, port, timeout=timeout)

    def connect_to_checked_address(_address, connect_timeout, source_address):
        last_error: OSError | None = None
        for address in addresses:
            try:
                return socket.create_connection((address, port), connect_timeout, source_address)
            except OSError as error:
                last_error = error
        raise last_error or OSError("no address to connect to")

    # http.client dials through this hook; TLS still verifies the certificate for ``host``.
    connection._create_connection = connect_to_checked_address
    return connection
