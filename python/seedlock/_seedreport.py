"""What the launcher makes of the status its command's processes wrote (see :mod:`seedlock._seedstatus`).

Failures are always printed, the whole report with ``--verbose``, and a run in which nothing was
seeded is a warning (``--strict``: an error).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ._seedstatus import STRICT_VARIABLE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .lock import LockedStage

# The module whose import seeds a framework, for "not imported" lines (a test holds it to the registry
# and to _autoseed.TRIGGERS). An extension's module is its seeder's to name, and the launcher does not
# load seeders: its line says so in general.
_TRIGGER = {"numpy": "numpy.random", "torch": "torch", "tensorflow": "tensorflow", "jax": "jax", "r": "rpy2",
            "caffe": "caffe"}
_EXTENSION_TRIGGER = "the module its seeder waits for"


def autoseed_environment(stage: LockedStage, status_dir: str, base: Mapping[str, str], *, auto_seed: bool,
                      strict: bool) -> dict[str, str]:
    """The variables that make ``stage``'s Python and R children seed themselves and report back.

    With ``auto_seed`` the bootstrap directory goes first on ``PYTHONPATH`` (its ``sitecustomize``
    chains any other) and ``R_PROFILE_USER`` names seedlock's R profile (which sources the user's own).
    """
    # One implementation, in the launcher (which cannot afford json).
    from ._launch_fast import autoseed_environment as environment

    env = environment(stage, status_dir, base, auto_seed=auto_seed)
    if strict:
        env[STRICT_VARIABLE] = "1"
    return env


@dataclass(frozen=True, kw_only=True)
class SeededProcess:
    """What one process of the run reported: how it was seeded (``via``) and each action."""

    name: str
    binding: str
    pid: str
    argv: tuple[str, ...] = ()
    via: frozenset[str] = frozenset()
    actions: tuple[Mapping[str, str], ...] = ()
    #: what the process reported about randomness the lock does not control (``_seedstatus.FINDING_KINDS``)
    findings: tuple[Mapping[str, str], ...] = ()

    @property
    def seeded(self) -> bool:
        return any(a["status"] == "applied" for a in self.actions)

    @property
    def failures(self) -> tuple[Mapping[str, str], ...]:
        return tuple(a for a in self.actions if a["status"] == "failed")

    def title(self) -> str:
        import shlex

        cmd = shlex.join(self.argv) if self.argv else self.binding
        how = " and ".join(sorted({"auto": "auto-seeded", "apply": "apply()", "set_seedlock": "set_seedlock()",
                                   "seedlock_from_env": "seedlock_from_env()", "seed_epoch": "seed_epoch()"}
                                  .get(v, v) for v in self.via))
        return f"`{cmd}` (pid {self.pid}, {how or 'no seeding'})"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """Everything the run's processes reported, and what to say about it."""

    stage: str
    frameworks: tuple[str, ...]
    processes: tuple[SeededProcess, ...] = field(default_factory=tuple)

    @property
    def seeded(self) -> bool:
        return any(p.seeded for p in self.processes)

    @property
    def failures(self) -> tuple[tuple[SeededProcess, Mapping[str, str]], ...]:
        return tuple((p, a) for p in self.processes for a in p.failures)

    def report_lines(self) -> list[str]:
        """The full report (``--verbose``), like ``str(ApplyReport)`` for each process."""
        out = []
        for p in self.processes:
            out.append(f"seedlock: stage {self.stage!r} in {p.title()}:")
            done = set()
            for a in p.actions:
                done.add(a["framework"])
                tail = f" ({a['detail']})" if a["detail"] else ""
                out.append(f"  {a['framework']:<10} {a['status']:<8} {a['what']}{tail}")
            if "auto" in p.via:
                owned = self.frameworks if p.binding == "python" else ("r",)
                for fw in owned:
                    if fw in self.frameworks and fw not in done:
                        reason = f"{_TRIGGER.get(fw, _EXTENSION_TRIGGER)} not imported: nothing to seed"
                        out.append(f"  {fw:<10} {'-':<8} {reason}")
        return out

    def failure_lines(self) -> list[str]:
        return [f"seedlock: warning: stage {self.stage!r} in {p.title()}: {a['framework']} {a['what']} failed"
                + (f": {a['detail']}" if a["detail"] else "") for p, a in self.failures]

    def problem(self, cmd: Sequence[str], *, auto_seed: bool) -> str | None:
        """What is wrong with the run as a whole: failed steps, or nothing seeded; None when all is well."""
        if self.failures:
            return f"{len(self.failures)} seeding step(s) failed in stage {self.stage!r} (see above)"
        if not self.seeded:
            return self.nobody_line(cmd, auto_seed=auto_seed)
        return None

    def nobody_line(self, cmd: Sequence[str], *, auto_seed: bool) -> str:
        import shlex

        started = [p for p in self.processes if "auto" in p.via]
        if started:
            why = (f"{len(started)} program(s) started with auto-seeding, but stage {self.stage!r} lists "
                   f"nothing they use ({', '.join(self.frameworks)})")
        elif auto_seed:
            why = ("no Python or R program started with auto-seeding (a program that is neither, or started with "
                   "python -I/-E/-S or Rscript --vanilla, skips it) and none called seedlock.apply_from_env() "
                   "or seedlock_from_env()")
        else:
            why = "with --no-auto-seed the program must call seedlock.apply_from_env() (R: seedlock_from_env())"
        return f"nothing in `{shlex.join(cmd)}` was seeded by seedlock: {why}"


def read_outcome(status_dir: str, stage: LockedStage) -> Outcome:
    """Collect what the processes of a run wrote to ``status_dir``."""
    processes = []
    for path in sorted(Path(status_dir).glob("*.jsonl"), key=lambda p: p.stat().st_mtime_ns):
        binding, _, pid = path.stem.partition("-")
        argv: tuple[str, ...] = ()
        via: set[str] = set()
        actions = []
        findings = []
        for line in path.read_text("utf-8", errors="replace").splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a process killed mid-write leaves at most a partial last line
            if not isinstance(item, dict):
                continue
            via.add(str(item.get("via", "")))
            if item.get("event") == "start":
                argv = tuple(str(a) for a in item.get("argv", ()))
            elif item.get("event") == "action":
                actions.append({k: str(item.get(k, "")) for k in ("framework", "status", "what", "detail")})
            elif item.get("event") == "finding":
                findings.append({k: str(item.get(k, "")) for k in ("kind", "framework", "where", "detail")})
        processes.append(SeededProcess(name=path.stem, binding=binding, pid=pid, argv=argv, via=frozenset(via),
                                       actions=tuple(actions), findings=tuple(findings)))
    return Outcome(stage=stage.name, frameworks=tuple(stage.frameworks), processes=tuple(processes))

