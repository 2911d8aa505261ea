# The two commands a new machine needs:
#   make demo   set up everything (venv, packages, Delta jars) and run the demo
#   make test   set up everything and run the test suite (what .ci/run runs)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
DEMO_DIR ?= demo

.PHONY: setup demo test lint typecheck bench clean

setup: $(VENV)/.installed $(VENV)/.jars

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet -p $(PY) -r requirements.lock
	$(VENV)/bin/uv pip install --quiet -p $(PY) --no-deps -e .
	$(PY) -c "import pyspark, delta, great_expectations, airflow; print('installed: pyspark', pyspark.__version__, '| airflow', airflow.__version__)"
	touch $@

# Delta's JVM jars, resolved from Maven Central once into a cache outside the
# checkout (see lib/runtime/session.py); later runs need no network.
$(VENV)/.jars: $(VENV)/.installed lib/runtime/session.py lib/contract/deploy.py
	$(PY) -m lib.runtime.session fetch-jars
	touch $@

demo: setup
	$(PY) -m jobs.demo --out $(DEMO_DIR)

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

bench: setup
	$(PY) -m jobs.benchmark

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
