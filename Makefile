# Two commands on a fresh machine with Python 3.11+:
#   make demo   - create .venv, install, run the whole pipeline on the embedded broker and SQLite
#   make test   - create .venv, install with the dev tools, run the full test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LEADS ?= 200
PYTEST_ARGS ?=

.PHONY: demo test check lint format typecheck install clean

$(BIN)/handoff: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/handoff

demo: install
	$(BIN)/handoff demo --leads $(LEADS)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

CODE := streams schemas sinks tests bench

# What CI runs before the tests: lint, format and strict types over all the code.
check: lint typecheck
	$(BIN)/ruff format --check $(CODE)

lint: install
	$(BIN)/ruff check $(CODE)

format: install
	$(BIN)/ruff format $(CODE)

typecheck: install
	$(BIN)/mypy $(CODE)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache handoff-demo.db* .handoff
