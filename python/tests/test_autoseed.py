"""`seedlock run` seeds programs that never call seedlock: Python at start-up and on each framework's
first import, R through its start-up profile; and it says what was seeded, and when nothing was.

Every test runs the CLI as a user types it, on unmodified scripts, in fresh processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import seedlock
from conftest import REPO, child_environ, requires_r, seedlock_cli
from seedlock.rcompat import r_uniform

ALL = ["python", "numpy", "torch", "tensorflow", "r"]

# The seed document's preprocessing stage with its magic 42s removed, and nothing else changed.
NUMPY_SCRIPT = """\
import json, random, sys
import numpy as np

data = np.random.random((2000, 32))
labels = np.random.random((2000, 10))
print(json.dumps({"data": data[:2, :3].tolist(), "labels": labels[0, :3].tolist(), "random": random.random(),
                  "hash": hash("seedlock"),
                  "loaded": sorted(m for m in ("torch", "tensorflow", "keras", "rpy2") if m in sys.modules)}))
"""


def _lock(
    tmp_path: Path, frameworks: list[str] = ALL, *, seed: int = 7, name: str = "l.json", settings: str = ""
) -> Path:
    manifest = tmp_path / "m.json"
    manifest.write_text(
        settings
        if settings
        else json.dumps({"version": "1.0", "seed": 1, "stages": {"train": {"frameworks": frameworks}}})
    )
    lock = tmp_path / name
    out = seedlock_cli("resolve", str(manifest), "-o", str(lock), "--no-provenance", env={"SEEDLOCK_SEED": str(seed)})
    assert out.returncode == 0, out.stderr
    return lock


def _run(
    lock: Path, *cmd: str, flags: tuple[str, ...] = (), cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    out = seedlock_cli("run", str(lock), "--stage", "train", *flags, "--", *cmd, cwd=cwd, env=env)
    return out.returncode, out.stdout, out.stderr


def _script(tmp_path: Path, text: str, name: str = "script.py") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _seed(lock: Path, framework: str) -> int:
    return seedlock.load_lock(lock).stage("train").seed_of(framework)


def test_an_unmodified_numpy_script_repeats_under_seedlock_run_and_loads_no_other_framework(tmp_path: Path) -> None:
    import numpy as np

    lock = _lock(tmp_path)
    script = _script(tmp_path, NUMPY_SCRIPT)
    runs = [_run(lock, sys.executable, script) for _ in range(2)]
    assert [r[0] for r in runs] == [0, 0] and runs[0][2] == "", runs[0][2]
    first, second = (json.loads(r[1]) for r in runs)
    assert first == second
    # For the right reason: numpy's global generator was seeded with the stage's numpy seed ...
    rs = np.random.RandomState(_seed(lock, "numpy"))
    assert first["data"] == rs.random_sample((2000, 32))[:2, :3].tolist()
    import random

    assert first["random"] == random.Random(_seed(lock, "python")).random()
    # ... and the frameworks the script never imported were never loaded.
    assert first["loaded"] == []


def test_a_program_that_imports_numpy_without_drawing_loads_no_numpy_random(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["numpy"])
    rc, out, err = _run(lock, sys.executable, "-c", "import sys, numpy; print('numpy.random' in sys.modules)")
    assert (rc, out) == (0, "False\n")  # numpy 2 loads numpy.random on first use; seeding waits for it
    rc, out, err = _run(lock, sys.executable, "-c", "import numpy as np; print(np.random.randint(2**31))")
    import numpy as np

    assert (rc, err) == (0, "") and int(out) == np.random.RandomState(_seed(lock, "numpy")).randint(2**31)


def test_another_seed_gives_other_draws_and_without_auto_seeding_nothing_repeats(tmp_path: Path) -> None:
    script = _script(tmp_path, NUMPY_SCRIPT)
    seeded = json.loads(_run(_lock(tmp_path), sys.executable, script)[1])
    other = json.loads(_run(_lock(tmp_path, seed=8, name="other.json"), sys.executable, script)[1])
    assert other["data"] != seeded["data"] and other["random"] != seeded["random"]
    plain = [_run(_lock(tmp_path), sys.executable, script, flags=("--no-auto-seed",)) for _ in range(2)]
    assert json.loads(plain[0][1])["data"] != json.loads(plain[1][1])["data"]
    assert plain[0][2] == (
        f"seedlock: warning: nothing in `{sys.executable} {script}` was seeded by seedlock: with "
        "--no-auto-seed the program must call seedlock.apply_from_env() (R: seedlock_from_env())\n"
    )


def test_an_unmodified_torch_script_repeats_with_the_stage_seed_and_deterministic_mode(tmp_path: Path) -> None:
    import torch

    lock = _lock(tmp_path)
    script = _script(
        tmp_path,
        (
            "import json, sys, torch\n"
            "torch.set_num_threads(1)\n"
            "layer = torch.nn.Linear(3, 2)\n"
            "print(json.dumps({'w': layer.weight.tolist(), 'x': torch.rand(3).tolist(),\n"
            "                  'det': torch.are_deterministic_algorithms_enabled(), "
            "'tf': 'tensorflow' in sys.modules}))\n"
        ),
    )
    runs = [json.loads(_run(lock, sys.executable, script)[1]) for _ in range(2)]
    assert runs[0] == runs[1]
    torch.manual_seed(_seed(lock, "torch"))
    assert runs[0]["w"] == torch.nn.Linear(3, 2).weight.tolist()
    assert runs[0]["det"] is True and runs[0]["tf"] is False
    other = json.loads(_run(_lock(tmp_path, seed=8, name="o.json"), sys.executable, script)[1])
    assert other["w"] != runs[0]["w"]


@pytest.mark.slow
def test_the_seed_documents_tensorflow_script_without_its_seeds_repeats_keras_weights_included(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    script = _script(
        tmp_path,
        (
            "import json, sys\n"
            "import tensorflow as tf\n"
            "from tensorflow.python.framework import config\n"
            "model = tf.keras.models.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3, activation='relu')])\n"
            "print(json.dumps({'w': model.layers[0].kernel.numpy().ravel().tolist(),\n"
            "                  'u': tf.random.uniform([3]).numpy().tolist(), 'torch': 'torch' in sys.modules,\n"
            "                  'det': config.is_op_determinism_enabled()}))\n"
        ),
    )
    runs = [_run(lock, sys.executable, script, flags=("-v",)) for _ in range(2)]
    first, second = (json.loads(r[1]) for r in runs)
    assert first == second and first["torch"] is False and first["det"] is True
    tf_seed = _seed(lock, "tensorflow")
    report = runs[0][2]
    assert f"  tensorflow applied  tf.random.set_seed({tf_seed})\n" in report
    assert f"  tensorflow applied  Keras default seeds from Random({seedlock.derive(tf_seed, 'keras')})\n" in report
    assert "  torch      -        torch not imported: nothing to seed\n" in report
    other = json.loads(_run(_lock(tmp_path, seed=8, name="o.json"), sys.executable, script)[1])
    assert other["w"] != first["w"] and other["u"] != first["u"]


def test_verbose_reports_each_process_like_apply_and_is_silent_otherwise(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "numpy", "torch"])
    script = _script(tmp_path, "import numpy\nnumpy.random.random()\n")
    code, _, err = _run(lock, sys.executable, script)
    assert (code, err) == (0, "")
    code, _, err = _run(lock, sys.executable, script, flags=("--verbose",))
    lines = err.splitlines()
    assert lines[0].startswith(f"seedlock: stage 'train' in `{sys.executable} {script}` (pid ")
    assert lines[0].endswith(", auto-seeded):")
    py, np_ = _seed(lock, "python"), _seed(lock, "numpy")
    assert lines[1:] == [
        f"  python     applied  random.seed({py})",
        f"  python     applied  PYTHONHASHSEED={py} (set at launch)",
        f"  numpy      applied  numpy.random.seed({np_}) (Generator objects use PCG64)",
        "  torch      -        torch not imported: nothing to seed",
    ]


def test_what_could_not_be_seeded_is_reported_without_verbose_and_strict_stops_the_program(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "numpy"])
    script = _script(tmp_path, "print('ran')\n")
    py = _seed(lock, "python")
    code, out, err = _run(lock, "env", "PYTHONHASHSEED=3", sys.executable, script)
    assert (code, out) == (0, "ran\n")
    assert err.startswith(f"seedlock: warning: stage 'train' in `{sys.executable} {script}` (pid ")
    assert err.endswith(
        f"auto-seeded): python PYTHONHASHSEED={py} failed: interpreter started with "
        "PYTHONHASHSEED=3; launch with `seedlock run`\n"
    )
    code, out, err = _run(lock, "env", "PYTHONHASHSEED=3", sys.executable, script, flags=("--strict",))
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == (
        f"seedlock: error[not-applied] Not applied: python PYTHONHASHSEED={py}: interpreter "
        "started with PYTHONHASHSEED=3; launch with `seedlock run` at "
        "'/stages/train/frameworks/python'"
    )


def test_a_framework_that_raises_while_being_seeded_is_reported_and_strict_fails_its_import(tmp_path: Path) -> None:
    # Fault injection: a `caffe` package beside the script whose seeding call raises.
    (tmp_path / "caffe").mkdir()
    (tmp_path / "caffe" / "__init__.py").write_text("def set_random_seed(seed):\n    raise RuntimeError('no solver')\n")
    lock = _lock(tmp_path, ["caffe"])
    script = _script(tmp_path, "import caffe\nprint('ran')\n")
    code, out, err = _run(lock, sys.executable, script, cwd=tmp_path)
    assert (code, out) == (0, "ran\n")
    assert err.endswith("auto-seeded): caffe seed on import of caffe failed: RuntimeError: no solver\n"), err
    assert err.count("\n") == 1
    code, out, err = _run(lock, sys.executable, script, cwd=tmp_path, flags=("--strict",))
    assert code == 1 and out == ""
    assert (
        "seedlock.spec.errors.SeedlockError: Not applied: caffe seed on import of caffe: RuntimeError: no solver "
        "at '/stages/train/frameworks/caffe'"
    ) in err


def test_a_command_that_nothing_seeds_is_a_warning_and_with_strict_an_error(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    why = (
        "no Python or R program started with auto-seeding (a program that is neither, started with "
        "python -I/-E/-S or Rscript --vanilla, or with PYTHONPATH or R_PROFILE_USER replaced, skips it) "
        "and none called seedlock.apply_from_env() or seedlock_from_env()"
    )
    assert _run(lock, "true") == (0, "", f"seedlock: warning: nothing in `true` was seeded by seedlock: {why}\n")
    assert _run(lock, "true", flags=("--strict",)) == (
        2,
        "",
        f"seedlock: error[not-applied] nothing in `true` was seeded by seedlock: {why} at '/stages/train'\n",
    )
    # The command's own failure wins over --strict.
    assert _run(lock, "false", flags=("--strict",))[0] == 1
    code, _, err = _run(lock, sys.executable, "-I", "-c", "pass")
    assert code == 0 and err.startswith("seedlock: warning: nothing in ")


def test_a_stage_listing_nothing_the_program_uses_is_reported(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["r"])
    code, _, err = _run(lock, sys.executable, "-c", "pass")
    assert (code, err) == (
        0,
        f"seedlock: warning: nothing in `{sys.executable} -c pass` was seeded by seedlock: "
        "1 program(s) started with auto-seeding, but stage 'train' lists nothing they use (r)\n",
    )


def test_a_script_that_applies_the_stage_itself_is_seeded_again_at_its_call(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "numpy"])
    script = _script(
        tmp_path,
        (
            "import json, numpy as np, seedlock\n"
            "np.random.random(5)\n"
            "session = seedlock.apply_from_env(strict=True)\n"
            "print(json.dumps({'x': np.random.random(3).tolist(), 'ok': session.report.ok, "
            "'seeds': dict(session.seeds)}))\n"
        ),
    )
    auto = _run(lock, sys.executable, script)
    manual = _run(lock, sys.executable, script, flags=("--no-auto-seed",))
    assert auto[2] == manual[2] == ""
    assert json.loads(auto[1]) == json.loads(manual[1])  # the call re-seeds: the draws after it are the call's
    import numpy as np

    assert json.loads(auto[1])["x"] == np.random.RandomState(_seed(lock, "numpy")).random_sample(3).tolist()


def test_python_random_is_seeded_when_first_imported_and_never_loaded_for_a_program_that_does_not_use_it(
    tmp_path: Path,
) -> None:
    import random

    lock = _lock(tmp_path, ["python"])
    expected = random.Random(_seed(lock, "python")).random()
    assert _run(lock, sys.executable, "-c", "import sys; print('random' in sys.modules)") == (0, "False\n", "")
    # Imported by the standard library first (tempfile draws its names from it), then by the program.
    code = "import tempfile, random; print(random.random())"
    assert _run(lock, sys.executable, "-c", code) == (0, f"{expected}\n", "")
    # A program that never imports random was still seeded before it could draw: strict has nothing to say.
    settings = json.dumps(
        {
            "version": "1.0",
            "seed": 1,
            "settings": {"python": {"hash_seed": False}},
            "stages": {"train": {"frameworks": ["python"]}},
        }
    )
    quiet = _lock(tmp_path, settings=settings, name="nohash.json")
    assert _run(quiet, sys.executable, "-c", "pass", flags=("--strict",)) == (0, "", "")


FORKING = """
import os
r, w = os.pipe()
pids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:  # a forked worker that imports random and numpy first
        import random, numpy
        os.write(w, f"{random.random()} {numpy.random.random()}\\n".encode())
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
os.close(w)
print(os.read(r, 4096).decode(), end="")
import random, numpy
print(random.random(), numpy.random.random())
"""


def test_forked_workers_that_import_a_framework_first_keep_their_own_streams_are_reported_and_the_program_is_seeded(
    tmp_path: Path,
) -> None:
    import random

    import numpy as np

    lock = _lock(tmp_path, ["python", "numpy"])
    rc, out, err = _run(lock, sys.executable, _script(tmp_path, FORKING))
    assert rc == 0
    # Their draws are not the lock's (nothing seeded them): said, with the line, for each generator.
    assert "a multiprocessing worker drew from numpy.random's global generator" in err, err
    assert "a multiprocessing worker drew from random's global generator" in err, err
    assert "script.py:9" in err, err  # the worker's draw
    *workers, program = out.splitlines()
    assert len(workers) == 2 and workers[0] != workers[1]  # not every worker drawing the stage's numbers
    assert all(str(np.random.RandomState(_seed(lock, "numpy")).random_sample()) not in w for w in workers)
    assert (
        program == f"{random.Random(_seed(lock, 'python')).random()} "
        f"{np.random.RandomState(_seed(lock, 'numpy')).random_sample()}"
    )
    _, _, err = _run(lock, sys.executable, _script(tmp_path, FORKING), flags=("--strict",))
    assert "error[not-applied]" in err and "script.py:9" in err, err


def test_a_sitecustomize_already_on_the_path_still_runs(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "sitecustomize.py").write_text("import os\nos.environ['OWN_SITECUSTOMIZE'] = __file__\n")
    lock = _lock(tmp_path, ["python"])
    code = (
        "import os, random, sitecustomize; "
        "print(os.environ['OWN_SITECUSTOMIZE'] == sitecustomize.__file__, random.random())"
    )
    env = {"PYTHONPATH": os.pathsep.join([str(own), os.environ.get("PYTHONPATH", "")])}
    rc, out, err = _run(lock, sys.executable, "-c", code, env=env)
    import random

    assert (rc, err) == (0, "")
    assert out == f"True {random.Random(_seed(lock, 'python')).random()}\n"


def test_python_programs_started_by_the_command_are_seeded_and_multiprocessing_workers_keep_their_own_streams(
    tmp_path: Path,
) -> None:
    lock = _lock(tmp_path, ["python", "numpy"])
    child = _script(tmp_path, "import numpy as np\nprint(np.random.random())\n", "child.py")
    rc, out, err = _run(lock, "sh", "-c", f"{sys.executable} {child}; {sys.executable} {child}")
    assert rc == 0 and err == ""
    a, b = out.split()
    assert a == b  # each program of a pipeline step starts from the stage's seeds
    pool = _script(
        tmp_path,
        (
            "import multiprocessing as mp, numpy as np\n"
            "def draw(_):\n    return float(np.random.random())\n"
            "if __name__ == '__main__':\n"
            "    with mp.get_context('spawn').Pool(3) as p:\n"
            "        print(sorted(set(p.map(draw, range(3), chunksize=1))))\n"
            "    print(np.random.random())\n"
        ),
        "pool.py",
    )
    rc, out, err = _run(lock, sys.executable, pool)
    workers, parent = out.splitlines()
    # Workers that draw from a global generator nobody seeded in them are named (issue #18 item 4).
    assert rc == 0 and "a multiprocessing worker drew from numpy.random's global generator" in err
    assert len(json.loads(workers)) == 3  # spawned workers are not all given the stage seed
    assert float(parent) == float(a)
    loky = _script(
        tmp_path,
        (
            "import json, os, time, joblib, numpy as np\n"
            "def draw(_):\n    time.sleep(0.3)\n    return os.getpid(), float(np.random.random())\n"
            "print(json.dumps(joblib.Parallel(n_jobs=2, backend='loky')(joblib.delayed(draw)(i) for i in range(4))))\n"
        ),
        "loky.py",
    )
    rc, out, err = _run(lock, sys.executable, loky)
    assert rc == 0 and "a multiprocessing worker drew from numpy.random's global generator" in err
    by_worker: dict[int, set[float]] = {}
    for pid, value in json.loads(out):
        by_worker.setdefault(pid, set()).add(value)
    first, second = by_worker.values()  # joblib's loky workers (scikit-learn n_jobs): no shared stream
    assert not first & second


def test_a_program_in_another_environment_without_seedlock_is_seeded_from_the_launchers_copy(tmp_path: Path) -> None:
    import subprocess
    import venv

    venv.create(tmp_path / "bare", with_pip=False)  # a Python environment with neither seedlock nor numpy
    bare = tmp_path / "bare" / "bin" / "python"
    assert (
        subprocess.run(
            [str(bare), "-c", "import seedlock"], env={**os.environ, "PYTHONPATH": ""}, capture_output=True
        ).returncode
        == 1
    )
    lock = _lock(tmp_path, ["python", "numpy"])
    script = _script(tmp_path, "import random, sys\nprint(random.random(), 'numpy' in sys.modules)\n")
    # As with a launcher installed by pipx: the child's PYTHONPATH holds only seedlock's bootstrap.
    rc, out, err = _run(lock, "sh", "-c", f'PYTHONPATH="${{PYTHONPATH%%:*}}" exec {bare} {script}')
    import random

    assert (rc, err) == (0, "")
    assert out == f"{random.Random(_seed(lock, 'python')).random()} False\n"


@requires_r
def test_an_unmodified_r_script_repeats_with_the_stage_r_seed(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    script = _script(tmp_path, "cat(sprintf('%.17g', runif(3)), sep = '\\n')\n", "script.R")
    runs = [_run(lock, "Rscript", script) for _ in range(2)]
    assert runs[0] == runs[1] and runs[0][0] == 0 and runs[0][2] == ""
    expected = [float(f"{x:.17g}") for x in r_uniform(_seed(lock, "r"), 3)]
    assert [float(x) for x in runs[0][1].split()] == expected
    assert _run(_lock(tmp_path, seed=8, name="o.json"), "Rscript", script)[1] != runs[0][1]
    plain = [_run(lock, "Rscript", script, flags=("--no-auto-seed",)) for _ in range(2)]
    assert plain[0][1] != plain[1][1]


@requires_r
def test_the_users_own_r_profile_still_runs_and_vanilla_r_is_reported(tmp_path: Path) -> None:
    profile = tmp_path / "profile.R"
    profile.write_text("options(my_profile = 'ran')\n")
    lock = _lock(tmp_path, ["r"])
    script = _script(
        tmp_path, "cat(getOption('my_profile'), exists('json'), sprintf('%.17g', runif(1)), '\\n')\n", "script.R"
    )
    rc, out, err = _run(lock, "Rscript", script, env={"R_PROFILE_USER": str(profile)}, flags=("-v",))
    assert rc == 0
    ran, leaked, value = out.split()
    assert (ran, leaked) == ("ran", "FALSE")  # seedlock's profile leaves nothing in the global environment
    assert float(value) == r_uniform(_seed(lock, "r"), 1)[0]
    assert f"  r          applied  set.seed({_seed(lock, 'r')}, kind='Mersenne-Twister'" in err
    rc, out, err = _run(lock, "Rscript", "--vanilla", script)
    assert rc == 0 and "seedlock: warning: nothing in `Rscript --vanilla" in err


@requires_r
def test_an_r_script_outside_seedlock_run_says_how_to_run_it(tmp_path: Path) -> None:
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDLOCK_")}
    out = subprocess.run(
        ["Rscript", str(REPO / "examples" / "r" / "preprocess.R")], capture_output=True, text=True, env=env
    )
    assert out.returncode == 1
    assert (
        "SEEDLOCK_LOCK and SEEDLOCK_STAGE are not set: run this script with "
        "`seedlock run LOCK --stage STAGE -- Rscript SCRIPT`"
    ) in out.stderr


@requires_r
def test_a_nested_seedlock_run_of_an_r_script_does_not_loop_on_its_own_profile(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["r", "python"])
    script = _script(tmp_path, "cat(sprintf('%.17g', runif(1)), '\\n')\n", "script.R")
    rc, out, err = _run(
        lock, sys.executable, "-m", "seedlock", "run", str(lock), "--stage", "train", "--", "Rscript", script
    )
    assert (rc, err) == (0, "")
    assert float(out) == r_uniform(_seed(lock, "r"), 1)[0]


@requires_r
def test_r_socket_cluster_workers_keep_their_own_streams(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["r"])
    script = _script(
        tmp_path,
        (
            "cl <- parallel::makePSOCKcluster(2)\n"
            "w <- unlist(parallel::clusterEvalQ(cl, runif(1)))\n"
            "parallel::stopCluster(cl)\n"
            "cat(length(unique(w)), sprintf('%.17g', runif(1)), '\\n')\n"
        ),
        "script.R",
    )
    rc, out, err = _run(lock, "Rscript", script)
    assert (rc, err) == (0, "")
    distinct, value = out.split()
    assert distinct == "2"  # seeding each worker with the stage seed would make them draw alike
    assert float(value) == r_uniform(_seed(lock, "r"), 1)[0]


def test_verify_finds_an_unmodified_script_reproducible_and_without_auto_seeding_not(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "numpy"])
    script = _script(tmp_path, "import numpy as np\nnp.save('out.npy', np.random.random(100))\n")
    args = ("verify", str(lock), "--stage", "train", "--output", "out.npy", "--workdir", str(tmp_path / "w"))
    out = seedlock_cli(*args, "--", sys.executable, script, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "seedlock: verify: reproducible" in out.stdout
    # A second verify keeps its runs apart from the first's (verify refuses to overwrite kept runs).
    again = (*args[:-1], str(tmp_path / "w2"))
    out = seedlock_cli(*again, "--no-auto-seed", "--", sys.executable, script, cwd=tmp_path)
    assert out.returncode == 1 and "not reproducible" in out.stdout
    assert "was seeded by seedlock: with --no-auto-seed the program must call seedlock.apply_from_env()" in out.stderr


def test_frameworks_the_script_applies_itself_are_not_seeded_again_by_their_import_inside_apply(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "numpy", "torch"])
    script = _script(tmp_path, "import seedlock\nprint(seedlock.apply_from_env(rank=1).report.ok)\n")
    rc, out, err = _run(lock, sys.executable, script, flags=("-v",))
    assert (rc, out) == (0, "True\n")
    torch_seed = seedlock.load_lock(lock).stage("train").rank_seed("torch", 1)
    assert err.count("torch.manual_seed(") == 1 and f"torch.manual_seed({torch_seed})" in err
    assert err.count("numpy.random.seed(") == 1
    assert err.count("random.seed(") == 3  # python at start-up, then python and numpy by the script's call


def test_a_program_whose_own_seedlock_predates_auto_seeding_is_reported_not_silently_unseeded(tmp_path: Path) -> None:
    old = tmp_path / "old" / "seedlock"
    old.mkdir(parents=True)
    (old / "__init__.py").write_text("__version__ = '0.0.1'\n")  # an installed seedlock without _autoseed
    lock = _lock(tmp_path, ["python"])
    cmd = ("sh", "-c", f'PYTHONPATH="${{PYTHONPATH%%:*}}:{tmp_path / "old"}" exec {sys.executable} -c pass')
    rc, _out, err = _run(lock, *cmd)
    assert rc == 0
    (line,) = err.splitlines()
    # The error is the one importing auto-seeding from that seedlock raises, wherever the module lives.
    probe = (
        "try:\n    from seedlock.seeding import _autoseed\nexcept ImportError as exc:\n"
        "    print(type(exc).__name__ + ': ' + str(exc))\n"
    )
    raised = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "PYTHONPATH": str(tmp_path / "old")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert raised.startswith(("ImportError: ", "ModuleNotFoundError: ")) and "seedlock" in raised
    assert line.startswith(f"seedlock: warning: stage 'train' in `{sys.executable} -c pass` (pid ")
    assert line.endswith(
        f"auto-seeded): python auto-seeding failed: cannot load seedlock in {sys.executable} (Python "
        f"{sys.version.split()[0]}): {raised}"
    )
    rc, _out, err = _run(lock, *cmd, flags=("--strict",))
    assert rc == 2
    assert err.splitlines()[1] == (
        "seedlock: error[not-applied] 1 seeding step(s) failed in stage 'train' (see above) at '/stages/train'"
    )


@requires_r
def test_a_python_script_using_r_through_rpy2_gets_the_stage_r_seed(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "r"])
    script = _script(tmp_path, "import rpy2.robjects as ro\nprint('%.17g' % ro.r('runif(1)')[0])\n")
    runs = [_run(lock, sys.executable, script) for _ in range(2)]
    assert runs[0] == runs[1] and runs[0][0] == 0 and runs[0][2] == "", runs[0][2]
    assert float(runs[0][1]) == r_uniform(_seed(lock, "r"), 1)[0]


JAX_PROBE = (
    "import jax\n"
    "print(jax.config.jax_default_prng_impl, jax.config.jax_threefry_partitionable,\n"
    "      jax.random.key_data(jax.random.key(0)).shape[0], jax.random.uniform(jax.random.key(0)).item())\n"
)
# The same program, seeded by apply() instead of its import: the report and the draws auto-seeding must match.
JAX_APPLIED = (
    "import seedlock\n"
    "report = seedlock.apply_from_env(strict=True).report\n"
    "print('\\n'.join(str(a) for a in report.actions if a.framework == 'jax'))\n" + JAX_PROBE
)


@pytest.mark.parametrize(
    "settings", [{"prng_impl": "rbg", "threefry_partitionable": False}, {}], ids=["rbg", "default"]
)
def test_a_jax_program_gets_the_locks_prng_settings_on_first_import_reported_as_apply_reports_them(
    tmp_path: Path, settings: dict[str, object]
) -> None:
    stage: dict[str, object] = {"frameworks": ["python", "jax"]}
    if settings:
        stage["settings"] = {"jax": settings}
    lock = _lock(tmp_path, settings=json.dumps({"version": "1.1", "seed": 1, "stages": {"train": stage}}))
    env = {"JAX_PLATFORMS": "cpu"}
    code, out, err = _run(lock, sys.executable, "-c", JAX_PROBE, flags=("-v",), env=env)
    assert code == 0, err
    impl, partitionable, key_words, _draw = out.split()
    expected = {"prng_impl": "threefry2x32", "threefry_partitionable": True, **settings}
    assert (impl, partitionable) == (expected["prng_impl"], str(expected["threefry_partitionable"]))
    assert int(key_words) == {"rbg": 4, "threefry2x32": 2}[str(expected["prng_impl"])]  # the keys it makes follow
    code, applied, applied_err = _run(lock, sys.executable, "-c", JAX_APPLIED, flags=("--no-auto-seed",), env=env)
    assert code == 0, applied_err
    *apply_lines, _ = applied.splitlines()
    assert applied.splitlines()[-1] == out.strip()  # the same draws as when the program applies the stage
    jax_lines = [line for line in err.splitlines() if line.startswith("  jax ")]
    assert jax_lines == ["  " + line for line in apply_lines]  # the same report, "no global RNG" step included
    assert jax_lines[0].startswith("  jax        skipped  global seed (JAX has no global random generator")
    assert "  jax        -" not in err


def test_a_jax_stage_whose_program_never_imports_jax_loads_no_jax_and_says_so(tmp_path: Path) -> None:
    lock = _lock(
        tmp_path,
        settings=json.dumps({"version": "1.1", "seed": 1, "stages": {"train": {"frameworks": ["python", "jax"]}}}),
    )
    code, out, err = _run(lock, sys.executable, "-c", "import sys; print('jax' in sys.modules)", flags=("-v",))
    assert (code, out) == (0, "False\n")
    assert "  jax        -        jax not imported: nothing to seed\n" in err


def test_an_auto_seeded_interpreter_loads_nothing_but_seedlocks_start_modules(tmp_path: Path) -> None:
    # Every Python process of a pipeline pays for what auto-seeding imports before the program runs.
    lock = _lock(tmp_path, ["python", "numpy"])
    program = "import sys; print(' '.join(sorted(sys.modules)))"
    bare = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=child_environ())
    code, out, err = _run(lock, sys.executable, "-c", program)
    assert code == 0, err
    extra = set(out.split()) - set(bare.stdout.split())
    # Not even __future__ (about 0.1 ms): the start modules' annotations that name typing-only types are strings.
    # An interpreter `seedlock run` holds at its start gate binds PR_SET_PDEATHSIG itself (_prctl, _ctypes).
    assert extra == {
        "_ctypes",
        "seedlock.launching",
        "seedlock.launching._prctl",
        "sitecustomize",
        "seedlock",
        "seedlock.spec",
        "seedlock.spec._registry",
        "seedlock.seeding",
        "seedlock.seeding._autoseed",
        "seedlock.seeding._importhook",
        "seedlock.seeding._intercept",
        "seedlock.seeding._seedstatus",
    }, extra
