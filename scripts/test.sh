#!/usr/bin/env bash
# Every test suite of the project: Python (pytest) and, when the R package exists, R (testthat).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
status=0
python scripts/sync_spec.py --check || { echo "spec copies are stale: run 'make sync-spec'" >&2; status=1; }
python -m pytest "$@" || status=1
if [ -d r/seedlock ]; then
  Rscript -e 'testthat::test_local("r/seedlock", reporter = "summary", stop_on_failure = TRUE)' || status=1
fi
exit $status
