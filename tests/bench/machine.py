"""The facts about the machine a benchmark ran on, for the report."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime

import asyncpg
import sqlalchemy


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 0


async def postgres_version(server: str | None) -> str:
    if server is None:
        return "not available"
    connection = await asyncpg.connect(server)
    try:
        return await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()


def cpu_counters() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat; (0, 0) elsewhere."""
    try:
        with open("/proc/stat", encoding="utf-8") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


def busy_share(before: tuple[float, float], after: tuple[float, float]) -> float:
    """How busy all cores were between two `cpu_counters()` readings, 0..1."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def load_one_minute() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def load_average() -> str:
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def code_version(root: str) -> str:
    """The commit measured, and whether the work tree differed from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no", "--", "booking", "pricing", "calendars")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}" + (" with uncommitted changes in booking/, pricing/ or calendars/" if changed else "")


def facts(postgres: str, load_before: str, code: str = "unknown") -> list[tuple[str, str]]:
    """`load_before`: the load average when the run started. Other processes on the
    machine compete for the same cores, so a high load makes every number worse."""
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("code", code),
        ("nproc", str(cores())),
        ("CPU", _cpu_model()),
        ("RAM", _ram()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", postgres),
        ("SQLAlchemy / asyncpg", f"{sqlalchemy.__version__} / {asyncpg.__version__}"),
        ("load average 1/5/15 min, at start → at end", f"{load_before} → {load_average()}"),
    ]


def _processes() -> list[tuple[int, int, str, float]]:
    """(pid, parent pid, command name, CPU seconds used) of every process, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue  # gone meanwhile
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        found.append((int(entry), int(fields[1]), name, (int(fields[11]) + int(fields[12])) / tick))
    return found


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by a process and all its descendants (a server and its workers)."""
    processes = _processes()
    tree, grew = {root}, True
    while grew:
        children = {pid for pid, parent, _, _ in processes if parent in tree} - tree
        tree |= children
        grew = bool(children)
    return sum(cpu for pid, _, _, cpu in processes if pid in tree)


def named_cpu_seconds(name: str) -> float:
    """CPU seconds used so far by every process with this command name (say, postgres)."""
    return sum(cpu for _, _, command, cpu in _processes() if command == name)
