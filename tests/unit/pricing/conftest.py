"""Pricing tests: make the project importable and share the default rule set."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
# `pytest` (unlike `python -m pytest`) does not put the project root on sys.path and the
# package is not installed into .venv; without this `import pricing` fails.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pricing_fixtures import DEFAULT_RULES  # noqa: E402

from pricing import parse_rule_set  # noqa: E402


@pytest.fixture(scope="session")
def default_toml() -> str:
    return DEFAULT_RULES.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def rules(default_toml):
    return parse_rule_set(default_toml)
