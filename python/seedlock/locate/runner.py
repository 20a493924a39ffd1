"""Run a command under the locator: two runs for the coarse pass, two at the diverging step for the fine
pass; the user's outputs are moved aside and restored by ``verify``'s own helpers, which it passes in
(``set_aside``, ``clear``): verify imports the locator, never the other way round."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from ._variables import LOCATE_VARIABLE, RUN_VARIABLE, STEP_VARIABLE
from .compare import Coarse, Located, RankFinding, compare_coarse, compare_fine, probe_findings, read_records

__all__ = ["Located", "after_verify", "locate"]

Runner = Callable[[Sequence[str], Mapping[str, str]], int]
Echo = Callable[[str], None]
#: Moves the user's outputs into the directory given while the ``with`` block runs, and back after it
#: (what the runs wrote there removed first).
SetAside = Callable[[Path], AbstractContextManager[None]]
#: Removes what a run wrote at the outputs' places.
Clear = Callable[[], None]


def locate(
    cmd: Sequence[str], env: Mapping[str, str], set_aside: SetAside, clear: Clear, run: Runner, work: Path, note: Echo
) -> Located:
    """Run ``cmd`` under instrumentation (records below ``work``) and find where two runs part."""
    env = _with_bootstrap(env)
    before = Path(tempfile.mkdtemp(prefix="locate-before-", dir=work))
    with set_aside(before):
        coarse_dirs = [work / "locate" / f"coarse{i}" for i in (1, 2)]
        failed = _passes(cmd, env, coarse_dirs, None, run, clear, note)
        if failed:
            return Located((), True, None, failed)
        a, b = (read_records(d) for d in coarse_dirs)
        if not a and not b:
            return Located((), False, None)
        coarse = compare_coarse(a, b)
        early = probe_findings(coarse)
        steps = [s for s in coarse.step.values() if s is not None]
        if not steps:
            return Located(tuple(early) + _quiet(coarse, early), True, None)
        step = min(steps)
        if early and min(f.divergence.step for f in early if f.divergence) < step:  # type: ignore[union-attr]
            return Located(tuple(early) + _quiet(coarse, early), True, None)
        fine_dirs = [work / "locate" / f"fine{i}" for i in (1, 2)]
        failed = _passes(cmd, env, fine_dirs, step, run, clear, note)
        if failed:
            return Located((), True, step, failed)
        fa, fb = (read_records(d) for d in fine_dirs)
        return Located(tuple(compare_fine(fa, fb, step, coarse)), True, step)


def _quiet(coarse: Coarse, early: Sequence[RankFinding]) -> tuple[RankFinding, ...]:
    done = {f.rank for f in early}
    return tuple(RankFinding(rank, None, n[0]) for rank, n in sorted(coarse.steps.items()) if rank not in done)


def _passes(
    cmd: Sequence[str],
    env: Mapping[str, str],
    dirs: Sequence[Path],
    step: int | None,
    run: Runner,
    clear: Clear,
    note: Echo,
) -> str | None:
    which = "coarse pass" if step is None else f"fine pass at step {step}"
    for i, directory in enumerate(dirs, start=1):
        directory.mkdir(parents=True, exist_ok=True)
        child = {**env, LOCATE_VARIABLE: str(directory), RUN_VARIABLE: str(i)}
        if step is not None:
            child[STEP_VARIABLE] = str(step)
        note(f"seedlock: verify --locate: {which}, run {i}/2: {' '.join(cmd)}")
        code = run(cmd, child)
        clear()
        if code != 0:
            return f"the {which}'s run {i} exited {code}"
    return None


def _with_bootstrap(env: Mapping[str, str]) -> dict[str, str]:
    """The bootstrap first on PYTHONPATH (auto-seeding puts it there too; without auto-seeding, only we do)."""
    boot = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "_bootstrap", "python")
    path = env.get("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    if path != boot and not path.startswith(boot + os.pathsep):
        path = boot + (os.pathsep + path if path else "")
    return {**env, "PYTHONPATH": path}


def after_verify(
    cmd: Sequence[str],
    env: Mapping[str, str],
    set_aside: SetAside,
    clear: Clear,
    run: Runner,
    *,
    reproducible: bool,
    kept: Path | None,
    json_path: str | None,
    echo: Echo,
    note: Echo,
) -> Located:
    """``verify``'s locator step: run, print the report (``echo``), write ``json_path``; the records go
    with the kept runs, or to a temporary directory removed afterwards."""
    from .report import lines, to_json

    work = kept if kept is not None else Path(tempfile.mkdtemp(prefix="seedlock-locate-"))
    try:
        found = locate(cmd, env, set_aside, clear, run, work, note)
    finally:
        if kept is None:
            shutil.rmtree(work, ignore_errors=True)
    for line in lines(found):
        echo(line)
    if json_path is not None:
        import json

        from ..spec._io import write_atomic

        write_atomic(json_path, (json.dumps(to_json(found, reproducible=reproducible), indent=2) + "\n").encode())
    return found
