"""Launching workloads: a stage's environment (spec §6), the foreground runner and the supervisor.

* :func:`stage_environment` / :func:`child_environment` / :func:`format_environment`: the variables
  ``seedlock run`` sets (one implementation, :func:`seedlock.launching._launch_fast.stage_variables`).
* :func:`run_child` / :func:`run_seeded`: the foreground runner of ``seedlock run`` and ``seedlock
  verify`` (:func:`seedlock.launching._launch_fast.run_command`): PDEATHSIG, inherited descriptors passed on,
  SIGTERM/SIGINT/SIGHUP sent to seedlock alone forwarded (a terminal's Ctrl-C is not sent twice), a
  child killed by signal N reported and 128+N; :func:`run_seeded` with ``child=`` is how the local
  replicate engine runs each replicate under its :class:`Supervisor`.

Imports run one way: this module uses :mod:`seedlock.launching._launch_fast`, which uses
:mod:`seedlock.launching._seedreport` (the report, when there is something to say); neither imports this one.
* :class:`Supervisor`: the conformance runner's children, in parallel, each (with ``own_group=True``)
  leading its own process group, so that stopping it also stops its DataLoader workers and torchrun
  ranks: :meth:`Supervisor.stop` leaves no orphans; PDEATHSIG here too.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from . import _prctl  # imported here, never in a child between fork and exec

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable, Mapping, Sequence

    from ..spec.lock import LockedStage

#: Signals seedlock passes on to its children instead of dying alone.
FORWARDED_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")
#: Frameworks' start-up noise off (and TF's oneDNN reordering, which changes float results) in workloads
#: seedlock starts on its own, where nobody reads their stderr unless they fail.
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
#: Seconds a stopped process group gets between SIGTERM and SIGKILL.
KILL_GRACE_SECONDS = 5.0


def stage_environment(stage: LockedStage, lock_path: str | os.PathLike[str]) -> dict[str, str]:
    """The variables ``seedlock run`` sets for ``stage`` (spec §6): where the lock is, which stage,
    and the variables a framework reads only at start-up (hash seed, determinism switches), as
    ``spec/registry.json`` lists them (:func:`seedlock.launching._launch_fast.stage_variables`)."""
    from ._launch_fast import stage_variables

    return stage_variables(lock_path, stage)


def child_environment(
    stage: LockedStage, lock_path: str | os.PathLike[str], base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (default: this process's environment) with the stage's variables on top."""
    from ._launch_fast import REPLICATE_VARIABLES

    env = dict(os.environ if base is None else base)
    # A replicate is the launcher's to give (spec §13.2): a run started inside one runs the lock's
    # stage unless it is given --replicate itself (which sets these again).
    for name in REPLICATE_VARIABLES:
        env.pop(name, None)
    env.update(stage_environment(stage, lock_path))
    return env


def format_environment(env: Mapping[str, str], fmt: str = "sh") -> str:
    """``env`` as ``sh`` export lines, ``dotenv`` lines or ``json`` (what ``seedlock env`` prints)."""
    if fmt == "json":
        import json

        return json.dumps(dict(env), indent=2, sort_keys=True) + "\n"
    if fmt == "dotenv":
        return "".join(f"{key}={value}\n" for key, value in env.items())
    if fmt == "sh":
        import shlex

        return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in env.items())
    raise ValueError(f"unknown environment format {fmt!r} (sh, dotenv, json)")


def _load_prctl() -> object | None:
    """libc's prctl, looked up once in the parent (see :mod:`seedlock.launching._prctl`)."""
    return _prctl.load()


def die_with_parent(parent: int | None = None) -> None:
    """In the child before exec (Linux): get SIGTERM when seedlock (pid ``parent``, if given) dies,
    even by SIGKILL.

    The kernel ties PDEATHSIG to the *thread* that forked; :meth:`Supervisor.run` and
    :func:`run_child` wait for the child in that same thread, so it always outlives the child."""
    import signal

    prctl = _load_prctl()
    if prctl is not None:
        prctl(_prctl.PR_SET_PDEATHSIG, signal.SIGTERM)  # type: ignore[operator]
        if parent is not None and os.getppid() != parent:  # it died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)


@dataclass(frozen=True)
class Finished:
    """How a supervised child ended. ``code`` is 128+N when signal N killed it, -1 when it timed out or
    was never started because the supervisor was stopping; ``stdout``/``stderr`` when captured."""

    code: int
    stdout: str = ""
    stderr: str = ""
    signal: str | None = None
    timed_out: bool = False


class Supervisor:
    """Starts children and stops them all together; one instance per seedlock command."""

    def __init__(self, *, own_group: bool = True) -> None:
        self.own_group = own_group
        self.stopping: str | None = None  # the signal name that stopped the supervisor
        self._active: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()

    def run(
        self,
        cmd: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | os.PathLike[str] | None = None,
        capture: bool = False,
        timeout: float | None = None,
    ) -> Finished:
        """Run ``cmd`` to its end (in the calling thread). Output goes to this process's stdout/stderr
        unless ``capture``; after ``timeout`` seconds the child (and its group) is killed."""
        import signal
        import subprocess
        from functools import partial

        pipe = subprocess.PIPE if capture else None
        with self._lock:
            if self.stopping:
                return Finished(-1, "", "interrupted")
            try:
                proc = subprocess.Popen(
                    list(cmd),
                    cwd=cwd,
                    env=dict(env),
                    stdout=pipe,
                    stderr=pipe,
                    text=True,
                    start_new_session=self.own_group,
                    preexec_fn=partial(die_with_parent, os.getpid()) if _load_prctl() else None,
                )
            except OSError as exc:
                from ..spec.errors import SeedlockError

                raise SeedlockError("io-error", f"Cannot run {cmd[0]!r}: {exc.strerror or exc}") from None
            self._active.add(proc)
        try:
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill(proc)
                out, err = proc.communicate()
                return Finished(-1, out or "", f"timed out after {timeout:.0f} s\n{err or ''}", timed_out=True)
        finally:
            with self._lock:
                self._active.discard(proc)
        code = proc.returncode
        if code < 0:
            return Finished(128 - code, out or "", err or "", signal=signal.Signals(-code).name)
        return Finished(code, out or "", err or "")

    def send(self, signum: int) -> None:
        """Pass ``signum`` on to every running child (its whole group when it has one)."""
        with self._lock:
            active = list(self._active)
        for proc in active:
            try:
                os.killpg(proc.pid, signum) if self.own_group else proc.send_signal(signum)
            except ProcessLookupError:
                pass

    def stop(self, why: str) -> None:
        """Start no more children; SIGTERM, then SIGKILL, every running one with all its processes."""
        with self._lock:
            self.stopping = why
            active = list(self._active)
        for proc in active:
            self._kill(proc)

    def _kill(self, proc: subprocess.Popen[str]) -> None:
        """SIGTERM, a grace period, then SIGKILL: for the whole group when the child has one, where a
        leader that exits at once must not leave its workers (torchrun ranks, DataLoader workers) behind."""
        import signal
        import subprocess
        import time

        if not self.own_group:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                proc.send_signal(sig)
                try:
                    proc.wait(timeout=KILL_GRACE_SECONDS)
                    return
                except subprocess.TimeoutExpired:
                    continue
            return
        deadline = time.monotonic() + KILL_GRACE_SECONDS
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            while time.monotonic() < deadline:
                try:
                    proc.wait(timeout=0.05)  # reaps the leader, so the group test below can succeed
                except subprocess.TimeoutExpired:
                    pass
                os.killpg(proc.pid, 0)  # ProcessLookupError once every process of the group is gone
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        except PermissionError:  # the group id was reused by another user's processes: not ours
            pass
        proc.wait()

    def forwarding_signals(self, *, stop: bool = False) -> _SignalScope:
        """While active (main thread only), SIGTERM/SIGINT/SIGHUP to seedlock go to the children:
        passed on as they are, or, with ``stop``, by :meth:`stop` (every child and its group ended)."""
        return _SignalScope(self, stop)


class _SignalScope:
    def __init__(self, supervisor: Supervisor, stop: bool) -> None:
        self.supervisor, self.stop = supervisor, stop
        self.previous: dict[int, object] = {}

    def _handler(self, signum: int, _frame: object) -> None:
        import signal

        if self.stop:
            # Stopping waits for the children; a handler must not block the thread it interrupted.
            threading.Thread(target=self.supervisor.stop, args=(signal.Signals(signum).name,), daemon=True).start()
        else:
            self.supervisor.send(signum)

    def __enter__(self) -> _SignalScope:
        import signal

        if threading.current_thread() is threading.main_thread():
            self.previous = {
                getattr(signal, name): signal.signal(getattr(signal, name), self._handler) for name in FORWARDED_SIGNALS
            }
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def run_seeded(
    cmd: Sequence[str],
    env: Mapping[str, str],
    stage: LockedStage,
    *,
    auto_seed: bool = True,
    strict: bool = False,
    verbose: bool = False,
    child: Callable[[Sequence[str], Mapping[str, str]], int] | None = None,
) -> int:
    """:func:`run_child` for a stage, as ``seedlock run`` runs it (:func:`seedlock.launching._launch_fast.run_stage`):
    its Python and R programs seed themselves (unless not ``auto_seed``) and report back through a
    private status directory; then say what was seeded.

    Every failed step is printed, the whole report with ``verbose``, and a run nothing seeded is a
    warning. With ``strict`` the programs stop at the first step that fails, and a failed step or a run
    that seeded nothing is ``not-applied`` (unless the command failed: its exit status is returned).
    ``child`` starts the command instead of the foreground launcher: the local replicate engine
    (:func:`seedlock.launching.replicating.run_replicate`) runs several at once under one :class:`Supervisor`."""
    from ._launch_fast import _remove, _status_dir, run_stage

    status_dir = _status_dir()
    try:
        return run_stage(cmd, env, stage, status_dir, auto_seed=auto_seed, strict=strict, verbose=verbose, child=child)
    finally:
        _remove(status_dir)


def run_child(cmd: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``cmd`` in the foreground as ``seedlock run`` does (:func:`seedlock.launching._launch_fast.run_command`):
    same terminal and process group, inherited descriptors passed on, PDEATHSIG set, SIGTERM/SIGINT/SIGHUP
    sent to seedlock alone forwarded (a terminal's Ctrl-C reached the child already); returns its exit
    code, 128+N (and says so on stderr) when killed by N; ``io-error`` when it cannot be started."""
    from ._launch_fast import run_command

    return run_command(cmd, env)
