"""pricing is a pure core: it must not reach for the database, the web framework or booking."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pricing

FORBIDDEN = ("sqlalchemy", "litestar", "booking", "advanced_alchemy", "alembic")
PACKAGE = Path(pricing.__file__).parent


def test_no_module_imports_a_forbidden_package():
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{source.name} imports {name}"


def test_importing_pricing_loads_no_forbidden_package():
    code = "import sys, pricing; print(','.join(sorted({m.split('.')[0] for m in sys.modules})))"
    loaded = (
        subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True, check=True)
        .stdout.strip()
        .split(",")
    )
    assert not set(loaded) & set(FORBIDDEN)
