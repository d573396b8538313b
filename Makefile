# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint openapi bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/dimqa serve

lint: $(VENV)/.installed-test
	$(BIN)/ruff check app tests bench migrations
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q -n auto

openapi: $(VENV)/.installed
	$(BIN)/python -m app.cli.openapi
	$(BIN)/python -m app.api.access_matrix > docs/access.md
	$(BIN)/python -m app.api.access_matrix --readme README.md

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
