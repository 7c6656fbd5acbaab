# `make run` serves NexusTop; `make test` runs the whole suite. Both install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Two processes for pytest-xdist: this is a two-core machine.
TEST_WORKERS ?= 2

.PHONY: run test bench clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

run: $(BIN)/.installed
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app seed
	PORT=$(PORT) bin/serve

test: $(BIN)/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: $(BIN)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
