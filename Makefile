# The two commands of the README: `make run` (the portal, on this machine) and `make test`.
# Python 3.11 (Django 5.2 and the pinned wheels): PYTHON=/path/to/python3.11 to choose one,
# otherwise the first of python3.11, python3 and python on the PATH that is 3.11.
is_311 = $(shell $(1) -c 'import sys; print(sys.version_info[:2] == (3, 11))' 2>/dev/null)
PYTHON ?= $(firstword $(foreach candidate,python3.11 python3 python,$(if $(filter True,$(call is_311,$(candidate))),$(candidate))))
PYTHON_311 = $(if $(filter True,$(call is_311,$(PYTHON))),$(PYTHON),$(error Policy Portal needs Python 3.11 \
  but $(if $(PYTHON),$(PYTHON) is not 3.11,no python3.11 or python3 or python on the PATH is 3.11). Install \
  Python 3.11 or run make with PYTHON=/path/to/python3.11))
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint install clean load

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON_311) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## axe-core (package.json) for the accessibility tests and Bluesky's PDS for the integration tests;
## npm ci runs again when package-lock.json changes (it compiles better-sqlite3: g++ and make).
install: $(VENV)/.installed
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "npm not found: the accessibility and Bluesky tests need it (apt-get install nodejs npm g++ make), then make install"; \
	elif [ ! node_modules/.package-lock.json -nt package-lock.json ]; then \
		npm ci --no-audit --no-fund; \
	fi

## Web server, Celery worker and beat on SQLite with the demo school. Ctrl-C stops all.
run: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py runportal

## The whole suite, browser journeys included (they need Debian's chromium: apt-get install chromium).
test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) var

## The load test (loadtest/): staff signed in at once against gunicorn and a scratch PostgreSQL
## database, with a table of each page's median and 95th percentile. LOAD_DATABASE_URL and
## LOAD_REDIS_URL say where; the CI smoke is `make load LOAD_USERS=5 LOAD_TIME=20s`.
LOAD_USERS ?= 100
LOAD_TIME ?= 3m
load: $(VENV)/.installed
	$(PY) loadtest/run.py --users $(LOAD_USERS) --time $(LOAD_TIME)
