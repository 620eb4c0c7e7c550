#!/usr/bin/env bash
# Runs every test suite against the build that `make build` produced, and prints each runner's closing lines.
# Exit status is non-zero when any suite fails.
set -u
cd "$(dirname "$0")/.."
VPY=.venv/bin/python
status=0
summary=()

run() {  # run NAME COMMAND...: runs a suite, keeps its last lines
  local name=$1
  shift
  echo "=== $name"
  local log
  log=$(mktemp)
  "$@" >"$log" 2>&1
  local rc=$?
  tail -n 25 "$log"
  rm -f "$log"
  if [ $rc -ne 0 ]; then
    status=1
    summary+=("FAIL $name (exit $rc)")
  else
    summary+=("ok   $name")
  fi
}

run "lint (ruff, clang-format)" bash tests/lint.sh
run "C/C++ tests (ctest)" ctest --test-dir build/py --output-on-failure
run "engine tests under ThreadSanitizer" make -s tsan
# The Python suite runs once per engine: asynchronous (default) and synchronous.
run "Python tests, ThreadedEngine" env BRAID_ENGINE_TYPE=ThreadedEngine "$VPY" -m pytest -q -p no:cacheprovider tests/python
run "Python tests, NaiveEngine" env BRAID_ENGINE_TYPE=NaiveEngine "$VPY" -m pytest -q -p no:cacheprovider tests/python
run "JavaScript tests (WebAssembly builds in Node, web page in Chromium)" make -s js-test
run "R package tests (testthat)" make -s --no-print-directory r-test

echo "=== summary"
printf '%s\n' "${summary[@]}"
exit $status
