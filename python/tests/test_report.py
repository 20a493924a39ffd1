"""`seedlock report`: a group's statistics and "is my change real?" (issue 21), from replicates run
for real (`seedlock replicate`, local engine) into a ledger; every number is recomputed here with
numpy/scipy from the per-replicate values the JSON carries."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import seedlock_cli
from scipy import stats

TRAIN = """\
import os, random
import numpy as np
import seedlock
noise = np.random.random()
bonus = float(os.environ.get("BONUS", "0")) * random.random()
seedlock.log_metric("acc", 0.8 + 0.05 * noise + bonus)
seedlock.log_metric("loss", 1.0 - 0.5 * noise, step=1)
seedlock.log_metric("loss", 0.5 - 0.25 * noise - bonus, step=2)  # the final value is the last step's
if os.environ.get("FAIL_REPLICATE") == os.environ.get("SEEDLOCK_REPLICATE"):
    raise SystemExit(4)
"""
_CLEAN_ENV = dict.fromkeys(
    (
        "CI",
        "GITLAB_CI",
        "GITHUB_ACTIONS",
        "SEEDLOCK_LEDGER",
        "SEEDLOCK_SEED",
        "SLURM_ARRAY_TASK_ID",
        "JOB_COMPLETION_INDEX",
        "SEEDLOCK_REPLICATE_INDEX",
    ),
    "",
)
N = 12


def _cli(project: Path, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return seedlock_cli(
        *args, cwd=project, env={**_CLEAN_ENV, "SEEDLOCK_LEDGER": str(project / "ledger.sqlite"), **(env or {})}
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("report")
    (work / "train.py").write_text(TRAIN)
    for name, seed in (("p", 7), ("q", 8)):
        (work / f"{name}.json").write_text(
            json.dumps({"version": "1.0", "seed": seed, "stages": {"train": {"frameworks": ["python", "numpy"]}}})
        )
        out = _cli(work, "resolve", f"{name}.json", "-o", f"{name}.lock.json", "--no-provenance")
        assert out.returncode == 0, out.stderr
    runs = [
        ("old", "p", {}),
        ("new", "p", {"BONUS": "0.02"}),
        ("other-seeds", "q", {"BONUS": "0.02"}),
        ("flaky", "p", {"FAIL_REPLICATE": "3"}),
    ]
    for group, lock, env in runs:
        out = _cli(
            work,
            "replicate",
            f"{lock}.lock.json",
            "--stage",
            "train",
            "--seeds",
            str(N),
            "--group",
            group,
            "--jobs",
            "2",
            "--",
            sys.executable,
            "train.py",
            env=env,
        )
        assert out.returncode == (4 if group == "flaky" else 0), out.stderr
    return work


def _json(project: Path, *args: str) -> dict:  # type: ignore[type-arg]
    out = _cli(project, "report", *args, "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _values(summary: dict) -> np.ndarray:  # type: ignore[type-arg]
    return np.array([v["value"] for v in sorted(summary["values"], key=lambda v: v["replicate"])])


def test_a_groups_summary_matches_numpy_and_scipys_bootstrap(project: Path) -> None:
    report = _json(project, "old")
    acc = report["group"]["metrics"]["acc"]
    x = _values(acc)
    assert [v["replicate"] for v in acc["values"]] == list(range(N))
    assert acc["n"] == N
    assert acc["mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert acc["std"] == pytest.approx(x.std(ddof=1), rel=1e-12)
    assert acc["median"] == pytest.approx(np.median(x), rel=1e-12)
    assert acc["iqm"] == pytest.approx(stats.trim_mean(x, 0.25), rel=1e-12)
    assert (acc["min"], acc["max"]) == (x.min(), x.max())
    ref = stats.bootstrap((x,), np.mean, method="BCa", confidence_level=0.95, rng=np.random.default_rng(0))
    assert acc["ci"]["method"] == "BCa" and acc["ci"]["resamples"] == 9999
    assert acc["ci"]["low"] == pytest.approx(ref.confidence_interval.low, rel=1e-9)
    assert acc["ci"]["high"] == pytest.approx(ref.confidence_interval.high, rel=1e-9)
    # a metric logged at several steps counts with its final value
    loss = _values(report["group"]["metrics"]["loss"])
    assert loss == pytest.approx(0.5 - 0.25 * (x - 0.8) / 0.05)


def test_a_change_of_code_under_the_same_seeds_is_a_paired_comparison(project: Path) -> None:
    report = _json(project, "new", "--vs", "old")
    cmp = report["comparisons"]["acc"]
    assert cmp["paired"] and "same replicate seeds" in cmp["pairing"]
    d = _values(report["group"]["metrics"]["acc"]) - _values(report["vs"]["metrics"]["acc"])
    assert (d > 0).all()  # the bonus only adds
    ref = stats.bootstrap((d,), np.mean, method="BCa", rng=np.random.default_rng(0))
    assert cmp["difference"] == pytest.approx(d.mean(), rel=1e-12)
    assert cmp["ci"]["low"] == pytest.approx(ref.confidence_interval.low, rel=1e-9)
    assert cmp["ci"]["high"] == pytest.approx(ref.confidence_interval.high, rel=1e-9)
    assert cmp["probability_of_improvement"] == 1.0
    table = _cli(project, "report", "new", "--vs", "old").stdout
    assert "paired by replicate index" in table and "better beyond seed noise" in table


def test_lower_is_better_turns_the_probability_of_improvement_around(project: Path) -> None:
    report = _json(project, "new", "--vs", "old", "--metric", "loss", "--better", "lower")
    assert list(report["comparisons"]) == ["loss"]
    assert report["comparisons"]["loss"]["probability_of_improvement"] == 1.0
    assert report["comparisons"]["loss"]["difference"] < 0


def test_groups_run_with_different_seeds_are_compared_as_independent_samples(project: Path) -> None:
    report = _json(project, "other-seeds", "--vs", "old", "--metric", "acc")
    cmp = report["comparisons"]["acc"]
    assert not cmp["paired"] and "different seeds" in cmp["pairing"]
    c, a = _values(report["group"]["metrics"]["acc"]), _values(report["vs"]["metrics"]["acc"])

    def diff(x, y, axis=-1):  # type: ignore[no-untyped-def]
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    ref = stats.bootstrap((c, a), diff, method="BCa", rng=np.random.default_rng(0))
    assert cmp["ci"]["low"] == pytest.approx(ref.confidence_interval.low, rel=1e-9)
    assert cmp["ci"]["high"] == pytest.approx(ref.confidence_interval.high, rel=1e-9)
    u = stats.mannwhitneyu(c, a).statistic / (c.size * a.size)
    assert cmp["probability_of_improvement"] == pytest.approx(u)


def test_failed_replicates_are_left_out_and_listed(project: Path) -> None:
    report = _json(project, "flaky", "--metric", "acc")
    assert report["group"]["replicates"] == N
    assert report["group"]["metrics"]["acc"]["n"] == N - 1
    assert 3 not in [v["replicate"] for v in report["group"]["metrics"]["acc"]["values"]]
    assert report["group"]["excluded"] == ["replicate 3 (exit 4)"]
    assert "left out (failed): replicate 3 (exit 4)" in _cli(project, "report", "flaky").stdout


def test_the_plot_is_drawn_without_a_display(project: Path, tmp_path: Path) -> None:
    out = _cli(
        project,
        "report",
        "new",
        "--vs",
        "old",
        "--plot",
        str(tmp_path / "change.png"),
        env={"DISPLAY": "", "MPLBACKEND": ""},
    )
    assert out.returncode == 0, out.stderr
    data = (tmp_path / "change.png").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_an_unknown_group_or_metric_is_a_one_line_error(project: Path, tmp_path: Path) -> None:
    out = _cli(project, "report", "nope")
    assert out.returncode == 2
    assert out.stderr.startswith("seedlock: error[unknown-run] No replicates of group 'nope' in ledger ")
    assert out.stderr.rstrip().endswith("at '/group'") and len(out.stderr.strip().splitlines()) == 1
    out = _cli(project, "report", "old", "--metric", "f1")
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: error[invalid-value] No replicate of group 'old' logged metric 'f1' at '/metric'\n",
    )
    out = _cli(project, "report", "old", "--plot", str(tmp_path / "x.nope"))
    assert out.returncode == 2 and out.stderr.startswith("seedlock: error[invalid-value] Cannot draw ")


def test_the_readme_example_runs_as_written_and_finds_the_change_real(tmp_path: Path) -> None:
    import re
    import textwrap

    from conftest import REPO

    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Is my change real? `seedlock report`") :]
    section = section[: section.index("\n## ", 10)]
    (commands,) = [textwrap.dedent(b) for b in re.findall(r"^```sh\n(.*?)^```", section, re.M | re.S)]
    (script,) = [textwrap.dedent(b) for b in re.findall(r"^```python\n(.*?)^```", section, re.M | re.S)]
    assert "docs/replicates-report.png" in section and (REPO / "docs/replicates-report.png").exists()
    work = tmp_path / "project"
    work.mkdir()
    (work / "toy.py").write_text(script)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, command in (("python", f'"{sys.executable}"'), ("seedlock", f'"{sys.executable}" -m seedlock')):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec {command} "$@"\n')
        (bin_dir / name).chmod(0o755)
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDLOCK_")}
    env.update(_CLEAN_ENV, PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", SEEDLOCK_LEDGER=str(work / "ledger.sqlite"))
    last = None
    for line in filter(str.strip, commands.splitlines()):
        last = subprocess.run(["bash", "-c", line], cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert last.returncode == 0, f"{line}\n{last.stdout}{last.stderr}"
    assert last is not None
    assert "paired by replicate index" in last.stdout and "better beyond seed noise" in last.stdout
    assert (work / "change.png").read_bytes().startswith(b"\x89PNG")


def test_a_report_from_a_postgresql_ledger_equals_the_one_from_sqlite(project: Path, pg_url: str) -> None:
    assert _cli(project, "ledger", "init", "--ledger", pg_url).returncode == 0
    out = _cli(
        project,
        "replicate",
        "p.lock.json",
        "--stage",
        "train",
        "--seeds",
        "5",
        "--group",
        "both",
        "--ledger",
        pg_url,
        "--",
        sys.executable,
        "train.py",
        env={"BONUS": "0.02"},
    )
    assert out.returncode == 0, out.stderr
    out = _cli(
        project,
        "replicate",
        "p.lock.json",
        "--stage",
        "train",
        "--seeds",
        "5",
        "--group",
        "both",
        "--",
        sys.executable,
        "train.py",
        env={"BONUS": "0.02"},
    )
    assert out.returncode == 0, out.stderr
    from_pg = _cli(project, "report", "both", "--vs", "old", "--format", "json", "--ledger", pg_url)
    assert from_pg.returncode == 2 and "No replicates of group 'old'" in from_pg.stderr  # old is only in SQLite
    from_pg = _json(project, "both", "--ledger", pg_url)
    from_sqlite = _json(project, "both")
    assert from_pg == from_sqlite and from_pg["group"]["metrics"]["acc"]["n"] == 5
