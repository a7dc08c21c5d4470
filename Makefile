# Two entry points for a fresh machine: `make run` and `make test`.
# Each creates the virtual environment in .venv and installs what it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PORT   ?= 8501

.PHONY: run test lint bench bench-scale clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hearback serve --demo --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_demo.py --inputs 1000000

# The dashboards at a million inputs against their baselines (SQLite; PostgreSQL too when
# TEST_DATABASE_URL is set). The first run builds the databases; later runs reuse them.
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/bench_scale.py --inputs 1000000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
