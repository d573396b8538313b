# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint openapi bench clean native

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[native]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[native,test]'
	touch $(VENV)/.installed $@

# The hot ingestion modules compiled with mypyc (app/core/native.py); a no-op when current, and
# interpreted (slower, same results) where no C compiler is found.
native: $(VENV)/.installed
	$(BIN)/python -m app.core.native build

run: native
	$(BIN)/dimqa serve

lint: $(VENV)/.installed-test native
	$(BIN)/ruff check app tests bench migrations
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q -n auto

openapi: native
	$(BIN)/python -m app.cli.openapi
	$(BIN)/python -m app.api.access_matrix > docs/access.md
	$(BIN)/python -m app.api.access_matrix --readme README.md

bench: $(VENV)/.installed-test native
	$(BIN)/python -m bench.run_all

clean:
	find app -name '*.so' -delete
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache app/native-manifest.json
