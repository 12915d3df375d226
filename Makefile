# Two commands for a newcomer: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv demo test lint typecheck bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## Migrate the reference ERP into examples/terp/terp.sqlite3, seed it, print rows per table.
demo: $(STAMP)
	$(BIN)/alembic -c examples/terp/alembic.ini upgrade head
	$(BIN)/seedctl --log-format console upgrade
	$(BIN)/seedctl status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict seedlib

## Lint, types, then the whole suite with coverage (fails under 85%), in 3 processes (most
## tests wait on a database server, so 3 overlap well even on 2 cores; TEST_WORKERS=0 for one).
TEST_WORKERS ?= 3
test: lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS) --cov=seedlib --cov-report=term-missing:skip-covered

## Benchmarks against the usual ways of loading (needs the PostgreSQL and MariaDB servers):
## writes benchmarks/results/latest.{json,md}; 1,000,000 rows by default (BENCH_ARGS="--rows 200000" is quicker).
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage examples/terp/terp.sqlite3*
