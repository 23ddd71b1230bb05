"""URL safety and fetching, against a real HTTP server on 127.0.0.1 (no other network)."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from booking.services.calendar_fetch import fetch_calendar
from calendars.errors import CalendarImportError
from calendars.fetch import check_import_url, normalise_import_url
from calendars.imports import parse_calendar

CALENDAR = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//T//EN\r\n"
    b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260505T100000Z\r\nDTEND:20260505T110000Z\r\nEND:VEVENT\r\n"
    b"END:VCALENDAR\r\n"
)
SMALL_LIMIT = 10_000


class CalendarHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        routes = {
            "/cal.ics": lambda: self.send(200, CALENDAR),
            "/redirect": lambda: self.send(302, b"", location="/cal.ics"),
            "/redirect-loop": lambda: self.send(302, b"", location="/redirect-loop"),
            "/redirect-to-file": lambda: self.send(302, b"", location="file:///etc/passwd"),
            "/missing": lambda: self.send(404, b"not here"),
            "/big": lambda: self.send(200, b"x" * (SMALL_LIMIT + 1)),
            "/big-chunked": self.big_without_length,
            "/slow": self.slow,
            "/drip": self.drip,
        }
        routes.get(self.path.split("?")[0], lambda: self.send(404, b""))()

    def send(self, status: int, body: bytes, location: str = "") -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def big_without_length(self) -> None:
        self.send_response(200)
        self.end_headers()  # no Content-Length: read until close
        for _ in range(SMALL_LIMIT // 1000 + 5):
            self.wfile.write(b"y" * 1000)
        self.close_connection = True

    def slow(self) -> None:
        time.sleep(2)
        self.send(200, CALENDAR)

    def drip(self) -> None:
        # Each byte comes well inside the socket timeout, the whole body far past the deadline.
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        for _ in range(100):
            try:
                self.wfile.write(b"z")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def server_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), CalendarHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def fetch_error(url: str, **kwargs) -> CalendarImportError:
    with pytest.raises(CalendarImportError) as caught:
        fetch_calendar(url, **{"allow_private": True, **kwargs})
    return caught.value


def test_fetches_and_parses_a_calendar(server_url):
    data = fetch_calendar(f"{server_url}/cal.ics", allow_private=True)
    assert data == CALENDAR
    window = dict(
        window_start=datetime(2026, 1, 1, tzinfo=timezone.utc), window_end=datetime(2027, 1, 1, tzinfo=timezone.utc)
    )
    assert [event.uid for event in parse_calendar(data, **window)] == ["a"]


def test_follows_a_redirect(server_url):
    assert fetch_calendar(f"{server_url}/redirect", allow_private=True) == CALENDAR


def test_refuses_loopback_without_allow_private(server_url):
    error = fetch_error(f"{server_url}/cal.ics", allow_private=False)
    assert error.code == "url_not_allowed"
    assert error.message_nb


def test_refuses_localhost_by_name():
    assert fetch_error("http://localhost:9/cal.ics", allow_private=False).code == "url_not_allowed"


def test_redirect_to_another_scheme_is_refused(server_url):
    assert fetch_error(f"{server_url}/redirect-to-file").code == "url_not_allowed"


def test_redirect_loop_fails(server_url):
    assert fetch_error(f"{server_url}/redirect-loop").code == "fetch_failed"


def test_http_error_fails(server_url):
    assert fetch_error(f"{server_url}/missing").code == "fetch_failed"


def test_connection_refused_fails():
    with socket.socket() as probe:  # a port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert fetch_error(f"http://127.0.0.1:{port}/cal.ics").code == "fetch_failed"


def test_unresolvable_host_fails():
    assert fetch_error("http://no-such-host.invalid/cal.ics").code == "fetch_failed"


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
def test_too_large(server_url, path):
    assert fetch_error(f"{server_url}{path}", max_bytes=SMALL_LIMIT).code == "too_large"


def test_slow_server_times_out(server_url):
    started = time.monotonic()
    assert fetch_error(f"{server_url}/slow", timeout=0.5).code == "fetch_timeout"
    assert time.monotonic() - started < 1.5


def test_dripping_server_times_out_on_the_overall_deadline(server_url):
    started = time.monotonic()
    assert fetch_error(f"{server_url}/drip", timeout=1).code == "fetch_timeout"
    assert time.monotonic() - started < 2


# --- check_import_url -------------------------------------------------------------

REFUSED_ALWAYS = ["224.0.0.1", "ff02::1", "0.0.0.0", "::", "240.0.0.1"]
REFUSED_UNLESS_PRIVATE = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.10",
    "169.254.169.254",  # cloud metadata
    "fe80::1%eth0",
    "fc00::1",
    "::ffff:127.0.0.1",
    "100.64.0.1",
]
PUBLIC = ["93.184.216.34", "2606:4700:4700::1111", "8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED_ALWAYS + REFUSED_UNLESS_PRIVATE)
def test_refused_addresses(address):
    with pytest.raises(CalendarImportError) as caught:
        check_import_url("https://kalender.example.no/a.ics", [address], allow_private=False)
    assert caught.value.code == "url_not_allowed"


@pytest.mark.parametrize("address", REFUSED_ALWAYS)
def test_never_allowed_even_with_allow_private(address):
    with pytest.raises(CalendarImportError):
        check_import_url("http://h/a.ics", [address], allow_private=True)


@pytest.mark.parametrize("address", REFUSED_UNLESS_PRIVATE)
def test_private_allowed_when_asked(address):
    check_import_url("http://h/a.ics", [address], allow_private=True)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_allowed(address):
    check_import_url("https://kalender.example.no/a.ics", [address], allow_private=False)


@pytest.mark.parametrize(
    "url",
    ["ftp://h/a.ics", "file:///etc/passwd", "javascript:alert(1)", "gopher://h/", "https:///nohost", "http://h:port/"],
)
def test_refused_urls(url):
    with pytest.raises(CalendarImportError) as caught:
        check_import_url(url, PUBLIC, allow_private=False)
    assert caught.value.code == "url_not_allowed"


def test_every_resolved_address_must_pass():
    with pytest.raises(CalendarImportError):
        check_import_url("https://h/a.ics", ["93.184.216.34", "10.0.0.1"], allow_private=False)


def test_no_addresses_is_refused():
    with pytest.raises(CalendarImportError):
        check_import_url("https://h/a.ics", [], allow_private=False)


def test_webcal_means_https():
    assert normalise_import_url(" webcal://kalender.no/a.ics ") == "https://kalender.no/a.ics"
    assert normalise_import_url("WEBCALS://kalender.no/a.ics") == "https://kalender.no/a.ics"
    assert normalise_import_url("http://kalender.no/a.ics") == "http://kalender.no/a.ics"
