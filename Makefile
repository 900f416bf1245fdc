# Two commands a newcomer needs: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test test-fast lint bench browser-deps reference clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless false

# Debian's chromium drives the browser tests and Plotly's static export; strace proves in a test
# that an export sends nothing off the machine.
BROWSER_DEPS := chromium strace
browser-deps:
	@missing=""; for p in $(BROWSER_DEPS); do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing:$$missing - install Debian's packages (sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) browser-deps lint
	$(BIN)/python -m pytest

test-fast: $(STAMP) lint
	$(BIN)/python -m pytest -m "not browser and not slow"

bench: $(STAMP)
	$(BIN)/python -m bench

# R's golden outputs (tests/reference/out/*.csv) from every script in tests/reference/ (common.R
# is their shared helper). Needs R with the survival package: apt-get install r-base-core
# r-cran-survival. The test suite itself only reads the saved CSVs.
reference:
	@command -v Rscript >/dev/null 2>&1 || { echo "Rscript not found: apt-get install r-base-core r-cran-survival"; exit 1; }
	@for script in tests/reference/*.R; do \
	  [ "$$script" = tests/reference/common.R ] && continue; \
	  echo "Rscript $$script"; Rscript "$$script" || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .benchmarks test-output
