"""Turning records into what pages and the API show (no personal data in public views)."""

from __future__ import annotations

from datetime import datetime

from booking.db.models import Premises, PremisesPhoto
from booking.domain.premises import ACCESSIBILITY, EQUIPMENT, KINDS, WEEKDAY_NAMES_NB, WEEKDAYS


def premises_json(p: Premises) -> dict:
    b = p.building
    return {
        "slug": p.slug,
        "name": p.name,
        "kind": p.kind,
        "tariff_category": p.tariff_category,
        "capacity": p.capacity,
        "area_m2": p.area_m2,
        "equipment": p.equipment,
        "accessibility": p.accessibility,
        "description_nb": p.description_nb,
        "description_en": p.description_en,
        "opening_hours": p.opening_hours,
        "season": [p.season_first, p.season_last] if p.season_first else None,
        "slot_minutes": p.slot_minutes,
        "min_minutes": p.min_minutes,
        "max_minutes": p.max_minutes,
        "buffer_before": p.buffer_before,
        "buffer_after": p.buffer_after,
        "requires_approval": p.requires_approval,
        "closed_on_public_holidays": p.closed_on_public_holidays,
        "building": {
            "slug": b.slug,
            "name": b.name,
            "address": b.address,
            "postcode": b.postcode,
            "city": b.city,
            "lat": b.lat,
            "lon": b.lon,
            "district": b.district.name,
            "department": b.department.name,
        },
    }


def photo_json(photo: PremisesPhoto) -> dict:
    return {
        "url": f"/bilder/{photo.key}",
        "width": photo.width,
        "height": photo.height,
        "small": {"url": f"/bilder/{photo.small_key}", "width": photo.small_width, "height": photo.small_height},
        "alt_nb": photo.alt_nb,
        "alt_en": photo.alt_en,
    }


def interval_json(start: datetime, end: datetime) -> dict:
    return {"start": start.isoformat(), "end": end.isoformat()}


def opening_rows(p: Premises) -> list[tuple[str, str]]:
    return [
        (WEEKDAY_NAMES_NB[i].capitalize(), ", ".join(p.opening_hours.get(day, [])) or "Stengt")
        for i, day in enumerate(WEEKDAYS)
    ]


LABELS = {"kinds": KINDS, "equipment": EQUIPMENT, "accessibility": ACCESSIBILITY}
