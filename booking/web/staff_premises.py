"""The premises editor, its pictures, and closures, for the department that owns the
premises (and administrators). Every field is validated by the domain's own parsers; a
form with an error is shown again with each message at its field, and nothing is saved."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Person, Premises
from booking.domain.premises import ACCESSIBILITY, EQUIPMENT, KINDS, SLOT_CHOICES, WEEKDAY_NAMES_NB, WEEKDAYS
from booking.media.images import MAX_UPLOAD_BYTES
from booking.media.store import MediaStore
from booking.services.photos import add_photo, move_photo, photos_of, remove_photo
from booking.services.premises_admin import (
    FormValues,
    InvalidForm,
    StaffScope,
    closure_targets,
    closures_in_scope,
    create_closure,
    delete_closure,
    managed_premises,
    premises_to_edit,
    update_premises,
)
from booking.services.rulebook import current_rules
from booking.web.i18n import N_, tr
from booking.web.staff import STAFF, field_errors, form_of, page

TEXT_FIELDS = (
    "name",
    "kind",
    "tariff_category",
    "capacity",
    "area_m2",
    "description_nb",
    "description_en",
    "season_first",
    "season_last",
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "buffer_before",
    "buffer_after",
)
FLAGS = ("requires_approval", "closed_on_public_holidays", *ACCESSIBILITY)


# What the page says after a change to its pictures (?bilde=…).
PHOTO_DONE = {
    "lagt-til": N_("Bildet er lagt til."),
    "flyttet": N_("Bildet er flyttet."),
    "slettet": N_("Bildet er slettet."),
}
# A file a little over the limit still reaches the form, which says how big it may be;
# a larger body is refused before it is read (413).
UPLOAD_BODY_LIMIT = MAX_UPLOAD_BYTES + 1024 * 1024


def values_of(p: Premises) -> dict:
    """What the form shows for a stored premises, as the strings a form would submit."""
    values = {name: "" if getattr(p, name) is None else str(getattr(p, name)) for name in TEXT_FIELDS}
    values.update({f"apent_{day}": ", ".join(p.opening_hours.get(day, [])) for day in WEEKDAYS})
    values.update({flag: bool(getattr(p, flag)) for flag in FLAGS})
    values["equipment"] = list(p.equipment)
    return values


def values_from(form: FormValues, p: Premises) -> dict:
    """The submitted values, shown again after an error (what cannot be edited stays as stored)."""
    values = values_of(p)
    for name in TEXT_FIELDS:
        if name in form.data:
            values[name] = form.text(name)
    values.update({f"apent_{day}": form.text(f"apent_{day}") for day in WEEKDAYS})
    values.update({flag: form.checked(flag) for flag in FLAGS})
    values["equipment"] = form.all("equipment")
    return values


async def _categories(db, now: datetime) -> dict[str, str]:
    rules = await current_rules(db)
    return {key: c.name_nb for key, c in rules.in_force(now).tariff.items()}


class PremisesEditor(Controller):
    path = "/saksbehandling/lokaler"
    guards = [STAFF]

    @get("/", name="staff_premises")
    async def list_premises(self, db: AsyncSession, person: Person) -> Template:
        premises = await managed_premises(db, StaffScope.of(person))
        return page("premises_list.html", person, "premises", premises=premises, kinds=KINDS)

    async def _form(
        self,
        db,
        person: Person,
        now: datetime,
        p: Premises,
        values: dict,
        *,
        errors: dict | None = None,
        saved: bool = False,
        status_code: int = 200,
        photo_errors: dict | None = None,
        photo_values: dict | None = None,
        photo_done: str | None = None,
    ) -> Template:
        photos = await photos_of(db, p.id)
        return page(
            "premises_edit.html",
            person,
            "premises",
            status_code,
            p=p,
            v=values,
            errors=errors or {},
            saved=saved,
            kinds=KINDS,
            equipment=EQUIPMENT,
            accessibility=ACCESSIBILITY,
            slots=SLOT_CHOICES,
            weekdays=list(zip(WEEKDAYS, WEEKDAY_NAMES_NB)),
            categories=await _categories(db, now),
            photos=photos,
            photo_errors=photo_errors or {},
            photo_values=photo_values or {},
            photo_done=PHOTO_DONE.get(photo_done or ""),
        )

    @get("/{slug:str}", name="staff_premises_edit")
    async def edit(
        self,
        slug: str,
        db: AsyncSession,
        person: Person,
        now: datetime,
        lagret: bool = False,
        bilde: str | None = None,
    ) -> Template:
        p = await premises_to_edit(db, StaffScope.of(person), slug)
        return await self._form(db, person, now, p, values_of(p), saved=lagret, photo_done=bilde)

    @post("/{slug:str}/bilder", status_code=303, request_max_body_size=UPLOAD_BODY_LIMIT)
    async def upload_photo(
        self,
        slug: str,
        request: Request,
        db: AsyncSession,
        media: MediaStore,
        person: Person,
        now: datetime,
    ) -> Template | Redirect:
        form = await request.form()
        upload = form.get("bilde")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
        alt_nb, alt_en = (str(form.get(name) or "").strip() for name in ("alt_nb", "alt_en"))
        scope = StaffScope.of(person)
        try:
            await add_photo(db, media, scope, slug, data, alt_nb, alt_en, now=now)
        except InvalidForm as invalid:
            p = await premises_to_edit(db, scope, slug)
            return await self._form(
                db,
                person,
                now,
                p,
                values_of(p),
                status_code=422,
                photo_errors=field_errors(request, invalid),
                photo_values={"alt_nb": alt_nb, "alt_en": alt_en},
            )
        return Redirect(f"/saksbehandling/lokaler/{slug}?bilde=lagt-til#bilder", status_code=303)

    @post("/{slug:str}/bilder/{photo_id:int}/flytt", status_code=303)
    async def reorder_photo(
        self, slug: str, photo_id: int, request: Request, db: AsyncSession, person: Person
    ) -> Redirect:
        form = await form_of(request)
        step = {"opp": -1, "ned": 1}.get(form.text("retning"), 0)
        await move_photo(db, StaffScope.of(person), slug, photo_id, step)
        return Redirect(f"/saksbehandling/lokaler/{slug}?bilde=flyttet#bilder", status_code=303)

    @post("/{slug:str}/bilder/{photo_id:int}/slett", status_code=303)
    async def delete_photo(
        self, slug: str, photo_id: int, db: AsyncSession, media: MediaStore, person: Person
    ) -> Redirect:
        await remove_photo(db, media, StaffScope.of(person), slug, photo_id)
        return Redirect(f"/saksbehandling/lokaler/{slug}?bilde=slettet#bilder", status_code=303)

    @post("/{slug:str}", status_code=303)
    async def save(
        self, slug: str, request: Request, db: AsyncSession, person: Person, now: datetime
    ) -> Template | Redirect:
        form = await form_of(request)
        scope = StaffScope.of(person)
        try:
            await update_premises(db, scope, slug, form, categories=await _categories(db, now))
        except InvalidForm as invalid:
            p = await premises_to_edit(db, scope, slug)
            return await self._form(
                db, person, now, p, values_from(form, p), errors=field_errors(request, invalid), status_code=422
            )
        return Redirect(f"/saksbehandling/lokaler/{slug}?lagret=true", status_code=303)


class ClosurePages(Controller):
    path = "/saksbehandling/stenginger"
    guards = [STAFF]

    async def _page(
        self,
        request: Request,
        db,
        person: Person,
        now: datetime,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        done: str | None = None,
        status_code: int = 200,
    ) -> Template:
        scope = StaffScope.of(person)
        closures = await closures_in_scope(db, scope, now)
        buildings, premises = await closure_targets(db, scope)
        targets = [(f"building:{b.id}", tr(request, "Hele bygget: %(name)s", name=b.name)) for b in buildings]
        targets += [(f"premises:{p.id}", f"{p.name} ({p.building.name})") for p in premises]
        return page(
            "closures.html",
            person,
            "closures",
            status_code,
            closures=closures,
            targets=targets,
            errors=errors or {},
            v=values or {},
            done=done,
        )

    @get("/", name="staff_closures")
    async def list_closures(
        self,
        request: Request,
        db: AsyncSession,
        person: Person,
        now: datetime,
        opprettet: int | None = None,
        overlapper: int = 0,
        slettet: bool = False,
    ) -> Template:
        done = None
        if opprettet is not None:
            done = tr(request, "Stengingen er lagret.")
            if overlapper == 1:
                done += " " + tr(
                    request,
                    "Den overlapper %(n)s bestilling, som ikke er avbestilt: kontakt dem som har bestilt.",
                    n=overlapper,
                )
            elif overlapper:
                done += " " + tr(
                    request,
                    "Den overlapper %(n)s bestillinger, som ikke er avbestilt: kontakt dem som har bestilt.",
                    n=overlapper,
                )
        elif slettet:
            done = tr(request, "Stengingen er slettet.")
        return await self._page(request, db, person, now, done=done)

    @post("/", status_code=303)
    async def create(self, request: Request, db: AsyncSession, person: Person, now: datetime) -> Template | Redirect:
        form = await form_of(request)
        try:
            closure, overlapping = await create_closure(db, StaffScope.of(person), form, now=now)
        except InvalidForm as invalid:
            values = {
                name: form.text(name) for name in ("target", "fra_dato", "fra_tid", "til_dato", "til_tid", "reason")
            }
            return await self._page(
                request, db, person, now, errors=field_errors(request, invalid), values=values, status_code=422
            )
        return Redirect(f"/saksbehandling/stenginger?opprettet={closure.id}&overlapper={overlapping}", status_code=303)

    @post("/{closure_id:int}/slett", status_code=303)
    async def delete(self, closure_id: int, db: AsyncSession, person: Person) -> Redirect:
        await delete_closure(db, StaffScope.of(person), closure_id)
        return Redirect("/saksbehandling/stenginger?slettet=true", status_code=303)
