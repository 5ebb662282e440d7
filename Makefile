# Two entry points (see README): `make compare` and `make test`. Both build the virtual
# environment first if it is missing or older than pyproject.toml.
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup compare test lint bench app clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## compare the bundled scenarios with replicates; prints the table, writes results/compare/
## (results/compare-2/ ... when earlier results are there: nothing is overwritten)
compare: $(STAMP)
	$(BIN)/landsim compare scenarios/*.toml

## the whole test suite (browser tests skip without Chromium unless CI=true)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## ruff, at the version pinned in pyproject.toml (CI runs `make lint test`)
lint: $(STAMP)
	$(BIN)/ruff check landsim tests

bench: $(STAMP)
	$(BIN)/landsim bench

app: $(STAMP)
	$(BIN)/landsim app

clean:
	rm -rf $(VENV) results .pytest_cache
