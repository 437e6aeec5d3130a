# The README's two commands: `make run` (set up and serve) and `make test` (set up and test).
# Every target sets up what it needs, so each works on a fresh clone.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
MANAGE := $(BIN)/python manage.py

.DEFAULT_GOAL := help
.PHONY: help setup run test test-only lint format check-migrations clean bench-search bench-search-postgres bench backup restore soak

BENCH_DB := var/bench/catalog.sqlite3
BENCH_DB_URL := sqlite:///$(CURDIR)/$(BENCH_DB)
BENCH_CODES ?= 100000

help:
	@echo "make run     set up (venv, database, reference content, static files) and serve on $(HOST):$(PORT)"
	@echo "make test    set up the test tools and run the whole suite"
	@echo "make lint    ruff check and ruff format --check"
	@echo "make format  format the code with ruff"
	@echo "make bench-search  p50/p95 of the search page on a 100,000-code synthetic catalogue"
	@echo "make bench-search-postgres BENCH_PG_URL=postgres://...  the same on PostgreSQL"
	@echo "make bench   our pages against Datasette's on the same catalogue, with wrk"
	@echo "make soak    60 s of load, edits every 100 ms and a killed worker; checks nothing is lost"
	@echo "make backup  dump all content and its history to var/backups/"
	@echo "make restore FILE=var/backups/...json.gz  load a dump into an empty database"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: pip runs again only when a requirements file changes.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime-installed

# A random secret for this machine only; var/ is never committed.
var/secret_key: | $(BIN)/python
	@mkdir -p var
	@umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

setup: $(VENV)/.runtime-installed var/secret_key
	$(MANAGE) migrate --noinput
	$(MANAGE) load_reference_data
	$(MANAGE) load_icd10cm
	$(MANAGE) import_cms_pfs fixtures/cms/rvu25d
	$(MANAGE) import_cms_edits fixtures/cms/ncci-2024-07 --keep-existing
	$(MANAGE) collectstatic --noinput --verbosity 0

run: setup
	PORT=$(PORT) HOST=$(HOST) $(BIN)/gunicorn --config gunicorn.conf.py

# axe-core for the browser tests' accessibility checks, pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --silent && touch $@; \
	else \
		echo "npm not found: the accessibility browser tests will skip (CI installs it)"; \
	fi

test: $(VENV)/.dev-installed var/secret_key node_modules/.installed
	$(BIN)/pytest

# The suite without the set-up step, for CI's second database run.
test-only:
	$(BIN)/pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-migrations: $(VENV)/.runtime-installed var/secret_key
	$(MANAGE) makemigrations --check --dry-run

# A separate database: the real content plus synthetic codes. Rebuilt when the schema or
# the fixtures change.
$(BENCH_DB): $(wildcard codes/migrations/*.py) $(wildcard fixtures/*.json) | $(VENV)/.runtime-installed var/secret_key
	$(MANAGE) generate_synthetic_catalog --count $(BENCH_CODES) --database-url $(BENCH_DB_URL)

# Datasette, pinned, in its own environment under var/ (ignored by git, removed by `make clean`).
DATASETTE_VENV := var/bench/venv-datasette

$(DATASETTE_VENV)/.installed: bench/datasette-requirements.txt
	$(PYTHON) -m venv $(DATASETTE_VENV)
	$(DATASETTE_VENV)/bin/python -m pip install --quiet -r bench/datasette-requirements.txt
	@touch $@

# Our pages against Datasette's on the same 100,000-code catalogue, with wrk (Debian's).
bench: $(VENV)/.runtime-installed $(BENCH_DB) $(DATASETTE_VENV)/.installed
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/serving.py

bench-search: setup $(BENCH_DB)
	DATABASE_URL=$(BENCH_DB_URL) $(MANAGE) bench_search --min-codes $(BENCH_CODES)

# The same on PostgreSQL, in a database of its own that you create first, e.g.
#   createdb -h 127.0.0.1 -U postgres bench
#   make bench-search-postgres BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/bench
bench-search-postgres: setup
	@test -n "$(BENCH_PG_URL)" || { echo "Set BENCH_PG_URL to a PostgreSQL database for the catalogue"; exit 2; }
	$(MANAGE) generate_synthetic_catalog --count $(BENCH_CODES) --database-url $(BENCH_PG_URL)
	DATABASE_URL=$(BENCH_PG_URL) $(MANAGE) bench_search --min-codes $(BENCH_CODES)

# gunicorn under wrk for 60 s while edits are saved every 100 ms and a worker is killed.
soak: $(VENV)/.runtime-installed var/secret_key
	@command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 2; }
	$(BIN)/python bench/soak.py --seconds 60 --connections 64

backup: $(VENV)/.runtime-installed var/secret_key
	@umask 077 && $(MANAGE) backup_content

# Into an empty database: point DATABASE_URL at a new one (or remove var/db.sqlite3) first,
# or REPLACE=yes to replace the accounts and content it holds. FILE reaches the command
# through the environment, never through the recipe's text, so no file name is run as shell.
restore: private export RESTORE_FILE := $(value FILE)
restore: $(VENV)/.runtime-installed var/secret_key
	@test -n "$$RESTORE_FILE" || { echo "Usage: make restore FILE=var/backups/cpt-reference-....json.gz [REPLACE=yes]"; exit 2; }
	$(MANAGE) migrate --noinput
	$(MANAGE) restore_content $(if $(filter yes,$(REPLACE)),--replace) -- "$$RESTORE_FILE"

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
