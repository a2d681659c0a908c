# BankOps: the two commands a newcomer needs are `make run` and `make test`.
# Everything runs inside .venv; with no DATABASE_URL / REDIS_URL it uses SQLite and eager Celery.

PYTHON_SYSTEM ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Local development runs with DEBUG on (and so the development SECRET_KEY); production sets its own.
export DEBUG ?= true

.PHONY: run test lint format install migrate seed messages migrations-check ci worker beat clean

$(PY):
	@command -v $(PYTHON_SYSTEM) >/dev/null 2>&1 || { echo "Python 3.11 is needed (looked for $(PYTHON_SYSTEM); set PYTHON_SYSTEM=…)"; exit 1; }
	$(PYTHON_SYSTEM) -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# The first run rolls up the demo's last week, then serves it while `seed_demo --rest` rolls up the
# earlier days and evaluates the alerts in the background (stopped with the server; the next run goes
# on from where it stopped). A later run finds the demo seeded and starts in seconds. seed_demo prints
# the demo logins.
run: migrate
	$(PY) manage.py seed_demo --recent-first
	@$(PY) manage.py seed_demo --rest & rest=$$!; \
	trap 'kill $$rest 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# Two processes (pytest-xdist), one per core of CI's machine, each with its own test database and Redis
# database (tests/conftest.py), each running whole files (loadfile), so a module's shared data
# (tests/shared_data.py) is made once, the slowest files first (tests/conftest.py SLOW_FILES_FIRST; the
# 30 slowest items are printed at the end to keep that list true). TEST_WORKERS=0: this process alone.
TEST_WORKERS ?= 2
# Bytecode written even where the environment says not to (PYTHONDONTWRITEBYTECODE, set on this project's
# machines): without it each test process compiles the project and rewrites every test module's asserts
# again on every run (collection 20 s → 8.5 s a process from the second run on).
test: install
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=30

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Translations (needs GNU gettext: apt-get install gettext). The compiled .mo files are committed, so a
# checkout shows Chinese without gettext; run this after adding or changing a translatable string,
# translate the new msgids in locale/zh_Hans/LC_MESSAGES/django.po, then run it again and commit both.
MESSAGES_IGNORE := --ignore=.venv --ignore=staticfiles --ignore=bench --ignore=tests

messages: install
	$(PY) manage.py makemessages -l zh_Hans $(MESSAGES_IGNORE)
	$(PY) manage.py compilemessages -l zh_Hans $(MESSAGES_IGNORE)

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

worker: install
	$(VENV)/bin/celery -A bankops worker -l info

beat: install
	$(VENV)/bin/celery -A bankops beat -l info

ci: lint migrations-check test

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles
