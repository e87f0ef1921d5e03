# Two commands: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
UV_VERSION := 0.13.9
# llama-cpp-python (the local-model extra) builds from source. A portable AVX2 build, not one
# tuned to the build machine: a native build segfaulted on this CI host's AVX-512/AMX CPU, and a
# cached native wheel would crash (SIGILL) on an older CPU. The setting is part of uv's cache key.
LLAMA_BUILD := --config-settings-package 'llama-cpp-python:cmake.args=-DGGML_NATIVE=OFF;-DGGML_AVX=ON;-DGGML_AVX2=ON;-DGGML_FMA=ON;-DGGML_F16C=ON'
export FR_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
# Some machines (this CI host among them) set PYTHONDONTWRITEBYTECODE=1. Then every Python process
# compiles every module it imports from source, each time: a CLI call or an evals runner process
# spent most of its start-up in compile(). Installed packages are compiled once at install time
# (--compile-bytecode); our own modules and the tests are cached on first import.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install run test lint typecheck migrations-check test-only browser lock clean

# Reinstall only when the lock file or the project metadata changed.
$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python $(LLAMA_BUILD) requirements-dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/frontier-review serve --demo

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_package_cycles.py

typecheck: install
	$(BIN)/mypy

migrations-check: install
	$(BIN)/python scripts/check_migrations.py

# The browser tests drive Debian's Chromium; install it when missing (root or sudo needed).
browser:
	@test -x /usr/bin/chromium || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y chromium >/dev/null 2>&1 || { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y chromium >/dev/null; }; }

# Three workers on the 2-core CI machine: with two, the cores were busy about 60% of the run (the
# tests wait on servers, subprocesses, Chromium and PostgreSQL); see docs/performance.md.
PYTEST_WORKERS ?= 3
test-only: install browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

test: lint typecheck migrations-check test-only

# requirements.lock: what production installs; requirements-dev.lock adds the test and lint tools
# and the local-model extra (llama-cpp-python builds from source once, then uv's cache is used).
lock: install
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra local-model --generate-hashes --python-version 3.11 -o requirements-dev.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
