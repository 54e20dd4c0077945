# The two commands of the README: `make run` (the portal, on this machine) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint install clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

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
