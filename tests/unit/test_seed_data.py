"""The sample municipality in seed_data/municipality.toml is consistent on its own.

These checks use only the standard library and python-stdnum, so they run before any
loader exists and catch a broken reference or a typo in a vocabulary the moment the
file is edited. Each test gathers every problem it finds and reports them together.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from stdnum.no import orgnr

SEED_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "municipality.toml"

DISTRICT_NAMES = {
    "Bragernes",
    "Strømsø",
    "Åssiden",
    "Gulskogen",
    "Konnerud",
    "Fjell",
    "Skoger",
    "Tangen/Åskollen",
    "Mjøndalen",
    "Solbergelva",
    "Krokstadelva",
    "Svelvik",
}
DEPARTMENT_KINDS = {
    "school",
    "culture",
    "sport",
    "property",
    "citizen_service",
    "volunteer_centre",
    "library",
}
KIND_OF_TARIFF = {
    "moterom": "room",
    "klasserom": "room",
    "spesialrom": "room",
    "gymsal": "hall",
    "idrettshall": "hall",
    "idrettshall_del": "hall",
    "kultursal": "hall",
    "uteomrade_bane": "outdoor_area",
    "uteomrade_arrangement": "outdoor_area",
}
EQUIPMENT = {
    "projector",
    "screen",
    "whiteboard",
    "wifi",
    "sound_system",
    "piano",
    "stage",
    "kitchen",
    "tables_chairs",
    "changing_rooms",
    "showers",
    "floodlights",
    "goals",
    "lighting_rig",
    "dance_mirror",
    "power_outlets",
    "water",
    "toilets",
}
ACCESSIBILITY = {
    "step_free_access",
    "lift",
    "accessible_toilet",
    "hearing_loop",
    "accessible_parking",
    "contrast_marking",
    "tactile_guidance",
    "automatic_door",
}
ROLES = {"person", "delegate", "caretaker", "department_staff", "admin"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ORG_FLAGS = (
    "works_for_children_youth",
    "in_frivillighetsregisteret",
    "sports_club",
    "based_in_municipality",
    "commercial",
    "municipal",
)
PREMISES_FIELDS = {
    "slug": str,
    "name": str,
    "kind": str,
    "tariff_category": str,
    "capacity": int,
    "area_m2": int,
    "equipment": list,
    "accessibility": list,
    "description_nb": str,
    "description_en": str,
    "opening_hours": str,
    "slot_minutes": int,
    "min_minutes": int,
    "max_minutes": int,
    "buffer_before": int,
    "buffer_after": int,
    "requires_approval": bool,
    "closed_on_public_holidays": bool,
}
PREMISES_OPTIONAL = {"season", "parent"}
BUILDING_FIELDS = {
    "slug": str,
    "name": str,
    "address": str,
    "postcode": str,
    "city": str,
    "lat": float,
    "lon": float,
    "district": str,
    "department": str,
    "caretaker": str,
    "premises": list,
}
PERSON_FIELDS = {
    "name": str,
    "email": str,
    "phone": str,
    "birth_date": str,
    "roles": list,
    "language": str,
    "password": str,
}

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*@example\.no$")
PHONE = re.compile(r"^\+47 [49]\d{2} \d{2} \d{3}$")
CLOCK_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
# Age limits are checked on a fixed day so the data does not "expire" as time passes.
AGE_REFERENCE_DAY = date(2026, 1, 1)
# A generous box around the Drammen area (Mjøndalen in the west, Svelvik in the south-east).
LAT_RANGE, LON_RANGE = (59.55, 59.85), (9.90, 10.50)


@pytest.fixture(scope="module")
def data() -> dict:
    with SEED_FILE.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def premises(data) -> list[tuple[dict, dict]]:
    """Every premises with the building it belongs to."""
    return [(building, item) for building in data["buildings"] for item in building["premises"]]


@pytest.fixture(scope="module")
def people_by_email(data) -> dict[str, dict]:
    return {person["email"]: person for person in data["people"]}


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def clock_spans(span: str) -> tuple[int, int] | None:
    """'HH:MM-HH:MM' as minutes since midnight, or None if malformed. 24:00 may end a span."""
    match = CLOCK_SPAN.match(span)
    if not match:
        return None
    start_h, start_m, end_h, end_m = map(int, match.groups())
    if start_m >= 60 or end_m >= 60 or start_h >= 24 or end_h > 24 or (end_h == 24 and end_m):
        return None
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    return (start, end) if start < end else None


def duplicates(values) -> list:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def wrong_types(record: dict, fields: dict[str, type], label: str) -> list[str]:
    problems = []
    for key, expected in fields.items():
        if key not in record:
            problems.append(f"{label}: missing {key}")
        # bool is an int in Python; an int field must not accept true/false by accident.
        elif not isinstance(record[key], expected) or (expected is int and isinstance(record[key], bool)):
            problems.append(f"{label}: {key} should be {expected.__name__}, is {record[key]!r}")
    return problems


# ---------------------------------------------------------------- the file as a whole


def test_file_parses_and_says_it_is_sample_data():
    text = SEED_FILE.read_text(encoding="utf-8")
    header = "\n".join(line for line in text.splitlines()[:15] if line.startswith("#"))
    assert "not real" in header.lower()
    tomllib.loads(text)


def test_top_level_sections(data):
    assert set(data) == {
        "opening_hours_presets",
        "districts",
        "departments",
        "buildings",
        "organisations",
        "people",
    }


# ---------------------------------------------------------------- districts and departments


def test_exactly_the_twelve_districts(data):
    names = [district["name"] for district in data["districts"]]
    slugs = [district["slug"] for district in data["districts"]]
    assert len(names) == 12
    assert set(names) == DISTRICT_NAMES
    assert not duplicates(slugs)
    assert all(SLUG.match(slug) for slug in slugs), slugs


def test_departments(data):
    departments = data["departments"]
    assert len(departments) >= 5
    problems = []
    for department in departments:
        if not SLUG.match(department["slug"]):
            problems.append(f"{department['slug']}: slug is not kebab-case ascii")
        if department["kind"] not in DEPARTMENT_KINDS:
            problems.append(f"{department['slug']}: unknown kind {department['kind']!r}")
        if not (isinstance(department["account_code"], str) and department["account_code"].isdigit()):
            problems.append(f"{department['slug']}: account_code should be a string of digits")
        if not department["name"].strip():
            problems.append(f"{department['slug']}: empty name")
    problems += [f"duplicate department slug {s}" for s in duplicates(d["slug"] for d in departments)]
    problems += [f"duplicate account code {c}" for c in duplicates(d["account_code"] for d in departments)]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- opening hours presets


def test_opening_hours_presets_are_well_formed(data):
    presets = data["opening_hours_presets"]
    assert {
        "school_evenings",
        "office_hours",
        "culture_days",
        "sports_hall",
        "outdoor_daylight",
        "all_day",
        "library",
    } <= set(presets)
    problems = []
    for name, days in presets.items():
        if not SLUG.match(name.replace("_", "-")):
            problems.append(f"{name}: preset names are snake_case ascii")
        if not days:
            problems.append(f"{name}: closed every day")
        for day, spans in days.items():
            if day not in WEEKDAYS:
                problems.append(f"{name}: unknown weekday {day!r}")
                continue
            if not isinstance(spans, list) or not spans:
                problems.append(f"{name}.{day}: a listed day needs at least one span (omit it to close)")
                continue
            parsed = []
            for span in spans:
                minutes = clock_spans(span) if isinstance(span, str) else None
                if minutes is None:
                    problems.append(f"{name}.{day}: {span!r} is not HH:MM-HH:MM with start < end")
                else:
                    parsed.append(minutes)
            if parsed != sorted(parsed):
                problems.append(f"{name}.{day}: spans are not in order")
            for (_, end), (start, _) in zip(sorted(parsed), sorted(parsed)[1:]):
                if start < end:
                    problems.append(f"{name}.{day}: spans overlap")
    assert not problems, "\n".join(problems)


def test_all_day_preset_really_is_all_day(data):
    assert data["opening_hours_presets"]["all_day"] == {day: ["00:00-24:00"] for day in WEEKDAYS}


# ---------------------------------------------------------------- buildings


def test_building_counts_and_spread(data):
    buildings = data["buildings"]
    assert len(buildings) >= 28
    assert len({building["department"] for building in buildings}) >= 5
    assert {building["district"] for building in buildings} == {d["slug"] for d in data["districts"]}, (
        "every district should have at least one building"
    )


def test_buildings_are_complete_and_references_resolve(data, people_by_email):
    districts = {district["slug"] for district in data["districts"]}
    departments = {department["slug"] for department in data["departments"]}
    problems = []
    for building in data["buildings"]:
        label = building.get("slug", "?")
        type_problems = wrong_types(building, BUILDING_FIELDS, label)
        problems += type_problems
        if type_problems:
            continue
        if not SLUG.match(building["slug"]):
            problems.append(f"{label}: slug is not kebab-case ascii")
        if building["district"] not in districts:
            problems.append(f"{label}: unknown district {building['district']!r}")
        if building["department"] not in departments:
            problems.append(f"{label}: unknown department {building['department']!r}")
        caretaker = people_by_email.get(building["caretaker"])
        if caretaker is None:
            problems.append(f"{label}: caretaker {building['caretaker']} is not in [[people]]")
        elif "caretaker" not in caretaker["roles"]:
            problems.append(f"{label}: {building['caretaker']} lacks the role 'caretaker'")
        if not re.fullmatch(r"3\d{3}", building["postcode"]):
            problems.append(f"{label}: postcode {building['postcode']!r} is not a Drammen-area postcode")
        if not (LAT_RANGE[0] <= building["lat"] <= LAT_RANGE[1] and LON_RANGE[0] <= building["lon"] <= LON_RANGE[1]):
            problems.append(f"{label}: ({building['lat']}, {building['lon']}) is outside the Drammen area")
        if not building["premises"]:
            problems.append(f"{label}: has no premises")
    problems += [f"duplicate building slug {s}" for s in duplicates(b["slug"] for b in data["buildings"])]
    assert not problems, "\n".join(problems)


def test_every_caretaker_looks_after_a_building(data):
    caretakers = {p["email"] for p in data["people"] if "caretaker" in p["roles"]}
    assert len(caretakers) >= 6
    assert caretakers == {building["caretaker"] for building in data["buildings"]}


# ---------------------------------------------------------------- premises


def test_premises_counts(premises):
    categories = Counter(item["tariff_category"] for _, item in premises)
    outdoor = [item for _, item in premises if item["kind"] == "outdoor_area"]
    assert len(premises) >= 65
    assert len(outdoor) >= 12
    assert sum(1 for item in outdoor if "season" in item) >= 3
    assert categories["idrettshall"] >= 2
    assert categories["idrettshall_del"] >= 2
    for category in KIND_OF_TARIFF:
        assert categories[category] >= 1, f"no premises in tariff category {category}"


def test_premises_fields_and_vocabularies(premises):
    problems = []
    for building, item in premises:
        label = f"{building['slug']}/{item.get('slug', '?')}"
        type_problems = wrong_types(item, PREMISES_FIELDS, label)
        problems += type_problems
        unknown = set(item) - set(PREMISES_FIELDS) - PREMISES_OPTIONAL
        if unknown:
            problems.append(f"{label}: unknown keys {sorted(unknown)}")
        if type_problems:
            continue
        if not SLUG.match(item["slug"]) or len(item["slug"]) > 80:
            problems.append(f"{label}: slug is not kebab-case ascii of at most 80 characters")
        if item["tariff_category"] not in KIND_OF_TARIFF:
            problems.append(f"{label}: unknown tariff category {item['tariff_category']!r}")
        elif KIND_OF_TARIFF[item["tariff_category"]] != item["kind"]:
            problems.append(f"{label}: kind {item['kind']!r} does not fit {item['tariff_category']}")
        for key, vocabulary in (("equipment", EQUIPMENT), ("accessibility", ACCESSIBILITY)):
            strange = set(item[key]) - vocabulary
            if strange:
                problems.append(f"{label}: unknown {key} {sorted(strange)}")
            if duplicates(item[key]):
                problems.append(f"{label}: repeated {key} {duplicates(item[key])}")
        for key in ("description_nb", "description_en"):
            if len(item[key].strip()) < 20:
                problems.append(f"{label}: {key} is too thin to be useful")
        if item["capacity"] <= 0 or item["area_m2"] <= 0:
            problems.append(f"{label}: capacity and area must be positive")
    problems += [f"duplicate premises slug {s}" for s in duplicates(i["slug"] for _, i in premises)]
    building_slugs = {building["slug"] for building, _ in premises}
    problems += [
        f"premises slug {i['slug']} equals a building slug" for _, i in premises if i["slug"] in building_slugs
    ]
    assert not problems, "\n".join(problems)


def test_durations_fit_the_slot_grid_and_opening_hours(data, premises):
    presets = data["opening_hours_presets"]
    problems = []
    for building, item in premises:
        label = item["slug"]
        slot, shortest, longest = item["slot_minutes"], item["min_minutes"], item["max_minutes"]
        if slot not in (15, 30, 60):
            problems.append(f"{label}: slot_minutes {slot} is not 15, 30 or 60")
            continue
        if not 30 <= shortest <= 60 or shortest % slot:
            problems.append(f"{label}: min_minutes {shortest} should be 30–60 and a whole number of slots")
        if longest < shortest or longest % slot or longest % 60:
            problems.append(f"{label}: max_minutes {longest} should be ≥ min and whole hours")
        if item["buffer_before"] < 0 or item["buffer_after"] < 0:
            problems.append(f"{label}: negative buffer")
        preset = presets.get(item["opening_hours"])
        if preset is None:
            problems.append(f"{label}: unknown opening-hours preset {item['opening_hours']!r}")
            continue
        spans = [clock_spans(span) for spans in preset.values() for span in spans]
        if any(span and (span[0] % slot or span[1] % slot) for span in spans):
            problems.append(f"{label}: {item['opening_hours']} opens or closes off the {slot}-minute grid")
        # Only a premises open round the clock can be let for longer than a day.
        limit = 4320 if item["opening_hours"] == "all_day" else 1440
        if longest > limit:
            problems.append(f"{label}: max_minutes {longest} exceeds {limit} for {item['opening_hours']}")
    assert not problems, "\n".join(problems)


def test_rules_that_follow_from_the_owner_and_the_category(data, premises):
    department_kind = {department["slug"]: department["kind"] for department in data["departments"]}
    problems = []
    for building, item in premises:
        label = item["slug"]
        school = department_kind[building["department"]] == "school"
        if school and not item["closed_on_public_holidays"]:
            problems.append(f"{label}: school premises are closed on public holidays")
        if item["tariff_category"] == "kultursal" or item["kind"] == "outdoor_area":
            if item["closed_on_public_holidays"]:
                problems.append(f"{label}: culture halls and outdoor areas stay open on public holidays")
            if not item["requires_approval"]:
                problems.append(f"{label}: culture halls and outdoor areas need approval")
        if item["tariff_category"] == "uteomrade_arrangement" and item["opening_hours"] != "all_day":
            problems.append(f"{label}: events areas are open round the clock so events can span days")
        if item["tariff_category"] in ("klasserom", "gymsal") and not school:
            problems.append(f"{label}: {item['tariff_category']} belongs to a school")
    assert not problems, "\n".join(problems)


def test_seasons_are_well_formed(premises):
    problems = []
    for _, item in premises:
        if "season" not in item:
            continue
        label, season = item["slug"], item["season"]
        if item["kind"] != "outdoor_area":
            problems.append(f"{label}: only outdoor areas have a season")
        if not (isinstance(season, list) and len(season) == 2):
            problems.append(f"{label}: season must be [first, last]")
            continue
        for text in season:
            match = MONTH_DAY.match(text) if isinstance(text, str) else None
            try:
                date(2024, int(match[1]), int(match[2]))  # a leap year, so 02-29 would pass
            except (TypeError, ValueError):
                problems.append(f"{label}: {text!r} is not a valid MM-DD")
        if season[0] == season[1]:
            problems.append(f"{label}: a one-day season is surely a typo")
    assert not problems, "\n".join(problems)


def test_divisible_hall(premises):
    by_slug = {item["slug"]: (building, item) for building, item in premises}
    position = {item["slug"]: index for index, (_, item) in enumerate(premises)}
    halves_of: dict[str, list[str]] = {}
    problems = []
    for building, item in premises:
        label = item["slug"]
        is_half = item["tariff_category"] == "idrettshall_del"
        if is_half != ("parent" in item):
            problems.append(f"{label}: parent is set exactly on idrettshall_del premises")
            continue
        if not is_half:
            continue
        if item["parent"] not in by_slug:
            problems.append(f"{label}: parent {item['parent']!r} does not exist")
            continue
        parent_building, parent = by_slug[item["parent"]]
        halves_of.setdefault(parent["slug"], []).append(label)
        if parent["tariff_category"] != "idrettshall" or "parent" in parent:
            problems.append(f"{label}: parent must be a whole idrettshall")
        if parent_building["slug"] != building["slug"]:
            problems.append(f"{label}: a half lives in the same building as its hall")
        if position[parent["slug"]] > position[label]:
            problems.append(f"{label}: the whole hall must come before its halves (the loader resolves in order)")
        for key in ("opening_hours", "slot_minutes", "buffer_before", "buffer_after", "closed_on_public_holidays"):
            if item[key] != parent[key]:
                problems.append(f"{label}: {key} differs from the whole hall")
    for parent_slug, halves in halves_of.items():
        if len(halves) != 2:
            problems.append(f"{parent_slug}: has {len(halves)} halves, expected 2")
        elif sum(by_slug[h][1]["area_m2"] for h in halves) > by_slug[parent_slug][1]["area_m2"]:
            problems.append(f"{parent_slug}: the halves are bigger than the hall")
    assert halves_of, "there should be one divisible hall"
    assert not problems, "\n".join(problems)


def test_universal_design_varies_so_search_means_something(premises):
    counts = [len(item["accessibility"]) for _, item in premises]
    used = {key for _, item in premises for key in item["accessibility"]}
    assert counts.count(0) >= 3, "some premises should have no universal-design features"
    assert sum(1 for count in counts if count >= 6) >= 3, "some premises should have many"
    assert used == ACCESSIBILITY, f"never used: {sorted(ACCESSIBILITY - used)}"
    step_free = sum(1 for _, item in premises if "step_free_access" in item["accessibility"])
    assert 0.5 < step_free / len(premises) < 1, "step-free access should be common but not universal"


# ---------------------------------------------------------------- organisations


def test_organisations(data, people_by_email):
    organisations = data["organisations"]
    assert len(organisations) >= 32
    problems = []
    for organisation in organisations:
        label = organisation["name"]
        number = organisation["orgnr"]
        if not (isinstance(number, str) and re.fullmatch(r"\d{9}", number) and orgnr.is_valid(number)):
            problems.append(f"{label}: orgnr {number!r} is not a valid 9-digit organisation number")
        for flag in ORG_FLAGS:
            if not isinstance(organisation.get(flag), bool):
                problems.append(f"{label}: {flag} should be true or false")
        if organisation.get("commercial") and organisation.get("in_frivillighetsregisteret"):
            problems.append(f"{label}: a company cannot be in Frivillighetsregisteret")
        delegates = organisation["delegates"]
        if not 1 <= len(delegates) <= 2 or duplicates(delegates):
            problems.append(f"{label}: needs one or two different delegates")
        for email in delegates:
            person = people_by_email.get(email)
            if person is None:
                problems.append(f"{label}: delegate {email} is not in [[people]]")
            elif "delegate" not in person["roles"]:
                problems.append(f"{label}: {email} lacks the role 'delegate'")
    problems += [f"duplicate orgnr {n}" for n in duplicates(o["orgnr"] for o in organisations)]
    problems += [f"duplicate organisation {n}" for n in duplicates(o["name"] for o in organisations)]
    assert not problems, "\n".join(problems)


def test_organisation_mix(data):
    organisations = data["organisations"]
    count = Counter(flag for o in organisations for flag in ORG_FLAGS if o[flag])
    assert count["commercial"] >= 2
    assert count["municipal"] >= 1
    assert count["sports_club"] >= 5
    assert count["works_for_children_youth"] >= 10
    assert len(organisations) - count["in_frivillighetsregisteret"] >= 2, "some are not registered"
    assert len(organisations) - count["based_in_municipality"] >= 1, "one comes from outside"


# ---------------------------------------------------------------- people


def test_people_are_complete(data):
    departments = {department["slug"] for department in data["departments"]}
    problems = []
    for person in data["people"]:
        label = person.get("email", "?")
        type_problems = wrong_types(person, PERSON_FIELDS, label)
        problems += type_problems
        unknown = set(person) - set(PERSON_FIELDS) - {"department"}
        if unknown:
            problems.append(f"{label}: unknown keys {sorted(unknown)}")
        if type_problems:
            continue
        if not EMAIL.match(person["email"]):
            problems.append(f"{label}: e-mail should be lowercase ascii @example.no")
        if not PHONE.match(person["phone"]):
            problems.append(f"{label}: phone {person['phone']!r} is not '+47 9xx xx xxx'")
        try:
            date.fromisoformat(person["birth_date"])
        except ValueError:
            problems.append(f"{label}: birth_date {person['birth_date']!r} is not YYYY-MM-DD")
        roles = person["roles"]
        if set(roles) - ROLES or duplicates(roles) or "person" not in roles:
            problems.append(f"{label}: roles {roles} should be distinct, known, and include 'person'")
        is_staff = "department_staff" in roles
        if is_staff != ("department" in person):
            problems.append(f"{label}: department is set exactly for department_staff")
        if is_staff and person.get("department") not in departments:
            problems.append(f"{label}: unknown department {person.get('department')!r}")
        if person["language"] not in ("nb", "en"):
            problems.append(f"{label}: language must be nb or en")
        if not person["password"]:
            problems.append(f"{label}: empty password")
    problems += [f"duplicate e-mail {e}" for e in duplicates(p["email"] for p in data["people"])]
    problems += [f"duplicate phone {n}" for n in duplicates(p["phone"] for p in data["people"])]
    assert not problems, "\n".join(problems)


def test_people_counts(data):
    people = data["people"]
    with_role = lambda role: [p for p in people if role in p["roles"]]  # noqa: E731
    assert len(with_role("admin")) >= 2
    staff = with_role("department_staff")
    assert len(staff) >= 4
    assert len({p["department"] for p in staff}) >= 4, "staff should cover different departments"
    assert len(with_role("caretaker")) >= 6
    assert len(with_role("delegate")) >= 30
    assert len([p for p in people if p["roles"] == ["person"]]) >= 10
    assert any(p["language"] == "en" for p in people)
    assert any(p["language"] == "nb" for p in people)


def test_ages(data):
    minors = [p for p in data["people"] if age_on(date.fromisoformat(p["birth_date"]), AGE_REFERENCE_DAY) < 18]
    assert any(p["birth_date"].startswith("2010-") and p["roles"] == ["person"] for p in minors), (
        "a plain person born in 2010 tests the 18+ rule"
    )
    assert all(p["roles"] == ["person"] for p in minors), "everyone with a role is an adult"


def test_every_delegate_acts_for_an_organisation(data):
    delegates = {p["email"] for p in data["people"] if "delegate" in p["roles"]}
    referenced = {email for o in data["organisations"] for email in o["delegates"]}
    assert delegates == referenced


def test_every_referenced_email_exists(data, people_by_email):
    referenced = {building["caretaker"] for building in data["buildings"]}
    referenced |= {email for organisation in data["organisations"] for email in organisation["delegates"]}
    assert referenced - set(people_by_email) == set()
