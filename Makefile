# The two commands: `make demo` (set up, then show seedlock working) and `make test` (set up, then test).
# Both install everything they need on a fresh Debian 12 machine and are safe to re-run.
VENV ?= .venv
PY := $(VENV)/bin/python
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0

.PHONY: setup demo test test-python test-r bench sync-spec generate vectors

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh

test: setup
	@bash scripts/test.sh

bench: setup
	$(PY) bench/run.py

test-python:
	$(PY) -m pytest

sync-spec:
	python3 scripts/sync_spec.py

generate:
	python3 spec/tools/generate_from_registry.py
	python3 scripts/sync_spec.py

vectors:
	python3 spec/tools/generate_from_registry.py
	python3 spec/tools/generate_vectors.py
	python3 scripts/sync_spec.py
