# attribtui: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: bytecode demo test test-unit test-functional test-ui lint bench services mariadb memcached clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(MAKE) --no-print-directory bytecode
	touch $(STAMP)

## Compile our modules ahead: an editable install leaves them to be compiled at every start when
## PYTHONDONTWRITEBYTECODE is set (about 0.15 s of the console's first paint). Quick when current.
bytecode:
	$(BIN)/python -m compileall -q attribtui screens

## Open the console on the embedded demo (SQLite sandbox with planted defects).
demo: $(STAMP) bytecode
	$(BIN)/attribtui demo

## Set up and run the whole test suite against the real MariaDB and memcached.
test: lint services
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

test-functional: $(STAMP) services
	$(BIN)/python -m pytest -q tests/functional

test-ui: $(STAMP) services
	$(BIN)/python -m pytest -q tests/ui

## Static checks: style (ruff), types (mypy --strict on attribtui/), layers (import-linter).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP) services bytecode
	$(BIN)/python bench/run_all.py

services: mariadb memcached

## MariaDB on 127.0.0.1:3306 (user root, empty password) normally runs already; start it if not.
mariadb:
	@bash .ci/ensure-services mariadb

## memcached on 127.0.0.1:11211: installed with apt-get and started when missing.
memcached:
	@bash .ci/ensure-services memcached

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
