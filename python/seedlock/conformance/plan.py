"""What a conformance run will do: the case files, read into typed cases, and the plan of fresh
processes (tasks) for the chosen lock, made before anything runs.

A case file (``_conformance/cases/<name>.json``, validated by ``case.schema.json``) holds everything
specific to its case: the command, the checks, what must be installed, its relative ``cost`` (the
scheduler starts expensive cases first), the binding ``sides`` a cross-binding case compares, and the
rank/worker ``streams`` a distinct-streams check expects, and the ``structure`` (which outputs must
be equal, distinct, or partition the data) a structure check asserts. The runner itself knows no case by name.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..spec import _json
from ..spec.derivation import derive
from ..spec.errors import SeedlockError

#: The packaged conformance data: cases, schema, manifest, golden values, Caffe nets (the only copy).
DATA = Path(__file__).resolve().parent.parent / "_conformance"
WORKLOADS = Path(__file__).resolve().parent.parent / "workloads"


@dataclass(frozen=True, kw_only=True)
class Requires:
    """What must be installed for a case to run; missing, the case is skipped (``--require``: failed)."""

    modules: tuple[str, ...] = ()
    executables: tuple[str, ...] = ()
    r_package: bool = False
    #: Distributions by name (a seeder plug-in is one: its module alone does not register the seeder).
    distributions: tuple[str, ...] = ()
    #: Extensions whose seeder must be registered in the entry-point group ``seedlock.seeders``.
    seeders: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Streams:
    """The independent random streams a workload records (arrays named ``<prefix>...``) that must all differ."""

    prefix: str
    count: int
    layout: str  # how they arise, for the report: "2 ranks x 2 workers"


@dataclass(frozen=True, kw_only=True)
class Case:
    name: str
    framework: str
    description: str
    kind: str  # workload, cross-binding, caffe-writer, caffe-train
    stage: str | None = None
    command: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    requires: Requires = field(default_factory=Requires)
    compare_with: str | None = None
    timeout: float = 600.0
    cost: float = 1.0
    sides: tuple[str, ...] = ()
    streams: Streams | None = None
    #: How output arrays must relate (``structure`` check, :mod:`.structure`): kept as the case file says.
    structure: dict[str, Any] | None = None
    #: Why a case that runs from the lock has no golden check (shown in the report instead of one).
    no_golden: str | None = None

    @property
    def reported_checks(self) -> tuple[str, ...]:
        """The checks this case reports on (a cross-binding case has the one implied by its kind)."""
        return self.checks or ("cross-binding",)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Case:
        data = {k: v for k, v in data.items() if k != "$schema"}
        streams = data.pop("streams", None)
        requires = data.get("requires", {})
        return cls(
            **{
                **data,
                "command": tuple(data.get("command", ())),
                "checks": tuple(data.get("checks", ())),
                "sides": tuple(data.get("sides", ())),
                "requires": Requires(
                    modules=tuple(requires.get("modules", ())),
                    executables=tuple(requires.get("executables", ())),
                    r_package=bool(requires.get("r_package", False)),
                    distributions=tuple(requires.get("distributions", ())),
                    seeders=tuple(requires.get("seeders", ())),
                ),
                "streams": Streams(**streams) if streams else None,
            }
        )


@dataclass(frozen=True)
class Task:
    """One fresh process: ``label`` is ``run N``, ``other seed`` (the negative control) or a binding side."""

    case: Case
    stage: str
    label: str
    lock: Path
    out: Path

    @property
    def key(self) -> str:
        return f"{self.case.name}/{self.label}"


@dataclass(frozen=True)
class CasePlan:
    case: Case
    stage: str
    runs: tuple[Task, ...]  # same lock, same stage: must agree
    control: Task | None = None  # other framework seeds: must differ (sensitivity)

    @property
    def tasks(self) -> tuple[Task, ...]:
        return self.runs + ((self.control,) if self.control else ())


@dataclass(frozen=True)
class Skip:
    case: Case
    reason: str
    missing: bool = False  # something is not installed (as opposed to: the manifest has no such stage)


@dataclass(frozen=True)
class Plan:
    lock_path: Path
    cases: tuple[CasePlan, ...]
    skipped: tuple[Skip, ...]

    @property
    def tasks(self) -> tuple[Task, ...]:
        """Every task, expensive cases first so the pool is not left waiting on one at the end."""
        everything = [t for cp in self.cases for t in cp.tasks]
        return tuple(sorted(everything, key=lambda t: -t.case.cost))

    def by_name(self) -> dict[str, CasePlan]:
        return {cp.case.name: cp for cp in self.cases}


def load_cases(directory: Path | None = None) -> list[Case]:
    """Every case file, validated against ``case.schema.json``."""
    import jsonschema

    base = directory or DATA
    schema = json.loads((base / "case.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    cases = []
    for path in sorted((base / "cases").glob("*.json")):
        data = json.loads(path.read_text())
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            raise SeedlockError(
                "invalid-value",
                f"{path.name}: {errors[0].message}",
                "/" + "/".join(str(p) for p in errors[0].absolute_path),
            )
        if data["name"] != path.stem:
            raise SeedlockError(
                "invalid-value", f"{path.name}: name {data['name']!r} differs from the file name", "/name"
            )
        cases.append(Case.from_dict(data))
    return cases


def caffe_binary() -> str | None:
    import os

    return os.environ.get("SEEDLOCK_CAFFE_BIN") or shutil.which("caffe")


_R_PACKAGE: dict[str, bool] = {}


def missing(case: Case) -> str | None:
    """Why a case cannot run here (something not installed), or None."""
    req = case.requires
    for module in req.modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"Python module {module} is not installed"
    if req.distributions or req.seeders:
        from importlib import metadata

        from ..seeding.extensions import GROUP

        for dist in req.distributions:
            try:
                metadata.distribution(dist)
            except metadata.PackageNotFoundError:
                return f"Python distribution {dist} is not installed"
        for name in req.seeders:
            # Looked up by name, not loaded: planning never imports a plug-in (its workload process does).
            if not metadata.entry_points(group=GROUP, name=name):
                return f"no seeder for {name} is installed (entry point {name!r} in group {GROUP!r})"
    for exe in req.executables:
        if (exe == "caffe" and caffe_binary() is None) or (exe != "caffe" and shutil.which(exe) is None):
            hint = " (set SEEDLOCK_CAFFE_BIN or put caffe on PATH)" if exe == "caffe" else ""
            return f"{exe} is not installed{hint}"
    if req.r_package:
        if "ok" not in _R_PACKAGE:
            probe = subprocess.run(
                ["Rscript", "--vanilla", "-e", "suppressMessages(library(seedlock))"], capture_output=True, text=True
            )
            _R_PACKAGE["ok"] = probe.returncode == 0
        if not _R_PACKAGE["ok"]:
            return "the seedlock R package is not installed (R CMD INSTALL r/seedlock)"
    return None


def pick_stage(case: Case, lock: Any) -> str | None:
    """The case's preferred stage when the lock has it with the framework, else the first that lists it."""
    if case.stage and case.stage in lock.stages and case.framework in lock.stages[case.stage].frameworks:
        return case.stage
    for name, stage in lock.stages.items():
        if case.framework in stage.frameworks:
            return name
    return None


def other_lock(lock_doc: dict[str, Any], stage: str) -> dict[str, Any]:
    """The lock with every framework seed of ``stage`` replaced: the negative control."""
    doc = json.loads(json.dumps(lock_doc))
    for entry in doc["stages"][stage]["frameworks"].values():
        entry["seed"] = derive(entry["seed"], "conformance", "other")
        entry["source"] = "manifest"
        entry.pop("variable", None)
    return doc


def make_plan(lock: Any, lock_path: Path, workdir: Path, cases: list[Case], runs: int) -> Plan:
    """The tasks for ``cases`` against ``lock`` (saved at ``lock_path``); writes each negative-control
    lock (``other-<stage>.json``) into ``workdir``, the only files planning creates."""
    lock_doc = lock.to_dict()
    planned: list[CasePlan] = []
    skipped: list[Skip] = []
    for case in cases:
        why = missing(case)
        stage = pick_stage(case, lock)
        if why is None and stage is None:
            skipped.append(Skip(case, f"the manifest has no stage listing {case.framework}"))
            continue
        if why is not None:
            skipped.append(Skip(case, why, missing=True))
            continue
        assert stage is not None
        if case.kind == "cross-binding":
            planned.append(
                CasePlan(
                    case,
                    stage,
                    tuple(Task(case, stage, side, lock_path, workdir / case.name / side) for side in case.sides),
                )
            )
            continue
        other = workdir / f"other-{stage}.json"
        if not other.exists():
            other.write_text(_json.pretty(other_lock(lock_doc, stage)))
        same = tuple(
            Task(case, stage, f"run {i + 1}", lock_path, workdir / case.name / f"run{i + 1}") for i in range(runs)
        )
        control = (
            Task(case, stage, "other seed", other, workdir / case.name / "other")
            if "sensitivity" in case.checks
            else None
        )
        planned.append(CasePlan(case, stage, same, control))
    return Plan(lock_path, tuple(planned), tuple(skipped))
