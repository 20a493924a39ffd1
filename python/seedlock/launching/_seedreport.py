"""What the launcher makes of the status its command's processes wrote (see :mod:`seedlock.seeding._seedstatus`).

Failures are always printed, the whole report with ``--verbose``, and a run in which nothing was
seeded is a warning (``--strict``: an error). The launcher (:mod:`seedlock.launching._launch_fast`) imports this
module only when there is something to say; it imports nothing of the launcher's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..seeding._seedstatus import CONTROLLED_KINDS
from ..spec import _registry

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from ..spec.lock import LockedStage

# The module whose import seeds a framework, for "not imported" lines (the registry's "module"). An
# extension's module is its seeder's to name, and the launcher does not load seeders: its line says so in general.
_TRIGGER = {fw: module for fw, module in _registry.MODULES.items() if module is not None}
_EXTENSION_TRIGGER = "the module its seeder waits for"
#: Findings about the program's own seeding calls (seedlock.seeding._intercept), listed under -v.


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
    def uncontrolled(self) -> tuple[Mapping[str, str], ...]:
        """Findings of randomness the lock does not control (each a warning; an error with --strict)."""
        return tuple(f for f in self.findings if f["kind"] not in CONTROLLED_KINDS)

    def by_rule(self) -> dict[str, tuple[int, str]]:
        """Framework -> (how many generators made without a seed were seeded by rule, where the first was)."""
        out: dict[str, tuple[int, str]] = {}
        for f in self.findings:
            if f["kind"] == "seedless-generator":
                count = int(f.get("count") or 1)
                before = out.get(f["framework"], (0, f["where"]))
                out[f["framework"]] = (max(count, before[0]), before[1] or f["where"])
        return out

    @property
    def failures(self) -> tuple[Mapping[str, str], ...]:
        return tuple(a for a in self.actions if a["status"] == "failed")

    def title(self) -> str:
        import shlex

        cmd = shlex.join(self.argv) if self.argv else self.binding
        how = " and ".join(
            sorted(
                {
                    "auto": "auto-seeded",
                    "apply": "apply()",
                    "set_seedlock": "set_seedlock()",
                    "seedlock_from_env": "seedlock_from_env()",
                    "seed_epoch": "seed_epoch()",
                }.get(v, v)
                for v in self.via
            )
        )
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

    @property
    def uncontrolled(self) -> tuple[tuple[SeededProcess, Mapping[str, str]], ...]:
        return tuple((p, f) for p in self.processes for f in p.uncontrolled)

    def report_lines(self) -> list[str]:
        """The full report (``--verbose``), like ``str(ApplyReport)`` for each process, and for each
        framework what controls it: seeded by seedlock (the steps), generators made without a seed seeded
        by rule (count), re-seeded by the program at FILE:LINE, imported but not in the stage, or not
        imported."""
        out = []
        for p in self.processes:
            out.append(f"seedlock: stage {self.stage!r} in {p.title()}:")
            done = set()
            for a in p.actions:
                done.add(a["framework"])
                tail = f" ({a['detail']})" if a["detail"] else ""
                out.append(f"  {a['framework']:<10} {a['status']:<8} {a['what']}{tail}")
            for fw, (count, where) in sorted(p.by_rule().items()):
                out.append(
                    f"  {fw:<10} {'by rule':<8} {count} generator(s) made without a seed, seeded by rule "
                    f"(spec 6.3; the first at {where or 'an unknown line'})"
                )
            for f in p.findings:
                if f["kind"] == "seedless-generator":
                    continue
                done.add(f["framework"])
                out.append(f"  {f['framework']:<10} {_STATUS.get(f['kind'], f['kind']):<8} {_finding_text(f)}")
            if "auto" in p.via:
                owned = self.frameworks if p.binding == "python" else ("r",)
                for fw in owned:
                    if fw in self.frameworks and fw not in done:
                        reason = f"{_TRIGGER.get(fw, _EXTENSION_TRIGGER)} not imported: nothing to seed"
                        out.append(f"  {fw:<10} {'-':<8} {reason}")
        return out

    @property
    def overrides(self) -> tuple[tuple[SeededProcess, Mapping[str, str]], ...]:
        """Seeding calls of the program that threw the lock's seeds away (``reseeded`` findings)."""
        return tuple((p, f) for p in self.processes for f in p.findings if f["kind"] == "reseeded")

    def failure_lines(self) -> list[str]:
        """Failed steps and randomness the lock does not control: printed with or without ``--verbose``."""
        return [
            f"seedlock: warning: stage {self.stage!r} in {p.title()}: {a['framework']} {a['what']} failed"
            + (f": {a['detail']}" if a["detail"] else "")
            for p, a in self.failures
        ] + self.uncontrolled_lines()

    def uncontrolled_lines(self) -> list[str]:
        # A program's own seeding call reads best as the program's line saying what it did (its detail
        # starts from the call: "np.random.seed(42) seeded numpy after seedlock: ..."); other findings
        # name the process they happened in.
        return [
            f"seedlock: warning: stage {self.stage!r}: {f['where']} {f['detail']}"
            if f["kind"] == "reseeded"
            else f"seedlock: warning: stage {self.stage!r} in {p.title()}: {f['framework']} not controlled by the "
            f"lock: {_finding_text(f)}"
            for p, f in self.uncontrolled
        ]

    def problem(self, cmd: Sequence[str], *, auto_seed: bool) -> str | None:
        """What is wrong with the run as a whole: failed steps, randomness the lock does not control, or
        nothing seeded; None when all is well."""
        if self.failures:
            return f"{len(self.failures)} seeding step(s) failed in stage {self.stage!r} (see above)"
        if self.uncontrolled:
            hint = (
                "; `seedlock run --take-over` seeds the program's own seeding calls from the lock"
                if self.overrides
                else ""
            )
            return (
                f"{len(self.uncontrolled)} source(s) of randomness in stage {self.stage!r} not controlled by the "
                f"lock (see above{hint})"
            )
        if not self.seeded:
            return self.nobody_line(cmd, auto_seed=auto_seed)
        return None

    def record(self) -> dict[str, Any]:
        """What a run record keeps (``provenance.seeding``, spec §5.4): the steps that failed and every
        finding, each saying whether the lock controls it, so that a record never claims a control that
        did not happen."""
        findings = [
            {
                "kind": f["kind"],
                "framework": f["framework"],
                "where": f["where"],
                "detail": f["detail"],
                "controlled": f["kind"] in CONTROLLED_KINDS,
                **({"count": int(f["count"])} if f.get("count") else {}),
            }
            for p in self.processes
            for f in _last_counts(p.findings)
        ]
        failed = [{"framework": a["framework"], "what": a["what"], "detail": a["detail"]} for _, a in self.failures]
        return {"seeded": self.seeded, "failed": failed, "findings": findings}

    def nobody_line(self, cmd: Sequence[str], *, auto_seed: bool) -> str:
        import shlex

        started = [p for p in self.processes if "auto" in p.via]
        if started:
            why = (
                f"{len(started)} program(s) started with auto-seeding, but stage {self.stage!r} lists "
                f"nothing they use ({', '.join(self.frameworks)})"
            )
        elif auto_seed:
            why = (
                "no Python or R program started with auto-seeding (a program that is neither, started with "
                "python -I/-E/-S or Rscript --vanilla, or with PYTHONPATH or R_PROFILE_USER replaced, skips it) "
                "and none called seedlock.apply_from_env() or seedlock_from_env()"
            )
        else:
            why = "with --no-auto-seed the program must call seedlock.apply_from_env() (R: seedlock_from_env())"
        return f"nothing in `{shlex.join(cmd)}` was seeded by seedlock: {why}"


#: The status column of each kind of finding in the ``--verbose`` report.
_STATUS = {
    "reseeded": "reseeded",
    "taken-over": "taken",
    "unlisted-framework": "unlisted",
    "unseeded-worker": "unseeded",
    "unseeded-generator": "unseeded",
}


def _finding_text(f: Mapping[str, str]) -> str:
    where = f" (at {f['where']})" if f["where"] else ""
    return f"{f['detail']}{where}"


def _last_counts(findings: Sequence[Mapping[str, str]]) -> list[Mapping[str, str]]:
    """Findings with a counted kind kept once per framework (the one with the largest count)."""
    out: list[Mapping[str, str]] = []
    counted: dict[tuple[str, str], int] = {}
    for f in findings:
        if f.get("count"):
            key = (f["kind"], f["framework"])
            if key in counted:
                if int(f["count"]) > int(out[counted[key]]["count"]):
                    out[counted[key]] = {**f, "where": out[counted[key]]["where"] or f["where"]}
                continue
            counted[key] = len(out)
        out.append(f)
    return out


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
                finding = {k: str(item.get(k, "")) for k in ("kind", "framework", "where", "detail")}
                if isinstance(item.get("count"), int):
                    finding["count"] = str(item["count"])
                findings.append(finding)
        processes.append(
            SeededProcess(
                name=path.stem,
                binding=binding,
                pid=pid,
                argv=argv,
                via=frozenset(via),
                actions=tuple(actions),
                findings=tuple(findings),
            )
        )
    return Outcome(stage=stage.name, frameworks=tuple(stage.frameworks), processes=tuple(processes))


def report_outcome(
    outcome: Outcome, cmd: Sequence[str], stage: str, code: int, *, auto_seed: bool, strict: bool, verbose: bool
) -> int:
    """Say what the run's processes seeded (failures; everything with ``verbose``); the exit status."""
    from ..spec.errors import SeedlockError, pointer_join

    for line in outcome.report_lines() if verbose else outcome.failure_lines():
        print(line, file=sys.stderr)
    problem = outcome.problem(cmd, auto_seed=auto_seed)
    if problem is None:
        return code
    if strict and code == 0:
        raise SeedlockError("not-applied", problem, pointer_join("/stages", stage))
    if not outcome.failures:  # failures were printed above
        print(f"seedlock: warning: {problem}", file=sys.stderr)
    return code
