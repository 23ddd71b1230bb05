"""Make the repository root importable when pytest is run as `.venv/bin/pytest`.

pytest puts only this test directory on sys.path (there is no __init__.py on the way up),
so `import calendars` needs the root too until the project is installed or pytest is
configured with `pythonpath = ["."]`; then this does nothing.
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
