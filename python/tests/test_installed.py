"""The built wheel works on its own: spec copy, conformance cases and workloads ship inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            str(REPO),
            "-w",
            str(tmp / "dist"),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp / "dist").glob("seedlock-*.whl")
    target = tmp / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    return target


def _run(installed: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env.pop("SEEDLOCK_SPEC_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "seedlock", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_the_wheel_runs_the_conformance_suite_outside_the_source_tree(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [sys.executable, "-c", "import seedlock; print(seedlock.__file__)"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(installed))
    out = _run(
        installed,
        "conformance",
        "--frameworks",
        "python",
        "numpy",
        "caffe",
        "--quiet",
        "--json",
        "r.json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert {r["case"] for r in report["results"] if r["status"] == "pass"} >= {
        "python-random",
        "numpy-draws",
        "caffe-writer",
    }


def test_the_wheel_finds_its_spec_copy_and_the_console_script(installed: Path, tmp_path: Path) -> None:
    example = installed / "seedlock" / "_spec" / "examples" / "classic.json"
    assert _run(installed, "validate", str(example), cwd=tmp_path).returncode == 0
    script = installed / "bin" / "seedlock"
    assert script.exists() and script.read_text().startswith("#!")


def test_the_wheels_seedlock_run_seeds_unmodified_python_and_r_scripts(installed: Path, tmp_path: Path) -> None:
    import random
    import shutil

    from seedlock.rcompat import r_uniform

    assert (installed / "seedlock" / "_bootstrap" / "python" / "sitecustomize.py").is_file()
    assert (installed / "seedlock" / "_bootstrap" / "Rprofile.R").is_file()
    (tmp_path / "m.json").write_text(
        json.dumps({"version": "1.0", "seed": 3, "stages": {"s": {"frameworks": ["python", "r"]}}})
    )
    assert _run(installed, "resolve", "m.json", "-o", "l.json", cwd=tmp_path).returncode == 0
    seeds = json.loads((tmp_path / "l.json").read_text())["stages"]["s"]["frameworks"]
    (tmp_path / "s.py").write_text("import random\nprint(random.random())\n")
    out = _run(installed, "run", "l.json", "--stage", "s", "--", sys.executable, "s.py", cwd=tmp_path)
    assert (out.returncode, out.stderr) == (0, "")
    assert float(out.stdout) == random.Random(seeds["python"]["seed"]).random()
    if shutil.which("Rscript") or os.environ.get("CI"):
        (tmp_path / "s.R").write_text("cat(sprintf('%.17g', runif(1)))\n")
        out = _run(installed, "run", "l.json", "--stage", "s", "--", "Rscript", "s.R", cwd=tmp_path)
        assert (out.returncode, out.stderr) == (0, "")
        assert float(out.stdout) == r_uniform(seeds["r"]["seed"], 1)[0]
