# The two commands a new machine needs:
#   make demo   set up everything (venv, packages, Delta jars) and run the demo
#   make test   set up everything and run the test suite (what .ci/run runs)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
DEMO_DIR ?= demo

.PHONY: setup jvm-archive browser demo test lint typecheck bench screenshot clean

setup: $(VENV)/.installed $(VENV)/.jars

# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on the
# machines here) Python never caches it, and every job process, Airflow task and
# Spark worker would compile its imports again (great_expectations alone: 18 s
# instead of 7). Python reads a .pyc it did not write; a stale one is ignored.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet -p $(PY) --compile-bytecode -r requirements.lock
	$(VENV)/bin/uv pip install --quiet -p $(PY) --no-deps -e .
	$(PY) -c "import pyspark, delta, great_expectations, airflow; print('installed: pyspark', pyspark.__version__, '| airflow', airflow.__version__)"
	touch $@

# Delta's JVM jars, resolved from Maven Central once into a cache outside the
# checkout (see lib/runtime/session.py), and the JVM parse compiled beside them
# with javac (lib/ingest/fastparse.py); later runs need no network.
$(VENV)/.jars: $(VENV)/.installed lib/runtime/session.py lib/contract/deploy.py lib/ingest/fastparse.py lib/ingest/java/NarrowFields.java
	$(PY) -m lib.runtime.session fetch-jars
	touch $@

# The local JVM's class archive (lib/runtime/jvm_archive.py): every later job process
# maps the classes it would otherwise load from the jars, some 8 s of each cold start.
# About two minutes to build, so the suite and the benchmark build it and the demo (one
# process) does not wait for it. The command itself knows whether the archive for this
# JDK, pyspark and jar set exists (a few seconds when it does).
jvm-archive: setup
	$(PY) -m jobs.jvm_archive

# The page's browser tests drive Debian's chromium (browsers cannot be downloaded
# here): installed where this user may (root, apt), else those tests skip and say why.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    { apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
	      { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; }; }; } || \
	  echo "chromium is not installed and could not be: the browser tests will skip"

demo: setup
	$(PY) -m jobs.demo --out $(DEMO_DIR)

# The suite, then what it proved: pytest prints its 15 slowest tests and its total time,
# coverage the lines and branches of lib/, jobs/ and airflow_dags/ it ran, in every
# process. `.venv/bin/python -m tests.suite_summary --modules` prints each module's seconds.
# Two pytest workers (pytest-xdist), each generated world's modules on one worker and
# every other module whole on one (WORLDS in tests/conftest.py): 21 to 23 minutes here (stop 44; 25 to 27 at stop 43, 23 to 36 at stops 40 to 42; 47 at
# the round's start with one; docs/maintainers.md#the-suites-time). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: jvm-archive browser
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --cov --cov-report= --junitxml=.suite.xml $(PYTEST_ARGS)
	$(PY) -m tests.suite_summary

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

bench: jvm-archive
	$(PY) -m jobs.benchmark_small
	$(PY) -m jobs.benchmark
	$(PY) -m jobs.calibrate_release_day

# The README's picture of the page (docs/release-health.png), from the demo's last night.
screenshot: browser
	test -d $(DEMO_DIR)/warehouse/release_health || $(MAKE) demo
	$(PY) -m jobs.screenshot --pages $(DEMO_DIR)/warehouse/release_health --out docs/release-health.png

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* .suite.xml
