# Two commands matter: `make run` (demo on SQLite, tasks in-process) and `make test`.
# Everything else is here for operators and developers.

VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/buddy_bench

.PHONY: install run test lint format bench bench-webhooks bench-api serve migrate

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# What production runs (see README: "Running on PostgreSQL + Redis"): the production
# settings everywhere; supervisord starts gunicorn, the Celery worker and beat and restarts
# whichever exits (config/supervisord.conf).
BUDDY_RUN_DIR ?= var/run
serve: export DJANGO_SETTINGS_MODULE = config.settings.production
serve: export BUDDY_RUN_DIR := $(abspath $(BUDDY_RUN_DIR))
serve: install
	$(PY) manage.py check --deploy --fail-level ERROR
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	mkdir -p $(BUDDY_RUN_DIR)
	$(VENV)/bin/supervisord -c config/supervisord.conf

# webhooks: ours and the Fastify + pg peer (bench/peers/) in alternating rounds, one table
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/peers/run.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/import/run.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/recompute/run.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/matching/run.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/outbox/run.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/ui/run.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/health/run.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/api/run.py --reuse

bench-webhooks: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/peers/run.py

# the REST API under load (issue 18): bench/ui's data (generated when missing), gunicorn
bench-api: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/api/run.py --reuse
