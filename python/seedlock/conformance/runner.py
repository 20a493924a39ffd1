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

from .. import _json
from .checks import evaluate, skipped
from .execute import execute
from .plan import DATA, Case, load_cases, make_plan
from .report import Report, Result, enforce_required, ordered, render_junit, render_table, versions

__all__ = ["Case", "Options", "Report", "Result", "load_cases", "required_frameworks", "run"]


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


def run(options: Options) -> Report:
    """Run the suite; print the table; write JUnit/JSON when asked. Returns the report."""
    import seedlock

    start = time.perf_counter()
    jobs = options.jobs or os.cpu_count() or 1
    workdir = Path(options.workdir or tempfile.mkdtemp(prefix="seedlock-conformance-"))
    workdir.mkdir(parents=True, exist_ok=True)
    document = seedlock.read(options.manifest or DATA / "manifest.json")
    lock = document if isinstance(document, seedlock.Lock) else seedlock.resolve(document)
    lock_path = workdir / "lock.json"
    lock_path.write_text(_json.pretty(lock.to_dict()))

    cases = [c for c in load_cases() if not options.frameworks or c.framework in options.frameworks]
    plan = make_plan(lock, lock_path, workdir, cases, options.runs)
    done = execute(plan, jobs=jobs, progress=options.progress)
    if done.interrupted:
        print(f"seedlock: conformance interrupted by {done.interrupted}; every workload process was stopped",
              file=sys.stderr)
        return Report(results=[], wall_seconds=time.perf_counter() - start, task_seconds=0.0, jobs=jobs,
                      versions={}, interrupted=done.interrupted)

    golden = json.loads((DATA / "golden.json").read_text())
    recorded: dict[str, Any] = {}
    results: list[Result] = [r for skip in plan.skipped for r in skipped(skip)]
    by_name = plan.by_name()
    for case_plan in plan.cases:
        results += evaluate(case_plan, done, golden, recorded, by_name)
    if options.write_golden:
        options.write_golden.write_text(json.dumps(dict(sorted(recorded.items())), indent=1) + "\n")

    report = Report(results=ordered(enforce_required(results, options.require)),
                    wall_seconds=time.perf_counter() - start, task_seconds=done.task_seconds, jobs=jobs,
                    versions=versions())
    print(render_table(report))
    if options.junit:
        options.junit.write_text(render_junit(report))
    if options.json_report:
        options.json_report.write_text(json.dumps(report.to_dict(), indent=1) + "\n")
    return report
