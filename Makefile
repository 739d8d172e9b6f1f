# riskreg: the two commands of the README, plus a few helpers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
# make test PYTEST_ARGS="-m 'not browser'" skips the browser journeys
PYTEST_ARGS ?=
# the suite runs on every core (pytest-xdist, whole files per worker); PYTEST_WORKERS=0 for one process
PYTEST_WORKERS ?= auto

# make bench BENCH_ARGS="--sizes 1000 --runs 20" for a quick look; BENCH_ARGS=--load for the mixed load
BENCH_ARGS ?=

.PHONY: run test install install-dev lint bench screenshots clean messages translations

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# Front-end packages pinned in package-lock.json: the cartesian Plotly bundle the dashboard serves
# (without npm the dashboard falls back to the plotly package's full bundle) and, for the tests, axe-core.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --omit=dev --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the dashboard serves the plotly package's full bundle"; fi
node_modules/.installed-dev: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@ node_modules/.installed

# The pages' files with Brotli and gzip copies (riskreg/assets), rebuilt when one of them changes.
ASSETS := instance/assets/manifest.json
$(ASSETS): $(VENV)/.installed node_modules/.installed $(shell find riskreg/static -type f)
	$(FLASK) assets build

# Translations (Flask-Babel): the catalogues' sources (.po) are committed, their compiled .mo files
# are built here. `make messages` extracts the strings again and updates every catalogue.
LOCALES := fr es pt
CATALOGUES := $(foreach locale,$(LOCALES),riskreg/translations/$(locale)/LC_MESSAGES/messages.mo)
riskreg/translations/%/LC_MESSAGES/messages.mo: riskreg/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel --quiet compile -l $* -i $< -o $@
translations: $(CATALOGUES)

messages: $(VENV)/.installed-dev
	$(BIN)/python -m riskreg.i18n.catalogues

install: $(VENV)/.installed $(ASSETS) translations
install-dev: $(VENV)/.installed-dev node_modules/.installed-dev translations

run: install
	$(FLASK) db upgrade
	$(FLASK) risks rerank
	$(FLASK) seed demo --if-empty
	$(FLASK) seed demo-logins
	@# The jobs worker runs beside the web server; Ctrl-C (or the server ending) stops both.
	$(FLASK) jobs worker & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The README tour's screenshots at 1400 px and 390 px, from a demo server on loopback (Chromium)
screenshots: install-dev
	$(BIN)/python bench/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache node_modules
