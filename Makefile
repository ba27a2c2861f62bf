# The two commands a newcomer needs: `make run` and `make test`. Everything else serves them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: install run test lint migrate seed bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# The real Dataverse clients (dvuploader, pyDataverse) that the tests run as separate processes.
CLIENTS ?= .venv-clients
$(CLIENTS)/.installed: tests/clients-requirements.txt
	$(PYTHON) -m venv $(CLIENTS)
	$(CLIENTS)/bin/pip install --quiet --upgrade pip
	$(CLIENTS)/bin/pip install --quiet -r tests/clients-requirements.txt
	touch $@

# The demo token is chosen once and kept under var/, so `make run` shows the same one every time.
var/demo_token:
	mkdir -p var
	$(PYTHON) -c "import uuid; print(uuid.uuid4())" > $@

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate var/demo_token
	NEXUS_DEMO_TOKEN=$${NEXUS_DEMO_TOKEN:-$$(cat var/demo_token)} $(BIN)/python manage.py seed_demo

run: seed
	@token=$${NEXUS_DEMO_TOKEN:-$$(cat var/demo_token)}; \
	echo; \
	echo "Nexus Upload Server on http://127.0.0.1:$(PORT)/  (Swagger UI: /api/docs/, admin: /admin/)"; \
	echo "Demo token: $$token"; \
	echo "Try:  curl \"http://127.0.0.1:$(PORT)/api/v1/uploads/?token=$$token\""; \
	echo "Stop everything with Ctrl-C."; \
	echo; \
	NEXUS_DEMO_TOKEN=$$token exec $(BIN)/python manage.py runstack --port $(PORT)

lint: install
	$(BIN)/ruff check .
	# The check reads no secret, but the settings require one on PostgreSQL: any will do here.
	SECRET_KEY=$${SECRET_KEY:-makemigrations-check} $(BIN)/python manage.py makemigrations --check --dry-run

# tests/test_swagger_ui.py drives Debian's chromium (playwright never downloads its own browsers):
# a fresh machine's `make test` installs it first.
/usr/bin/chromium:
	$$(command -v sudo) apt-get install -y -qq chromium || \
		{ $$(command -v sudo) apt-get update -qq && $$(command -v sudo) apt-get install -y -qq chromium; }
test: /usr/bin/chromium

# The whole suite, against whatever DATABASE_URL / CELERY_BROKER_URL say (SQLite and the
# filesystem broker when unset). Tests that need PostgreSQL are deselected on SQLite, never skipped.
test: lint $(CLIENTS)/.installed
	@case "$${DATABASE_URL:-sqlite}" in postgres*) marks="" ;; *) marks="not postgres" ;; esac; \
	echo "pytest on $${DATABASE_URL:-the embedded SQLite default}"; \
	NEXUS_VAR_DIR=$${NEXUS_VAR_DIR:-var/test} $(BIN)/pytest -m "$$marks" $(PYTEST_ARGS)

# Benchmarks against PostgreSQL and Redis on 127.0.0.1 (BENCH_DATABASE_URL, BENCH_BROKER_URL) under
# gunicorn; BENCH_SCALE=small (default, under two minutes) or full; BENCH_CASES to choose cases.
# The read case's load generator is wrk, from Debian's packages.
bench: install
	@command -v wrk >/dev/null || { echo "installing wrk (Debian package)"; \
		$$(command -v sudo) apt-get install -y -qq wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }; }
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(CLIENTS) var
