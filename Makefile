# Omniloop: `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= $(or $(OMNILOOP_PORT),8000)

.PHONY: install dev demo serve migrate test lint format bench check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed          ## install into .venv (idempotent)

dev: $(VENV)/.installed-dev          ## install with the development extras

demo: install                        ## migrate SQLite, seed the demo chain, serve on :8000
	$(BIN)/omniloop demo --port $(PORT)

serve: install
	$(BIN)/omniloop serve --port $(PORT)

migrate: install
	$(BIN)/omniloop migrate

lint: dev                            ## ruff and mypy
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

format: dev
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

test: dev lint                       ## the whole suite (SQLite; PostgreSQL too if OMNILOOP_TEST_POSTGRES_URL is set)
	$(BIN)/pytest -q

bench: dev                           ## benchmarks against PostgreSQL (OMNILOOP_BENCH_DATABASE_URL)
	$(BIN)/omniloop bench all

check: install                       ## verify every ledger adds up
	$(BIN)/omniloop check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache omniloop.db*
