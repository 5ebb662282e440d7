# Two entry points (see README): `make compare` and `make test`. Each builds the virtual
# environment first if it is missing or older than pyproject.toml: `make compare` needs only
# the core (`pip install -e .`), `make test` and `make lint` add the dev extra (every extra,
# pytest, playwright, ruff).
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
CORE := $(VENV)/.installed-core
DEV := $(VENV)/.installed-dev

.PHONY: setup compare test lint bench app clean

$(CORE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(CORE)

$(DEV): $(CORE)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV)

## the full development environment (what `make test` uses)
setup: $(DEV)

## compare the bundled scenarios with replicates; prints the table, writes results/compare/
## (results/compare-2/ ... when earlier results are there: nothing is overwritten)
compare: $(CORE)
	$(BIN)/landsim compare scenarios/*.toml

## the whole test suite (browser tests skip without Chromium unless CI=true)
test: $(DEV)
	$(BIN)/python -m pytest -q

## ruff, at the version pinned in pyproject.toml (CI runs `make lint test`)
lint: $(DEV)
	$(BIN)/ruff check landsim tests

bench: $(CORE)
	$(BIN)/landsim bench

app: $(CORE)
	$(BIN)/landsim app

clean:
	rm -rf $(VENV) results .pytest_cache
