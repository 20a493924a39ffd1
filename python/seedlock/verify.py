"""``seedlock verify``: run a command several times from a lock and compare what it writes.

Outputs are named relative to the working directory and kept by their full relative path (two
outputs called ``out.txt`` in different folders are two outputs). Every run starts without the
outputs; what the user had there before is moved aside and put back after the runs, whatever
happens to them. An output that is not inside the working directory (after following symbolic
links), that overlaps another, or that is neither a file nor a directory is refused before anything
runs. The runs' copies live in a temporary directory that is removed when the outputs are identical
and kept (and named) when they differ, a run fails, or ``keep`` is asked for.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import SeedlockError

Runner = Callable[[Sequence[str], Mapping[str, str]], int]
Echo = Callable[[str], None]


@dataclass(frozen=True)
class Output:
    """One output: as the user named it, and where it really is (symbolic links followed)."""

    given: str
    path: Path  # absolute, links resolved
    relative: PurePosixPath  # of ``path`` below the working directory: the name it is kept and reported under

    @property
    def label(self) -> str:
        return str(self.relative)


@dataclass(frozen=True)
class Result:
    """What a verification found. ``status`` is the exit status the CLI returns."""

    status: int
    reproducible: bool
    kept: Path | None  # the runs' directory when it was kept


def plan_outputs(names: Sequence[str], cwd: Path) -> tuple[Output, ...]:
    """Check and resolve the outputs before anything runs; duplicates of one path count once."""
    root = Path(os.path.realpath(cwd))
    outputs: dict[PurePosixPath, Output] = {}
    for given in names:
        absolute = Path(os.path.realpath(root / given))
        link = os.path.islink(root / given)
        shown = f"output {given!r}" + (f" (a symbolic link to {os.readlink(root / given)!r})" if link else "")
        if absolute == root or root not in absolute.parents:
            raise SeedlockError("path-outside-root", f"{shown} is not inside the working directory {root}; "
                                                     "verify only moves and restores files below it")
        try:
            mode = os.lstat(absolute).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise SeedlockError("invalid-value", f"{shown} is not a regular file or directory")
        relative = PurePosixPath(absolute.relative_to(root).as_posix())
        outputs.setdefault(relative, Output(given, absolute, relative))
    ordered = sorted(outputs.values(), key=lambda o: o.relative.parts)
    for first, second in zip(ordered, ordered[1:]):
        if first.relative in second.relative.parents:
            raise SeedlockError("invalid-value", f"outputs {first.given!r} and {second.given!r} overlap; "
                                                 "name the directory or the files in it, not both")
    return tuple(ordered)


MAX_LISTED_DIFFERENCES = 20


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def verify(cmd: Sequence[str], env: Mapping[str, str], outputs: Sequence[Output], *, runs: int = 2,
           run: Runner | None = None, workdir: Path | None = None, keep: bool = False, echo: Echo = print,
           note: Echo = _stderr, locate: str = "never", locate_json: str | None = None) -> Result:
    """Run ``cmd`` ``runs`` times with ``env`` and compare ``outputs`` (from :func:`plan_outputs`; see the
    module docstring). ``run`` starts one child and returns its exit status (default: the launcher's
    supervised child); ``echo`` gets the verdict lines (stdout), ``note`` progress and what was moved
    or restored (stderr). ``locate`` ("never", "on-difference", "always"): then find where two runs part
    (:mod:`seedlock.locate`), writing its JSON to ``locate_json``.
    """
    if runs < 2:
        raise ValueError("runs must be at least 2")
    if run is None:
        from .launch import run_child

        run = run_child
    cmd = list(cmd)
    temporary = workdir is None
    work = Path(tempfile.mkdtemp(prefix="seedlock-verify-")) if workdir is None else workdir
    work.mkdir(parents=True, exist_ok=True)
    work = Path(os.path.realpath(work))
    for output in outputs:
        if output.path == work or output.path in work.parents or work in output.path.parents:
            raise SeedlockError("invalid-value", f"output {output.given!r} and the work directory {work} overlap")
    # A directory of its own for this call: an earlier call's leftovers (a file it could not put back)
    # are never mixed up with, or overwritten by, this one's.
    before = Path(tempfile.mkdtemp(prefix="before-", dir=work))
    saved = _move_aside(outputs, before, note)
    status, reproducible, compared = 1, False, False
    try:
        status = _runs(cmd, env, outputs, runs, run, work, echo, note)
        if status == 0:
            reproducible, compared = _compare(outputs, runs, work, echo), True
            status = 0 if reproducible else 1
    finally:
        restored = _restore(saved, before, note)
        if restored:
            shutil.rmtree(before, ignore_errors=True)  # only emptied folders are left in it
    kept = None if (temporary and reproducible and not keep and restored) else work
    if kept is None:
        shutil.rmtree(work, ignore_errors=True)
    if compared:
        tail = f"; runs kept in {kept}" if kept is not None else ""
        echo(f"seedlock: verify: {'reproducible' if reproducible else 'not reproducible'}{tail}")
    if compared and (locate == "always" or (locate == "on-difference" and not reproducible)):
        # Where the runs part (issue 22): runs of its own under instrumentation; the status stays verify's.
        from .locate.runner import after_verify

        after_verify(cmd, env, outputs, run, reproducible=reproducible, kept=kept, json_path=locate_json, echo=echo,
                     note=note)
    return Result(status=status, reproducible=reproducible, kept=kept)


def _move_aside(outputs: Sequence[Output], before: Path, note: Echo) -> list[Output]:
    saved = []
    for output in outputs:
        if os.path.lexists(output.path):
            target = before / output.relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(output.path), str(target))
            saved.append(output)
            note(f"seedlock: verify: moved the existing {output.label} aside to {target} for the runs")
    return saved


def _restore(saved: Sequence[Output], before: Path, note: Echo) -> bool:
    """Put the user's outputs back (over what the runs wrote); False when one could not be."""
    ok = True
    for output in saved:
        try:
            _remove(output.path)
            output.path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(before / output.relative), str(output.path))
            note(f"seedlock: verify: restored the existing {output.label}")
        except OSError as exc:
            ok = False
            note(f"seedlock: verify: could not restore {output.label} ({exc.strerror or exc}); "
                 f"it is in {before / output.relative}")
    return ok


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def _runs(cmd: list[str], env: Mapping[str, str], outputs: Sequence[Output], runs: int, run: Runner,
          work: Path, echo: Echo, note: Echo) -> int:
    for i in range(1, runs + 1):
        note(f"seedlock: verify run {i}/{runs}: {' '.join(cmd)}")
        code = run(cmd, env)
        # Whatever this run wrote is kept with the runs, even when it failed: it is what to look at.
        missing = [o for o in outputs if not _collect(o, work / f"run{i}")]
        if code != 0:
            echo(f"seedlock: verify: run {i} exited {code}; outputs of the runs are in {work}")
            return code if code > 0 else 1
        if missing:
            echo(f"seedlock: verify: run {i} did not write {missing[0].label}; outputs of the runs are in {work}")
            return 1
        if i < runs:
            for output in outputs:
                _remove(output.path)
    return 0


def _collect(output: Output, run_dir: Path) -> bool:
    if not os.path.lexists(output.path):
        return False
    target = run_dir / output.relative
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove(target)
    if output.path.is_dir():
        shutil.copytree(output.path, target, symlinks=True)
    else:
        shutil.copy2(output.path, target)
    return True


def _compare(outputs: Sequence[Output], runs: int, work: Path, echo: Echo) -> bool:
    from .conformance.compare import compare_paths

    same = True
    for output in outputs:
        found = [f"{d.where} (run 1 vs {i}): {d.what}" for i in range(2, runs + 1)
                 for d in compare_paths(work / "run1" / output.relative, work / f"run{i}" / output.relative, output.label)]
        if found:
            same = False
            echo(f"DIFFERS {output.label}:")
            for diff in found[:MAX_LISTED_DIFFERENCES]:
                echo(f"  {diff}")
            if len(found) > MAX_LISTED_DIFFERENCES:
                echo(f"  ... and {len(found) - MAX_LISTED_DIFFERENCES} more")
        else:
            echo(f"identical {output.label} ({runs} runs)")
    return same
