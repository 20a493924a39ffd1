#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: system packages, R, venv, Python packages,
# and the seedlock R package. Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${SEEDLOCK_VENV:-.venv}
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi

apt_pkgs="r-base-core r-base-dev r-cran-jsonlite r-cran-digest r-cran-fs r-cran-testthat r-cran-withr r-cran-future.apply postgresql zsh fish slurm-wlm munge"
missing=""
for p in $apt_pkgs; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
stamp="$VENV/.seedlock-deps"
reqs="requirements-dev.txt"
if [ ! -f "$stamp" ] || ! cmp -s "$reqs" "$stamp"; then
  echo "setup: installing Python packages (torch CPU, tensorflow-cpu, rpy2, ...)"
  log="$VENV/pip-install.log"
  if ! "$PY" -m pip install -q -r "$reqs" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "setup: pip install failed (full log: $log)" >&2
    exit 1
  fi
  cp "$reqs" "$stamp"
fi
"$PY" -m pip install -q --no-deps --no-build-isolation -e . >/dev/null 2>&1 || "$PY" -m pip install -q --no-deps -e .
# The third-party seeder the tests ship (extension x-faker), installed as a user's plug-in would be, so
# that `seedlock conformance --require all-but-caffe` runs its case (extension-faker). Built from a
# copy: the build writes next to its sources. Reinstalled when its version changes.
plugin=python/tests/data/seedlock-faker
want=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$plugin/pyproject.toml")
have=$("$PY" -c 'import importlib.metadata as m; print(m.version("seedlock-faker"))' 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  echo "setup: installing the seedlock-faker plug-in $want"
  build=$(mktemp -d)
  cp -r "$plugin" "$build/"
  "$PY" -m pip install -q --no-deps --no-build-isolation "$build/seedlock-faker" >/dev/null
  rm -rf "$build"
fi
# An editable install is not byte-compiled, and this machine sets PYTHONDONTWRITEBYTECODE: compile
# once so every `seedlock` start reads .pyc files as a regular install would.
"$PY" -m compileall -q python/seedlock >/dev/null

if [ -d r/seedlock ]; then
  R CMD INSTALL --no-multiarch r/seedlock >/dev/null 2>&1 || R CMD INSTALL r/seedlock
fi
echo "setup: ok ($($PY --version), venv $VENV)"
