# On a fresh machine with Python >= 3.11 and make: `make run`, `make check` (lint, types and the fast
# tests: under a minute), `make test` (everything, what CI runs).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
# One worker per core and one more: several tests mostly wait (pip installing into a fresh venv, a paced
# or slow target, a time limit running out), and the extra worker's runs use the core meanwhile (on 2
# cores, 3 workers took 250 s where 2 took 311 s). Tests that read one expensive run share an
# xdist_group, so that one worker makes it (--dist loadgroup); conftest.py collects the slow tiers
# first, so that the workers finish together. WORKERS=N overrides.
WORKERS ?= $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)) + 1 if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1) + 1)')
PYTEST_ARGS ?= -n $(WORKERS) --dist loadgroup
# The fast tier: no end-to-end run, no wheel build, no browser (markers: pyproject.toml, conftest.py).
FAST_TESTS := not e2e and not packaging and not browser
# The tests start many Python processes (xdist's workers; the pytest door, `apiconform run` and the
# servers in subprocesses), and each compiles what it imports, pytest's assertion rewriting of every
# pytest plugin's package (schemathesis, hypothesis, datasette) included, unless the bytecode can be
# cached. Where PYTHONDONTWRITEBYTECODE is set (as in many container images) nothing is, and each pytest
# process spends about 6 s of CPU on it: the tests then cache bytecode under the venv instead
# (PYTHONPYCACHEPREFIX), leaving the source tree as clean as the setting meant. TEST_ENV= turns it off.
ifneq ($(PYTHONDONTWRITEBYTECODE),)
TEST_ENV ?= PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(abspath $(VENV))/pycache
endif

.PHONY: run check test lint typecheck fast unit setup clean

run: $(STAMP)
	$(BIN)/apiconform run --api all $(ARGS)

check: lint typecheck fast

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools conftest.py
	$(BIN)/ruff format --check src tests bench tools conftest.py

typecheck: $(STAMP)
	$(BIN)/mypy

fast: $(STAMP)
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS) -m "$(FAST_TESTS)"

unit: $(STAMP)
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

setup: $(STAMP)

# Reinstall when the project's metadata or the pinned versions change.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "apiconform needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev,servers]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
