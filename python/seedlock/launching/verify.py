"""``seedlock verify``: run a command several times from a lock and compare what it writes.

Outputs are named relative to the working directory and kept by their full relative path (two
outputs called ``out.txt`` in different folders are two outputs). Every run starts without the
outputs; what the user had there before is moved aside and put back after the runs, whatever
happens to them. An output that is not inside the working directory (after following symbolic
links), that overlaps another, or that is neither a file nor a directory is refused before anything
runs. The runs' copies live in a temporary directory that is removed when the outputs are identical
and kept (and named) when they differ, a run fails, or ``keep`` is asked for.

Stopping verify (SIGTERM, SIGINT, SIGHUP, a second Ctrl-C) never strands the user's files: signals
are held while files are moved aside or put back, and every way out of :func:`verify` restores
them first. A chosen work directory never has an earlier verify's runs overwritten.
"""

from __future__ import annotations

import errno
import itertools
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..spec.errors import SeedlockError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .volatile import IgnoreRule

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
            raise SeedlockError(
                "path-outside-root",
                f"{shown} is not inside the working directory {root}; verify only moves and restores files below it",
            )
        try:
            mode = os.lstat(absolute).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise SeedlockError("invalid-value", f"{shown} is not a regular file or directory")
        relative = PurePosixPath(absolute.relative_to(root).as_posix())
        outputs.setdefault(relative, Output(given, absolute, relative))
    ordered = sorted(outputs.values(), key=lambda o: o.relative.parts)
    for first, second in itertools.pairwise(ordered):
        if first.relative in second.relative.parents:
            raise SeedlockError(
                "invalid-value",
                f"outputs {first.given!r} and {second.given!r} overlap; "
                "name the directory or the files in it, not both",
            )
    return tuple(ordered)


MAX_LISTED_DIFFERENCES = 20


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _say(echo: Echo, line: str) -> None:
    """Print, but never let a closed terminal or pipe (SIGHUP's usual company) stop a restore."""
    try:
        echo(line)
    except OSError:
        pass


#: Signals a user, a terminal or a CI runner sends to stop a job; verify puts the outputs back first.
_STOP_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")


class _Stopped(BaseException):
    """A stop signal arrived: unwind to the restore. A BaseException, like KeyboardInterrupt, so that
    no ``except Exception`` on the way (copying, comparing) swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _SignalGuard:
    """From the first file moved to the last one put back, SIGTERM/SIGINT/SIGHUP are verify's own.

    A signal is remembered, never fatal on the spot: it interrupts only the phases marked
    :meth:`interruptible` (copying and comparing the runs' outputs, which are verify's own files);
    anywhere else (moving the user's outputs aside, between runs, putting them back) it takes effect
    at the next :meth:`check`, so a file is never half moved. While a child runs, the launcher's
    handlers take the place of these and pass the signal on; the interpreter's wakeup descriptor
    still tells verify that one came, so the signal also stops verify after that run, whatever the
    child made of it. Later signals (a second Ctrl-C) change nothing: the first one is what verify
    reports, after the restore."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._interruptible = False
        self._previous: dict[int, object] = {}
        self._wakeup: tuple[int, int] | None = None
        self._previous_wakeup = -1

    def __enter__(self) -> _SignalGuard:
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():  # handlers can only be set there
            return self
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        self._wakeup = (read, write)
        self._previous_wakeup = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        for name in _STOP_SIGNALS:
            number = getattr(signal, name)
            self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
        if self._wakeup is not None:
            signal.set_wakeup_fd(self._previous_wakeup)
            for fd in self._wakeup:
                os.close(fd)
            self._wakeup = None

    def _handle(self, signum: int, _frame: object) -> None:
        first = self.received is None
        if first:
            self.received = signum
        if first and self._interruptible:
            self._interruptible = False
            raise _Stopped(signum)

    def pending(self) -> int | None:
        """The first stop signal that arrived, including one the launcher passed on to a child."""
        if self._wakeup is not None and self.received is None:
            import signal

            stops = {int(getattr(signal, name)) for name in _STOP_SIGNALS}
            try:
                arrived = os.read(self._wakeup[0], 512)
            except BlockingIOError:
                arrived = b""
            self.received = next((number for number in arrived if number in stops), None)
        return self.received

    def check(self) -> None:
        signum = self.pending()
        if signum is not None:
            raise _Stopped(signum)

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        self.check()
        self._interruptible = True
        try:
            yield
        finally:
            self._interruptible = False


def verify(
    cmd: Sequence[str],
    env: Mapping[str, str],
    outputs: Sequence[Output],
    *,
    runs: int = 2,
    run: Runner | None = None,
    workdir: Path | None = None,
    keep: bool = False,
    echo: Echo = print,
    note: Echo = _stderr,
    ignore: Sequence[IgnoreRule] = (),
    locate: str = "never",
    locate_json: str | None = None,
) -> Result:
    """Run ``cmd`` ``runs`` times with ``env`` and compare ``outputs`` (from :func:`plan_outputs`; see the
    module docstring). ``run`` starts one child and returns its exit status (default: the launcher's
    supervised child); ``echo`` gets the verdict lines (stdout), ``note`` progress and what was moved
    or restored (stderr). ``ignore`` (from :func:`seedlock.launching.volatile.parse_ignore`) names JSON fields
    whose differences do not count; built-in rules ignore the time stamps of PDF and TensorBoard files.
    What was ignored is listed under each output. ``locate`` ("never", "on-difference", "always"): then
    find where two runs part (:mod:`seedlock.locate`), writing its JSON to ``locate_json``.

    A SIGTERM, SIGINT or SIGHUP (in the main thread) ends the verification once the user's outputs
    are back; the status is then 128 + the signal's number. A file that cannot be moved, copied or
    read is an ``io-error``, raised after the outputs are back.
    """
    if runs < 2:
        raise ValueError("runs must be at least 2")
    if run is None:
        from .launch import run_child

        run = run_child
    cmd = list(cmd)
    temporary = workdir is None
    work = _work_directory(workdir)
    for output in outputs:
        if output.path == work or output.path in work.parents or work in output.path.parents:
            if temporary:
                shutil.rmtree(work, ignore_errors=True)
            raise SeedlockError("invalid-value", f"output {output.given!r} and the work directory {work} overlap")
    if not temporary:
        _refuse_earlier_runs(work, outputs, runs)
    with _SignalGuard() as guard:
        return _verify(
            cmd, env, outputs, runs, run, work, temporary, keep, echo, note, ignore, guard, locate, locate_json
        )


def _work_directory(workdir: Path | None) -> Path:
    try:
        if workdir is None:
            return Path(os.path.realpath(tempfile.mkdtemp(prefix="seedlock-verify-")))
        if os.path.lexists(workdir) and not workdir.is_dir():
            raise SeedlockError("invalid-value", f"--workdir {str(workdir)!r} is not a directory")
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        where = f"--workdir {str(workdir)!r}" if workdir is not None else f"a work directory in {tempfile.gettempdir()}"
        raise SeedlockError("io-error", f"Cannot create {where}: {exc.strerror or exc}") from None
    return Path(os.path.realpath(workdir))


def _refuse_earlier_runs(work: Path, outputs: Sequence[Output], runs: int) -> None:
    """A chosen work directory may hold an earlier verify's runs: never overwrite them silently."""
    found = [
        f"run{i}/{o.relative}"
        for i in range(1, runs + 1)
        for o in outputs
        if os.path.lexists(work / f"run{i}" / o.relative)
    ]
    if found:
        listed = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        raise SeedlockError(
            "invalid-value",
            f"--workdir {str(work)!r} already holds {listed} from an earlier "
            "verify; remove them or choose another directory",
        )


def _verify(
    cmd: list[str],
    env: Mapping[str, str],
    outputs: Sequence[Output],
    runs: int,
    run: Runner,
    work: Path,
    temporary: bool,
    keep: bool,
    echo: Echo,
    note: Echo,
    ignore: Sequence[IgnoreRule],
    guard: _SignalGuard,
    locate: str = "never",
    locate_json: str | None = None,
) -> Result:
    saved: list[Output] = []
    before: Path | None = None
    status, reproducible, compared = 1, False, False
    failure: SeedlockError | None = None
    stopped: int | None = None
    try:
        # A directory of its own for this call: an earlier call's leftovers (a file it could not put
        # back) are never mixed up with, or overwritten by, this one's.
        try:
            before = Path(tempfile.mkdtemp(prefix="before-", dir=work))
        except OSError as exc:
            raise SeedlockError(
                "io-error",
                f"Cannot create a directory in {work} to keep the existing outputs: {exc.strerror or exc}; nothing ran",
            ) from None
        _move_aside(outputs, before, saved, note)  # no signal interrupts a move (see _SignalGuard)
        guard.check()
        status = _runs(cmd, env, outputs, runs, run, work, echo, note, guard)
        if status == 0:
            with guard.interruptible():
                reproducible, compared = _compare(outputs, runs, work, echo, ignore, note), True
            status = 0 if reproducible else 1
    except _Stopped as stop:
        stopped = stop.signum
    except SeedlockError as err:
        failure = err
    finally:
        # Signals are only remembered here: every output goes back before seedlock acts on one.
        restored = before is None or _restore(saved, before, note)
        if restored and before is not None:
            shutil.rmtree(before, ignore_errors=True)  # only emptied folders are left in it
    if stopped is not None or failure is not None:
        reproducible = False
    if stopped is None and guard.pending() is not None:  # arrived during the restore or the last run's end
        stopped = guard.pending()
    done = reproducible or stopped is not None or failure is not None
    kept = None if (temporary and done and not keep and restored) else work
    if kept is None:
        shutil.rmtree(work, ignore_errors=True)
    if failure is not None:
        raise failure
    if stopped is not None:
        import signal

        name = signal.Signals(stopped).name
        tail = f"; runs kept in {kept}" if kept is not None else ""
        _say(note, f"seedlock: verify: stopped by {name}" + (", outputs restored" if saved and restored else "") + tail)
        return Result(status=128 + stopped, reproducible=False, kept=kept)
    if compared:
        tail = f"; runs kept in {kept}" if kept is not None else ""
        echo(f"seedlock: verify: {'reproducible' if reproducible else 'not reproducible'}{tail}")
    if compared and (locate == "always" or (locate == "on-difference" and not reproducible)):
        # Where the runs part (issue 22): runs of its own under instrumentation; the status stays verify's.
        from ..locate.runner import after_verify

        after_verify(
            cmd,
            env,
            lambda before: _set_aside(outputs, before, note),
            lambda: _clear(outputs),
            run,
            reproducible=reproducible,
            kept=kept,
            json_path=locate_json,
            echo=echo,
            note=note,
        )
    return Result(status=status, reproducible=reproducible, kept=kept)


@contextmanager
def _set_aside(outputs: Sequence[Output], before: Path, note: Echo) -> Iterator[None]:
    """The locator's runs start without the outputs too: the user's are in ``before`` while the block
    runs, then what the runs wrote is removed and they are put back (``before`` removed once empty)."""
    saved: list[Output] = []
    try:
        _move_aside(outputs, before, saved, note)
        yield
    finally:
        _clear(outputs)
        if _restore(saved, before, note):
            shutil.rmtree(before, ignore_errors=True)


def _clear(outputs: Sequence[Output]) -> None:
    for output in outputs:
        _remove(output.path)


def _move_aside(outputs: Sequence[Output], before: Path, saved: list[Output], note: Echo) -> None:
    """Move each existing output to ``before`` and add it to ``saved`` once it is wholly there; an
    output that cannot be moved stays where it is (a partial copy is removed) and is an io-error."""
    for output in outputs:
        if not os.path.lexists(output.path):
            continue
        target = before / output.relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(output.path, target)
                moved = True
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                moved = False
            if not moved:  # another file system: copy, and only then remove the original
                try:
                    _copy(output.path, target)
                except BaseException:
                    _remove_quietly(target)
                    raise
                saved.append(output)  # from here on the restore puts the copy back
                _remove(output.path)
            else:
                saved.append(output)
        except OSError as exc:
            raise SeedlockError(
                "io-error",
                f"Cannot move the existing {output.label} aside to {target}: {exc.strerror or exc}; nothing ran",
            ) from None
        _say(note, f"seedlock: verify: moved the existing {output.label} aside to {target} for the runs")


def _restore(saved: Sequence[Output], before: Path, note: Echo) -> bool:
    """Put the user's outputs back (over what the runs wrote); False when one could not be."""
    ok = True
    for output in saved:
        kept = before / output.relative
        if not os.path.lexists(kept):
            ok = False
            _say(
                note,
                f"seedlock: verify: could not restore {output.label}: the copy verify kept in {kept} is gone "
                f"(was {before.parent} removed while verify ran?)",
            )
            continue
        try:
            _remove(output.path)
            output.path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(kept), str(output.path))
        except OSError as exc:
            ok = False
            _say(note, f"seedlock: verify: could not restore {output.label} ({exc.strerror or exc}); it is in {kept}")
            continue
        _say(note, f"seedlock: verify: restored the existing {output.label}")
    return ok


def _copy(source: Path, target: Path) -> None:
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copy2(source, target, follow_symlinks=False)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def _remove_quietly(path: Path) -> None:
    try:
        _remove(path)
    except OSError:
        pass


def _runs(
    cmd: list[str],
    env: Mapping[str, str],
    outputs: Sequence[Output],
    runs: int,
    run: Runner,
    work: Path,
    echo: Echo,
    note: Echo,
    guard: _SignalGuard,
) -> int:
    for i in range(1, runs + 1):
        _say(note, f"seedlock: verify run {i}/{runs}: {' '.join(cmd)}")
        code = run(cmd, env)
        guard.check()
        # Whatever this run wrote is kept with the runs, even when it failed: it is what to look at.
        with guard.interruptible():
            _check_earlier_runs(outputs, work, i)
            missing = [o for o in outputs if not _collect(o, work / f"run{i}", i)]
        if code != 0:
            echo(f"seedlock: verify: run {i} exited {code}; outputs of the runs are in {work}")
            return code if code > 0 else 1
        if missing:
            echo(f"seedlock: verify: run {i} did not write {missing[0].label}; outputs of the runs are in {work}")
            return 1
        if i < runs:
            for output in outputs:
                try:
                    _remove(output.path)
                except OSError as exc:
                    raise SeedlockError(
                        "io-error", f"Cannot remove run {i}'s {output.label} before run {i + 1}: {exc.strerror or exc}"
                    ) from None
    return 0


def _check_earlier_runs(outputs: Sequence[Output], work: Path, upto: int) -> None:
    """The runs' copies live in a directory others can delete (a temporary-file cleaner): say which
    copies are gone instead of comparing what is left."""
    gone = [
        f"run {i}'s {o.label}"
        for i in range(1, upto)
        for o in outputs
        if not os.path.lexists(work / f"run{i}" / o.relative)
    ]
    if gone:
        listed = ", ".join(gone[:4]) + (f" and {len(gone) - 4} more" if len(gone) > 4 else "")
        where = f"{work} is gone" if not work.exists() else f"{listed} missing in {work}"
        raise SeedlockError(
            "io-error",
            f"The copies of earlier runs vanished while verify ran ({where}; "
            f"missing: {listed}); was the directory cleaned by someone else?",
        )


def _collect(output: Output, run_dir: Path, i: int) -> bool:
    if not os.path.lexists(output.path):
        return False
    target = run_dir / output.relative
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove(target)
        _copy(output.path, target)
    except OSError as exc:
        raise SeedlockError(
            "io-error", f"Cannot keep run {i}'s {output.label} in {target}: {exc.strerror or exc}"
        ) from None
    return True


def _compare(
    outputs: Sequence[Output], runs: int, work: Path, echo: Echo, ignore: Sequence[IgnoreRule], note: Echo
) -> bool:
    from .volatile import Comparison, compare_output

    _check_earlier_runs(outputs, work, runs + 1)
    same = True
    used: set[str] = set()
    for output in outputs:
        found = []
        ignored = []
        for i in range(2, runs + 1):
            try:
                comparison: Comparison = compare_output(
                    work / "run1" / output.relative,
                    work / f"run{i}" / output.relative,
                    output.label,
                    ignore,
                    runs=(1, i),
                )
            except OSError as exc:
                raise SeedlockError(
                    "io-error", f"Cannot read the runs' {output.label} in {work}: {exc.strerror or exc}"
                ) from None
            found += [f"{d.where} (run 1 vs {i}): {d.what}" for d in comparison.differences]
            ignored += [f"ignored {g.where} (run 1 vs {i}, {g.rule}): {g.what}" for g in comparison.ignored]
            used |= comparison.used
        if found:
            same = False
            echo(f"DIFFERS {output.label}:")
        else:
            echo(
                f"identical {output.label} ({runs} runs"
                + (f"; {len(ignored)} differences ignored)" if ignored else ")")
            )
        for line in (found + ignored)[:MAX_LISTED_DIFFERENCES]:
            echo(f"  {line}")
        if len(found) + len(ignored) > MAX_LISTED_DIFFERENCES:
            echo(f"  ... and {len(found) + len(ignored) - MAX_LISTED_DIFFERENCES} more")
    for rule in ignore:
        if rule.text not in used:
            _say(note, f"seedlock: verify: warning: --ignore {rule.text!r} matched no file of the outputs")
    return same
