"""The R workload run inside Python: R seeded through rpy2 by ``apply()`` (conformance workload)."""

from __future__ import annotations

import os
from pathlib import Path


def main() -> None:
    import seedlock
    from seedlock.seeding import _rbridge
    from seedlock.workloads._common import out_dir, report_meta

    out = out_dir()
    report = seedlock.apply_from_env(strict=True).report
    script = Path(__file__).with_name("r_workload.R")
    _rbridge.r_call("seedlock_workload_no_main <- TRUE")
    _rbridge.r_call(f"source({str(script)!r})")
    _rbridge.r_call("suppressMessages(library(seedlock))")
    meta = report_meta(report)
    lock, stage = os.environ["SEEDLOCK_LOCK"], os.environ["SEEDLOCK_STAGE"]
    _rbridge.r_call(
        f"local({{ lock <- load_seedlock({lock!r}); values <- seedlock_draws(lock, {stage!r}); "
        f"seedlock_write(values, list(binding = 'rpy2', seeds = list(r = {meta['seeds']['r']}), "
        "framework_draws = seedlock_framework_draws(), "
        f"versions = list(r = as.character(getRversion()), kinds = RNGkind())), {str(out)!r}) }})"
    )


if __name__ == "__main__":
    main()
