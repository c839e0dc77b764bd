#!/usr/bin/env bash
# Package the extension with the server it carries (see README.md, "How the server is installed").
#
#   scripts/package.sh [-o OUT.vsix] [--target TARGET] [--wheel WHEEL] [--pythons "3.11 3.12"]
#
# 1. Stamps the one version number (server/victor/__init__.py) into package.json and
#    package-lock.json (a no-op when they agree, which tests/test_packaging.py checks).
# 2. bundled/wheels/: Victor's wheel (built with `python -m build` unless --wheel is given) and
#    pip's wheel; bundled/constraints.txt pins every dependency to the version resolved now.
#    With --target (linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64), also every
#    dependency's wheel for that platform and each Python of --pythons (default 3.11 to 3.14),
#    so that the first start installs offline; `vsce package --target` marks the .vsix.
#    Without --target: a universal .vsix whose first start fetches the pinned dependencies from
#    PyPI.
# 3. Builds (esbuild, production) and packages with vsce.
#
# Environment: VICTOR_PYTHON, the Python that runs build and pip (default <repo>/.venv/bin/python).
set -Eeuo pipefail
EXT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$EXT_DIR/.." && pwd)
PY=${VICTOR_PYTHON:-$ROOT/.venv/bin/python}
OUT=""
TARGET=""
WHEEL=""
PYTHONS=${VICTOR_BUNDLE_PYTHONS:-"3.11 3.12 3.13 3.14"}
while (($#)); do
  case $1 in
    -o) OUT=$2; shift 2 ;;
    --target) TARGET=$2; shift 2 ;;
    --wheel) WHEEL=$2; shift 2 ;;
    --pythons) PYTHONS=$2; shift 2 ;;
    *) echo "package.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $TARGET in
  "") PLATFORMS=() ;;
  linux-x64) PLATFORMS=(manylinux2014_x86_64 manylinux_2_17_x86_64 manylinux_2_28_x86_64 linux_x86_64) ;;
  linux-arm64) PLATFORMS=(manylinux2014_aarch64 manylinux_2_17_aarch64 manylinux_2_28_aarch64) ;;
  darwin-x64) PLATFORMS=(macosx_10_12_x86_64 macosx_10_13_x86_64 macosx_10_15_x86_64 macosx_11_0_x86_64 macosx_10_9_universal2 macosx_10_12_universal2) ;;
  darwin-arm64) PLATFORMS=(macosx_11_0_arm64 macosx_10_12_universal2 macosx_10_9_universal2) ;;
  win32-x64) PLATFORMS=(win_amd64) ;;
  *) echo "package.sh: unsupported --target $TARGET" >&2; exit 2 ;;
esac
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$ROOT/server/victor/__init__.py")
[[ -n "$VERSION" ]] || { echo "package.sh: no __version__ in server/victor/__init__.py" >&2; exit 1; }
[[ -n "$OUT" ]] || OUT=$EXT_DIR/victor-lsp${TARGET:+-$TARGET}-$VERSION.vsix
PIP=("$PY" -m pip --disable-pip-version-check -q)
log() { echo "[package] $*"; }

cd "$EXT_DIR"
node -e '
  const fs = require("fs");
  const version = process.argv[1];
  for (const file of ["package.json", "package-lock.json"]) {
    const data = JSON.parse(fs.readFileSync(file, "utf8"));
    let changed = data.version !== version;
    data.version = version;
    if (data.packages && data.packages[""] && data.packages[""].version !== version) {
      data.packages[""].version = version;
      changed = true;
    }
    if (changed) {
      fs.writeFileSync(file, JSON.stringify(data, null, 2) + "\n");
      console.log(`[package] ${file}: version ${version}`);
    }
  }' "$VERSION"
cp "$ROOT/CHANGELOG.md" "$EXT_DIR/CHANGELOG.md"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/victor-package.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
if [[ -z "$WHEEL" ]]; then
  log "python -m build --wheel"
  "$PY" -m build --wheel --outdir "$TMP/dist" "$ROOT" >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; exit 1; }
  WHEEL=$(ls "$TMP"/dist/victor_lsp-"$VERSION"-*.whl)
fi
[[ $(basename "$WHEEL") == victor_lsp-"$VERSION"-* ]] || { echo "package.sh: $WHEEL is not victor-lsp $VERSION" >&2; exit 1; }

rm -rf bundled
mkdir -p bundled/wheels
cp "$WHEEL" bundled/wheels/
WHEEL_NAME=$(basename "$WHEEL")
log "resolve the dependencies of $WHEEL_NAME (pins: bundled/constraints.txt)"
"${PIP[@]}" download --only-binary=:all: -d "$TMP/host" "$WHEEL" pip >"$TMP/pip.log" 2>&1 ||
  { grep -v 'is ignored' "$TMP/pip.log" >&2; echo "package.sh: pip download failed" >&2; exit 1; }
PIP_WHEEL=$(cd "$TMP/host" && ls pip-*.whl | head -1)
cp "$TMP/host/$PIP_WHEEL" bundled/wheels/
# name==version of every dependency (wheel names: name-version-...; names normalised by pip).
{
  echo "# The versions victor-lsp $VERSION was packaged with (scripts/package.sh)."
  for f in "$TMP"/host/*.whl; do
    b=$(basename "$f" .whl)
    name=${b%%-*}
    rest=${b#*-}
    [[ $name == victor_lsp || $name == pip ]] && continue
    echo "${name//_/-}==${rest%%-*}"
  done | sort -u
} >bundled/constraints.txt

DEPS=false
if ((${#PLATFORMS[@]})); then
  plat_args=()
  for p in "${PLATFORMS[@]}"; do plat_args+=(--platform "$p"); done
  for v in $PYTHONS; do
    log "dependency wheels for $TARGET, Python $v"
    # Fails when a dependency has no wheel for that platform and Python: then the .vsix could
    # not install offline there, and it is better to know now.
    "${PIP[@]}" download --only-binary=:all: --python-version "$v" "${plat_args[@]}" \
      -c bundled/constraints.txt -d bundled/wheels "$WHEEL" >"$TMP/pip.log" 2>&1 ||
      { grep -v 'is ignored' "$TMP/pip.log" >&2; echo "package.sh: no complete set of wheels for $TARGET, Python $v" >&2; exit 1; }
  done
  DEPS=true
fi
SHA=$(sha256sum "bundled/wheels/$WHEEL_NAME" | cut -d' ' -f1)
cat >bundled/manifest.json <<EOF
{
  "version": "$VERSION",
  "wheel": "$WHEEL_NAME",
  "wheelSha256": "$SHA",
  "pipWheel": "$PIP_WHEEL",
  "dependencyWheels": $DEPS,
  "target": "${TARGET:-universal}",
  "pythons": "$([[ $DEPS == true ]] && echo "$PYTHONS")"
}
EOF
log "bundled/: $(ls bundled/wheels | wc -l) wheels, $(du -sh bundled | cut -f1)"

log "vsce package ${TARGET:+--target $TARGET }-> $OUT"
npx --no-install vsce package --no-dependencies --allow-missing-repository ${TARGET:+--target "$TARGET"} -o "$OUT" >"$TMP/vsce.log" 2>&1 ||
  { cat "$TMP/vsce.log" >&2; exit 1; }
log "$(du -h "$OUT" | cut -f1) $OUT"
