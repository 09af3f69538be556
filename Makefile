# `make serve` and `make test` set everything up themselves; see README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve test lint bench lock clean

install: $(STAMP)

# Re-installs only when the lock or the project's metadata changed. Bytecode is compiled
# here, once: where PYTHONDONTWRITEBYTECODE=1 (containers), every start would compile it.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(BIN)/pip install --quiet "uv==0.13.8"
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python --no-deps --editable .
	$(BIN)/python -m compileall -q domain projections schema workers orders
	touch $@

serve: install
	$(BIN)/orders serve --host $(HOST) --port $(PORT)

test: install lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m benchmarks

# Re-pin after editing pyproject.toml's dependencies (versions and hashes only, no index URLs).
lock: install
	$(UV) pip compile --quiet pyproject.toml --all-extras --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
