"""common, booking.domain, pricing, calendars and allocation are pure: importing every one of
their modules loads neither the database layer nor the web framework.

Runs in a fresh interpreter, because this test process has already imported both."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PURE_PACKAGES = ("common", "booking/domain", "pricing", "calendars", "allocation")
FORBIDDEN = ("sqlalchemy", "litestar")
# calendars/ judges URLs but never opens a connection: the fetch is booking/services/calendar_fetch.py.
NETWORK = ("socket", "ssl", "http.client", "httpx", "urllib.request")


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
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    for name in modules:
        assert name in loaded
    offenders = [name for name in loaded if name.startswith(FORBIDDEN)]
    assert offenders == []


def network_imports(folder: str) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            found += [
                f"{path.relative_to(ROOT)}: {name}"
                for name in names
                if any(name == module or name.startswith(module + ".") for module in NETWORK)
            ]
    return found


def test_calendars_import_no_network_module():
    assert network_imports("calendars") == []


def test_the_network_check_would_notice_the_fetch():
    """Guards the guard: the same scan finds the fetch's own imports."""
    assert "booking/services/calendar_fetch.py: socket" in network_imports("booking/services")


def test_the_check_would_notice_a_forbidden_import():
    """Guards the guard: the same subprocess sees sqlalchemy when something imports it."""
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(root=str(ROOT), modules=["booking.domain", "sqlalchemy"])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert any(name.startswith("sqlalchemy") for name in loaded)
