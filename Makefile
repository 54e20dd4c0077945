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

## axe-core (package.json) for the accessibility tests; npm ci runs again when package-lock.json changes.
install: $(VENV)/.installed
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "npm not found: the accessibility tests need it (apt-get install nodejs npm), then make install"; \
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
