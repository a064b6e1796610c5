# cellblock developer tasks. `make` or `make help` lists them.
#
# A fresh machine needs only python3 (>= 3.11) and make: uv is installed into
# .tools/ on first use, and the project's virtualenv lives in .venv/.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

UV_VERSION := 0.13.9
UV := .tools/bin/uv
BIN := .venv/bin
CELLBLOCK := $(BIN)/cellblock
PYTEST := $(BIN)/pytest

# Never download a Python build: use the python3 on PATH.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3

# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-k booking -x".
PYTEST_ARGS ?=
SQLITE_TEST_URL := sqlite:///var/test.sqlite3
ARTIFACTS := test-artifacts

.PHONY: help install install-dev run test test-sqlite test-postgres lint format \
	typecheck bench check clean system-deps

help: ## List the targets
	@echo "cellblock: make TARGET"
	@echo
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'
	@echo
	@echo "PYTEST_ARGS passes extra arguments to pytest."

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV) ## Install the runtime dependencies into .venv
	$(UV) sync --locked --no-dev --inexact

install-dev: $(UV) ## Install runtime and development dependencies into .venv
	$(UV) sync --locked

# The compliance sweep runs beside the server: it keeps the alert history for the report.
run: install ## Migrate, load the demo if the database is empty, serve on 127.0.0.1:8000
	mkdir -p var
	$(CELLBLOCK) migrate --noinput
	$(CELLBLOCK) demo --if-empty
	$(CELLBLOCK) compliance --verbosity 0 sweep --every 60 & sweep=$$!; \
	trap 'kill $$sweep 2>/dev/null' EXIT; \
	$(CELLBLOCK) runserver 127.0.0.1:8000

system-deps: ## Install missing system packages (Chromium, PostgreSQL)
	bash scripts/install-system-deps

# One pytest run per database; the PostgreSQL URL comes from scripts/ensure-postgres.
define pytest_sqlite
	mkdir -p var $(ARTIFACTS)
	@echo "==> pytest on SQLite"
	CELLBLOCK_DATABASE_URL=$(SQLITE_TEST_URL) $(PYTEST) \
		--durations=15 --junitxml=$(ARTIFACTS)/junit-sqlite.xml $(PYTEST_ARGS)
endef

define pytest_postgres
	mkdir -p var $(ARTIFACTS)
	@echo "==> pytest on PostgreSQL"
	url="$$(bash scripts/ensure-postgres)"; \
	echo "CELLBLOCK_DATABASE_URL=$$url"; \
	CELLBLOCK_DATABASE_URL="$$url" $(PYTEST) \
		--durations=15 --junitxml=$(ARTIFACTS)/junit-postgres.xml $(PYTEST_ARGS)
endef

# The two databases run side by side (one core each); each run's output is kept in
# test-artifacts/pytest-<database>.log and printed whole when both are done.
test: install-dev ## Run the test suite on SQLite and on PostgreSQL, side by side
	$(MAKE) system-deps
	@mkdir -p $(ARTIFACTS); sqlite=0; postgres=0; \
	echo "==> pytest on SQLite and on PostgreSQL, side by side (logs in $(ARTIFACTS)/)"; \
	$(MAKE) --no-print-directory _pytest-sqlite > $(ARTIFACTS)/pytest-sqlite.log 2>&1 & \
	sqlite_run=$$!; \
	$(MAKE) --no-print-directory _pytest-postgres > $(ARTIFACTS)/pytest-postgres.log 2>&1 & \
	postgres_run=$$!; \
	wait $$sqlite_run || sqlite=$$?; \
	wait $$postgres_run || postgres=$$?; \
	cat $(ARTIFACTS)/pytest-sqlite.log $(ARTIFACTS)/pytest-postgres.log; \
	echo "==> SQLite: $$([ $$sqlite = 0 ] && echo passed || echo FAILED)," \
		"PostgreSQL: $$([ $$postgres = 0 ] && echo passed || echo FAILED)"; \
	[ $$sqlite = 0 ] && [ $$postgres = 0 ]

test-sqlite: install-dev ## Run the test suite on SQLite only
	$(MAKE) system-deps
	$(pytest_sqlite)

test-postgres: install-dev ## Run the test suite on PostgreSQL only
	$(MAKE) system-deps
	$(pytest_postgres)

.PHONY: _pytest-sqlite _pytest-postgres
_pytest-sqlite:
	$(pytest_sqlite)

_pytest-postgres:
	$(pytest_postgres)

lint: install-dev ## Check style and formatting with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev ## Format the code and apply ruff's safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install-dev ## Type-check the cellblock package with mypy
	$(BIN)/mypy

bench: install-dev ## Run the benchmarks in bench/
	@if [ -f bench/__main__.py ]; then \
		$(BIN)/python -m bench; \
	else \
		echo "No benchmarks exist yet."; \
	fi

check: ## Lint, type-check and test: what CI runs
	$(MAKE) lint
	$(MAKE) typecheck
	$(MAKE) test

clean: ## Remove .venv, test databases and test artefacts
	-bash scripts/ensure-postgres --stop
	rm -rf .venv $(ARTIFACTS) var/postgres var/test.sqlite3* \
		.mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -path ./.tools -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
