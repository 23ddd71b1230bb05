"""What the payment and mail tests stand on (no tests here): localstripe in a subprocess,
a recording stand-in for Stripe Checkout (which localstripe lacks) that passes every
other call on to localstripe, the app served over real HTTP so localstripe can deliver
webhooks to it, Stripe's signature scheme, and the booking world with prices."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qsl

import pytest

from booking.settings import Settings, from_environment
from common.localtime import OSLO

IN_CI = os.environ.get("CI") == "true"
SECRET_KEY = "sk_test_lokaler"
WEBHOOK_SECRET = "whsec_lokaler_test"

# localstripe keeps its store in memory here (it would pickle it to /tmp on every write).
LAUNCHER = """
import sys
import localstripe.resources as resources
resources.Store.dump_to_disk = lambda self: None
from aiohttp import web
from localstripe.server import app
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def need(module: str):
    """Import a test dependency; without it the test skips, except under CI=true."""
    try:
        return __import__(module)
    except ImportError:
        message = f"{module} is not installed (pip install {module})"
        if IN_CI:
            pytest.fail(message)
        pytest.skip("!!! " + message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port}")


@dataclass
class LocalStripe:
    url: str
    process: subprocess.Popen

    def configure_webhook(self, url: str, secret: str = WEBHOOK_SECRET, events: list[str] | None = None) -> None:
        data = [("url", url), ("secret", secret)] + [("events[]", e) for e in events or []]
        body = "&".join(f"{k}={urllib.request.quote(v, safe='')}" for k, v in data).encode()
        request = urllib.request.Request(
            f"{self.url}/_config/webhooks/lokaler",
            data=body,
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        urllib.request.urlopen(request, timeout=5).close()

    def stop_webhooks(self) -> None:
        """Deliveries still scheduled go nowhere (a closed port) instead of to the next test."""
        self.configure_webhook(f"http://127.0.0.1:{free_port()}/nowhere", "whsec_gone")


@pytest.fixture(scope="session")
def localstripe() -> Iterator[LocalStripe]:
    """One localstripe for the session. Its webhooks are not for tests: every payment it
    sees schedules a delivery a second later to whatever is registered by then."""
    with running_localstripe() as server:
        yield server


@pytest.fixture
def delivering_localstripe() -> Iterator[LocalStripe]:
    """A localstripe of the test's own, whose webhook deliveries reach only this test."""
    with running_localstripe() as server:
        yield server


@contextmanager
def running_localstripe() -> Iterator[LocalStripe]:
    need("localstripe")
    need("stripe")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for_port(port)
    except RuntimeError:
        process.kill()
        raise RuntimeError(f"localstripe did not start: {process.stderr.read().decode(errors='replace')}")
    server = LocalStripe(f"http://127.0.0.1:{port}", process)
    yield server
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]


@dataclass
class CheckoutServer:
    """Stands in for Stripe's Checkout Sessions: records each request, answers like
    Stripe (the same answer for a repeated idempotency key), and forwards every other
    request to `upstream` (localstripe) when set."""

    url: str = ""
    upstream: str | None = None
    requests: list[Recorded] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def created(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/checkout/sessions"]

    def complete(self, session_id: str, payment_intent: str) -> None:
        """The booker paid on the hosted page: the session now names its PaymentIntent."""
        with self.lock:
            self.sessions[session_id].update(status="complete", payment_status="paid", payment_intent=payment_intent)


def _handler(server: CheckoutServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: dict) -> None:
            self._reply(status, json.dumps(data).encode())

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            params = dict(parse_qsl(raw.decode() if raw else query, keep_blank_values=True))
            with server.lock:
                server.requests.append(
                    Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()}, params)
                )
            if path == "/v1/checkout/sessions" and self.command == "POST":
                return self._create(params)
            if path.startswith("/v1/checkout/sessions/"):
                session_id, _, action = path.removeprefix("/v1/checkout/sessions/").partition("/")
                with server.lock:
                    session = server.sessions.get(session_id)
                    if session is not None and action == "expire" and session["status"] == "open":
                        session["status"] = "expired"
                if session is None:
                    return self._json(404, {"error": {"type": "invalid_request_error", "message": "No such session"}})
                return self._json(200, session)
            if self.path.startswith("/pay/"):
                return self._reply(200, b"<html><body>Stripe Checkout (test)</body></html>", "text/html")
            if server.upstream is None:
                return self._json(404, {"error": {"type": "invalid_request_error", "message": "not recorded"}})
            return self._forward(raw)

        def _create(self, params: dict[str, str]) -> None:
            key = self.headers.get("Idempotency-Key")
            with server.lock:
                if key and key in server.by_key:
                    return self._json(200, server.sessions[server.by_key[key]])
                session_id = f"cs_test_{len(server.sessions) + 1:04d}"
                server.sessions[session_id] = {
                    "id": session_id,
                    "object": "checkout.session",
                    "url": f"{server.url}/pay/{session_id}",
                    "status": "open",
                    "payment_status": "unpaid",
                    "payment_intent": None,
                    "mode": "payment",
                    "client_reference_id": params.get("client_reference_id"),
                    "currency": params.get("line_items[0][price_data][currency]"),
                    "amount_total": int(params.get("line_items[0][price_data][unit_amount]", "0")),
                    "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
                    "success_url": params.get("success_url"),
                    "cancel_url": params.get("cancel_url"),
                }
                if key:
                    server.by_key[key] = session_id
                answer = server.sessions[session_id]
            return self._json(200, answer)

        def _forward(self, raw: bytes) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
            request = urllib.request.Request(
                server.upstream + self.path, data=raw or None, method=self.command, headers=headers
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    return self._reply(answer.status, answer.read())
            except urllib.error.HTTPError as error:
                return self._reply(error.code, error.read())

        do_GET = do_POST = do_DELETE = _handle

    return Handler


@contextmanager
def checkout_server(upstream: str | None = None) -> Iterator[CheckoutServer]:
    server = CheckoutServer(upstream=upstream)
    http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    server.url = f"http://127.0.0.1:{http.server_address[1]}"
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        http.shutdown()
        http.server_close()


def stripe_settings(db_url: str, api_base: str | None, **extra: str) -> Settings:
    env = {
        "BOOKING_DATABASE_URL": db_url,
        "BOOKING_STRIPE_SECRET_KEY": SECRET_KEY,
        "BOOKING_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        **extra,
    }
    if api_base:
        env["BOOKING_STRIPE_API_BASE"] = api_base
    return from_environment(env)


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header by Stripe's scheme: HMAC-SHA256 of "{t}.{payload}"."""
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(event_id: str, kind: str, object_id: str, **stale: Any) -> bytes:
    """An event as Stripe sends it; `stale` fields show the handler does not trust them."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": {"id": object_id, **stale}},
        }
    ).encode()


@contextmanager
def served(app) -> Iterator[str]:
    """The app over real HTTP in a thread with its own event loop (and its own engine)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Customer:
    """The booker on Stripe's hosted page: a card and a PaymentIntent on localstripe,
    carrying the metadata our Checkout Session asked for."""

    def __init__(self, localstripe_url: str) -> None:
        import stripe

        self.client = stripe.StripeClient(
            SECRET_KEY, base_addresses={"api": localstripe_url}, http_client=stripe.HTTPXClient()
        )

    async def pay(
        self, payment_id: int, amount_ore: int, *, card: str = "4242424242424242", confirm: bool = True
    ) -> str:
        import stripe

        method = await self.client.v1.payment_methods.create_async(
            params={"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
        )
        params = {
            "amount": amount_ore,
            "currency": "nok",
            "payment_method": method.id,
            "metadata": {"payment_id": str(payment_id)},
        }
        intent = await self.client.v1.payment_intents.create_async(params=params)
        if confirm:
            try:
                await self.client.v1.payment_intents.confirm_async(intent.id)
            except stripe.CardError:
                pass  # a declined card: the PaymentIntent says so
        return intent.id

    async def refunds(self, payment_intent: str) -> list[dict]:
        listed = await self.client.v1.refunds.list_async(params={"payment_intent": payment_intent})
        return listed.to_dict()["data"]

    async def intent(self, payment_intent: str) -> dict:
        return (await self.client.v1.payment_intents.retrieve_async(payment_intent)).to_dict()


async def eventually(check, timeout: float = 15.0, interval: float = 0.1):
    """Poll an async check until it returns something true (webhooks arrive ~1 s late)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(interval)


def slot(days_ahead: int, hour: int, hours: int = 2, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) at `hour` local time, `days_ahead` days from now (Oslo)."""
    base = (now or datetime.now(timezone.utc)).astimezone(OSLO).date() + timedelta(days=days_ahead)
    start = datetime(base.year, base.month, base.day, hour, tzinfo=OSLO)
    return start.astimezone(timezone.utc), (start + timedelta(hours=hours)).astimezone(timezone.utc)
