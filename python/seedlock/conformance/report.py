"""Conformance results and how they are shown: the framework x check table, JUnit XML and JSON."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from typing import Any

from ..spec import _registry

# Display order (python first, as readers meet them): the registry's display_rank.
FRAMEWORK_ORDER = _registry.DISPLAY_ORDER
CHECK_ORDER = ("repeat", "sensitivity", "golden", "framework-drift", "distinct-streams", "structure", "cross-binding")
STATUSES = ("pass", "FAIL", "drift", "skipped")


@dataclass(frozen=True)
class Result:
    case: str
    framework: str
    check: str
    status: str  # pass, FAIL, drift, skipped
    detail: str = ""
    missing: bool = False  # skipped because something is not installed (--require makes it a failure)


@dataclass(frozen=True)
class Report:
    results: list[Result]
    wall_seconds: float
    task_seconds: float
    jobs: int
    versions: dict[str, Any]
    interrupted: str | None = None
    ran_nothing: bool = False  # no case ran (none selected, or all skipped): proves nothing, so fails

    @property
    def failed(self) -> bool:
        return self.interrupted is not None or self.ran_nothing or any(r.status == "FAIL" for r in self.results)

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
            "parallel_efficiency": round(self.task_seconds / (self.wall_seconds * self.jobs), 3)
            if self.wall_seconds
            else None,
            "versions": self.versions,
            "results": [dataclasses.asdict(r) for r in self.results],
        }


def enforce_required(results: list[Result], required: tuple[str, ...]) -> list[Result]:
    """A skip for something not installed becomes a failure for a ``--require``d framework, and a
    required framework none of whose cases ran gets a failure of its own: required means it ran and passed."""
    out = [
        dataclasses.replace(r, status="FAIL", detail=f"required but skipped: {r.detail}")
        if r.status == "skipped" and r.missing and r.framework in required
        else r
        for r in results
    ]
    for fw in required:
        if not any(r.framework == fw and r.status != "skipped" for r in out):
            out.append(
                Result(
                    f"{fw}-required",
                    fw,
                    "repeat",
                    "FAIL",
                    "required but no case of it ran (no case, or every case skipped)",
                )
            )
    return out


def ordered(results: list[Result]) -> list[Result]:
    """Built-in frameworks in display order, then extensions (``x-...``) by name."""

    def place(framework: str) -> tuple[int, str]:
        return (
            (FRAMEWORK_ORDER.index(framework), "")
            if framework in FRAMEWORK_ORDER
            else (len(FRAMEWORK_ORDER), framework)
        )

    return sorted(results, key=lambda r: (place(r.framework), r.case, CHECK_ORDER.index(r.check)))


def versions() -> dict[str, Any]:
    """The interpreter and the distributions the results depend on."""
    from importlib import metadata

    out: dict[str, Any] = {"python": sys.version.split()[0]}
    # Every distribution the registry names for a framework (the same list provenance asks).
    for dist in ("seedlock", *(d for fw in _registry.FRAMEWORKS for d in _registry.DISTRIBUTIONS[fw])):
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
    counts = {s: sum(r.status == s for r in report.results) for s in STATUSES}
    eff = report.task_seconds / (report.wall_seconds * report.jobs) if report.wall_seconds else 0
    lines += [
        "",
        f"conformance: {counts['pass']} passed, {counts['FAIL']} failed, {counts['drift']} drift, "
        f"{counts['skipped']} skipped in {report.wall_seconds:.1f} s "
        f"({report.task_seconds:.1f} s of workloads on {report.jobs} jobs, parallel efficiency {eff:.0%})",
    ]
    return "\n".join(lines)


def render_junit(report: Report) -> str:
    from xml.sax.saxutils import escape, quoteattr

    suites: dict[str, list[Result]] = {}
    for r in report.results:
        suites.setdefault(r.framework, []).append(r)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="seedlock conformance" tests="{len(report.results)}" '
        f'failures="{sum(r.status == "FAIL" for r in report.results)}" time="{report.wall_seconds:.2f}">',
    ]
    for fw, results in suites.items():
        out.append(
            f'  <testsuite name={quoteattr(fw)} tests="{len(results)}" '
            f'failures="{sum(r.status == "FAIL" for r in results)}" '
            f'skipped="{sum(r.status == "skipped" for r in results)}">'
        )
        for r in results:
            out.append(f"    <testcase classname={quoteattr('conformance.' + r.case)} name={quoteattr(r.check)}>")
            if r.status == "FAIL":
                out.append(f"      <failure message={quoteattr(r.detail)}>{escape(r.detail)}</failure>")
            elif r.status == "skipped":
                out.append(f"      <skipped message={quoteattr(r.detail)}/>")
            elif r.status == "drift":
                out.append(f"      <system-out>{escape('drift: ' + r.detail)}</system-out>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
