"""The rule-set editor (administrators): draft the next version from the newest one,
edit rates, factors, lending criteria and the numbers of the allocation rules in a
form (or the whole rule set as TOML text), see validation errors at their field, the
changes and the impact preview, then publish with a valid-from date and a reason. And
the version history with diffs.

Form fields are named by the rule set's own places (`tariff.gymsal.rate`), so a
RuleSetError's `place` points straight at the field it is about."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.models import Booking, Person
from booking.domain.errors import DomainError
from booking.services import rule_drafts
from booking.services.rulebook import HarmonisedRules, impact
from booking.web.i18n import N_, language_of, message_of, pick, tr
from booking.web.staff import ADMIN, form_of, page
from common.localtime import to_local
from pricing.priorities import age_groups_words

KINDS_NB = {"room": N_("rom"), "hall": N_("sal/hall"), "outdoor_area": N_("uteområde")}
DEPARTMENTS_NB = {
    "school": N_("skole"),
    "culture": N_("kultur"),
    "sport": N_("idrett"),
    "property": N_("eiendom"),
    "citizen_service": N_("innbyggertorg"),
    "volunteer_centre": N_("frivilligsentral"),
    "library": N_("bibliotek"),
}
LENDING_NB = {
    "min_age": (N_("Minstealder for den som bestiller (år)"), "int"),
    "min_notice_hours": (N_("Varsel før start, i timer"), "int"),
    "max_hours": (N_("Lengste bestilling, i timer"), "int"),
    "hold_minutes": (N_("Hvor lenge en reservasjon holdes under betaling, i minutter"), "int"),
    "cancellation_free_hours": (N_("Gratis avbestilling til så mange timer før start"), "int"),
    "cancellation_fee_share": (N_("Avbestillingsgebyr etter fristen, andel av prisen (0,5 = 50 %)"), "share"),
    "approval_attendees_over": (N_("Godkjenning kreves når flere enn så mange deltakere er ventet"), "int"),
    "approval_for_alcohol": (N_("Godkjenning kreves når det serveres alkohol"), "bool"),
}
# The numbers of the seasonal-allocation rules; the tiers and wish weights are edited as text.
ALLOCATION_NB = {
    "hall_sport_first": (N_("I haller går hallidrett foran annen aktivitet i samme prioritetsgruppe"), "bool"),
    "continuity_weight": (N_("Vekt for å beholde samme tid som forrige sesong"), "int"),
    "participants_weight": (N_("Vekt for antall aktive deltakere"), "int"),
    "not_used_limit": (N_("Kommunen får beskjed når tildelt tid er meldt ubrukt så mange ganger i en sesong"), "int"),
}
CHANGE_NB = {"changed": N_("Endret"), "added": N_("Lagt til"), "removed": N_("Fjernet")}  # the templates translate
ERROR_FIELDS = {
    "valid_from_in_past": "valid_from",
    "valid_from_taken": "valid_from",
    "reason_required": "reason",
    "version_label_taken": "label",
}


@dataclass(frozen=True)
class RuleField:
    place: str  # where the value sits in the rule set, and the form field's name
    label: str
    kind: str  # money | factor | share | int | optional_int | bool | choices | time (HH:MM)
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""

    @property
    def id(self) -> str:
        return "r-" + self.place.replace(".", "--")


def rule_fields(content: dict, connection=None) -> list[tuple[str, list[RuleField]]]:
    """The form, built from the rule set itself: a new category gets its field. Labels
    are in the reader's language (`connection`; bokmål without one)."""
    language = language_of(connection)

    def t(message: str, **values) -> str:
        return tr(connection, message, **values)

    def name(entry: dict, key: str = "name") -> str:
        return pick(language, entry[f"{key}_nb"], entry.get(f"{key}_en"))

    tariff = content["tariff"]
    categories = tuple((key, name(c)) for key, c in tariff.items())
    unit = {"hour": N_("time"), "day": N_("påbegynte dag")}
    sections = [
        (
            N_("Grunnpriser (kroner uten mva.)"),
            [
                RuleField(
                    f"tariff.{key}.rate",
                    t(
                        "%(name)s, kr per %(unit)s",
                        name=name(c),
                        unit=t(unit[c["unit"]]) if c["unit"] in unit else c["unit"],
                    ),
                    "money",
                )
                for key, c in tariff.items()
            ],
        )
    ]
    groups = []
    for key, g in content["groups"].items():
        groups += [
            RuleField(
                f"groups.{key}.factor",
                t("%(name)s: faktor", name=name(g)),
                "factor",
                hint=t("0 = gratis, 1 = full pris"),
            ),
            RuleField(
                f"groups.{key}.book_ahead_days", t("%(name)s: kan bestille så mange dager fram", name=name(g)), "int"
            ),
            RuleField(
                f"groups.{key}.max_upcoming_bookings",
                t("%(name)s: høyst så mange kommende bestillinger", name=name(g)),
                "optional_int",
                hint=t("Tomt = ingen grense"),
            ),
        ]
    sections.append((N_("Kundegrupper"), groups))
    sections.append(
        (
            N_("Tidsbånd"),
            [
                RuleField(
                    f"time_bands.{key}.surcharge",
                    t("%(name)s (%(start)s–%(end)s): tillegg", name=name(b), start=b["start"], end=b["end"]),
                    "factor",
                    hint=t("0,25 = 25 % tillegg"),
                )
                for key, b in content["time_bands"].items()
            ],
        )
    )
    extras = []
    for key, a in content.get("add_ons", {}).items():
        extras += [
            RuleField(f"add_ons.{key}.price", t("%(name)s: pris i kroner", name=name(a)), "money"),
            RuleField(
                f"add_ons.{key}.attendees_over",
                t("%(name)s: gjelder når flere enn så mange deltakere", name=name(a)),
                "int",
            ),
        ]
    for key, e in content.get("exemptions", {}).items():
        extras.append(
            RuleField(f"exemptions.{key}.factor", t("Unntak «%(text)s»: faktor", text=name(e, "text")), "factor")
        )
    if extras:
        sections.append((N_("Tillegg og unntak"), extras))
    lending = [RuleField(f"lending.{key}", t(label), kind) for key, (label, kind) in LENDING_NB.items()]
    lending += [
        RuleField(
            f"lending.min_notice_hours_by_kind.{kind}",
            t("Varsel før start for %(kind)s, i timer", kind=t(kind_name)),
            "optional_int",
            hint=t("Tomt = den generelle regelen"),
        )
        for kind, kind_name in KINDS_NB.items()
    ]
    lending += [
        RuleField(
            f"lending.max_hours_by_category.{key}",
            t("Lengste bestilling for %(category)s, i timer", category=category_name),
            "optional_int",
            hint=t("Tomt = den generelle regelen"),
        )
        for key, category_name in categories
    ]
    lending += [
        RuleField(
            "lending.approval_kinds",
            t("Godkjenning kreves alltid for disse lokaletypene"),
            "choices",
            tuple((key, t(kind_name)) for key, kind_name in KINDS_NB.items()),
        ),
        RuleField(
            "lending.approval_categories",
            t("Godkjenning kreves alltid for disse takstkategoriene"),
            "choices",
            categories,
        ),
        RuleField(
            "lending.alcohol_forbidden_departments",
            t("Alkohol er ikke tillatt i lokaler som eies av"),
            "choices",
            tuple((key, t(department)) for key, department in DEPARTMENTS_NB.items()),
        ),
    ]
    sections.append((N_("Utlånskriterier"), lending))
    allocation = content.get("allocation")
    if allocation:  # a version from before there were allocation rules has none to edit
        who = pick(language, *age_groups_words(tuple(allocation["core_time_age_groups"])))
        sections.append(
            (
                N_("Sesongfordeling"),
                [
                    RuleField(
                        "allocation.core_time_end",
                        t("Kjernetid: tid for %(who)s slutter senest", who=who),
                        "time",
                        hint=t("Klokkeslett TT:MM, for eksempel 20:30"),
                    ),
                    *(RuleField(f"allocation.{key}", t(label), kind) for key, (label, kind) in ALLOCATION_NB.items()),
                ],
            )
        )
    return sections


def value_at(content: dict, place: str) -> Any:
    node: Any = content
    for part in place.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _set_at(content: dict, place: str, value: Any) -> None:
    *path, last = place.split(".")
    node = content
    for part in path:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value


def shown(field: RuleField, value: Any) -> Any:
    """A stored value as the form shows it: Norwegian decimal comma, lists as they are."""
    if field.kind in ("money", "factor", "share") and value is not None:
        return str(value).replace(".", ",")
    if field.kind == "bool":
        return bool(value)
    if field.kind == "choices":
        return list(value or [])
    return "" if value is None else str(value)  # int, optional_int, time


def _decimal_text(text: str) -> str | None:
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    normal = number.normalize()  # one spelling per value, as the rule set stores it
    return str(int(normal)) if normal == normal.to_integral_value() else format(normal, "f")


def apply_form(content: dict, sections, form, connection=None) -> tuple[dict, dict[str, str], dict[str, Any]]:
    """(the edited content, problems by place, the values to show again)."""
    edited = copy.deepcopy(content)
    problems, values = {}, {}
    for _, fields in sections:
        for field in fields:
            if field.kind == "bool":
                values[field.place] = form.checked(field.place)
                _set_at(edited, field.place, values[field.place])
                continue
            if field.kind == "choices":
                picked = [key for key, _ in field.choices if key in form.all(field.place)]
                values[field.place] = picked
                _set_at(edited, field.place, picked)
                continue
            text = form.text(field.place)
            values[field.place] = text
            if field.kind == "time":  # the validator knows a time (and says so at the field)
                _set_at(edited, field.place, text)
            elif field.kind == "optional_int" and not text:
                _set_at(edited, field.place, None)
            elif field.kind in ("int", "optional_int"):
                if text.isdigit():
                    _set_at(edited, field.place, int(text))
                else:
                    problems[field.place] = tr(connection, "Skriv et helt tall, 0 eller mer.")
            else:
                number = _decimal_text(text)
                if number is None:
                    problems[field.place] = tr(connection, "Skriv et tall, for eksempel 350 eller 0,5.")
                else:
                    _set_at(edited, field.place, number)
    return edited, problems, values


def _labels(sections) -> dict[str, str]:
    return {field.place: field.label for _, fields in sections for field in fields}


async def _name_bookings(db, rows: list[dict]) -> None:
    """The impact preview names bookings by id; staff want the premises and the time."""
    ids = [row["key"] for row in rows if isinstance(row["key"], int)]
    if not ids:
        return
    found = {b.id: b for b in (await db.execute(select(Booking).where(Booking.id.in_(ids)))).scalars()}
    for row in rows:
        booking = found.get(row["key"])
        row["booking"] = booking


async def _draft_rule_set(db, draft_id: int):
    draft = await rule_drafts.get_draft(db, draft_id)
    base = await rule_drafts.newest_published(db)
    return draft, base


class RuleSetEditor(Controller):
    path = "/saksbehandling/regler"
    guards = [ADMIN]

    @get("/", name="staff_rules")
    async def overview(
        self,
        request: Request,
        db: AsyncSession,
        rules: HarmonisedRules,
        person: Person,
        now: datetime,
        publisert: str | None = None,
        forkastet: bool = False,
    ) -> Template:
        drafts = await rule_drafts.drafts(db)
        history = await rule_drafts.history(db)
        done = (
            tr(request, "Versjon %(label)s er publisert.", label=publisert)
            if publisert
            else (tr(request, "Utkastet er forkastet.") if forkastet else None)
        )
        return page(
            "rules.html",
            person,
            "rules",
            in_force=rules.in_force(now),
            drafts=drafts,
            history=history,
            labels=CHANGE_NB,
            done=done,
        )

    @post("/utkast", status_code=303)
    async def start(self, db: AsyncSession, person: Person, now: datetime) -> Redirect:
        draft = await rule_drafts.start_draft(db, author=person.name, now=now)
        return Redirect(f"/saksbehandling/regler/utkast/{draft.id}", status_code=303)

    async def _editor(
        self,
        request: Request,
        db,
        person: Person,
        now: datetime,
        draft_id: int,
        *,
        values: dict | None = None,
        errors: dict | None = None,
        publish_errors: dict | None = None,
        publish_values: dict | None = None,
        saved: bool = False,
        status_code: int = 200,
    ) -> Template:
        draft, base = await _draft_rule_set(db, draft_id)
        sections = rule_fields(draft.content, request)
        if values is None:
            values = {f.place: shown(f, value_at(draft.content, f.place)) for _, fields in sections for f in fields}
        draft_rules = pricing.rule_set_from_dict(draft.content)
        changes = pricing.diff_rule_sets(pricing.rule_set_from_dict(base.content), draft_rules)
        preview = await impact(db, draft_rules, now)
        await _name_bookings(db, preview["largest_changes"])
        tomorrow = to_local(now).date().toordinal() + 1
        return page(
            "rules_draft.html",
            person,
            "rules",
            status_code,
            draft=draft,
            base=base,
            sections=sections,
            v=values,
            errors=errors or {},
            labels=_labels(sections),
            changes=changes,
            change_names=CHANGE_NB,
            impact=preview,
            publish_errors=publish_errors or {},
            pv=publish_values or {"valid_from": date.fromordinal(tomorrow).isoformat(), "label": "", "reason": ""},
            saved=saved,
            earliest=to_local(now).date().isoformat(),
            ids={f.place: f.id for _, fields in sections for f in fields},
        )

    @get("/utkast/{draft_id:int}", name="staff_rules_draft")
    async def edit(
        self,
        draft_id: int,
        request: Request,
        db: AsyncSession,
        person: Person,
        now: datetime,
        lagret: bool = False,
    ) -> Template:
        return await self._editor(request, db, person, now, draft_id, saved=lagret)

    @post("/utkast/{draft_id:int}", status_code=303)
    async def save(
        self, draft_id: int, request: Request, db: AsyncSession, person: Person, now: datetime
    ) -> Template | Redirect:
        form = await form_of(request)
        draft, _ = await _draft_rule_set(db, draft_id)
        edited, problems, values = apply_form(draft.content, rule_fields(draft.content, request), form, request)
        if not problems:
            try:
                await rule_drafts.save_draft(db, draft_id, edited)
            except pricing.RuleSetError as error:
                problems[error.place or "regelsett"] = message_of(request, error)
        if problems:
            return await self._editor(
                request, db, person, now, draft_id, values=values, errors=problems, status_code=422
            )
        return Redirect(f"/saksbehandling/regler/utkast/{draft_id}?lagret=true#endringer", status_code=303)

    @get("/utkast/{draft_id:int}/toml", name="staff_rules_text")
    async def text_form(self, draft_id: int, db: AsyncSession, person: Person) -> Template:
        draft, _ = await _draft_rule_set(db, draft_id)
        return page(
            "rules_text.html",
            person,
            "rules",
            draft=draft,
            text=pricing.dump_toml(pricing.rule_set_from_dict(draft.content)),
            error=None,
        )

    @post("/utkast/{draft_id:int}/toml", status_code=303)
    async def save_text(self, draft_id: int, request: Request, db: AsyncSession, person: Person) -> Template | Redirect:
        form = await form_of(request)
        text = form.data.get("toml", [""])[-1]
        try:
            await rule_drafts.save_draft_text(db, draft_id, text)
        except pricing.RuleSetError as error:
            draft, _ = await _draft_rule_set(db, draft_id)
            return page("rules_text.html", person, "rules", 422, draft=draft, text=text, error=error)
        return Redirect(f"/saksbehandling/regler/utkast/{draft_id}?lagret=true#endringer", status_code=303)

    @post("/utkast/{draft_id:int}/publiser", status_code=303)
    async def publish(
        self, draft_id: int, request: Request, db: AsyncSession, person: Person, now: datetime
    ) -> Template | Redirect:
        form = await form_of(request)
        values = {name: form.text(name) for name in ("valid_from", "label", "reason")}
        try:
            valid_from = date.fromisoformat(values["valid_from"])
        except ValueError:
            return await self._editor(
                request,
                db,
                person,
                now,
                draft_id,
                publish_values=values,
                status_code=422,
                publish_errors={"valid_from": tr(request, "Velg datoen versjonen skal gjelde fra.")},
            )
        try:
            version = await rule_drafts.publish_draft(
                db,
                draft_id,
                rule_drafts.PublishRequest(valid_from, values["label"], values["reason"]),
                author=person.name,
                now=now,
            )
        except DomainError as refused:
            field = ERROR_FIELDS.get(refused.code, "valid_from")
            return await self._editor(
                request,
                db,
                person,
                now,
                draft_id,
                publish_values=values,
                status_code=422,
                publish_errors={field: message_of(request, refused)},
            )
        except pricing.RuleSetError as refused:
            return await self._editor(
                request,
                db,
                person,
                now,
                draft_id,
                publish_values=values,
                status_code=422,
                publish_errors={"valid_from": f"{refused.place}: {message_of(request, refused)}"},
            )
        return Redirect(f"/saksbehandling/regler?publisert={quote(version.label)}", status_code=303)

    @post("/utkast/{draft_id:int}/slett", status_code=303)
    async def discard(self, draft_id: int, db: AsyncSession) -> Redirect:
        await rule_drafts.discard_draft(db, draft_id)
        return Redirect("/saksbehandling/regler?forkastet=true", status_code=303)
