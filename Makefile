# The two commands: `make run` and `make test` (README.md). Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test faults bench lint messages screenshots venv clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

.env:
	cp .env.example .env

run: $(STAMP) .env
	$(BIN)/python scripts/dev_keys.py
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_demo_users
	@if [ "$(DEMO)" = "1" ]; then $(BIN)/python manage.py load_demo_data; fi
	PORT=$(PORT) bash scripts/run.sh

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Worker kills, broker and database outages, a misbehaving SMTP server: real processes on
# private PostgreSQL and Redis servers started on free ports (never the machine's own).
faults: $(STAMP)
	$(BIN)/python -m pytest -m faults tests/faults $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Every main page at 1366 and 390 px into docs/screenshots/ (Playwright + /usr/bin/chromium;
# a throw-away database with demo data, nothing else is touched).
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

# Regenerate and compile the translations (needs GNU gettext).
messages: $(STAMP)
	DJANGO_SETTINGS_MODULE=tempostar.settings_test $(BIN)/python manage.py makemessages --no-wrap -l ja -l en --ignore=.venv --ignore=var
	touch locale/*/LC_MESSAGES/django.po
	DJANGO_SETTINGS_MODULE=tempostar.settings_test $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
