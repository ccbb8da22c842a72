# opsportal — the commands a developer and CI run.
#
#   make run               migrate, seed the demo, start web + worker + beat + Redis (Ctrl-C stops)
#   make test              lint, migrations check, the suite on PostgreSQL, the smoke tests on SQLite
#   make lint | fmt | migrations-check | bench | clean
#
# Works on a fresh Debian machine: `install` makes the virtualenv and adds missing system packages.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# Each recipe runs in one shell, so `make test` can keep a trap for the whole run.
.ONESHELL:

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=
# `make test` runs the PostgreSQL suite in this many processes (pytest-xdist; 1 = no xdist).
# Each gets its own test database and Redis database (tests/services.py); work-stealing keeps
# each process on a contiguous run of tests, so module- and class-scoped fixtures are built once.
PYTEST_WORKERS ?= 2
BENCH ?=

.PHONY: install run test lint fmt migrations-check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-installed only when pyproject.toml changes.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --progress-bar off -e '.[dev]'
	touch $@

install: $(INSTALLED)
	@bash scripts/ensure-system.sh

run: install
	@bash scripts/run.sh

# Every step runs even when an earlier one fails, so one run shows everything that is wrong;
# the test servers (PostgreSQL :54329, Redis :63799) are stopped however the run ends.
test: install
	@export PATH="$(CURDIR)/$(BIN):$$PATH"
	services=scripts/test-services.sh
	# A failed start cleans up after itself; from here on the trap stops what started.
	bash $$services start
	trap 'bash $$services stop' EXIT
	eval "$$(bash $$services env)"
	failed=()
	step() {
		local name=$$1
		shift
		printf '\n==> %s: %s\n' "$$name" "$$*"
		if "$$@"; then
			return 0
		else
			local code=$$?
			if [ "$$code" -eq 5 ] && [ "$$1" = pytest ]; then
				echo "<== $$name: pytest collected no tests (exit 5)"
			else
				echo "<== $$name: failed (exit $$code)"
			fi
			failed+=("$$name")
		fi
	}
	step ruff-check ruff check .
	step ruff-format ruff format --check .
	step migrations python manage.py makemigrations --check --dry-run
	xdist=()
	if [ "$(PYTEST_WORKERS)" -gt 1 ]; then xdist=(-n "$(PYTEST_WORKERS)" --dist worksteal); fi
	step pytest-postgres pytest "$${xdist[@]}" $(PYTEST_ARGS)
	# One process: ~50 tests, where a second process's own migrations cost more than it saves.
	DATABASE_URL="sqlite:///$$TEST_SERVICES_DIR/smoke.sqlite3" \
		step pytest-sqlite-smoke pytest -m smoke $(PYTEST_ARGS)
	if [ $${#failed[@]} -ne 0 ]; then
		printf '\nmake test: FAILED steps: %s\n' "$${failed[*]}"
		exit 1
	fi
	printf '\nmake test: every step passed (ruff, migrations, PostgreSQL suite, SQLite smoke)\n'

lint: install
	@$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	@$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	@$(BIN)/python manage.py makemigrations --check --dry-run

# Intake (orders/s over HTTP) and label batches, each on its own throwaway PostgreSQL + Redis.
# `make bench BENCH=labels` runs one; see bench/__main__.py.
bench: install
	@bash scripts/ensure-system.sh
	$(BIN)/python -m bench $(BENCH)

# Stops test servers a killed `make test` left behind and removes their state; keeps var/db.sqlite3.
clean:
	@bash scripts/test-services.sh stop
	rm -rf .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
