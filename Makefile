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

bench: translations
	$(BIN)/python -m pytest -p no:cacheprovider -m benchmark tests/benchmarks \
		--benchmark-only --benchmark-columns=min,median,mean,max,ops,rounds \
		--benchmark-sort=name $(PYTEST_ARGS)

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
