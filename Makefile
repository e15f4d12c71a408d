# Two entry points: `make demo` (the main job) and `make test` (the test suite,
# after the API reference: `make docs`). Each creates the local virtual
# environment .venv when it is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.docs-installed

.PHONY: demo test test-slow lint bench clean browser docs

# An editable install leaves siting's bytecode to the first runs, and where
# PYTHONDONTWRITEBYTECODE is set every command would compile it again (~0.3 s
# CPU a command): compiled once here.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q siting
	touch $(STAMP)

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

# The API reference (docs/_build/html): Sphinx with numpydoc, every public object
# checked for its summary, parameters, returns and example; any warning fails.
docs: $(DOCS_STAMP)
	$(BIN)/sphinx-build -q -W --keep-going -b html docs docs/_build/html

demo: $(STAMP)
	$(BIN)/siting solve models/huitian-2026-2030.toml --out out/huitian-2026-2030 --report

# The report tests open pages in Debian's headless Chromium: installed here, in
# plain sight, when missing (as root with apt-get), never from inside a test.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for the report tests (apt-get)"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; \
	else \
		echo "note: chromium is missing and cannot be installed here (needs root and apt-get);"; \
		echo "      the browser tests will be skipped (they fail under CI=true)"; \
	fi

test: $(STAMP) browser docs
	$(BIN)/ruff check siting tests instances
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: $(STAMP) browser
	$(BIN)/python -m pytest -q -m slow

# lint-imports: the floors and circles of [tool.importlinter] in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check siting tests instances
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .import_linter_cache docs/_build
