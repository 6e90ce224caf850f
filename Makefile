# SloughGPT: `make run` serves the product, `make test` runs every test. Both set up what
# they need on a fresh machine (Python >= 3.11, Node >= 20).

PYTHON_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NPM := npm --prefix frontend
# Placeholders let schema generation load settings without reaching any server.
OFFLINE_ENV := DATABASE_URL=postgresql://offline/offline REDIS_URL=redis://offline:6379/0

.PHONY: run test venv frontend api-types chromium test-python test-frontend lint clean-var bench-deps

run: venv frontend
	$(PY) -m sloughgpt_site.devservices --var var -- $(PY) -m sloughgpt_site.launcher

test: venv frontend chromium lint test-frontend test-python

venv: $(VENV)/.installed

# torch is installed first and pinned, so pip never pulls a multi-GB CUDA build here.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	$(NPM) ci --no-audit --no-fund
	touch $@

# What the benchmarks need beyond the tests (MLflow's own server and datasketch, to compare against).
bench-deps: venv
	$(PY) -m pip install --quiet -e '.[dev,bench]'

api-types: venv frontend/node_modules/.installed
	$(OFFLINE_ENV) DJANGO_SETTINGS_MODULE=sloughgpt_site.settings.local \
		$(PY) manage.py spectacular --format openapi-json --file frontend/openapi.json
	$(NPM) run gen:api

frontend: api-types
	$(NPM) run build

test-frontend: api-types
	$(NPM) run lint
	$(NPM) run typecheck
	$(NPM) run test

# Browser tests drive Debian's Chromium; install it where we can (root with apt).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "Chromium is missing: install your distribution's chromium package for the browser tests." >&2; exit 1; \
		fi; }

test-python: venv
	$(PY) -m sloughgpt_site.devservices --var var/test -- $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check apps ml sloughgpt_site sloughgpt tests benchmarks

clean-var:
	rm -rf var/test
