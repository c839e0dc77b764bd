#!/usr/bin/env bash
# Install the LOWEST versions pyproject.toml allows for Victor's direct dependencies (runtime and
# test tools) into a throw-away venv and run the tests against them, so that the lower bounds in
# pyproject.toml are ones that were actually tested. pip cannot resolve to the lowest versions;
# uv (from PyPI, installed into the throw-away venv only) can: `--resolution lowest-direct`.
#
#   bash scripts/lowest-deps.sh [pytest args]    (default: the unit and stdio end-to-end tests;
#                                                 not tests/editors and tests/reliability)
# Prints the resolved versions, then pytest's summary. Not part of `make test`: resolving and
# installing a second environment and running the suite took 30 minutes on the shared 2-core
# development machine (far over CI's budget for it); run it after changing a lower bound.
# Its first run (2026-11-30) raised editorconfig to 0.12.4 (0.12.0-0.12.3 build regexes with
# `\Z(?ms)`, an error since Python 3.11) and pytest-timeout to 2.1 (2.0.x needs py.io, gone
# from pytest 8); the test tools' floors are what uv could resolve together.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
# VICTOR_LOWEST_DIR=DIR keeps the environment there (and reuses it on the next run).
if [ -n "${VICTOR_LOWEST_DIR:-}" ]; then
  work=$VICTOR_LOWEST_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/victor-lowest.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
[ -x "$work/venv/bin/python" ] || "$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check uv \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)

"$work/venv/bin/uv" pip install --quiet --python "$work/venv/bin/python" \
  --resolution lowest-direct --reinstall-package victor-lsp '.[test]'
echo "=== direct dependencies at their lower bounds"
"$work/venv/bin/python" - <<'PY'
import re, tomllib
from importlib.metadata import version
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
reqs = project["dependencies"] + project["optional-dependencies"]["test"]
for req in reqs:
    name = re.split(r"[<>=!~ \[;]", req, maxsplit=1)[0]
    print(f"  {req:32} -> {version(name)}")
PY
echo "=== tests"
if [ "$#" -eq 0 ]; then set -- -q -x tests --ignore=tests/editors --ignore=tests/reliability; fi
"$work/venv/bin/python" -m pytest -p no:cacheprovider "$@"
