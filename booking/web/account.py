"""Logging in and out in the browser, and API tokens for programs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlparse

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from booking.services.accounts import BadCredentials, TooManyAttempts, authenticate, issue_api_token


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""
    neste: str = "/"


def safe_next(target: str) -> str:
    """Only local paths, so the login page cannot be used to send people elsewhere."""
    parsed = urlparse(target or "/")
    return target if target.startswith("/") and not target.startswith("//") and not parsed.netloc else "/"


def retry_headers(error: Exception) -> dict[str, str] | None:
    """Retry-After (seconds) for a refusal that says when to try again: the login lock."""
    seconds = (getattr(error, "details", None) or {}).get("retry_after")
    return {"Retry-After": str(seconds)} if seconds is not None else None


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class AccountPages(Controller):
    @get("/logg-inn", name="login")
    async def login_form(self, neste: str = "/") -> Template:
        return Template("account/login.html", context={"neste": safe_next(neste), "error": None, "email": ""})

    @post("/logg-inn")
    async def login(
        self,
        request: Request,
        db: AsyncSession,
        now: datetime,
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        try:
            person = await authenticate(db, data.email, data.password, client=client_of(request), now=now)
        except (BadCredentials, TooManyAttempts) as refused:
            return Template(
                "account/login.html",
                status_code=refused.status,
                headers=retry_headers(refused),
                context={"neste": safe_next(data.neste), "error": refused.message_nb, "email": data.email},
            )
        request.set_session({"person_id": person.id})
        return Redirect(safe_next(data.neste), status_code=303)

    @post("/logg-ut")
    async def logout(self, request: Request) -> Redirect:
        request.clear_session()
        return Redirect("/", status_code=303)


@dataclass
class TokenRequest:
    email: str
    password: str
    label: str = "API"


class AuthApi(Controller):
    path = "/api/v1/auth"

    @post("/token", status_code=201)
    async def token(self, request: Request, data: TokenRequest, db: AsyncSession, now: datetime) -> dict:
        person = await authenticate(db, data.email, data.password, client=client_of(request), now=now)
        return {"token": await issue_api_token(db, person.id, label=data.label, now=now), "token_type": "Bearer"}
