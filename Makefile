# The README's two commands: `make run` and `make test`. Each creates .venv and installs into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --quiet --disable-pip-version-check
QUESTION ?= How do I stretch my mid back?
# Installed without their dependency pins (spacy<3.8 on Python 3.11); see pyproject.toml.
MEDSPACY := medspacy==1.3.1 PyRuSH==1.0.13

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run ask test install install-test chromium axe postgres index lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first, pinned to the machine's CPU wheel, so nothing later pulls a CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install torch==2.13.0
	$(PIP) install -e .
	$(PIP) install --no-deps $(MEDSPACY)
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian's Chromium for the browser tests (Playwright's own browser download does not work here).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL for the replica tests (tests/postgres.py runs a throwaway server on 127.0.0.1 in a temporary
# folder; it does not use the system's cluster).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# axe-core for the browser tests' accessibility checks, from tests/js/package-lock.json (only if missing).
AXE := tests/js/node_modules/axe-core/axe.min.js
$(AXE):
	cd tests/js && npm ci --no-audit --no-fund --silent
axe: $(AXE)

# Builds the index if it is missing or out of date; embeds nothing when it is current.
index: install
	$(BIN)/backstretch ingest

# Set-up, then the web page on http://127.0.0.1:7860 (HOST= and PORT= to change).
run: index
	$(BIN)/backstretch serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

ask: index
	$(BIN)/backstretch ask "$(QUESTION)"

# lint first, so CI (which runs `make test`) checks style and types too
test: lint chromium axe postgres
	$(BIN)/python -m pytest

# ruff on the package and tests; mypy on the package (its settings and the files it checks are in pyproject.toml)
lint: install-test
	$(BIN)/ruff check assistant tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache tests/js/node_modules
