#!/usr/bin/env bash
# Every test suite of the project: Python (ruff, mypy, pytest), R (testthat, then R CMD check on the built
# package: no ERROR, no WARNING). Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
status=0
python spec/tools/generate_from_registry.py --check || { echo "files generated from spec/registry.json are stale: run 'make generate'" >&2; status=1; }
python scripts/sync_spec.py --check || { echo "spec copies are stale: run 'make sync-spec'" >&2; status=1; }

passed=0
failed=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
count() { grep -oE "[0-9]+ $2" "$1" 2>/dev/null | tail -n 1 | grep -oE '^[0-9]+' || echo 0; }

echo "== Python: ruff format --check and ruff check over the whole tree (config: pyproject.toml [tool.ruff])"
if python -m ruff format --check . && python -m ruff check .; then passed=$((passed + 1)); else status=1; failed=$((failed + 1)); fi

echo "== Python: mypy (the package is typed: py.typed)"
if python -m mypy --ignore-missing-imports python/seedlock; then passed=$((passed + 1)); else status=1; failed=$((failed + 1)); fi

echo "== Python: pytest"
python -m pytest -n 2 "$@" 2>&1 | tee "$logs/pytest.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
passed=$((passed + $(count "$logs/pytest.log" passed)))
failed=$(( failed + $(count "$logs/pytest.log" failed) + $(count "$logs/pytest.log" error) ))

if [ -d r/seedlock ]; then
  echo "== R: testthat"
  Rscript -e 'r <- as.data.frame(testthat::test_local("r/seedlock", reporter = "summary", stop_on_failure = FALSE));
    cat(sprintf("R testthat: %d passed, %d failed\n", sum(r$failed == 0 & !r$error & !r$skipped), sum(r$failed > 0 | r$error)))' 2>&1 | tee "$logs/r.log"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  r_passed=$(grep -oE 'R testthat: [0-9]+ passed' "$logs/r.log" | grep -oE '[0-9]+' || echo 0)
  r_failed=$(grep -oE '[0-9]+ failed' "$logs/r.log" | tail -n 1 | grep -oE '[0-9]+' || echo 1)
  [ "$r_failed" = 0 ] || status=1
  passed=$((passed + r_passed)); failed=$((failed + r_failed))
  echo "== R: R CMD build + R CMD check --no-manual"
  work=$(mktemp -d)
  (cd "$work" && R CMD build --no-build-vignettes "$OLDPWD/r/seedlock" >build.log 2>&1) || { cat "$work/build.log"; status=1; }
  tarball=$(ls "$work"/seedlock_*.tar.gz 2>/dev/null | head -n 1)
  if [ -n "$tarball" ]; then
    (cd "$work" && _R_CHECK_FORCE_SUGGESTS_=false R CMD check --no-manual "$tarball" >check.log 2>&1)
    tail -n 3 "$work/check.log"
    if grep -qE '^\* checking .*\.\.\. (ERROR|WARNING)' "$work/check.log" || ! grep -q '^Status: ' "$work/check.log"; then
      cat "$work/check.log"; status=1; failed=$((failed + 1))
    else
      passed=$((passed + 1))
    fi
  fi
  rm -rf "$work"
fi
echo "== Conformance: seedlock conformance --require all-but-caffe"
mkdir -p build
if seedlock conformance --quiet --require all-but-caffe --junit build/conformance.xml --json build/conformance.json; then
  passed=$((passed + 1))
else
  status=1; failed=$((failed + 1))
fi

[ "$status" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "all: $passed passed, $failed failed"
exit $status
