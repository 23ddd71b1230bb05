"""`pricing` reads `allocation.rules`: importing the package must stay light and leave
the solver and the booking package unloaded until `propose`/`check_need` are used.
(That allocation loads neither sqlalchemy nor litestar is tests/unit/domain/test_purity.py.)"""

from __future__ import annotations

import json
import subprocess
import sys

from rules_fixture import REPO

PROGRAM = """
import json, sys
import allocation
before = sorted({{m.split('.')[0] for m in sys.modules}})
getattr(allocation, {name!r})
after = sorted({{m.split('.')[0] for m in sys.modules}})
print(json.dumps([before, after]))
"""


def loaded_around(name: str) -> tuple[set[str], set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(name=name)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    before, after = json.loads(result.stdout)
    return set(before), set(after)


def test_importing_allocation_loads_neither_the_solver_nor_booking():
    before, after = loaded_around("propose")
    assert not {"ortools", "booking"} & before
    assert {"ortools", "booking"} <= after


def test_check_need_loads_booking_errors_but_not_the_solver():
    _, after = loaded_around("check_need")
    assert "booking" in after and "ortools" not in after
