"""Benchmarks: `python -m tests.bench` (or `make bench`) measures booking throughput
through the engine against a plain-SQL limit, and availability search latency over a
large calendar, on SQLite and PostgreSQL, and writes docs/BENCHMARKS.md."""
