#!/usr/bin/env bash
# The demo: resolve the seed document's example manifest into a lock, then train its Keras model
# twice, each time as a fresh process under `seedlock run`, and show that the weights are identical.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p .demo
manifest=spec/examples/classic.json
lock=.demo/classic.lock.json

echo "== seedlock validate $manifest"
seedlock validate "$manifest"
echo
echo "== seedlock resolve $manifest -o $lock"
seedlock resolve "$manifest" -o "$lock"
echo
echo "== seedlock show $lock"
seedlock show "$lock"
echo
echo "== seedlock env $lock --stage train"
seedlock env "$lock" --stage train
echo
digests=()
for run in 1 2; do
  echo "== run $run: seedlock run $lock --stage train -- python -m seedlock.workloads.keras_classic"
  out=$(seedlock run "$lock" --stage train -- python -m seedlock.workloads.keras_classic)
  digest=$(printf '%s' "$out" | python -c 'import json,sys; d=json.load(sys.stdin); print(d["weights_sha256"])')
  printf '%s' "$out" | python -c 'import json,sys; d=json.load(sys.stdin); print("   seeds", d["seeds"], "| final val_loss", d["history"]["val_loss"][-1])'
  echo "   weights sha256 $digest"
  digests+=("$digest")
done
echo
if [ "${digests[0]}" = "${digests[1]}" ]; then
  echo "identical: both fresh processes trained the same weights (${digests[0]:0:16}...)"
else
  echo "MISMATCH: ${digests[0]} != ${digests[1]}" >&2
  exit 1
fi
echo
echo "== seedlock conformance (every framework, fresh processes: 2 runs + 1 other-seed run each)"
seedlock conformance --quiet --junit .demo/conformance.xml --json .demo/conformance.json
