# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint lock openapi bench clean native

# Each long step says what it does first: pip and mypyc are quiet for minutes.
$(BIN)/python:
	@echo "dimqa: creating the virtualenv $(VENV) ($(PYTHON))"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip

# The versions are those of constraints.txt, tested together (make lock refreshes them).
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	@echo "dimqa: installing dimqa and its dependencies into $(VENV) (pip, a few minutes the first time)"
	@$(BIN)/pip install --quiet -c constraints.txt -e '.[native]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	@echo "dimqa: installing dimqa, its dependencies and the test tools into $(VENV) (pip, a few minutes the first time)"
	@$(BIN)/pip install --quiet -c constraints.txt -e '.[native,test]'
	@touch $(VENV)/.installed $@

# The newest releases pyproject.toml admits, written to constraints.txt: run `make test` after it
# and commit both only when it passes.
lock: | $(BIN)/python
	@$(BIN)/pip install --quiet --upgrade --upgrade-strategy eager -e '.[native,test]'
	@{ sed -n '/^#/p' constraints.txt; $(BIN)/pip freeze --exclude-editable; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt
	@touch $(VENV)/.installed $(VENV)/.installed-test

# The hot ingestion modules compiled with mypyc (tools/build_native.py, the list in app/core/compiled.py); a no-op when current, and
# interpreted (slower, same results) where no C compiler is found.
native: $(VENV)/.installed
	@$(BIN)/python -m tools.build_native build

run: native
	@echo "dimqa: starting the service (migrations, then the demo year on first start; Ctrl-C stops it)"
	@$(BIN)/dimqa serve

lint: $(VENV)/.installed-test native
	@echo "dimqa: ruff and mypy"
	@$(BIN)/ruff check app tests bench migrations tools
	@$(BIN)/mypy

test: lint
	@if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then \
		echo "dimqa: the web interface's browser tests (tests/web/test_browser.py) run in headless Chromium"; \
	else \
		echo "dimqa: NO CHROMIUM: the web interface's browser tests (tests/web/test_browser.py) are SKIPPED (apt-get install chromium; .ci/run installs it)"; \
	fi
	@echo "dimqa: the test suite (pytest on every core, a few minutes)"
	@$(BIN)/python -m pytest -q -n auto

openapi: native
	$(BIN)/python -m app.cli.openapi
	$(BIN)/python -m app.api.access_matrix > docs/access.md
	$(BIN)/python -m app.api.access_matrix --readme README.md

bench: $(VENV)/.installed-test native
	$(BIN)/python -m bench.run_all

clean:
	find app -name '*.so' -delete
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache app/native-manifest.json
