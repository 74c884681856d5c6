# Two commands: `make demo` and `make test`. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
DEPS   := pyproject.toml constraints.txt
DATA   ?= ../shared/data

.PHONY: demo test lint format bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip==26.0.1 || true

$(VENV)/.installed: $(BIN)/python $(DEPS)
	$(PIP) install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed $(DEPS)
	$(PIP) install --quiet -c constraints.txt -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/epicommons demo

# loadscope: a module's tests on one worker, so its hub and assessment fixtures are built once
# (with the default spread over both workers each built them: 12.8 min instead of about 14)
test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/python -m pytest -n 2 --dist loadscope $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

format: $(VENV)/.installed-test
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run_all.py

# Both screenshot scripts need the test extras (Playwright, httpx) and Debian's chromium.
screenshots: $(VENV)/.installed-test
	$(BIN)/python scripts/screenshots.py --out docs/screenshots
	$(BIN)/python scripts/report_screenshots.py --data $(DATA) --out docs/screenshots

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
