#!/usr/bin/env bash
# Create .venv and install Victor with its test tools. Idempotent; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# git is used to honour .gitignore (secrets and ignored files stay out of prompts).
if ! command -v git >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq git >/dev/null
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
