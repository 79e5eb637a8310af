# The two commands: `make run` serves the arena, `make test` runs the suite. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed

.PHONY: run test setup lint bench clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py register_demo --warm

run: setup
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py collectstatic --noinput -v 0
	scripts/serve.sh

test: setup
	$(BIN)/python -m pytest
	scripts/test_postgres.sh

lint: $(STAMP)
	$(BIN)/ruff check .

bench: setup
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf var
