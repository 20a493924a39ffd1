"""Cross-binding probe: the same derived seeds, R-compatible stream and portable split computed by
Python, by Rscript with the R package, and by R embedded through rpy2 (conformance case
``cross-binding``). Each side writes one JSON file; the runner compares them exactly.

    python -m seedlock.conformance._cross python|rpy2 LOCK STAGE OUTFILE
"""

from __future__ import annotations

import json
import sys
from typing import Any

PARTS = {"train": 0.7, "val": 0.2, "test": 0.1}
N_ROWS = 1000
N_DRAWS = 1000

# The R side of the probe; `lock_path` and `stage` are bound before it runs.
R_PROBE = r"""
local({
  lock <- seedlock::load_seedlock(lock_path)
  derived <- list()
  for (name in names(lock$stages)) {
    st <- lock$stages[[name]]
    derived[[name]] <- seedlock::derive_seed(lock$root$seed, name)
    for (fw in names(st$frameworks)) derived[[paste0(name, "/", fw)]] <- seedlock::derive_seed(st$seed, fw)
  }
  seed <- seedlock::stage_seed(lock, stage, "r")
  split <- seedlock::portable_split(%d, c(train = 0.7, val = 0.2, test = 0.1), seed)
  out <- list(derived = derived, uniform = sprintf("%%.17g", seedlock::r_uniform(seed, %d)),
              split = lapply(split, function(idx) idx - 1L))
  jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA)
})
""" % (N_ROWS, N_DRAWS)  # noqa: UP031 (R code: its braces would need doubling for str.format)


def python_probe(lock_path: str, stage: str) -> dict[str, Any]:
    import seedlock
    from seedlock.rcompat import portable_split, r_uniform

    lock = seedlock.load_lock(lock_path)
    derived: dict[str, int] = {}
    for name, st in lock.stages.items():
        derived[name] = seedlock.derive(lock.root.seed, name)
        for fw in st.frameworks:
            derived[f"{name}/{fw}"] = seedlock.derive(st.seed, fw)
    seed = lock.stage(stage).seed_of("r")
    return {
        "derived": derived,
        "uniform": [f"{x:.17g}" for x in r_uniform(seed, N_DRAWS)],
        "split": {k: v.tolist() for k, v in portable_split(N_ROWS, PARTS, seed).items()},
    }


def rpy2_probe(lock_path: str, stage: str) -> dict[str, Any]:
    from seedlock.seeding import _rbridge

    _rbridge.r_call(f"lock_path <- {json.dumps(lock_path)}; stage <- {json.dumps(stage)}")
    return json.loads(str(_rbridge.r_call(R_PROBE)[0]))


def main(argv: list[str]) -> int:
    side, lock_path, stage, out = argv
    result = python_probe(lock_path, stage) if side == "python" else rpy2_probe(lock_path, stage)
    with open(out, "w") as handle:
        json.dump(result, handle, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
