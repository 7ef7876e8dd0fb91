# The two set-up commands: `make run` and `make test`. Needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install messages migrate demo bench smoke clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# Translations are compiled at build time with Babel (pure Python, no gettext needed).
messages: $(STAMP)
	$(BIN)/pybabel compile --domain django --directory locale --statistics

migrate: install messages
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py install_schedules
	$(BIN)/python manage.py load_demo

run: demo
	@echo "Serving http://127.0.0.1:8000 with a Celery worker and beat; Ctrl-C stops all."
	rm -f var/celerybeat.pid
	$(BIN)/honcho start -f Procfile.dev

test: install messages
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install messages
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/crm_bench} $(BIN)/python manage.py run_benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles

smoke: install messages
	bash .ci/smoke
