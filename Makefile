# salesmkt: `make run` starts the app with demo data, `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint format messages translations migrate demo worker beat check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/python manage.py compile_translations

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py load_demo

run: translations demo
	@echo ""
	@echo "  salesmkt runs at http://$(HOST):$(PORT)/  (API docs: /api/docs/, admin: /admin/)"
	@echo "  Demo login: demo / demo"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: translations
	$(BIN)/python -m pytest -p no:cacheprovider -m "not benchmark" $(PYTEST_ARGS)

# The benchmarks need PostgreSQL (the baselines' raw psycopg2 rows, gunicorn on the test
# database): DATABASE_URL when set, else BENCH_DATABASE_URL. pytest-django creates and drops its
# own test_<name> database on that server. The run is saved to .benchmarks/last.json and the
# README's performance section is rewritten from it.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/salesmkt
BENCH_JSON := .benchmarks/last.json

bench: translations
	mkdir -p $(dir $(BENCH_JSON))
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_DATABASE_URL)}" \
		$(BIN)/python -m pytest -p no:cacheprovider -m benchmark tests/benchmarks \
		--ds=tests.benchmarks.settings --benchmark-only \
		--benchmark-columns=min,median,mean,max,ops,rounds --benchmark-sort=name \
		--benchmark-json=$(BENCH_JSON) $(PYTEST_ARGS)
	$(BIN)/python -m tests.benchmarks.report --json $(BENCH_JSON) --readme README.md

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Extract translatable text into locale/*/LC_MESSAGES/django.po (needs GNU gettext's xgettext).
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l nb -l nl -l sv --ignore=.venv --ignore=static --no-obsolete

worker: $(STAMP)
	$(BIN)/celery -A salesmkt worker --loglevel=info

beat: $(STAMP)
	$(BIN)/celery -A salesmkt beat --loglevel=info

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache
