"""``seedlock verify``: run a command N times as fresh processes and compare what it wrote."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

MAX_LISTED_DIFFERENCES = 20


def verify(cmd: Sequence[str], env: Mapping[str, str], outputs: Sequence[str | os.PathLike[str]], *, runs: int = 2,
           workdir: str | os.PathLike[str] | None = None,
           run: Callable[[Sequence[str], Mapping[str, str]], int] | None = None) -> int:
    """Run ``cmd`` ``runs`` times with ``env``, keep each run's ``outputs`` under ``workdir`` and compare
    them with run 1 (``run`` starts each, default :func:`seedlock.launch.run_child`). Prints progress to stderr and the verdict to stdout; returns the exit status
    (0 reproducible, 1 differing or missing outputs, the command's own code when it failed)."""
    import shutil
    import tempfile
    from pathlib import Path

    from .launch import run_child

    run = run or run_child
    if runs < 2:
        raise ValueError("--runs must be at least 2")
    work = Path(workdir or tempfile.mkdtemp(prefix="seedlock-verify-"))
    paths = [Path(p) for p in outputs]
    _set_aside(paths, work / "before")
    for i in range(1, runs + 1):
        print(f"seedlock: verify run {i}/{runs}: {' '.join(cmd)}", file=sys.stderr, flush=True)
        code = run(list(cmd), env)
        if code != 0:
            print(f"seedlock: verify: run {i} exited {code}; outputs of earlier runs are in {work}")
            return code if code > 0 else 1
        for path in paths:
            if not path.exists():
                print(f"seedlock: verify: run {i} did not write {path}")
                return 1
            target = work / f"run{i}" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, target)
            if i < runs:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    differences = sum(_report(path, work, runs) for path in paths)
    print(f"seedlock: verify: {'not reproducible' if differences else 'reproducible'}; runs kept in {work}")
    return 1 if differences else 0


def _set_aside(paths: list[Path], before: Path) -> None:
    # Each run must start without the outputs; what was there is kept, not deleted.
    import shutil

    for path in paths:
        if path.exists():
            before.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), str(before / path.name))
            print(f"seedlock: moved the existing {path} to {before / path.name}", file=sys.stderr)


def _report(path: Path, work: Path, runs: int) -> int:
    """Print how ``path`` compares across the runs; the number of differences."""
    from .conformance.compare import compare_paths

    found = [d for i in range(2, runs + 1)
             for d in compare_paths(work / "run1" / path.name, work / f"run{i}" / path.name, f"{path} (run 1 vs {i})")]
    if not found:
        print(f"identical {path} ({runs} runs)")
        return 0
    print(f"DIFFERS {path}:")
    for diff in found[:MAX_LISTED_DIFFERENCES]:
        print(f"  {diff}")
    if len(found) > MAX_LISTED_DIFFERENCES:
        print(f"  ... and {len(found) - MAX_LISTED_DIFFERENCES} more")
    return len(found)
