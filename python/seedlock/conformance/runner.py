"""Runs conformance cases as fresh processes, in parallel, and reports pass / FAIL / drift / skipped.

Checks per case (the case file says which apply):

* ``repeat``: every run from the same lock and stage gives bit-identical outputs;
* ``sensitivity``: a run whose framework seeds are changed gives different outputs, so ``repeat``
  cannot pass vacuously;
* ``golden``: draws from fixed seeds equal stored reference values; a mismatch under another
  framework version than the one recorded is reported as *drift*, not hidden;
* ``distinct-streams``: per-rank and per-worker augmentation streams all differ;
* ``cross-binding``: outputs equal those of another binding exactly (``compare_with``, and the
  ``cross-binding`` case: Python, Rscript and rpy2).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import _json
from ..derivation import derive
from ..errors import SeedlockError
from ..launch import QUIET_ENV, Supervisor
from .compare import compare_paths

DATA = Path(__file__).resolve().parent.parent / "_conformance"
WORKLOADS = Path(__file__).resolve().parent.parent / "workloads"
SKIP_EXIT = 77
FRAMEWORK_ORDER = ("python", "numpy", "torch", "tensorflow", "r", "caffe")
CHECK_ORDER = ("repeat", "sensitivity", "golden", "distinct-streams", "cross-binding")


@dataclass(frozen=True, kw_only=True)
class Case:
    name: str
    framework: str
    description: str
    kind: str
    stage: str | None = None
    command: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    requires: dict[str, Any] = field(default_factory=dict)
    compare_with: str | None = None
    timeout: float = 600.0


@dataclass
class Result:
    case: str
    framework: str
    check: str
    status: str  # pass, FAIL, drift, skipped
    detail: str = ""
    missing: bool = False  # skipped because something is not installed (--require makes it a failure)


@dataclass
class Task:
    case: Case
    label: str
    lock: Path
    out: Path
    seconds: float = 0.0
    code: int | None = None
    stdout: str = ""
    stderr: str = ""


@dataclass(frozen=True, kw_only=True)
class Options:
    manifest: Path | None = None
    frameworks: tuple[str, ...] = ()
    runs: int = 2
    require: tuple[str, ...] = ()
    jobs: int = 0
    workdir: Path | None = None
    junit: Path | None = None
    json_report: Path | None = None
    write_golden: Path | None = None
    progress: bool = True


@dataclass
class Report:
    results: list[Result]
    wall_seconds: float
    task_seconds: float
    jobs: int
    versions: dict[str, Any]
    interrupted: str | None = None

    @property
    def failed(self) -> bool:
        return self.interrupted is not None or any(r.status == "FAIL" for r in self.results)

    @property
    def exit_code(self) -> int:
        """``seedlock conformance``'s exit status: 0 passed, 1 failed, 128+N when stopped by signal N."""
        if self.interrupted:
            import signal

            return 128 + int(signal.Signals[self.interrupted])
        return 1 if self.failed else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": not self.failed,
            "wall_seconds": round(self.wall_seconds, 2),
            "task_seconds": round(self.task_seconds, 2),
            "jobs": self.jobs,
            "parallel_efficiency": round(self.task_seconds / (self.wall_seconds * self.jobs), 3) if self.wall_seconds else None,
            "versions": self.versions,
            "results": [r.__dict__ for r in self.results],
        }


def required_frameworks(text: str) -> tuple[str, ...]:
    """``--require``: a comma list, ``all`` or ``all-but-caffe``; ValueError names unknown frameworks."""
    from ..settings import FRAMEWORKS

    if not text:
        return ()
    if text == "all":
        return tuple(FRAMEWORKS)
    if text == "all-but-caffe":
        return tuple(f for f in FRAMEWORKS if f != "caffe")
    required = tuple(x.strip() for x in text.split(",") if x.strip())
    unknown = [f for f in required if f not in FRAMEWORKS]
    if unknown:
        raise ValueError(f"unknown framework in --require: {', '.join(unknown)}")
    return required


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
            raise SeedlockError("invalid-value", f"{path.name}: {errors[0].message}",
                                "/" + "/".join(str(p) for p in errors[0].absolute_path))
        if data["name"] != path.stem:
            raise SeedlockError("invalid-value", f"{path.name}: name {data['name']!r} differs from the file name", "/name")
        data.pop("$schema", None)
        data["command"] = tuple(data.get("command", ()))
        data["checks"] = tuple(data.get("checks", ()))
        cases.append(Case(**data))
    return cases


def _caffe_binary() -> str | None:
    return os.environ.get("SEEDLOCK_CAFFE_BIN") or shutil.which("caffe")


_R_PACKAGE: dict[str, bool] = {}


def _missing(case: Case) -> str | None:
    """Why a case cannot run here (something not installed), or None."""
    req = case.requires
    for module in req.get("modules", []):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return f"Python module {module} is not installed"
    for exe in req.get("executables", []):
        if (exe == "caffe" and _caffe_binary() is None) or (exe != "caffe" and shutil.which(exe) is None):
            hint = " (set SEEDLOCK_CAFFE_BIN or put caffe on PATH)" if exe == "caffe" else ""
            return f"{exe} is not installed{hint}"
    if req.get("r_package"):
        if "ok" not in _R_PACKAGE:
            probe = subprocess.run(["Rscript", "--vanilla", "-e", "suppressMessages(library(seedlock))"],
                                   capture_output=True, text=True)
            _R_PACKAGE["ok"] = probe.returncode == 0
        if not _R_PACKAGE["ok"]:
            return "the seedlock R package is not installed (R CMD INSTALL r/seedlock)"
    return None


def _pick_stage(case: Case, lock: Any) -> str | None:
    if case.stage and case.stage in lock.stages and case.framework in lock.stages[case.stage].frameworks:
        return case.stage
    for name, stage in lock.stages.items():
        if case.framework in stage.frameworks:
            return name
    return None


def _other_lock(lock_doc: dict[str, Any], stage: str) -> dict[str, Any]:
    """The lock with every framework seed of ``stage`` replaced: the negative control."""
    doc = json.loads(json.dumps(lock_doc))
    for entry in doc["stages"][stage]["frameworks"].values():
        entry["seed"] = derive(entry["seed"], "conformance", "other")
        entry["source"] = "manifest"
        entry.pop("variable", None)
    return doc


class _Progress:
    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled
        self.lock = threading.Lock()

    def tick(self, task: Task) -> None:
        with self.lock:
            self.done += 1
            if self.enabled:
                state = "ok" if task.code == 0 else ("skipped" if task.code == SKIP_EXIT else f"exit {task.code}")
                print(f"conformance: [{self.done}/{self.total}] {task.case.name} {task.label}: {state} ({task.seconds:.1f} s)",
                      file=sys.stderr, flush=True)


def run(options: Options) -> Report:
    """Run the suite; print the table; write JUnit/JSON when asked. Returns the report."""
    import seedlock

    start = time.perf_counter()
    jobs = options.jobs or os.cpu_count() or 1
    workdir = Path(options.workdir or tempfile.mkdtemp(prefix="seedlock-conformance-"))
    workdir.mkdir(parents=True, exist_ok=True)
    manifest_path = options.manifest or DATA / "manifest.json"
    document = seedlock.read(manifest_path)
    lock = document if isinstance(document, seedlock.Lock) else seedlock.resolve(document)
    lock_path = workdir / "lock.json"
    lock_path.write_text(_json.pretty(lock.to_dict()))
    lock_doc = lock.to_dict()

    cases = [c for c in load_cases() if not options.frameworks or c.framework in options.frameworks]
    results: list[Result] = []
    tasks: list[Task] = []
    plans: dict[str, tuple[Case, str, list[Task], Task | None]] = {}
    for case in cases:
        why = _missing(case)
        stage = _pick_stage(case, lock)
        if why is None and stage is None:
            results += _skip(case, f"the manifest has no stage listing {case.framework}")
            continue
        if why is not None:
            results += _skip(case, why, missing=True)
            continue
        assert stage is not None
        other = workdir / f"other-{stage}.json"
        if not other.exists():
            other.write_text(_json.pretty(_other_lock(lock_doc, stage)))
        same = [Task(case, f"run {i + 1}", lock_path, workdir / case.name / f"run{i + 1}") for i in range(options.runs)]
        control = Task(case, "other seed", other, workdir / case.name / "other") if "sensitivity" in case.checks else None
        if case.kind == "cross-binding":
            same = [Task(case, side, lock_path, workdir / case.name / side) for side in ("python", "rscript", "rpy2")]
            control = None
        plans[case.name] = (case, stage, same, control)
        tasks += same + ([control] if control else [])

    progress = _Progress(len(tasks), options.progress)
    children = Supervisor(own_group=True)

    def execute(task: Task) -> None:
        if children.stopping:
            return
        stage = plans[task.case.name][1]
        task.out.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        cmd, cwd = _command(task, stage)
        done = children.run(cmd, cwd=cwd, timeout=task.case.timeout, capture=True, env={**os.environ, **QUIET_ENV})
        task.code, task.stdout, task.stderr = done.code, done.stdout, done.stderr
        task.seconds = time.perf_counter() - began
        progress.tick(task)

    # Long cases first, so the pool is not left waiting on one at the end.
    heavy = {"torch-ddp": 0, "tensorflow-keras": 1, "torch-mlp": 2}
    ordered = sorted(tasks, key=lambda t: heavy.get(t.case.name, 9))
    with children.forwarding_signals(stop=True), ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(execute, ordered))
    if children.stopping:
        print(f"seedlock: conformance interrupted by {children.stopping}; every workload process was stopped",
              file=sys.stderr)
        return Report(results=[], wall_seconds=time.perf_counter() - start, task_seconds=0.0, jobs=jobs,
                      versions={}, interrupted=children.stopping)

    golden = json.loads((DATA / "golden.json").read_text())
    recorded: dict[str, Any] = {}
    for case, stage, same, control in plans.values():
        results += _evaluate(case, stage, same, control, golden, recorded, plans)
    if options.write_golden:
        options.write_golden.write_text(json.dumps(dict(sorted(recorded.items())), indent=1) + "\n")

    required = set(options.require)
    for r in results:
        if r.status == "skipped" and r.missing and r.framework in required:
            r.status, r.detail = "FAIL", f"required but skipped: {r.detail}"
    results.sort(key=lambda r: (FRAMEWORK_ORDER.index(r.framework), r.case, CHECK_ORDER.index(r.check)))
    report = Report(results=results, wall_seconds=time.perf_counter() - start,
                    task_seconds=sum(t.seconds for t in tasks), jobs=jobs,
                    versions=_versions())
    print(render_table(report))
    if options.junit:
        options.junit.write_text(render_junit(report))
    if options.json_report:
        options.json_report.write_text(json.dumps(report.to_dict(), indent=1) + "\n")
    return report


def _skip(case: Case, why: str, missing: bool = False) -> list[Result]:
    checks = case.checks or ("cross-binding",)
    return [Result(case.name, case.framework, c, "skipped", why, missing) for c in checks]


def _command(task: Task, stage: str) -> tuple[list[str], str | None]:
    case = task.case
    seedlock_cmd = [sys.executable, "-m", "seedlock"]
    if case.kind == "workload":
        subst = {"{python}": [sys.executable], "{rscript}": [shutil.which("Rscript") or "Rscript"],
                 "{torchrun}": [sys.executable, "-m", "torch.distributed.run"]}
        argv: list[str] = []
        for part in case.command:
            if part in subst:
                argv += subst[part]
            else:
                argv.append(part.replace("{out}", str(task.out)).replace("{workloads}", str(WORKLOADS)))
        return seedlock_cmd + ["run", str(task.lock), "--stage", stage, "--", *argv], None
    if case.kind == "caffe-writer":
        return seedlock_cmd + ["caffe-solver", str(task.lock), "--stage", stage, str(DATA / "caffe" / "solver.prototxt"),
                               "-o", str(task.out / "solver.prototxt")], None
    if case.kind == "caffe-train":
        for name in ("net.prototxt", "solver.prototxt"):
            shutil.copy(DATA / "caffe" / name, task.out / name)
        (task.out / "out").mkdir(exist_ok=True)
        script = (f"set -e; {' '.join(map(_quote, seedlock_cmd))} caffe-solver {_quote(str(task.lock))} --stage {_quote(stage)} "
                  f"solver.prototxt --in-place; {_quote(_caffe_binary() or 'caffe')} train --solver=solver.prototxt")
        return ["bash", "-c", script], str(task.out)
    # cross-binding: one side per task
    out_file = str(task.out / "outputs.json")
    if task.label == "rscript":
        from ._cross import R_PROBE

        code = (f"lock_path <- {json.dumps(str(task.lock))}; stage <- {json.dumps(stage)}; "
                f"writeLines({R_PROBE.strip()}, {json.dumps(out_file)})")
        return [shutil.which("Rscript") or "Rscript", "--vanilla", "-e", code], None
    return [sys.executable, "-m", "seedlock.conformance._cross", task.label, str(task.lock), stage, out_file], None


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _outputs(task: Task) -> Path:
    """What a run's repeatability is judged on: the workload outputs, not its meta data."""
    for name in ("outputs.npz", "outputs.json", "solver.prototxt"):
        if (task.out / name).exists():
            return task.out / name
    if (task.out / "out").exists():
        return task.out / "out"
    return task.out / "outputs.npz"


def _failure(task: Task) -> str:
    tail = (task.stderr or task.stdout).strip().splitlines()[-3:]
    return f"{task.label} exited {task.code}: " + " | ".join(tail)


def _meta(task: Task) -> dict[str, Any]:
    path = task.out / "outputs.meta.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _evaluate(case: Case, stage: str, same: list[Task], control: Task | None, golden: dict[str, Any],
              recorded: dict[str, Any], plans: dict[str, Any]) -> list[Result]:
    out: list[Result] = []

    def add(check: str, status: str, detail: str = "") -> None:
        out.append(Result(case.name, case.framework, check, status, detail))

    skipped = [t for t in same if t.code == SKIP_EXIT]
    if skipped:
        reason = (skipped[0].stdout.strip().splitlines() or ["skipped by the workload"])[-1]
        return [Result(case.name, case.framework, c, "skipped", reason) for c in (case.checks or ("cross-binding",))]
    broken = [t for t in same + ([control] if control else []) if t.code != 0]
    if broken:
        return [Result(case.name, case.framework, c, "FAIL", _failure(broken[0])) for c in (case.checks or ("cross-binding",))]

    if case.kind == "cross-binding":
        base = same[0]
        found = [f"python vs {other.label}: {d}" for other in same[1:]
                 for d in compare_paths(_outputs(base), _outputs(other), "probe")]
        add("cross-binding", "FAIL" if found else "pass",
            "; ".join(found[:3]) if found else "derived seeds, R stream and split equal in Python, Rscript and rpy2")
        return out

    problems = [p for t in same for p in _meta(t).get("problems", [])]
    for rank in _meta(same[0]).get("ranks", {}).values():
        problems += rank.get("problems", [])
    if "repeat" in case.checks:
        diffs = [d for t in same[1:] for d in compare_paths(_outputs(same[0]), _outputs(t), f"run 1 vs {t.label}")]
        if problems:
            add("repeat", "FAIL", f"apply() reported: {problems[0]}")
        elif diffs:
            add("repeat", "FAIL", "; ".join(map(str, diffs[:3])))
        else:
            add("repeat", "pass", f"{len(same)} fresh runs identical")
        if case.kind == "caffe-writer":
            _check_written_seed(same[0], stage, add)
    if "sensitivity" in case.checks and control is not None:
        diffs = compare_paths(_outputs(same[0]), _outputs(control), "run 1 vs other seed")
        add("sensitivity", "pass" if diffs else "FAIL",
            f"another seed changed the outputs ({diffs[0]})" if diffs else "another seed gave identical outputs: the check is vacuous")
    if "golden" in case.checks:
        add(*_golden(case, _meta(same[0]), golden, recorded))
    if "distinct-streams" in case.checks:
        import numpy as np

        with np.load(_outputs(same[0])) as data:
            streams = {k: data[k] for k in data.files if k.startswith("aug_")}
        keys = sorted(streams)
        clashes = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]
                   if np.array_equal(streams[a][:8], streams[b][:8])]
        if len(keys) < 4:
            add("distinct-streams", "FAIL", f"expected 2 ranks x 2 workers of streams, found {keys}")
        else:
            add("distinct-streams", "FAIL" if clashes else "pass",
                f"identical streams: {clashes[0]}" if clashes else f"{len(keys)} rank/worker streams all differ")
    if case.compare_with:
        ref = plans.get(case.compare_with)
        if ref is None:
            add("cross-binding", "skipped", f"{case.compare_with} did not run")
        else:
            diffs = compare_paths(_outputs(ref[2][0]), _outputs(same[0]), f"{case.compare_with} vs {case.name}")
            add("cross-binding", "FAIL" if diffs else "pass",
                "; ".join(map(str, diffs[:3])) if diffs else f"identical to {case.compare_with}")
    return out


def _check_written_seed(task: Task, stage: str, add: Any) -> None:
    import seedlock
    from seedlock import caffe_solver

    expected = seedlock.load_lock(task.lock).stage(stage).seed_of("caffe")
    info = caffe_solver.validate((task.out / "solver.prototxt").read_bytes())
    if info.random_seed != expected:
        add("cross-binding", "FAIL", f"solver has random_seed {info.random_seed}, Python derives {expected}")
    else:
        add("cross-binding", "pass", f"solver random_seed {expected} equals the seed Python derives")


_VERSION_KEY = {"python": "python", "numpy": "numpy", "torch": "torch", "tensorflow": "tensorflow", "r": "r"}


def _golden(case: Case, meta: dict[str, Any], golden: dict[str, Any], recorded: dict[str, Any]) -> tuple[str, str, str]:
    values = meta.get("golden", {})
    versions = {**meta.get("versions", {}), "python": meta.get("python", meta.get("versions", {}).get("python"))}
    version = str(versions.get(_VERSION_KEY[case.framework]))
    checked: list[str] = []
    drift: list[str] = []
    fails: list[str] = []
    for key, got in sorted(values.items()):
        recorded[key] = {"framework": case.framework, "values": got, "recorded_with": version}
        ref = golden.get(key)
        if ref is None:
            continue
        checked.append(key)
        if _as_floats(got) != _as_floats(ref["values"]):
            (fails if ref["recorded_with"] == version else drift).append(
                f"{key}: {got} != reference {ref['values']} (recorded with {case.framework} {ref['recorded_with']}, "
                f"running {version})")
    if fails:
        return ("golden", "FAIL", fails[0])
    if drift:
        return ("golden", "drift", drift[0])
    if not checked:
        return ("golden", "skipped", f"no reference values for {', '.join(sorted(values)) or 'this workload'}")
    return ("golden", "pass", f"{len(checked)} reference stream(s) equal ({case.framework} {version})")


def _as_floats(values: Any) -> list[float]:
    return [float(v) for v in values]


def _versions() -> dict[str, Any]:
    from importlib import metadata

    out: dict[str, Any] = {"python": sys.version.split()[0]}
    for dist in ("seedlock", "numpy", "torch", "tensorflow-cpu", "tensorflow", "rpy2"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def render_table(report: Report) -> str:
    """framework x check table with pass / FAIL / drift / skipped, and the details that matter."""
    checks = [c for c in CHECK_ORDER if any(r.check == c for r in report.results)]
    rows: dict[tuple[str, str], dict[str, Result]] = {}
    for r in report.results:
        rows.setdefault((r.framework, r.case), {})[r.check] = r
    header = ["framework", "case", *checks]
    body = []
    for (fw, case), by_check in rows.items():
        body.append([fw, case, *[by_check[c].status if c in by_check else "-" for c in checks]])
    widths = [max(len(str(row[i])) for row in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [r for r in report.results if r.status != "pass"]
    if notes:
        lines.append("")
        lines += [f"{r.status:<7} {r.case} {r.check}: {r.detail}" for r in notes]
    counts = {s: sum(r.status == s for r in report.results) for s in ("pass", "FAIL", "drift", "skipped")}
    eff = report.task_seconds / (report.wall_seconds * report.jobs) if report.wall_seconds else 0
    lines += ["", f"conformance: {counts['pass']} passed, {counts['FAIL']} failed, {counts['drift']} drift, "
                  f"{counts['skipped']} skipped in {report.wall_seconds:.1f} s "
                  f"({report.task_seconds:.1f} s of workloads on {report.jobs} jobs, parallel efficiency {eff:.0%})"]
    return "\n".join(lines)


def render_junit(report: Report) -> str:
    from xml.sax.saxutils import escape, quoteattr

    suites: dict[str, list[Result]] = {}
    for r in report.results:
        suites.setdefault(r.framework, []).append(r)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="seedlock conformance" tests="{len(report.results)}" '
           f'failures="{sum(r.status == "FAIL" for r in report.results)}" time="{report.wall_seconds:.2f}">']
    for fw, results in suites.items():
        out.append(f'  <testsuite name={quoteattr(fw)} tests="{len(results)}" '
                   f'failures="{sum(r.status == "FAIL" for r in results)}" '
                   f'skipped="{sum(r.status == "skipped" for r in results)}">')
        for r in results:
            out.append(f'    <testcase classname={quoteattr("conformance." + r.case)} name={quoteattr(r.check)}>')
            if r.status == "FAIL":
                out.append(f'      <failure message={quoteattr(r.detail)}>{escape(r.detail)}</failure>')
            elif r.status == "skipped":
                out.append(f'      <skipped message={quoteattr(r.detail)}/>')
            elif r.status == "drift":
                out.append(f'      <system-out>{escape("drift: " + r.detail)}</system-out>')
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
