"""Seasonal time for organisations (logged in, delegates of a checked organisation): the
rounds open for applications, the organisation's application in a round (each need with
its ranked wishes, added, changed and removed one at a time; every save sends the whole
list to booking.services.seasons.submit_application, which mails the receipt), and
"Min sesongtid" after publishing (booking.web.season_mine)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Organisation, Person, Season
from booking.domain.errors import DomainError, Forbidden, NotFound
from booking.domain.premises import WEEKDAYS, OpeningHours
from booking.services import seasons
from booking.services.rulebook import HarmonisedRules
from booking.services.season_views import application_for, applications_of, open_rounds
from booking.services.self_service import organisations_of
from booking.web.auth import requires
from booking.web.booking_pages import WEEKDAY_NAMES
from booking.web.i18n import N_, language_of, message_of, tr
from common.errors import CodedError

WISHES = 3  # rows the form offers; a need sent through the API with more keeps them all when changed here
MAX_ROWS = 20
AGE_GROUP_NAMES = {
    "under_13": N_("Barn under 13 år"),
    "13_19": N_("Ungdom 13–19 år"),
    "adults": N_("Voksne"),
    "seniors": N_("Seniorer"),
    "mixed": N_("Blandede aldersgrupper"),
}
# Why the page shows no form, by the code kept in the page.
CANNOT_APPLY = {
    "not_a_delegate": N_(
        "Du er ikke kontaktperson for noen organisasjon. Bare lag og foreninger kan søke om sesongtid."
    ),
    "organisation_unverified": N_("Organisasjonen må være kontrollert av kommunen før den kan søke om sesongtid."),
}
ROUND_STATES = {
    "round_not_open": N_("Søknadsrunden er ikke åpnet ennå."),
    "deadline_passed": N_("Søknadsfristen er ute. Søknaden kan ikke endres lenger."),
    "published": N_("Tiden i denne runden er fordelt og publisert."),
}
# Where a refusal of the need in the form belongs: the need's own fields, or a wish's.
NEED_FIELDS = {
    "activity_required": "aktivitet",
    "invalid_participants": "deltakere",
    "invalid_hours": "timer",
    "hours_unfillable": "timer",
    "invalid_age_group": "aldersgruppe",
    "no_wishes": "onske-1-lokale",
}
WISH_FIELDS = {
    "invalid_wish": "dag",
    "premises_not_in_round": "lokale",
    "outside_seasonal_hours": "fra",
    "off_grid": "fra",
    "end_not_after_start": "til",
}
CLOCK = re.compile(r"^\d{1,2}:\d{2}$")
CHANGED = DomainError(
    "application_changed",
    "Søknaden er endret av noen andre mens du hadde den oppe. Se over den og prøv igjen.",
    "The application was changed by someone else while you had it open. Look it over and try again.",
)


def wish_keys(row: int) -> tuple[str, str, str, str]:
    return tuple(f"onske-{row}-{part}" for part in ("lokale", "dag", "fra", "til"))  # type: ignore[return-value]


def hours_text(hours: Any, language: str) -> str:
    text = str(hours)
    return text.replace(".", ",") if language == "nb" else text


@dataclass
class NeedForm:
    """The form for one need: field id → what is in it (text, or True/False for a box)."""

    values: dict[str, Any]
    rows: int = WISHES

    @classmethod
    def empty(cls, rows: int = WISHES) -> NeedForm:
        values: dict[str, Any] = {
            "aktivitet": "",
            "hallidrett": False,
            "aldersgruppe": "",
            "funksjonsnedsettelse": False,
            "deltakere": "",
            "timer": "",
        }
        for row in range(1, rows + 1):
            values.update(dict.fromkeys(wish_keys(row), ""))
        return cls(values, rows)

    @classmethod
    def of_need(cls, need: Mapping[str, Any], language: str) -> NeedForm:
        form = cls.empty(max(WISHES, len(need["wishes"])))
        form.values.update(
            {
                "aktivitet": need["activity"],
                "hallidrett": need["hall_sport"],
                "aldersgruppe": need["age_group"],
                "funksjonsnedsettelse": need["disability"],
                "deltakere": str(need["participants"]),
                "timer": hours_text(need["hours_per_week"], language),
            }
        )
        for row, wish in enumerate(need["wishes"], start=1):
            form.values.update(zip(wish_keys(row), (wish["premises"], wish["weekday"], wish["start"], wish["end"])))
        return form

    @classmethod
    def of_form(cls, form: Mapping[str, Any]) -> NeedForm:
        sent = [int(m.group(1)) for key in form.keys() if (m := re.match(r"^onske-(\d{1,2})-lokale$", key))]
        made = cls.empty(min(max([WISHES, *sent]), MAX_ROWS))
        for key in made.values:
            if isinstance(made.values[key], bool):
                made.values[key] = bool(form.get(key))
            else:
                made.values[key] = (form.get(key) or "").strip()
        return made

    def wish_rows(self) -> list[int]:
        """The rows of the form that hold a wish (a row left empty is no wish)."""
        return [row for row in range(1, self.rows + 1) if any(self.values[key] for key in wish_keys(row))]

    def to_data(self) -> dict[str, Any]:
        """The need as the service reads it; what is wrong is the service's to say."""
        participants = self.values["deltakere"]
        wishes = []
        for row in self.wish_rows():
            premises, weekday, start, end = (self.values[key] for key in wish_keys(row))
            wishes.append({"premises": premises, "weekday": weekday, "start": start, "end": end})
        return {
            "activity": self.values["aktivitet"],
            "hall_sport": self.values["hallidrett"],
            "age_group": self.values["aldersgruppe"],
            "disability": self.values["funksjonsnedsettelse"],
            "participants": int(participants) if participants.isdigit() else participants,
            "hours_per_week": self.values["timer"].replace(",", ".").replace(" ", ""),
            "wishes": wishes,
        }

    def field_of(self, refusal: Exception, index: int | None) -> str | None:
        """The field a refusal of the need at `index` (the one in this form) is about."""
        details = getattr(refusal, "details", None) or {}
        code = getattr(refusal, "code", "")
        if index is None or details.get("need") != index:
            return None
        if code in NEED_FIELDS:
            return NEED_FIELDS[code]
        rows = self.wish_rows()
        if code in WISH_FIELDS and isinstance(details.get("wish"), int) and details["wish"] < len(rows):
            return f"onske-{rows[details['wish']]}-{WISH_FIELDS[code]}"
        if code == "invalid_time":
            for row in rows:
                for key in wish_keys(row)[2:]:
                    if not CLOCK.match(self.values[key]):
                        return key
        return None


def round_state(season: Season, now: datetime) -> str | None:
    """Why the round takes no applications now (a code), or None while it does."""
    if season.state == "draft":
        return "round_not_open"
    if season.state == "published":
        return "published"
    return None if seasons.accepting(season, now) else "deadline_passed"


def cannot_apply(organisations: list[Organisation], chosen: Organisation | None) -> str | None:
    if chosen is None:
        return "not_a_delegate"
    return "organisation_unverified" if chosen.verified_at is None else None


def chosen_organisation(
    organisations: list[Organisation], wanted: Any, applied: set[int] = frozenset()
) -> Organisation | None:  # type: ignore[assignment]
    """The organisation asked for; else one that has applied in the round; else the first."""
    by_id = {str(o.id): o for o in organisations}
    if wanted not in (None, "") and str(wanted) in by_id:
        return by_id[str(wanted)]
    return next((o for o in organisations if o.id in applied), organisations[0] if organisations else None)


def hours_rows(hours: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """A round premises' seasonal hours: (weekday name, "16:00–22:30") per open weekday."""
    windows = OpeningHours.parse(hours).windows
    return [
        (
            WEEKDAY_NAMES[day],
            ", ".join(f"{a // 60:02d}:{a % 60:02d}–{b // 60:02d}:{b % 60:02d}" for a, b in windows[day]),
        )
        for day in sorted(windows)
    ]


class SeasonApplicationPages(Controller):
    guards = [requires()]

    @get("/sesong", name="season_rounds")
    async def rounds(self, db: AsyncSession, now: datetime, person: Person) -> Template:
        organisations = await organisations_of(db, person.id)
        rounds = await open_rounds(db, now)
        applied = await applications_of(db, [o.id for o in organisations])
        return Template(
            "seasons/rounds.html",
            context={
                "rounds": rounds,
                "organisations": organisations,
                "applied": applied,
                "states": ROUND_STATES,
                "round_state": lambda s: round_state(s, now),
                "cannot": CANNOT_APPLY,
                "verified": [o for o in organisations if o.verified_at is not None],
            },
        )

    async def _page(
        self,
        request: Request,
        db: AsyncSession,
        now: datetime,
        person: Person,
        season_id: int,
        wanted_organisation: Any,
        *,
        form: NeedForm | None = None,
        editing: int | None = None,
        refusal: Exception | None = None,
        field: str | None = None,
        done: str | None = None,
        status_code: int = 200,
    ) -> Template:
        language = language_of(request)
        season = await seasons.get_season(db, season_id)
        places = await seasons.round_premises(db, season_id)
        organisations = await organisations_of(db, person.id)
        applied = {
            a.organisation_id for s, a in await applications_of(db, [o.id for o in organisations]) if s.id == season_id
        }
        chosen = chosen_organisation(organisations, wanted_organisation, applied)
        application = await application_for(db, season_id, chosen.id) if chosen else None
        needs = application.needs if application else []
        if editing is not None and not 0 <= editing < len(needs):
            editing = None
        if form is None:
            form = NeedForm.of_need(needs[editing], language) if editing is not None else NeedForm.empty()
        names = {p.premises.slug: p.premises.name for p in places}
        return Template(
            "seasons/application.html",
            status_code=status_code,
            context={
                "season": season,
                "places": [(p, hours_rows(p.hours)) for p in places],
                "names": names,
                "excluded": [(date.fromisoformat(p["from"]), date.fromisoformat(p["to"])) for p in season.excluded],
                "organisations": organisations,
                "chosen": chosen,
                "application": application,
                "needs": needs,
                "state": round_state(season, now),
                "states": ROUND_STATES,
                "cannot": cannot_apply(organisations, chosen),
                "cannot_texts": CANNOT_APPLY,
                "form": form.values,
                "editing": editing,
                "wish_rows": range(1, form.rows + 1),
                "age_groups": AGE_GROUP_NAMES,
                "age_options": [(key, tr(request, name)) for key, name in AGE_GROUP_NAMES.items()],
                "day_options": [(key, tr(request, name).capitalize()) for key, name in zip(WEEKDAYS, WEEKDAY_NAMES)],
                "place_options": [(p.premises.slug, p.premises.name) for p in places],
                "weekday_names": dict(zip(WEEKDAYS, WEEKDAY_NAMES)),
                "hours_text": lambda h: hours_text(h, language),
                "refusal": message_of(request, refusal) if refusal is not None else None,
                "refusal_code": getattr(refusal, "code", None),
                "problems": {field: message_of(request, refusal)} if field and refusal is not None else {},
                "done": done,
                "version": application.updated_at.isoformat() if application else "",
            },
        )

    @get("/sesong/{season_id:int}/soknad", name="season_application")
    async def application_page(
        self,
        request: Request,
        season_id: int,
        db: AsyncSession,
        now: datetime,
        person: Person,
        endre: int | None = None,
        lagret: str | None = None,
        fjernet: str | None = None,
    ) -> Template:
        done = "saved" if lagret is not None else "removed" if fjernet is not None else None
        return await self._page(
            request, db, now, person, season_id, request.query_params.get("for"), editing=endre, done=done
        )

    @post("/sesong/{season_id:int}/soknad", status_code=303)
    async def save(
        self,
        request: Request,
        season_id: int,
        db: AsyncSession,
        rules: HarmonisedRules,
        now: datetime,
        person: Person,
    ) -> Template | Redirect:
        """Add or change one need ("lagre", with `behov` empty for a new one) or remove one
        ("fjern"); the whole list goes to the service, which replaces the application."""
        values = await request.form()
        season = await seasons.get_season(db, season_id)
        organisations = await organisations_of(db, person.id)
        organisation = next((o for o in organisations if str(o.id) == values.get("for")), None)
        if organisation is None:
            raise Forbidden(
                "not_a_delegate",
                "Du kan bare søke for organisasjoner du er kontaktperson for.",
                f"Person {person.id} is not a delegate of organisation {values.get('for')!r}.",
            )
        application = await application_for(db, season_id, organisation.id)
        needs = list(application.needs) if application else []
        behov = values.get("behov") or ""
        index = int(behov) if behov.isdigit() and int(behov) < len(needs) else None
        if behov and index is None:
            raise NotFound("unknown_need", "Fant ikke behovet i søknaden.", f"No need {behov!r} in the application.")
        action = values.get("handling")
        form = NeedForm.of_form(values) if action == "lagre" else None
        again = dict(editing=index, form=form)
        if round_state(season, now) is None and values.get("versjon", "") != (
            application.updated_at.isoformat() if application else ""
        ):
            return await self._page(
                request, db, now, person, season_id, organisation.id, refusal=CHANGED, status_code=409, **again
            )
        if action == "fjern" and index is not None:
            del needs[index]
            form_index, again = None, {}
        elif form is not None:
            form_index = index if index is not None else len(needs)
            needs[form_index : form_index + 1] = [form.to_data()]
        else:
            raise DomainError("unknown_action", "Ukjent handling.", "Unknown action.")
        try:
            await seasons.submit_application(
                db,
                season_id,
                person_id=person.id,
                organisation_id=organisation.id,
                needs=needs,
                rules=rules.in_force(season.starts).allocation,
                now=now,
            )
        except CodedError as refusal:
            if isinstance(refusal, NotFound):
                raise
            field = form.field_of(refusal, form_index) if form is not None else None
            return await self._page(
                request,
                db,
                now,
                person,
                season_id,
                organisation.id,
                refusal=refusal,
                field=field,
                status_code=getattr(refusal, "status", 422),
                **again,
            )
        done = "lagret" if action == "lagre" else "fjernet"
        return Redirect(f"/sesong/{season_id}/soknad?for={organisation.id}&{done}=1#soknaden", status_code=303)
