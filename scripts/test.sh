#!/usr/bin/env bash
# Set everything up and run every test: lint, Python tests, extension unit and E2E tests.
# Exits non-zero on any failure (pytest's "no tests collected" included).
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
failed=0
step() { echo; echo "=== $*"; }

step "set-up"
bash scripts/setup.sh || { echo "set-up failed"; exit 1; }

step "editors used by the tests (Neovim from Debian)"
if ! command -v nvim >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null) \
      || { echo "could not install neovim"; failed=1; }
  else
    echo "neovim missing and cannot be installed here: tests/editors will be skipped"
  fi
fi

step "ruff"
.venv/bin/ruff check server tests bench examples || failed=1
.venv/bin/ruff format --check server tests bench || failed=1

step "pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing"; failed=1
elif [ "$rc" -ne 0 ]; then
  failed=1
fi

if [ -z "${VICTOR_SKIP_EXTENSION:-}" ] && [ -f extension/scripts/unit.sh ]; then
  step "extension unit tests"
  bash extension/scripts/unit.sh || failed=1
  step "extension end-to-end tests (code-server + chromium)"
  VICTOR_PYTHON="$PWD/.venv/bin/python" bash extension/scripts/e2e.sh || failed=1
fi

if [ -z "${VICTOR_SKIP_BENCH:-}" ] && [ -f bench/run_all.py ]; then
  step "benchmarks (quick mode: figures printed, not asserted)"
  .venv/bin/python bench/run_all.py --quick || failed=1
fi

echo
if [ "$failed" -ne 0 ]; then echo "SOME CHECKS FAILED"; else echo "ALL CHECKS PASSED"; fi
exit "$failed"
