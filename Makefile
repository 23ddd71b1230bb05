# The two commands: `make run` and `make test`. Both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/booking db upgrade
	$(BIN)/booking seed --sample
	$(BIN)/booking serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto tests/unit tests/integration tests/e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench.feeds
	$(BIN)/python -m tests.bench.http
	$(BIN)/python -m tests.bench.seasons
	$(BIN)/python -m tests.bench.series

clean:
	rm -rf $(VENV) var
