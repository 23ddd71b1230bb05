"""Fetching a subscribed calendar URL without becoming a proxy into our own network.

The URL policy is calendars.fetch.check_import_url (pure). Here the host is resolved, every
address it resolves to is checked, the connection then goes to exactly the address that
was checked (so a second DNS answer cannot swap in 127.0.0.1), and every redirect is
checked the same way. Standard library only: http.client under urllib.parse.
"""

from __future__ import annotations

import http.client
import socket
import time
from urllib.parse import urljoin, urlsplit

from calendars.errors import CalendarImportError
from calendars.fetch import ALLOWED_SCHEMES, check_import_url, normalise_import_url

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Lokaler-kalenderimport/1.0"
_READ_CHUNK = 64 * 1024


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
