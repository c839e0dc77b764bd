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
# pip warns once per package about index locations of a machine-wide pip configuration that
# do not exist (file:// mirrors): noise about the machine, not the project; anything else shows.
quiet_pip() {
  .venv/bin/python -m pip install -q --disable-pip-version-check "$@" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}
quiet_pip --upgrade pip
quiet_pip -e '.[test]'
