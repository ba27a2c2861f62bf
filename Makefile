# The two commands a newcomer needs: `make run` and `make test`. Everything else serves them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: install run test lint lock lock-check migrate seed bench clean

# Installs come from the hashed locks in requirements/ (compiled by uv, in pip-tools' format; `make lock`):
# dev.txt for .venv (the server with its dev extras), server.txt for an image, clients.txt for .venv-clients.
# uv installs them (about ten times faster than pip here); it comes first, itself checked against dev.txt's hashes.
$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	awk '/^uv==/{p=1} p{print} p&&!/\\$$/{exit}' requirements/dev.txt | $(BIN)/pip install --quiet --require-hashes -r /dev/stdin

$(BIN)/.installed: requirements/dev.txt pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes requirements/dev.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

install: $(BIN)/.installed

# The real Dataverse clients (dvuploader, pyDataverse) that the tests run as separate processes.
CLIENTS ?= .venv-clients
$(CLIENTS)/.installed: requirements/clients.txt | $(BIN)/uv
	$(PYTHON) -m venv $(CLIENTS)
	$(BIN)/uv pip sync --quiet --python $(CLIENTS)/bin/python --require-hashes requirements/clients.txt
	touch $@

# `make lock` compiles the locks again from pyproject.toml and tests/clients-requirements.txt, keeping every pin
# they still allow; `make lock LOCK_ARGS=--upgrade` (or `LOCK_ARGS="-P django"`) moves pins on. The target is
# Python 3.11 on Linux x86_64; server.txt takes dev.txt's versions, so the image runs what the tests ran.
LOCK_ARGS ?=
UV_COMPILE = $(CURDIR)/$(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" $(LOCK_ARGS)
compile-locks = cd $(1) && \
	$(UV_COMPILE) pyproject.toml --extra dev -o requirements/dev.txt && \
	$(UV_COMPILE) pyproject.toml -c requirements/dev.txt -o requirements/server.txt && \
	$(UV_COMPILE) tests/clients-requirements.txt -o requirements/clients.txt

lock: | $(BIN)/uv
	$(call compile-locks,.)

# Stale locks fail `make lint`: compiled again in a scratch copy, their pins and dependency annotations must be
# what is committed. Hash lines are left out of the comparison: a wheel uploaded later for a pinned version adds
# one without anything here having changed.
lock-check: | $(BIN)/uv
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && mkdir -p "$$tmp/tests" "$$tmp/old" && \
	cp -r pyproject.toml requirements "$$tmp/" && cp tests/clients-requirements.txt "$$tmp/tests/" && \
	{ $(call compile-locks,"$$tmp"); } || exit 1; \
	cd "$(CURDIR)" && for f in dev server clients; do \
		sed -e '/--hash=/d' -e 's/ \\$$//' requirements/$$f.txt > "$$tmp/old/$$f.txt"; \
		sed -e '/--hash=/d' -e 's/ \\$$//' "$$tmp/requirements/$$f.txt" > "$$tmp/old/$$f.new"; \
		diff -u --label requirements/$$f.txt --label "compiled now" "$$tmp/old/$$f.txt" "$$tmp/old/$$f.new" || stale=1; \
	done; \
	if [ -n "$${stale:-}" ]; then echo "requirements/ is stale against pyproject.toml or tests/clients-requirements.txt: run make lock"; exit 1; fi; \
	echo "requirements/ matches pyproject.toml and tests/clients-requirements.txt"

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

lint: install lock-check
	$(BIN)/ruff check .
	# The check reads no secret, but the settings require one on PostgreSQL: any will do here.
	SECRET_KEY=$${SECRET_KEY:-makemigrations-check} $(BIN)/python manage.py makemigrations --check --dry-run

# tests/test_swagger_ui.py drives Debian's chromium (playwright never downloads its own browsers):
# a fresh machine's `make test` installs it first.
/usr/bin/chromium:
	$$(command -v sudo) apt-get install -y -qq chromium || \
		{ $$(command -v sudo) apt-get update -qq && $$(command -v sudo) apt-get install -y -qq chromium; }
test: /usr/bin/chromium

# tus-js-client, which the resumable-upload tests run under Node (tests/js, from its lock).
JS_CLIENTS = tests/js/node_modules/.installed
$(JS_CLIENTS): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@
test: $(JS_CLIENTS)

# The whole suite, against whatever DATABASE_URL / CELERY_BROKER_URL say (SQLite and the
# filesystem broker when unset). Tests that need PostgreSQL are deselected on SQLite, never skipped; tests of
# the embedded stack itself (it ignores DATABASE_URL) run once, in the SQLite pass.
test: lint $(CLIENTS)/.installed
	@case "$${DATABASE_URL:-sqlite}" in postgres*) marks="not embedded" ;; *) marks="not postgres" ;; esac; \
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
