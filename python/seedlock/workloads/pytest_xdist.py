"""pytest-xdist conformance workload: per-test seeds under 2 workers, and a serial rerun that repeats them.

    seedlock run LOCK --stage python -- python -m seedlock.workloads.pytest_xdist OUTDIR

Writes a small test project into OUTDIR and runs pytest on it three times, each in a fresh process:

1. ``-n 2 --seedlock $SEEDLOCK_LOCK``: the stage's per-test seeds under two xdist workers (these
   values must repeat run to run, and change with the seed);
2. the same serially: every test must get the values it had under xdist;
3. ``-n 2`` with a manifest whose root seed is ``"generate"``, then serially with the printed
   ``--seedlock-seed=N``: a user's "reproduce with" line must reproduce every test.

``outputs.json`` holds the values of runs 1 and 2 (what must repeat; the case file's structure says
they agree and differ per test); run 3's values change with every generated seed, so the workload
checks them itself and fails when the rerun differs.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ._common import out_dir

TESTS = """
import json, os, pathlib, random
import pytest

@pytest.mark.parametrize("i", range(6))
def test_draw(request, i):
    out = pathlib.Path(os.environ["DRAWS_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    values = {"random": [random.random() for _ in range(3)], "worker": os.environ.get("PYTEST_XDIST_WORKER", "serial")}
    (out / (request.node.name + ".json")).write_text(json.dumps(values))
"""


def _pytest(project: Path, draws: Path, *args: str) -> tuple[dict[str, list[float]], set[str], str]:
    if draws.exists():
        shutil.rmtree(draws)
    # Everything pytest writes stays below OUTDIR: the conformance runner removes it, and leaves no
    # pytest-of-<user> directory in the user's TMPDIR.
    scratch = draws.parent / "tmp"
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "DRAWS_DIR": str(draws), "TMPDIR": str(scratch)}
    # hypothesis is not needed here and triples the start-up time of every xdist worker.
    command = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:hypothesispytest", f"--rootdir={project}"]
    proc = subprocess.run([*command, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    found = {p.stem: json.loads(p.read_text()) for p in sorted(draws.glob("*.json"))}
    return {k: v["random"] for k, v in found.items()}, {v["worker"] for v in found.values()}, proc.stdout


def main() -> None:
    out = out_dir().resolve()  # pytest runs in the project directory
    project = out / "project"
    project.mkdir(exist_ok=True)
    (project / "pytest.ini").write_text("[pytest]\n")  # its own rootdir: node ids are "test_draws.py::..."
    (project / "test_draws.py").write_text(TESTS)
    stage = os.environ["SEEDLOCK_STAGE"]
    # "--opt=value": pytest takes a separate value that names a file for a path when it picks the rootdir,
    # and node ids (so per-test seeds) are relative to the rootdir.
    common = (f"--seedlock={os.environ['SEEDLOCK_LOCK']}", f"--seedlock-stage={stage}")

    parallel, workers, _ = _pytest(project, out / "draws", "-n", "2", *common)
    serial, _, _ = _pytest(project, out / "draws", *common)

    (project / "generate.json").write_text(
        json.dumps(
            {
                "version": "1.0",
                "seed": "generate",
                "stages": {"test": {"frameworks": ["python"]}},
                # PYTHONHASHSEED cannot follow a seed generated after pytest started.
                "settings": {"python": {"hash_seed": False}},
            }
        )
    )
    generated, generated_workers, header = _pytest(project, out / "draws", "-n", "2", "--seedlock=generate.json")
    printed = re.search(r"reproduce with --seedlock-seed=(\d+)", header)
    if printed is None:
        raise SystemExit(f"pytest printed no reproduce line:\n{header}")
    rerun, _, _ = _pytest(project, out / "draws", "--seedlock=generate.json", f"--seedlock-seed={printed.group(1)}")

    values = {f"xdist.{name}": v for name, v in parallel.items()}
    values.update({f"serial.{name}": v for name, v in serial.items()})
    (out / "outputs.json").write_text(json.dumps(values, sort_keys=True))
    # Python's version, for golden: the values are its random module's draws.
    meta = {
        "python": platform.python_version(),
        "workers": sorted(workers | generated_workers),
        "tests": len(parallel),
        "seeds": {"generated_root": int(printed.group(1))},
    }
    (out / "outputs.meta.json").write_text(json.dumps(meta, sort_keys=True, indent=1))
    if workers != {"gw0", "gw1"} or generated_workers != {"gw0", "gw1"}:
        raise SystemExit(
            f"expected tests on workers gw0 and gw1, got {sorted(workers)} and {sorted(generated_workers)}"
        )
    # The generated seed differs every run, so these values cannot be outputs that must repeat: check here.
    if not generated or rerun != generated:
        raise SystemExit(
            f"--seedlock-seed={printed.group(1)} (the printed seed) did not reproduce the xdist run's values"
        )


if __name__ == "__main__":
    main()
