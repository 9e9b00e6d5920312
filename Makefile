# Custos: the two commands are `make run` and `make test` (see README.md).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test bench lock clean check

# The virtual environment, rebuilt whenever the pinned list changes.
$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Custos needs Python 3.11 or newer, but '$(PYTHON)' is: $$(command -v $(PYTHON) >/dev/null && $(PYTHON) --version 2>&1 || echo 'not found')." >&2; \
		echo "Install python3.11 (with venv) and run: make PYTHON=python3.11 ..." >&2; \
		exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --quiet -r requirements.lock
	@touch $@

# Migrate, load the demo data (idempotent), then serve: web, worker and beat until Ctrl-C.
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py run_stack

# The import contracts (pyproject.toml [tool.importlinter], docs/architecture.md), then the whole
# suite on the current profile. pytest's exit 5 (no test collected) fails too.
test: $(STAMP)
	@$(BIN)/lint-imports --no-cache || { \
		echo "make test: an import breaks the layering of docs/architecture.md (contracts above); move the code to the layer it belongs to." >&2; \
		exit 1; }
	@$(BIN)/pytest $(PYTEST_ARGS) || { status=$$?; \
		if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests, which counts as a failure." >&2; fi; \
		exit $$status; }

# Benchmarks on PostgreSQL (see bench/README.md): seed a database, print each figure against its baseline.
bench: $(STAMP)
	@if [ -f bench/run.py ]; then $(BIN)/python bench/run.py; else echo "no benchmarks yet"; fi

# Django's system checks, and no model change left without its migration.
check: $(STAMP)
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# Regenerate requirements.lock from a fresh venv of pyproject.toml's dependencies plus the dev extra.
LOCK_VENV := .lock-venv
lock:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "make lock needs Python 3.11 or newer (PYTHON=$(PYTHON))." >&2; exit 1; }
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > $(LOCK_VENV)/requirements.in
	$(LOCK_VENV)/bin/pip install --disable-pip-version-check --quiet -r $(LOCK_VENV)/requirements.in
	{ echo "# Pinned versions of everything pyproject.toml asks for (runtime and dev). Regenerate with: make lock"; \
	  $(LOCK_VENV)/bin/pip freeze --disable-pip-version-check | LC_ALL=C sort -f -t= -k1,1; } > requirements.lock.new
	mv requirements.lock.new requirements.lock
	rm -rf $(LOCK_VENV)

# Remove the virtual environment and caches. var/ (database, development keys) is kept.
clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache test-results var/staticfiles
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +
	@echo "Kept var/ (database, development keys, broker); delete it by hand to start from nothing."
