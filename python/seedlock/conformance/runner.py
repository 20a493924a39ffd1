"""``seedlock conformance``: plan the cases (:mod:`.plan`), run them as fresh processes in parallel
(:mod:`.execute`), judge them (:mod:`.checks`) and report pass / FAIL / drift / skipped (:mod:`.report`)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..spec import _json
from ..spec._io import write_atomic
from . import golden
from .checks import evaluate, skipped
from .execute import execute
from .plan import DATA, Case, load_cases, make_plan
from .report import Report, Result, enforce_required, ordered, render_junit, render_table, versions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Case", "Options", "Report", "Result", "framework_list", "load_cases", "run", "selection"]


@dataclass(frozen=True, kw_only=True)
class Options:
    manifest: Path | None = None
    frameworks: tuple[str, ...] = ()
    runs: int = 2
    require: tuple[str, ...] = ()
    jobs: int = 0
    workdir: Path | None = None
    keep: bool = False
    junit: Path | None = None
    json_report: Path | None = None
    write_golden: Path | None = None
    progress: bool = True


def framework_list(values: Sequence[str], flag: str) -> tuple[str, ...]:
    """``--frameworks``/``--require`` as typed: names separated by commas and/or given as several
    words or repeated flags; ``all`` and ``all-but-caffe`` expand. ValueError names an unknown one.

    Besides the built-in frameworks, the extensions (``x-<label>``) that conformance cases exercise
    are names here, and ``all``/``all-but-caffe`` include them: requiring "everything" must also
    require the third-party seeder path to have run."""
    import difflib

    known = known_frameworks()
    names: list[str] = []
    for value in values:
        for name in (x.strip() for x in value.split(",")):
            if name == "all":
                names += known
            elif name == "all-but-caffe":
                names += [f for f in known if f != "caffe"]
            elif name:
                if name not in known:
                    close = difflib.get_close_matches(name, known, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
                    raise ValueError(f"unknown framework {name!r} in {flag}{hint}")
                names.append(name)
    return tuple(dict.fromkeys(names))


def known_frameworks() -> list[str]:
    """The built-in frameworks, then the extensions some conformance case exercises (by name)."""
    from ..spec.settings import FRAMEWORKS, is_extension

    return [*FRAMEWORKS, *sorted({c.framework for c in load_cases() if is_extension(c.framework)})]


def selection(frameworks: Sequence[str], require: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The frameworks to run and those required to pass; a required framework that
    ``--frameworks`` leaves out could never run, so it is an error now rather than a pass later."""
    chosen = framework_list(frameworks, "--frameworks")
    required = framework_list(require, "--require")
    left_out = [f for f in required if chosen and f not in chosen]
    if left_out:
        raise ValueError(f"--require {','.join(left_out)} but --frameworks selects only {','.join(chosen)}")
    return chosen, required


def run(options: Options) -> Report:
    """Run the suite; print the table; write JUnit/JSON when asked. Returns the report.

    The working directory is removed when the suite passes (unless ``keep`` or the caller named
    it); otherwise it is kept and named, since its run outputs are what explains a failure."""
    import shutil

    import seedlock

    start = time.perf_counter()
    jobs = options.jobs or os.cpu_count() or 1
    mine = options.workdir is None
    workdir = Path(options.workdir or tempfile.mkdtemp(prefix="seedlock-conformance-"))
    report: Report | None = None
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        report = _run(options, workdir, jobs, start, seedlock)
        return report
    finally:
        if mine and not options.keep and report is not None and not report.failed:
            shutil.rmtree(workdir, ignore_errors=True)
        elif mine or (report is not None and report.failed):
            print(f"seedlock: conformance: run outputs kept in {workdir}", file=sys.stderr)


def _run(options: Options, workdir: Path, jobs: int, start: float, seedlock: Any) -> Report:
    document = seedlock.read(options.manifest or DATA / "manifest.json")
    lock = document if isinstance(document, seedlock.Lock) else seedlock.resolve(document)
    lock_path = workdir / "lock.json"
    lock_path.write_text(_json.pretty(lock.to_dict()))

    cases = [c for c in load_cases() if not options.frameworks or c.framework in options.frameworks]
    if not cases:
        # A check that ran nothing proves nothing: fail, in one line.
        print(
            f"seedlock: conformance ran no case: there is no conformance case for {', '.join(options.frameworks)}",
            file=sys.stderr,
        )
        return Report(
            results=[],
            wall_seconds=time.perf_counter() - start,
            task_seconds=0.0,
            jobs=jobs,
            versions={},
            ran_nothing=True,
        )
    plan = make_plan(lock, lock_path, workdir, cases, options.runs)
    done = execute(plan, jobs=jobs, progress=options.progress)
    if done.interrupted:
        print(
            f"seedlock: conformance interrupted by {done.interrupted}; every workload process was stopped",
            file=sys.stderr,
        )
        return Report(
            results=[],
            wall_seconds=time.perf_counter() - start,
            task_seconds=0.0,
            jobs=jobs,
            versions={},
            interrupted=done.interrupted,
        )

    references = golden.read(DATA)
    recorded: dict[str, Any] = {}
    results: list[Result] = [r for skip in plan.skipped for r in skipped(skip)]
    by_name = plan.by_name()
    for case_plan in plan.cases:
        results += evaluate(case_plan, done, references, recorded, by_name)
    if options.write_golden:
        golden.write(options.write_golden, golden.read(options.write_golden), recorded)

    results = ordered(enforce_required(results, options.require))
    ran_nothing = not any(r.status != "skipped" for r in results)
    report = Report(
        results=results,
        wall_seconds=time.perf_counter() - start,
        task_seconds=done.task_seconds,
        jobs=jobs,
        versions=versions(),
        ran_nothing=ran_nothing,
    )
    print(render_table(report))
    if ran_nothing:
        print("seedlock: conformance ran no case: every selected case was skipped", file=sys.stderr)
    if options.junit:
        write_atomic(options.junit, render_junit(report))
    if options.json_report:
        write_atomic(options.json_report, json.dumps(report.to_dict(), indent=1) + "\n")
    return report
