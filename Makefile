# Two entry points: `make run` and `make test`. Both bootstrap .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: `make run` installs only what serving needs; `make test` adds the toolchain.
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed

.PHONY: run test lint clean chromium axe locales bench

$(RUNTIME): pyproject.toml
	@echo "==> creating $(VENV) and installing opencheckout (runtime dependencies only)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --progress-bar on --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	@echo "==> installing the test and lint toolchain"
	$(BIN)/python -m pip install --progress-bar on -e '.[dev]'
	touch $(STAMP)

run: $(RUNTIME)
	@echo "==> migrating the database, creating a demo key, serving on http://127.0.0.1:8000"
	$(BIN)/opencheckout migrate
	$(BIN)/opencheckout demo
	$(BIN)/opencheckout serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# The browser tests drive Debian's Chromium (never a browser downloaded by Playwright).
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# axe-core (the accessibility checks) from the npm registry, into build/node.
AXE_VERSION := 4.14.1
axe:
	test -f build/node/node_modules/axe-core/axe.min.js || \
		npm install --prefix build/node --no-audit --no-fund axe-core@$(AXE_VERSION)

test: lint chromium axe
	$(BIN)/pytest

# Re-extract the hosted page's strings, merge them into every catalog, compile.
locales: $(STAMP)
	cd src/opencheckout/pages && ../../../$(BIN)/pybabel extract -F babel.cfg --no-location \
		--omit-header --sort-output -o locales/messages.pot . && \
	../../../$(BIN)/pybabel update -i locales/messages.pot -d locales \
		--no-fuzzy-matching --ignore-obsolete && \
	../../../$(BIN)/pybabel compile -d locales --statistics

# Benchmarks against a bare-stack baseline on SQLite and PostgreSQL (about 8 minutes on
# 2 cores); writes bench/results/. Not part of `make test`.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build
