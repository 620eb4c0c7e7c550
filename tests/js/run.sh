#!/usr/bin/env bash
# `make js-test`: the JavaScript package's tests with both WebAssembly builds, then the end-to-end browser test
# and the TypeScript declarations check. Needs bindings/js/dist (make js-build), demo_out/ (make js-demo-model)
# and tests/js/node_modules (make js-deps). Ends with one "N passed, N failed" line over all runs.
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0
status=0
run() {  # run LABEL [ENV=VALUE...] FILES...: one node --test process; adds its counts
  local label=$1
  shift
  local log
  log=$(mktemp)
  echo "--- $label"
  env "$@" >"$log" 2>&1
  local rc=$?
  grep -E "^not ok|^# (pass|fail)" "$log"
  if [ $rc -ne 0 ]; then
    status=1
    grep -vE "^ *(---|\.\.\.|duration_ms|type:)" "$log" | grep -A25 "^not ok" | head -80
  fi
  local p f
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)
  passed=$((passed + ${p:-0}))
  # A run that died before reporting counts as one failure.
  failed=$((failed + ${f:-1}))
  rm -f "$log"
}
run "bindings/js, SIMD build (auto)" BRAID_JS_VARIANT=auto node --test bindings/js/test/*.test.mjs
run "bindings/js, plain build" BRAID_JS_VARIANT=plain node --test bindings/js/test/*.test.mjs
run "web example in headless Chromium; TypeScript declarations" node --test tests/js/*.test.mjs
echo "$passed passed, $failed failed"
exit $status
