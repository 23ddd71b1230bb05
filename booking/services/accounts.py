"""Accounts: creating people, checking passwords (argon2), API tokens, and login rate
limiting kept in the database so it holds across server processes."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import ApiToken, LoginAttempt, Person
from booking.domain.errors import DomainError
from booking.domain.text import check_text
from booking.services.self_service import MAX_NAME  # the one limit for a person's name
from calendars.tokens import hash_token, new_token

ROLES = ("person", "delegate", "caretaker", "department_staff", "admin")
STAFF_ROLES = ("department_staff", "admin")
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_LIMIT = 5
MAX_EMAIL = 254  # Person.email

_hasher = PasswordHasher()


class TooManyAttempts(DomainError):
    status = 429


class BadCredentials(DomainError):
    status = 401


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def create_person(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    password: str,
    roles: list[str],
    birth_date: date | None = None,
    language: str = "nb",
    department_id: int | None = None,
    today: date | None = None,
) -> Person:
    """A new account; refused, with nothing written, when a field is wrong. A birth date
    after `today` (the caller's date, in Oslo) is refused; without a birth date the account
    exists but cannot book, since the lending rules must know the person is 18 or older."""
    email = check_text(email, "email").strip().lower()
    if "@" not in email or len(email) > MAX_EMAIL:
        raise DomainError("invalid_email", "Skriv inn en gyldig e-postadresse.", f"Invalid e-mail {email!r}.")
    name = check_text(name, "name").strip()
    if not name:
        raise DomainError("name_required", "Skriv inn navnet.", "A name is required.")
    if len(name) > MAX_NAME:
        raise DomainError(
            "name_too_long",
            f"Navnet kan ha høyst {MAX_NAME} tegn.",
            f"The name may have at most {MAX_NAME} characters, not {len(name)}.",
        )
    if birth_date is not None and today is not None and birth_date > today:
        raise DomainError(
            "birth_date_in_future",
            "Fødselsdatoen kan ikke være frem i tid.",
            f"The birth date {birth_date.isoformat()} is in the future.",
        )
    if len(password) < 8:
        raise DomainError("weak_password", "Passordet må ha minst 8 tegn.", "The password needs 8 characters.")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise DomainError("unknown_role", f"Ukjent rolle: {', '.join(sorted(unknown))}.", f"Unknown roles {unknown}.")
    async with write_transaction(session):
        if await session.scalar(select(Person.id).where(func.lower(Person.email) == email)):
            raise DomainError(
                "email_taken",
                "Det finnes allerede en konto med denne e-postadressen.",
                f"An account for {email} exists.",
            )
        person = Person(
            name=name,
            email=email,
            password_hash=hash_password(password),
            roles=sorted(set(roles) | {"person"}),
            birth_date=birth_date,
            language=language,
            department_id=department_id,
        )
        session.add(person)
    return person


async def authenticate(session: AsyncSession, email: str, password: str, *, client: str, now: datetime) -> Person:
    """The person, or a refusal. Failed attempts per e-mail and client are limited."""
    key = f"{email.strip().lower()}|{client}"
    async with write_transaction(session):
        await session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_WINDOW))
        failed = list(
            (
                await session.execute(select(LoginAttempt.at).where(LoginAttempt.key == key).order_by(LoginAttempt.at))
            ).scalars()
        )
        if len(failed) >= LOGIN_LIMIT:
            # The lock lifts when so many attempts have left the window that fewer than the limit remain.
            lifts = failed[len(failed) - LOGIN_LIMIT] + LOGIN_WINDOW
            raise TooManyAttempts(
                "too_many_attempts",
                "For mange mislykkede innlogginger. Vent et kvarter og prøv igjen.",
                "Too many failed logins; try again in 15 minutes.",
                retry_after=max(1, math.ceil((lifts - now).total_seconds())),
            )
        person = await session.scalar(select(Person).where(func.lower(Person.email) == email.strip().lower()))
        try:
            if person is None or person.password_hash is None:
                raise VerificationError()
            _hasher.verify(person.password_hash, password)
        except (VerificationError, InvalidHashError):
            session.add(LoginAttempt(key=key, at=now))
            person = None
    if person is None:
        raise BadCredentials("bad_credentials", "Feil e-post eller passord.", "Wrong e-mail or password.")
    return person


async def issue_api_token(session: AsyncSession, person_id: int, *, label: str, now: datetime) -> str:
    """A new bearer token, shown once; only its hash is kept."""
    token = new_token()
    async with write_transaction(session):
        session.add(ApiToken(person_id=person_id, token_hash=hash_token(token), label=label, created_at=now))
    return token


async def remember_language(session: AsyncSession, person_id: int, language: str) -> None:
    """A person's chosen language, kept on the account (e-mails use it)."""
    async with write_transaction(session):
        row = await session.get(Person, person_id)
        if row is not None:
            row.language = language


async def person_for_token(session: AsyncSession, token: str) -> Person | None:
    return await session.scalar(
        select(Person)
        .join(ApiToken, ApiToken.person_id == Person.id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    )


async def person_by_email(session: AsyncSession, email: str) -> Person | None:
    return await session.scalar(select(Person).where(func.lower(Person.email) == email.strip().lower()))
