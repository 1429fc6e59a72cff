# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
WHEELS := $(HOME)/.cache/brief/wheels
LLAMA_VERSION := 0.3.36
INDEX ?= .brief/index
HOST ?= 127.0.0.1
PORT ?= 7860
STAMP := $(VENV)/.installed

.PHONY: setup run test index bench bench-reliability clean

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

setup: $(STAMP)

index: setup
	$(BIN)/brief ingest --index $(INDEX) data/articles

run: index
	$(BIN)/brief serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest -q -rs $(PYTEST_ARGS)

bench: index
	$(BIN)/python -m eval.bench.search
	$(BIN)/python -m eval.bench.ask

bench-reliability: setup
	BRIEF_RELIABILITY=1 $(BIN)/python -m pytest -q -rs tests/summarizer/test_pool_loopback.py

clean:
	rm -rf $(VENV) .brief
