"""common, booking.domain, pricing, calendars and allocation are pure: importing every one of
their modules loads neither the database layer nor the web framework.

Runs in a fresh interpreter, because this test process has already imported both."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PURE_PACKAGES = ("common", "booking/domain", "pricing", "calendars", "allocation")
FORBIDDEN = ("sqlalchemy", "litestar")


def modules_under(folder: str) -> list[str]:
    names = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if path.stem == "__main__":  # importing it would run it
            continue
        relative = path.relative_to(ROOT).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        names.append(".".join(parts))
    return names


PROGRAM = """
import importlib, json, sys
sys.path.insert(0, {root!r})
for name in {modules!r}:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""


def test_every_pure_package_has_modules():
    for folder in PURE_PACKAGES:
        assert (ROOT / folder).is_dir(), folder
        assert modules_under(folder), f"no modules found under {folder}"


def test_pure_packages_load_neither_sqlalchemy_nor_litestar():
    modules = [name for folder in PURE_PACKAGES for name in modules_under(folder)]
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(root=str(ROOT), modules=modules)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    for name in modules:
        assert name in loaded
    offenders = [name for name in loaded if name.startswith(FORBIDDEN)]
    assert offenders == []


def test_the_check_would_notice_a_forbidden_import():
    """Guards the guard: the same subprocess sees sqlalchemy when something imports it."""
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(root=str(ROOT), modules=["booking.domain", "sqlalchemy"])],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert any(name.startswith("sqlalchemy") for name in loaded)
