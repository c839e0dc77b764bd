#!/usr/bin/env bash
# Set everything up and run every test: lint, Python tests, extension unit and E2E tests.
# Exits non-zero on any failure (pytest's "no tests collected" included).
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
failed=0
step() { echo; echo "=== $*"; }
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT
# "N passed" / "N failed" of each runner, added up for the closing line
count() { grep -Eo "[0-9]+ $2" "$1" | tail -1 | grep -Eo "[0-9]+" || echo 0; }

step "set-up"
bash scripts/setup.sh || { echo "set-up failed"; exit 1; }

step "editors used by the tests (Neovim, Emacs + eglot from Debian)"
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { apt-get update -qq && apt_updated=1; } || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
has_eglot() { emacs --batch -q --eval "(require 'eglot)" >/dev/null 2>&1; }
if ! command -v nvim >/dev/null 2>&1; then
  if can_apt; then
    apt_install neovim || { echo "could not install neovim"; failed=1; }
  else
    echo "neovim missing and cannot be installed here: tests/editors/test_neovim.py will be skipped"
  fi
fi
# Emacs 28 (Debian 12) has no eglot of its own: elpa-eglot; Emacs 29+ ships it.
if ! command -v emacs >/dev/null 2>&1 || ! has_eglot; then
  if can_apt; then
    { command -v emacs >/dev/null 2>&1 || apt_install emacs-nox; } \
      && { has_eglot || apt_install elpa-eglot; } && has_eglot \
      || { echo "could not install emacs-nox with eglot"; failed=1; }
  else
    echo "emacs with eglot missing and cannot be installed here: tests/editors/test_emacs.py" \
      "will be skipped (outside CI)"
  fi
fi

step "ruff"
.venv/bin/ruff check server tests bench examples || failed=1
.venv/bin/ruff format --check server tests bench || failed=1

step "pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@" 2>&1 | tee "$log_dir/pytest.log"
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing"; failed=1
elif [ "$rc" -ne 0 ]; then
  failed=1
fi

if [ -z "${VICTOR_SKIP_EXTENSION:-}" ] && [ -f extension/scripts/unit.sh ]; then
  step "extension unit tests"
  bash extension/scripts/unit.sh 2>&1 | tee "$log_dir/unit.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
  step "extension end-to-end tests (code-server + chromium)"
  VICTOR_PYTHON="$PWD/.venv/bin/python" bash extension/scripts/e2e.sh 2>&1 | tee "$log_dir/e2e.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
  step "extension end-to-end: the .vsix sets up its own server (system python3, no victor.pythonPath)"
  E2E_SCENARIO=install VICTOR_PYTHON="$PWD/.venv/bin/python" bash extension/scripts/e2e.sh 2>&1 | tee "$log_dir/e2e-install.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
fi

if [ -z "${VICTOR_SKIP_BENCH:-}" ] && [ -f bench/run_all.py ]; then
  step "benchmarks (quick mode: figures printed, not asserted)"
  .venv/bin/python bench/run_all.py --quick || failed=1
fi

echo
passed_total=0
failed_total=0
for f in "$log_dir"/*.log; do
  [ -f "$f" ] || continue
  passed_total=$((passed_total + $(count "$f" passed)))
  failed_total=$((failed_total + $(count "$f" failed)))
done
if [ "$failed" -ne 0 ]; then
  echo "SOME CHECKS FAILED"
  [ "$failed_total" -gt 0 ] || failed_total=1  # a failed step with no test count still fails
else
  echo "ALL CHECKS PASSED"
fi
echo "$passed_total passed, $failed_total failed"
exit "$failed"
