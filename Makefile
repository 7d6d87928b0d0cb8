# The two commands of the README:
#   make demo   install everything, then run the server with the demo centre (SQLite)
#   make test   install everything (Chromium too), then lint, type-check and run the tests,
#               on SQLite and again on PostgreSQL (CI runs this)
# and the fast tier for every edit:
#   make check  lint, types, layers, and the unit and service tests on SQLite (no browser,
#               no real server or printer, no espeak-ng, no fuzzing), under two minutes
# Everything installs into this folder: .venv/ (Python) and node_modules/ (front end).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
# The screens' English (translations/*/LC_MESSAGES/messages.po), compiled to .mo at install.
PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install browser voice demo serve check test lint clean

install: $(PY_STAMP) $(NPM_STAMP) $(MO_FILES)

# The browser tests also hear the board's voice (espeak-ng); the SMS tests drive Gammu's
# SMS daemon on its dummy modem (gammu-smsd).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v espeak-ng >/dev/null 2>&1 && \
		command -v gammu-smsd >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-core \
			espeak-ng gammu-smsd; }

# The board's voice: espeak-ng speaks the Vietnamese clips into the instance folder
# (instance/voice/, or the voice/ folder of XEPHANG_INSTANCE); clips already there are kept.
voice: install
	@command -v espeak-ng >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq espeak-ng; }
	$(BIN)/xephang voice build

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/pybabel compile -d translations
	touch $@

# A catalog changed since the last install: compile it again.
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(PY_STAMP)
	$(BIN)/pybabel compile -d translations

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

demo: install voice
	$(BIN)/xephang serve --demo

serve: install
	$(BIN)/xephang serve

# lint-imports checks the layers' contract in .importlinter.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Markers (pyproject.toml, tests/conftest.py): `server` starts real processes (every
# browser test does), `printer` waits on a stand-in printer's timeouts, `slow` on a tool
# (espeak-ng, pip) or thousands of fuzzed requests, `anydb` does not depend on the
# database under test. pytest-xdist (-n auto) spreads in-process tests over the cores;
# tests with real servers run one at a time: they measure latencies.
check: lint
	$(BIN)/pytest -n auto -m "not server and not printer and not slow"

# SQLite: the in-process tests, then the real servers and browsers. PostgreSQL: only the
# tests that depend on the database (a database per test, made from a template); it skips
# without a server there, unless XEPHANG_REQUIRE_SERVICES is set.
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

# Each pass lists its slowest tests (--durations), so CI's log shows where its time goes.
test: lint browser voice
	$(BIN)/pytest -n auto -m "not server" --durations=10
	$(BIN)/pytest -m server --durations=15
	XEPHANG_TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -n auto -m "not anydb" --durations=10

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
