"""Metrics of a run (spec §13.4): ``log_metric`` appends to ``$SEEDLOCK_METRICS``, ``seedlock run``
reads the file when the command ends and stores the values with the run's record.

The file is JSON Lines, one object per value: ``{"name": "accuracy", "value": 0.91, "step": 3}``
(``step`` optional). Any program may append to it (R's ``log_metric()``, a shell ``echo``): each line
is written with one ``write`` on a file opened for appending, so lines from several processes
(DataLoader workers, ranks) never interleave.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

METRICS_VARIABLE = "SEEDLOCK_METRICS"
#: Longest metric name accepted (a name is any non-empty text up to this many characters).
NAME_MAX = 200
_warned = False


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One value of a metric: ``step`` is None for a value logged without a step."""

    name: str
    value: float
    step: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "value": self.value, "step": self.step}


def check_metric(name: object, value: object, step: object) -> Metric:
    """A valid metric, or ``invalid-value``/``invalid-type`` naming what is wrong."""
    from ..spec.errors import SeedlockError

    if not isinstance(name, str) or not name or len(name) > NAME_MAX:
        raise SeedlockError(
            "invalid-value",
            f"A metric name is a non-empty string of at most {NAME_MAX} characters, not {name!r}",
            "/name",
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SeedlockError("invalid-type", f"Metric {name!r}: the value must be a number, not {value!r}", "/value")
    if not math.isfinite(float(value)):
        raise SeedlockError("invalid-value", f"Metric {name!r}: the value must be finite, not {value!r}", "/value")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int) or step < 0):
        raise SeedlockError(
            "invalid-value", f"Metric {name!r}: the step must be a non-negative int, not {step!r}", "/step"
        )
    return Metric(name=name, value=float(value), step=step)


def log_metric(name: str, value: float, step: int | None = None) -> None:
    """Record ``value`` of metric ``name`` (at ``step``) with this run in the ledger.

    Under ``seedlock run --record`` (and every replicate) the value is appended to ``$SEEDLOCK_METRICS``
    and stored with the run's record. Outside it there is nowhere to record to: a warning, once."""
    global _warned
    metric = check_metric(name, value, step)
    path = os.environ.get(METRICS_VARIABLE)
    if not path:
        if not _warned:
            _warned = True
            warnings.warn(
                f"seedlock.log_metric({name!r}): not recorded, {METRICS_VARIABLE} is not set (run the "
                f"program with `seedlock run --record` or `seedlock replicate`)",
                stacklevel=2,
            )
        return
    line = (json.dumps(metric.to_dict(), allow_nan=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)  # one write per line: appends from several processes stay whole
    finally:
        os.close(fd)


def read_metrics(path: str | os.PathLike[str]) -> tuple[list[Metric], list[str]]:
    """The metrics in a ``$SEEDLOCK_METRICS`` file, in file order, and a message per line skipped."""
    from ..spec.errors import SeedlockError

    try:
        with open(path, "rb") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return [], []
    out: list[Metric] = []
    problems: list[str] = []
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            out.append(check_metric(data.get("name"), data.get("value"), data.get("step")))
        except (ValueError, UnicodeDecodeError, SeedlockError) as exc:
            problems.append(f"{os.fspath(path)}:{number}: skipped, not a metric ({exc})")
    return out, problems


@contextmanager
def collecting_metrics(env: dict[str, str]) -> Iterator[list[Metric]]:
    """Point ``env``'s ``SEEDLOCK_METRICS`` at a private file for the block; on exit the list holds
    the metrics written there (lines that are not metrics are skipped with a warning on stderr)."""
    import shutil
    import sys
    import tempfile

    directory = tempfile.mkdtemp(prefix="seedlock-metrics-")
    env[METRICS_VARIABLE] = os.path.join(directory, "metrics.jsonl")
    found: list[Metric] = []
    try:
        yield found
        metrics, problems = read_metrics(env[METRICS_VARIABLE])
        found.extend(metrics)
        for line in problems:
            print(f"seedlock: warning: {line}", file=sys.stderr)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def final_values(metrics: Iterable[Metric]) -> dict[str, float]:
    """Each metric's final value: the one with the highest step, the last logged among equals."""
    best: dict[str, tuple[int, int, float]] = {}
    for order, m in enumerate(metrics):
        key = (-1 if m.step is None else m.step, order)
        if m.name not in best or key >= best[m.name][:2]:
            best[m.name] = (*key, m.value)
    return {name: value for name, (_s, _o, value) in best.items()}


__all__ = [
    "METRICS_VARIABLE",
    "Metric",
    "check_metric",
    "collecting_metrics",
    "final_values",
    "log_metric",
    "read_metrics",
]
