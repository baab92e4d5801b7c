# supplywatch: `make demo` starts the service with a demo city, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SUPPLYWATCH_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: help venv demo serve test lint format pytest browser fonts bench clean

help:
	@echo "make demo   - set up, load the demo city into ./var/supplywatch.db and serve it"
	@echo "make test   - set up, lint (ruff, mypy) and run the whole suite (SQLite + PostgreSQL)"
	@echo "make serve  - serve the configured database (SUPPLYWATCH_DATABASE_URL)"
	@echo "make bench  - run the benchmarks in bench/"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP) fonts
	$(BIN)/supplywatch demo --reset

serve: $(STAMP)
	$(BIN)/supplywatch serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The browser tests drive Debian's Chromium, and pages and PDFs in Chinese need a CJK font
# (Noto Sans CJK); install what is missing when we are root (never a browser download).
# Without Chromium those tests skip and say why.
SYSTEM_PACKAGES := $(if $(wildcard /usr/bin/chromium),,chromium) \
	$(if $(wildcard /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc),,fonts-noto-cjk)
# The demo's Chinese pass and bulletin PDFs need the CJK font too (not the browser).
FONT_PACKAGES := $(if $(wildcard /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc),,fonts-noto-cjk)
fonts:
	@if [ -n "$(strip $(FONT_PACKAGES))" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's $(strip $(FONT_PACKAGES)) for the Chinese PDFs"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FONT_PACKAGES)) \
			|| echo "could not install $(strip $(FONT_PACKAGES)): the PDFs (passes, manifests, bulletins) will be refused"; \
	fi

browser:
	@if [ -n "$(strip $(SYSTEM_PACKAGES))" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's $(strip $(SYSTEM_PACKAGES)) for the browser tests and PDFs"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES)) \
			|| echo "could not install $(strip $(SYSTEM_PACKAGES)): browser tests may be skipped"; \
	fi

# The suite runs on two processes (pytest-xdist; every process makes its own databases,
# queues and ports), work-stealing so the long tests at the end do not leave one idle:
# about 30 minutes instead of 60 on this project's 2-core machines. PYTEST_WORKERS=0
# runs it in one process.
PYTEST_WORKERS ?= 2
pytest: $(STAMP) browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(if $(filter 0,$(PYTEST_WORKERS)),,--dist worksteal)

test: lint pytest

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/tickets_sla.py
	$(BIN)/python bench/bulletin_numbers.py
	$(BIN)/python bench/pdfs.py
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/upload_problems.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache *.egg-info
