"""Language: Norwegian bokmål by default, English by the switch (a cookie set by a form
posting to /sprak) or by Accept-Language. Strings go through gettext catalogues whose
message ids are the Norwegian text, so bokmål needs no catalogue.

The English catalogue is `locale/en/LC_MESSAGES/messages.po`, compiled in memory when
the app starts (nothing to run after a fresh clone). To refresh it after changing text:

    .venv/bin/pybabel extract -F locale/babel.cfg -k tr:2 -k N_ -o locale/messages.pot .
    .venv/bin/pybabel update -i locale/messages.pot -d locale -l en
    (translate the new entries in locale/en/LC_MESSAGES/messages.po)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from typing import Annotated, Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context
from litestar import Controller, Request, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from booking import formatting
from booking.services.accounts import remember_language
from booking.settings import ROOT, get_settings
from booking.web.account import safe_next
from booking.web.auth import current_person

LANGUAGES = ("nb", "en")
DEFAULT = "nb"
COOKIE = "sprak"
LOCALE_DIR = ROOT / "locale"
BABEL_LOCALE = {"nb": "nb_NO", "en": "en_GB"}
# Accept-Language primary tags we understand: Norwegian in any written form reads bokmål.
ACCEPTED = {"nb": "nb", "no": "nb", "nn": "nb", "en": "en"}


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


# Messages made elsewhere (account.py, the public pages' word cells) that the templates translate.
EXTRA_MESSAGES = (
    N_("Feil e-post eller passord."),
    N_("For mange mislykkede innlogginger. Vent et kvarter og prøv igjen."),
    N_("Ledig"),
    N_("Opptatt"),
    N_("Stengt"),
    N_("Til-tidspunktet må være etter fra-tidspunktet."),
    N_("Ugyldig tidspunkt."),
    N_("Barn og unge"),
    N_("Frivillig organisasjon"),
    N_("Privatperson"),
    N_("Kommersiell"),
    N_("Kommunal enhet"),
)


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    """The catalogue for a language, compiled from its .po file in memory, once."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT or not path.exists():
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def from_accept_language(header: str) -> str:
    best, best_q = DEFAULT, 0.0
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        language = ACCEPTED.get(tag.strip().lower().split("-")[0])
        if language is None:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = language, q
    return best


def language_of(connection: ASGIConnection | None) -> str:
    """The cookie, else Accept-Language, else bokmål; decided once per request."""
    if connection is None:
        return DEFAULT
    chosen = connection.state.get("language")
    if chosen:
        return chosen
    chosen = connection.cookies.get(COOKIE)
    if chosen not in LANGUAGES:
        chosen = from_accept_language(connection.headers.get("accept-language", ""))
    connection.state.language = chosen
    return chosen


def tr(connection: ASGIConnection | None, message: str, **values: Any) -> str:
    text = translations(language_of(connection)).gettext(message)
    return text % values if values else text


def pick(language: str, nb: str, en: str | None) -> str:
    return en if language == "en" and en else nb


def message_of(connection: ASGIConnection | None, error: Any) -> str:
    """A refusal's message (a CodedError) in the reader's language."""
    return pick(language_of(connection), getattr(error, "message_nb", str(error)), getattr(error, "message_en", None))


# ---------------------------------------------------------------- templates


def _language(context) -> str:
    if context.get("language") in LANGUAGES:
        return context["language"]
    return language_of(context.get("request"))


@pass_context
def _gettext(context, message: str) -> str:
    return translations(_language(context)).gettext(message)


@pass_context
def _ngettext(context, singular: str, plural: str, n: int) -> str:
    return translations(_language(context)).ngettext(singular, plural, n)


@pass_context
def _page_language(context) -> str:
    return _language(context)


@pass_context
def _loc(context, value: Any, key: str | None = None) -> str:
    """A (nb, en) pair, or `value[key + '_nb' | '_en']`, in the reader's language."""
    english = _language(context) == "en"
    if key is None:
        return value[1] if english and len(value) > 1 else value[0]
    return (english and value.get(f"{key}_en")) or value.get(f"{key}_nb", "")


def _contextual(function):
    @pass_context
    def apply(context, value, *args):
        return function(value, _language(context), *args)

    return apply


def install(environment: Environment) -> None:
    """gettext for `_()` and `{% trans %}`, and formatting filters that follow the page's language."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(page_language=_page_language, loc=_loc)
    environment.filters.update(
        {
            name: _contextual(getattr(formatting, name))
            for name in ("when", "clock", "day", "short_day", "kroner", "stamp")
        }
    )


# ---------------------------------------------------------------- the switch


@dataclass
class LanguageForm:
    sprak: str = DEFAULT
    neste: str = "/"


class LanguageSwitch(Controller):
    @post("/sprak", name="language")
    async def switch(
        self,
        request: Request,
        db: AsyncSession,
        data: Annotated[LanguageForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect:
        language = data.sprak if data.sprak in LANGUAGES else DEFAULT
        await remember_for_person(request, db, language)
        cookie = Cookie(
            key=COOKIE,
            value=language,
            max_age=365 * 24 * 3600,
            path="/",
            samesite="lax",
            secure=get_settings().base_url.startswith("https://"),
            httponly=True,
        )
        return Redirect(safe_next(data.neste), status_code=303, cookies=[cookie])


async def remember_for_person(request: Request, db: AsyncSession, language: str) -> None:
    """A logged-in person's choice is also kept on the account (e-mails use it)."""
    person = await current_person(request)
    if person is None or person.language == language:
        return
    await remember_language(db, person.id, language)
