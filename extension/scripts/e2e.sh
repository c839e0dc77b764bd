#!/usr/bin/env bash
# End-to-end test of the Victor VS Code extension in a real VS Code (code-server from the npm
# registry) in Debian's Chromium, driven by playwright-core.
#
# On a fresh Debian machine, as root, without stdin: installs what is missing (apt: chromium,
# build tools and libkrb5-dev for code-server's native module; npm: node@24 and code-server,
# cached under $VICTOR_E2E_CACHE, default ~/.cache/victor-e2e), builds and packages the
# extension (.vsix), starts the local model server and code-server with a copy of the fixture
# workspace, runs extension/e2e/run.mjs, stops everything and prints `N passed, N failed`.
#
# Environment:
#   VICTOR_PYTHON      interpreter with victor installed (default: <repo>/.venv/bin/python)
#   VICTOR_E2E_CACHE   cache directory for node 24 and code-server
#   E2E_KEEP=1         keep the temporary directory (logs, user data) after the run
#   E2E_SCENARIO       default: e2e/run.mjs with victor.pythonPath = $VICTOR_PYTHON;
#                      install: e2e/install.mjs, no victor.pythonPath, code-server started with
#                      PATH=/usr/bin:/bin (its extension host still adds the login shell's PATH;
#                      the test checks the python3 it finds has no victor): the .vsix (with the server's wheels,
#                      scripts/package.sh --target) sets up its own server; code-server is started
#                      twice to check the second start reuses it.
# Artifacts: extension/test-results/ (screenshots, results.json, logs on failure).
set -Eeuo pipefail

EXT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$EXT_DIR/.." && pwd)
CACHE=${VICTOR_E2E_CACHE:-$HOME/.cache/victor-e2e}
CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24
RESULTS=$EXT_DIR/test-results
PY=${VICTOR_PYTHON:-$ROOT/.venv/bin/python}
SCENARIO=${E2E_SCENARIO:-default}
SYSTEM_PYTHON=/usr/bin/python3
export CI=${CI:-true} DEBIAN_FRONTEND=noninteractive npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

PASSED=0
FAILED=0
WORK=""
PGIDS=()
START=$(date +%s)

log() { printf '[e2e +%3ss] %s\n' "$(($(date +%s) - START))" "$*"; }

# Stops a process group started by start_group and forgets it, so that cleanup does not signal
# the id again (it may belong to another process by then). Never fails: it runs under set -e and
# in the EXIT trap, where a failing `kill` of a group already gone would end the script early.
stop_group() {
  local pgid=$1 i kept=() p
  for p in "${PGIDS[@]}"; do [[ $p == "$pgid" ]] || kept+=("$p"); done
  PGIDS=("${kept[@]}")
  kill -TERM -- "-$pgid" 2>/dev/null || { kill -TERM "$pgid" 2>/dev/null || true; return 0; }
  for i in $(seq 1 50); do
    kill -0 -- "-$pgid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "process group $pgid did not stop within 5 s of SIGTERM: SIGKILL"
  kill -KILL -- "-$pgid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  # Whatever happens here, the groups are stopped and the closing line is printed.
  set +e
  trap - EXIT INT TERM
  local pgid
  for pgid in "${PGIDS[@]}"; do stop_group "$pgid"; done
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if [[ $rc -ne 0 || $FAILED -ne 0 ]]; then
      mkdir -p "$RESULTS/logs"
      cp "$WORK"/*.log "$RESULTS/logs/" 2>/dev/null || true
      # The extension host's logs, including the "Victor" output channel.
      [[ -d "$WORK/user-data/logs" ]] && cp -r "$WORK/user-data/logs" "$RESULTS/logs/vscode" 2>/dev/null || true
      log "logs copied to $RESULTS/logs"
    fi
    if [[ "${E2E_KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  fi
  if [[ $rc -ne 0 && $FAILED -eq 0 ]]; then FAILED=1; fi
  log "finished in $(($(date +%s) - START)) s"
  echo "$PASSED passed, $FAILED failed"
  if [[ $FAILED -ne 0 ]]; then exit 1; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "e2e: $*" >&2; exit 1; }

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else "$@"; fi; }

# ------------------------------------------------------------------ system packages
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-liberation fonts-dejavu-core)
for pkg in libkrb5-dev build-essential pkg-config python3; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v curl >/dev/null 2>&1 || need+=(curl)
if ((${#need[@]})); then
  log "apt-get install ${need[*]}"
  as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
  as_root apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v npm >/dev/null 2>&1 || die "npm is missing (Node.js 20+ is expected on the machine)"
CHROMIUM=$(command -v chromium)

# ------------------------------------------------------------------ node 24 (for code-server)
NODE24_DIR=$CACHE/node$NODE_MAJOR
if [[ ! -x "$NODE24_DIR/node_modules/node/bin/node" ]] || ! "$NODE24_DIR/node_modules/node/bin/node" --version | grep -q "^v$NODE_MAJOR\."; then
  log "installing node@$NODE_MAJOR from the npm registry into $NODE24_DIR"
  rm -rf "$NODE24_DIR"
  mkdir -p "$NODE24_DIR"
  echo '{"name":"victor-e2e-node","private":true}' >"$NODE24_DIR/package.json"
  (cd "$NODE24_DIR" && npm install --no-save --loglevel=error "node@$NODE_MAJOR" >/dev/null)
fi
NODE24=$NODE24_DIR/node_modules/node/bin/node
NODE24_HOME=$(ls -d "$NODE24_DIR"/node_modules/node/node_modules/node-linux-* 2>/dev/null | head -1)
[[ -x "$NODE24" && -d "$NODE24_HOME/include/node" ]] || die "node@$NODE_MAJOR did not install correctly in $NODE24_DIR"

# ------------------------------------------------------------------ code-server
CS_DIR=$CACHE/code-server-$CODE_SERVER_VERSION
CS_ENTRY=$CS_DIR/node_modules/code-server/out/node/entry.js
if [[ ! -f "$CS_DIR/.complete" ]]; then
  log "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (native build, a few minutes)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  echo '{"name":"victor-e2e-code-server","private":true}' >"$CS_DIR/package.json"
  (cd "$CS_DIR" && PATH="$NODE24_HOME/bin:$PATH" npm_config_nodedir="$NODE24_HOME" \
    npm install --no-save --loglevel=error "code-server@$CODE_SERVER_VERSION" >"$CACHE/code-server-install.log" 2>&1) ||
    { tail -40 "$CACHE/code-server-install.log" >&2; die "code-server install failed"; }
  XDG_CONFIG_HOME=$CS_DIR/.xdg "$NODE24" "$CS_ENTRY" --version >/dev/null || die "code-server does not run"
  touch "$CS_DIR/.complete"
fi

# ------------------------------------------------------------------ Python side
[[ -x "$PY" ]] || die "no Python at $PY (set VICTOR_PYTHON)"
(cd "$ROOT" && "$PY" -c 'import victor, tests.support.model_server') ||
  die "$PY cannot import victor and tests.support.model_server (is the project installed?)"

# ------------------------------------------------------------------ build and package
cd "$EXT_DIR"
# npm ci unless node_modules was installed from this very package-lock.json (unit.sh ran it).
LOCK_HASH=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ "$(cat node_modules/.victor-lock-hash 2>/dev/null)" != "$LOCK_HASH" ]]; then
  log "npm ci"
  npm ci --loglevel=error --no-audit --no-fund >/dev/null
  echo "$LOCK_HASH" >node_modules/.victor-lock-hash
fi
log "build and package the .vsix"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/victor-e2e.XXXXXX")
if [[ $SCENARIO == install ]]; then
  "$SYSTEM_PYTHON" -c 'import victor' 2>/dev/null && die "$SYSTEM_PYTHON has victor installed: not a clean machine"
  SYS_PY_VERSION=$("$SYSTEM_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  VICTOR_PYTHON=$PY bash scripts/package.sh --target linux-x64 --pythons "$SYS_PY_VERSION" -o "$WORK/victor-lsp.vsix" >"$WORK/vsce.log" 2>&1 ||
    { cat "$WORK/vsce.log" >&2; die "scripts/package.sh failed"; }
  log "$(grep -E 'bundled/:|\.vsix' "$WORK/vsce.log" | tr '\n' ' ')"
else
  npx --no-install vsce package --no-dependencies --allow-missing-repository -o "$WORK/victor-lsp.vsix" >"$WORK/vsce.log" 2>&1 ||
    { cat "$WORK/vsce.log" >&2; die "vsce package failed"; }
fi

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
cp -r "$EXT_DIR/e2e/fixture" "$WORK/workspace"
mkdir -p "$WORK/user-data/User" "$WORK/user-data/Machine" "$WORK/extensions" "$WORK/xdg/config" "$WORK/xdg/data" "$WORK/xdg/cache" "$WORK/victor-data"
"$PY" - "$WORK/user-data/User/settings.json" "$([[ $SCENARIO == install ]] || echo "$PY")" <<'PYEOF'
import json, sys
path, python = sys.argv[1], sys.argv[2]
json.dump({
    **({"victor.pythonPath": python} if python else {}),
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.welcomePage.walkthroughs.openOnInstall": False,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.colorTheme": "Default Dark Modern",
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.ignoreRecommendations": True,
    "extensions.autoCheckUpdates": False,
    "git.enabled": False,
    "files.autoSave": "off",
    "editor.minimap.enabled": False,
    "chat.disableAIFeatures": True,
    "window.zoomLevel": 0,
    "victor.trace.server": "verbose",
}, open(path, "w"), indent=2)
# In code-server the window is remote: machine-scoped settings (victor.pythonPath) are read
# from the machine settings, not from the user's.
json.dump({"victor.pythonPath": python} if python else {}, open(path.replace("/User/", "/Machine/"), "w"), indent=2)
PYEOF

CS_COMMON=(--user-data-dir "$WORK/user-data" --extensions-dir "$WORK/extensions")
export XDG_CONFIG_HOME=$WORK/xdg/config XDG_DATA_HOME=$WORK/xdg/data XDG_CACHE_HOME=$WORK/xdg/cache
log "install the .vsix into code-server"
"$NODE24" "$CS_ENTRY" "${CS_COMMON[@]}" --install-extension "$WORK/victor-lsp.vsix" >"$WORK/install-extension.log" 2>&1 ||
  { cat "$WORK/install-extension.log" >&2; die "installing the .vsix failed"; }

# ------------------------------------------------------------------ services
start_group() { # start_group LOGFILE CMD... ; the new process group's id is in $LAST_PGID
  local logfile=$1
  shift
  : >"$logfile"
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  LAST_PGID=$!
  PGIDS+=("$LAST_PGID")
  # Wait until the child really leads its own group, so that stopping the group cannot miss it.
  local i
  for i in $(seq 1 100); do
    [[ "$(ps -o pgid= -p "$LAST_PGID" 2>/dev/null | tr -d ' ')" == "$LAST_PGID" ]] && return 0
    kill -0 "$LAST_PGID" 2>/dev/null || return 0
    sleep 0.05
  done
}

log "start the model server"
cd "$ROOT"
start_group "$WORK/model-server.log" "$PY" -m tests.support.model_server --port 0
MODEL_URL=""
for _ in $(seq 1 300); do
  MODEL_URL=$(sed -n 's/^READY \(http[^ ]*\).*/\1/p' "$WORK/model-server.log" 2>/dev/null | head -1 || true)
  [[ -n "$MODEL_URL" ]] && break
  kill -0 "$LAST_PGID" 2>/dev/null || { cat "$WORK/model-server.log" >&2; die "the model server exited"; }
  sleep 0.1
done
[[ -n "$MODEL_URL" ]] || { cat "$WORK/model-server.log" >&2; die "the model server did not print READY"; }
log "model server at $MODEL_URL"

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The install scenario: a PATH where python3 is the system's (no victor, no pyenv shims).
CS_PATH=$PATH
[[ $SCENARIO == install ]] && CS_PATH=$(dirname "$SYSTEM_PYTHON"):/bin
start_code_server() {
  log "start code-server on 127.0.0.1:$PORT"
  start_group "$WORK/code-server.log" env \
    -u OPENAI_API_KEY -u OPENAI_BASE_URL -u VICTOR_PROVIDER -u VICTOR_MODEL PATH="$CS_PATH" \
    ANTHROPIC_API_KEY=test-key ANTHROPIC_BASE_URL="$MODEL_URL" VICTOR_DATA_DIR="$WORK/victor-data" \
    "$NODE24" "$CS_ENTRY" "${CS_COMMON[@]}" --bind-addr "127.0.0.1:$PORT" --auth none \
    --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
    "$WORK/workspace"
  CS_PGID=$LAST_PGID
  for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$LAST_PGID" 2>/dev/null || { cat "$WORK/code-server.log" >&2; die "code-server exited"; }
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$WORK/code-server.log" >&2; die "code-server did not become healthy"; }
}
start_code_server

# ------------------------------------------------------------------ the test
log "run the browser test"
cd "$EXT_DIR"
set +e
if [[ $SCENARIO == install ]]; then
  source "$EXT_DIR/e2e/install-phases.sh"
else
VICTOR_E2E_NODE24="$NODE24" VICTOR_E2E_CS_ENTRY="$CS_ENTRY" VICTOR_E2E_WORK="$WORK" VICTOR_E2E_PY="$PY" \
  node e2e/run.mjs --url "http://127.0.0.1:$PORT/" --model-url "$MODEL_URL" --workspace "$WORK/workspace" \
  --results "$RESULTS" --server-pgid "$CS_PGID" --chromium "$CHROMIUM" | tee "$WORK/run.log"
status=${PIPESTATUS[0]}
fi
set -e
if [[ -f "$RESULTS/results.json" ]]; then
  PASSED=$(node -e 'console.log(require(process.argv[1]).passed)' "$RESULTS/results.json")
  FAILED=$(node -e 'console.log(require(process.argv[1]).failed)' "$RESULTS/results.json")
  if [[ $FAILED -ne 0 ]]; then
    node -e 'for (const t of require(process.argv[1]).tests) if (!t.ok) console.error(`e2e: FAILED ${t.name}: ${String(t.error).split("\n")[0]}`)' "$RESULTS/results.json" || true
  fi
fi
if [[ $status -ne 0 && $FAILED -eq 0 ]]; then
  echo "e2e: the browser test exited with status $status, no failed test recorded in $RESULTS/results.json" >&2
  FAILED=1
fi
exit "$status"
