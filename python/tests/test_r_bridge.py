"""R and Python agree: rpy2 seeding vs the R package in Rscript, derived seeds, stream and split."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import requires_r, seedlock_cli
from seedlock.rcompat import portable_split, r_uniform

pytestmark = requires_r

MANIFEST = {
    "version": "1.0",
    "seed": 20261126,
    "stages": {
        "preprocess": {"frameworks": ["r", "numpy"]},
        "legacy": {
            "frameworks": ["r"],
            "settings": {"r": {"kind": "Wichmann-Hill", "normal_kind": "Box-Muller", "sample_kind": "Rounding"}},
        },
    },
}

R_DRAWS = 'list(u = sprintf("%.17g", runif(5)), n = sprintf("%.17g", rnorm(5)), s = sample(10), k = RNGkind())'


def _rscript(code: str) -> Any:
    out = subprocess.run(
        ["Rscript", "--vanilla", "-e", f"suppressMessages(library(seedlock)); {code}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _to_json_r(expr: str) -> str:
    return f"cat(jsonlite::toJSON({expr}, auto_unbox = TRUE, digits = NA))"


@pytest.fixture(scope="module")
def lock_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("rbridge")
    manifest = tmp / "m.json"
    manifest.write_text(json.dumps(MANIFEST))
    lock = tmp / "m.lock.json"
    out = seedlock_cli("resolve", str(manifest), "-o", str(lock))
    assert out.returncode == 0, out.stderr
    return lock


@pytest.mark.parametrize("stage", ["preprocess", "legacy"])
def test_rpy2_and_the_r_package_draw_identical_runif_rnorm_and_sample(lock_path: Path, stage: str) -> None:
    from_r = _rscript(f'set_seedlock(load_seedlock("{lock_path}"), "{stage}"); {_to_json_r(R_DRAWS)}')
    code = (
        "import json, seedlock; from seedlock.seeding import _rbridge\n"
        "report = seedlock.apply_from_env().report\n"
        f"v = _rbridge.r_call('jsonlite::toJSON({R_DRAWS}, auto_unbox = TRUE, digits = NA)')\n"
        "print(json.dumps({'r': json.loads(str(v[0])), 'actions': [str(a) for a in report.actions], 'ok': report.ok}))"
    )
    out = seedlock_cli("run", str(lock_path), "--stage", stage, "--", sys.executable, "-c", code)
    assert out.returncode == 0, out.stderr[-2000:]
    from_py = json.loads(out.stdout.strip().splitlines()[-1])
    assert from_py["ok"]
    assert from_py["r"] == from_r
    assert any("embedded R 4" in a and "applied" in a for a in from_py["actions"])
    settings = json.loads(lock_path.read_text())["stages"][stage]["frameworks"]["r"]["settings"]
    assert from_r["k"] == [settings["kind"], settings["normal_kind"], settings["sample_kind"]]


def test_r_and_python_resolve_the_same_seeds_from_one_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(MANIFEST))
    env = {"SEEDLOCK_SEED_LEGACY": "31337"}
    py = json.loads(seedlock_cli("resolve", str(manifest), "--no-provenance", env=env).stdout)
    r_code = (
        f'withr::with_envvar(c(SEEDLOCK_SEED_LEGACY = "31337"), lock <- load_seedlock("{manifest}")); '
        + _to_json_r("seedlock:::lock_document(lock)[c('root', 'stages', 'manifest')]")
    )
    from_r = _rscript(r_code)
    for name in ("root", "stages"):
        assert from_r[name] == py[name]
    assert from_r["manifest"]["sha256"] == py["manifest"]["sha256"]


def test_the_r_compatible_stream_and_split_match_rscript() -> None:
    seed = 1677747947
    from_r = _rscript(
        _to_json_r(
            f'list(u = sprintf("%.17g", r_uniform({seed}, 2000)), '
            f"split = portable_split(5000, c(train = 0.7, val = 0.2, test = 0.1), {seed}))"
        )
    )
    assert [f"{x:.17g}" for x in r_uniform(seed, 2000)] == [f"{float(x):.17g}" for x in from_r["u"]]
    ours = portable_split(5000, {"train": 0.7, "val": 0.2, "test": 0.1}, seed)
    assert {k: (v + 1).tolist() for k, v in ours.items()} == from_r["split"]


def test_rpy2_dot_random_seed_equals_the_python_reconstruction() -> None:
    from seedlock.rcompat import r_random_seed
    from seedlock.seeding import _rbridge

    state = _rbridge.get_state()
    try:
        _rbridge.set_seed(42, {"kind": "Mersenne-Twister", "normal_kind": "Inversion", "sample_kind": "Rejection"})
        assert list(_rbridge.r_call(".Random.seed")) == r_random_seed(42)
    finally:
        _rbridge.set_state(state)


def test_seeded_restores_r_state_through_rpy2(lock_path: Path) -> None:
    import seedlock
    from seedlock.seeding import _rbridge

    lock = seedlock.load_lock(lock_path)
    _rbridge.r_call('set.seed(5, kind = "Mersenne-Twister")')
    before = list(_rbridge.r_call(".Random.seed"))
    with seedlock.seeded(lock.stage("legacy")) as session:
        assert session.report.ok
        assert list(_rbridge.r_call("RNGkind()")) == ["Wichmann-Hill", "Box-Muller", "Rounding"]
        _rbridge.r_call("runif(3)")
    assert list(_rbridge.r_call("RNGkind()")) == ["Mersenne-Twister", "Inversion", "Rejection"]
    assert list(_rbridge.r_call(".Random.seed")) == before


def test_the_readme_r_and_python_scripts_print_the_same_seeds_draws_and_split(tmp_path: Path) -> None:
    from conftest import REPO

    lock = tmp_path / "run.lock.json"
    assert seedlock_cli("resolve", str(REPO / "examples" / "r" / "pipeline.json"), "-o", str(lock)).returncode == 0
    r = seedlock_cli(
        "run", str(lock), "--stage", "preprocess", "--", "Rscript", str(REPO / "examples" / "r" / "preprocess.R")
    )
    py = seedlock_cli(
        "run", str(lock), "--stage", "preprocess", "--", sys.executable, str(REPO / "examples" / "r" / "preprocess.py")
    )
    assert r.returncode == 0 and py.returncode == 0, r.stderr + py.stderr
    assert json.loads(r.stdout) == json.loads(py.stdout)


@requires_r
def test_seeding_r_through_rpy2_leaves_child_processes_their_own_libraries(tmp_path: Path) -> None:
    # Embedded R exports LD_LIBRARY_PATH=/usr/lib/R/lib:/usr/lib/<arch>:…; a pyenv or conda Python
    # started afterwards would load the system's libpython and fail to import _ssl.
    code = (
        "import os, subprocess, sys, seedlock\n"
        "from seedlock.spec.manifest import Manifest\n"
        "m = Manifest.from_dict({'version': '1.0', 'seed': 1, 'stages': {'s': {'frameworks': ['r']}}})\n"
        "assert seedlock.apply_stage(seedlock.resolve(m, {}, provenance=False).stage('s'), strict=True).report.ok\n"
        "print(os.environ.get('LD_LIBRARY_PATH'))\n"
        "out = subprocess.run([sys.executable, '-c', 'import platform, ssl; print(platform.python_version())'],"
        " capture_output=True, text=True)\n"
        "print(out.stdout.strip(), out.returncode)\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "LD_LIBRARY_PATH"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    variable, child = done.stdout.splitlines()
    assert variable == "None"
    assert child == f"{__import__('platform').python_version()} 0"
