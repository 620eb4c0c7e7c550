#!/usr/bin/env bash
# Formatting and lint checks: ruff (format + lint) for Python, clang-format for C/C++.
set -eu
cd "$(dirname "$0")/.."
PY_DIRS="bindings/python tests bench examples"
.venv/bin/ruff format --check $PY_DIRS
.venv/bin/ruff check $PY_DIRS
files=$(git ls-files '*.h' '*.cpp' '*.c' '*.cc' | grep -v '^build/' || true)
if [ -n "$files" ]; then
  .venv/bin/clang-format --dry-run --Werror $files
fi
echo "lint: ruff and clang-format clean"
