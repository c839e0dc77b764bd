#!/usr/bin/env bash
# Unit tests of the extension: npm ci, build (esbuild), strict type check, node --test.
# Prints node's test summary and a closing `N passed, N failed` line.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CI=${CI:-true} npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
command -v npm >/dev/null 2>&1 || { echo "unit: npm is missing" >&2; echo "0 passed, 1 failed"; exit 1; }
npm ci --loglevel=error --no-audit --no-fund >/dev/null
sha256sum package-lock.json | cut -d' ' -f1 >node_modules/.victor-lock-hash
node esbuild.mjs
npx --no-install tsc -p . --noEmit
node esbuild.mjs --tests
set +e
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=out/test/results.tap out/test/*.test.js
status=$?
set -e
passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' out/test/results.tap | tail -1)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' out/test/results.tap | tail -1)
passed=${passed:-0}
failed=${failed:-0}
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"
