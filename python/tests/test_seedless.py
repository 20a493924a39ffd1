"""Randomness beyond the global generators (issue #18 items 1, 3, 4): generators a program makes
without a seed follow the lock by the rule of spec §6.3; frameworks the stage does not list, workers
drawing from generators nobody seeded and generators seeded from the OS on purpose are named in the
report (a warning; an error with --strict), and the run record says what was not controlled.

Every test runs the CLI or pytest as a user types it, on unmodified scripts, in fresh processes.
"""

from __future__ import annotations

import json
import random
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import seedlock
from conftest import requires_r, seedlock_cli, vector_cases
from seedlock.spec.derivation import derive, test_seed

SEEDLESS = """\
import json, random
import numpy as np

print(json.dumps({
    "default_rng": np.random.default_rng().random(),
    "RandomState": np.random.RandomState().random_sample(),
    "PCG64": np.random.Generator(np.random.PCG64()).random(),
    "SeedSequence": np.random.SeedSequence().entropy,
    "Random": random.Random().random(),
}))
"""


def _lock(tmp_path: Path, frameworks: list[str], *, seed: int = 7) -> Path:
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": 1, "stages": {"train": {"frameworks": frameworks}}}))
    lock = tmp_path / f"l{seed}.json"
    out = seedlock_cli("resolve", str(manifest), "-o", str(lock), "--no-provenance", env={"SEEDLOCK_SEED": str(seed)})
    assert out.returncode == 0, out.stderr
    return lock


def _run(lock: Path, *cmd: str, flags: tuple[str, ...] = (), cwd: Path | None = None) -> tuple[int, str, str]:
    out = seedlock_cli("run", str(lock), "--stage", "train", *flags, "--", *cmd, cwd=cwd)
    return out.returncode, out.stdout, out.stderr


def _script(tmp_path: Path, text: str, name: str = "script.py") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def _seed(lock: Path, framework: str) -> int:
    return seedlock.load_lock(lock).stage("train").seed_of(framework)


# ---------------------------------------------------------------- the rule (spec §6.3) and its vectors
def test_the_nth_seedless_generator_gets_derive_of_the_base_unseeded_n() -> None:
    from seedlock.seeding import _seedless

    assert _seedless.unseeded_seed(42, 0) == derive(42, "unseeded", "0")
    assert _seedless.unseeded_seed(42, 17) == derive(42, "unseeded", "17")
    # The hot path's shortcut computes the same seeds.
    assert [_seedless._fast_seed(9, n) if _seedless._sha256 else None for n in range(3)] in (
        [None] * 3,
        [derive(9, "unseeded", str(n)) for n in range(3)],
    )


@pytest.mark.parametrize("case", [c for c in vector_cases("training") if "unseeded" in c.values[0]["input"]])
def test_unseeded_generator_vector(case: dict[str, Any]) -> None:
    from seedlock.seeding import _seedless

    inp = case["input"]
    base = (
        test_seed(inp["seed"], inp["test_id"])
        if "test_id" in inp
        else (seedlock.rank_seed(inp["seed"], inp["rank"]) if "rank" in inp else inp["seed"])
    )
    if "error" in case:
        with pytest.raises(seedlock.SeedlockError) as info:
            _seedless.unseeded_seed(base, inp["unseeded"])
        assert info.value.code == case["error"]["code"]
    else:
        assert _seedless.unseeded_seed(base, inp["unseeded"]) == case["expected"]["seed"]


# ---------------------------------------------------------------- item 1: seedless constructors
def test_an_unmodified_program_making_generators_without_seeds_repeats_and_follows_the_root_seed(
    tmp_path: Path,
) -> None:
    lock7, lock8 = _lock(tmp_path, ["python", "numpy"], seed=7), _lock(tmp_path, ["python", "numpy"], seed=8)
    script = _script(tmp_path, SEEDLESS)
    runs = [_run(lock7, sys.executable, script) for _ in range(2)]
    assert [r[0] for r in runs] == [0, 0] and runs[0][2] == "", runs[0][2]
    first, second = (json.loads(r[1]) for r in runs)
    assert first == second
    # For the right reason: each constructor got the rule's seed, in creation order, per framework.
    np_seed, py_seed = _seed(lock7, "numpy"), _seed(lock7, "python")
    assert first["default_rng"] == np.random.default_rng(derive(np_seed, "unseeded", "0")).random()
    assert first["PCG64"] == np.random.Generator(np.random.PCG64(derive(np_seed, "unseeded", "2"))).random()
    assert first["SeedSequence"] == derive(np_seed, "unseeded", "3")
    assert first["Random"] == random.Random(derive(py_seed, "unseeded", "0")).random()
    # Another root seed, other draws.
    other = json.loads(_run(lock8, sys.executable, script)[1])
    assert all(other[k] != first[k] for k in first)


def test_verbose_counts_the_generators_seeded_by_rule_with_the_line_of_the_first(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "numpy"])
    script = _script(tmp_path, SEEDLESS)
    code, _, err = _run(lock, sys.executable, script, flags=("-v",), cwd=tmp_path)
    assert code == 0
    assert (
        "  numpy      by rule  4 generator(s) made without a seed, seeded by rule (spec 6.3; the first at script.py:5)"
        in err.splitlines()
    )
    assert (
        "  python     by rule  1 generator(s) made without a seed, seeded by rule (spec 6.3; the first at script.py:9)"
        in err.splitlines()
    )


def test_a_program_that_applies_the_stage_itself_gets_seedless_generators_from_its_process_seed(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["numpy"])
    script = _script(
        tmp_path,
        """\
        import seedlock
        import numpy as np
        seedlock.apply_from_env(rank=1)
        print(np.random.default_rng().random())
        """,
    )
    code, out, err = _run(lock, sys.executable, script, flags=("--no-auto-seed",))
    assert code == 0, err
    rank_seed = seedlock.rank_seed(_seed(lock, "numpy"), 1)
    assert float(out) == np.random.default_rng(derive(rank_seed, "unseeded", "0")).random()


def test_tempfile_names_stay_different_across_processes_that_share_a_seed(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python"])
    script = _script(tmp_path, "import tempfile\nprint(next(tempfile._get_candidate_names()))\n")
    names = {_run(lock, sys.executable, script)[1] for _ in range(2)}
    assert len(names) == 2


def test_torch_seed_is_reported_with_its_line_and_strict_stops_the_program_there(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["torch"])
    script = _script(tmp_path, "import torch\ntorch.seed()\nprint('ran')\n")
    code, out, err = _run(lock, sys.executable, script, cwd=tmp_path)
    assert (code, out) == (0, "ran\n")
    assert "torch not controlled by the lock: torch.seed() re-seeded torch from the OS" in err
    assert "(at script.py:2)" in err
    code, out, err = _run(lock, sys.executable, script, cwd=tmp_path, flags=("--strict",))
    assert code == 1 and out == ""
    assert "SeedlockError: torch at script.py:2: torch.seed() re-seeded torch from the OS" in err


# ---------------------------------------------------------------- item 3: frameworks the stage does not list
def test_a_framework_the_stage_does_not_list_is_a_warning_naming_the_fix_and_strict_stops_the_import(
    tmp_path: Path,
) -> None:
    lock = _lock(tmp_path, ["python", "numpy"])
    script = _script(tmp_path, "import numpy\nimport torch\nprint('ran')\n")
    code, out, err = _run(lock, sys.executable, script, cwd=tmp_path)
    assert (code, out) == (0, "ran\n")
    assert (
        "torch not controlled by the lock: torch imported but stage 'train' does not list torch: it runs "
        "unseeded; add \"torch\" to stage 'train' frameworks (at script.py:2)"
    ) in err
    assert err.splitlines()[-1] == (
        "seedlock: warning: 1 source(s) of randomness in stage 'train' not controlled by the lock (see above)"
    )
    code, out, err = _run(lock, sys.executable, script, cwd=tmp_path, flags=("-v",))
    assert "  torch      unlisted torch imported but stage 'train' does not list torch" in err
    code, out, err = _run(lock, sys.executable, script, cwd=tmp_path, flags=("--strict",))
    assert code == 1 and out == ""
    assert "SeedlockError: script.py:2: torch imported but stage 'train' does not list torch" in err


def test_numpy_loaded_by_another_library_is_not_the_programs_use_but_its_own_use_is(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python"])
    # The program touches only its own list; a library (here: the standard library's json is not one
    # that loads numpy, so use numpy's own lazy loader through the program's line).
    own = _script(tmp_path, "import numpy as np\nx = np.random.random()\n")
    code, _, err = _run(lock, sys.executable, own, cwd=tmp_path)
    assert code == 0 and "add \"numpy\" to stage 'train' frameworks (at script.py:2)" in err
    quiet = _script(tmp_path, "import numpy as np\nprint(np.zeros(2).sum())\n", "quiet.py")
    assert _run(lock, sys.executable, quiet, cwd=tmp_path)[2] == ""


# ---------------------------------------------------------------- item 4: workers
def test_a_thread_pool_program_given_with_c_is_a_program_not_a_worker(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "numpy"])
    program = (
        "from multiprocessing.pool import ThreadPool\nimport numpy as np\n"
        "with ThreadPool(2) as p: print(p.map(lambda _: 0, [1]) and np.random.random())"
    )
    runs = [_run(lock, sys.executable, "-c", program) for _ in range(2)]
    assert runs[0][0] == 0 and runs[0][2] == "", runs[0][2]
    assert runs[0][1] == runs[1][1] == f"{np.random.RandomState(_seed(lock, 'numpy')).random_sample()}\n"


def test_spawned_workers_drawing_from_generators_nobody_seeded_are_reported_and_seeded_ones_are_not(
    tmp_path: Path,
) -> None:
    lock = _lock(tmp_path, ["python", "numpy"])
    script = _script(
        tmp_path,
        """\
        import multiprocessing as mp
        import numpy as np

        def draw(_):
            return float(np.random.random())

        def seed(i):
            np.random.seed(i)

        if __name__ == "__main__":
            ctx = mp.get_context("spawn")
            with ctx.Pool(1, initializer=seed, initargs=(3,)) as pool:
                print(pool.map(draw, [0]))
            with ctx.Pool(1) as pool:
                print(pool.map(draw, [0]))
        """,
    )
    code, out, err = _run(lock, sys.executable, script, cwd=tmp_path)
    assert code == 0, err
    assert out.splitlines()[0] == f"[{np.random.RandomState(3).random_sample()}]"
    warnings = [line for line in err.splitlines() if "not controlled by the lock:" in line]
    assert len(warnings) == 1, err
    assert (
        "numpy not controlled by the lock: a multiprocessing worker drew from numpy.random's global generator, "
        "which nobody seeded in it (numpy.random.random)"
    ) in warnings[0]
    assert "script.py:5)" in warnings[0]


FORK_POOL = """\
    import multiprocessing as mp, time
    import numpy as np

    def draw(_):
        value = float(np.random.random())
        time.sleep(0.3)  # one task per worker
        return value

    def seed(i):
        np.random.seed(i)

    if __name__ == "__main__":
        np.random.shuffle(list(range(10)))  # the parent uses numpy's global generator (seedlock seeded it)
        ctx = mp.get_context("fork")
        with ctx.Pool(1, initializer=seed, initargs=(3,)) as pool:
            print(pool.map(draw, [0]))
        with ctx.Pool(3) as pool:
            print(pool.map(draw, range(3), chunksize=1))
    """


def test_forked_pool_workers_drawing_from_the_inherited_global_generator_are_reported(tmp_path: Path) -> None:
    """Forked workers inherit the parent's seeded numpy state: each draws the same "random" numbers (the
    classic bug), which the lock cannot make right; a worker that seeds itself first (an initializer) is
    not reported."""
    lock = _lock(tmp_path, ["python", "numpy"])
    script = _script(tmp_path, FORK_POOL)
    code, out, err = _run(lock, sys.executable, script, cwd=tmp_path)
    assert code == 0, err
    seeded, inherited = (json.loads(line) for line in out.splitlines())
    assert seeded == [np.random.RandomState(3).random_sample()]
    assert len(set(inherited)) < len(inherited)  # the workers drew the same numbers
    # One warning per worker that drew (as for spawned workers), none for the pool whose initializer seeded.
    warnings = [line for line in err.splitlines() if "not controlled by the lock:" in line]
    assert 1 <= len(warnings) <= 3, err
    for warning in warnings:
        assert (
            "numpy not controlled by the lock: a forked worker drew from numpy.random's global generator, inherited "
            "from its parent: every process forked from it draws the same numbers (numpy.random.random)"
        ) in warning
        assert "script.py:5)" in warning
    # A program seeded by apply_from_env() (no auto-seeding) is watched alike.
    applied = _script(
        tmp_path,
        FORK_POOL.replace("np.random.shuffle", "import seedlock; seedlock.apply_from_env(); np.random.shuffle"),
        "applied.py",
    )
    code, out, err = _run(lock, sys.executable, applied, cwd=tmp_path, flags=("--no-auto-seed",))
    assert code == 0 and "a forked worker drew from numpy.random's global generator, inherited" in err, err
    # Strict: the worker's draw raises not-applied, which the pool hands to the program (it stops there).
    code, out, err = _run(lock, sys.executable, script, cwd=tmp_path, flags=("--strict",))
    assert code != 0, err
    assert (
        "SeedlockError: " in err
        and "script.py:5: a forked worker drew from numpy.random's global generator" in err
        and "at '/stages/train/frameworks/numpy'" in err
    )


# ---------------------------------------------------------------- the run record
def test_the_run_record_says_what_the_lock_did_not_control(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "numpy"])
    script = _script(tmp_path, "import numpy as np\nimport torch\nnp.random.default_rng()\n")
    ledger = tmp_path / "ledger.sqlite"
    out = seedlock_cli(
        "run",
        str(lock),
        "--stage",
        "train",
        "--record",
        "--ledger",
        str(ledger),
        "--",
        sys.executable,
        script,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    history = seedlock_cli("history", "--ledger", str(ledger), "--format", "json", cwd=tmp_path)
    records = (
        [json.loads(line) for line in history.stdout.splitlines()]
        if history.stdout.lstrip().startswith("{")
        else json.loads(history.stdout)
    )
    seeding = records[0]["provenance"]["seeding"]
    assert seeding["seeded"] is True and seeding["failed"] == []
    kinds = {(f["kind"], f["framework"], f["controlled"]) for f in seeding["findings"]}
    assert kinds == {("unlisted-framework", "torch", False), ("seedless-generator", "numpy", True)}


# ---------------------------------------------------------------- the pytest plugin
EINOPS_STYLE = """\
import numpy as np
import pytest

rng = np.random.default_rng()  # einops' test modules draw only from a generator made at import


@pytest.mark.parametrize("i", range(3))
def test_module_generator(i):
    print("DRAW", i, rng.random())


def test_own_generator():
    print("DRAW own", np.random.default_rng().random())
"""


def _pytest(tmp_path: Path, *args: str) -> dict[str, str]:
    import subprocess

    from conftest import child_environ

    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", *args, "test_einops_style.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=child_environ(),
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    import re

    return {f"DRAW {name}": value for name, value in re.findall(r"DRAW (\S+) (\S+)", out.stdout)}


def test_a_test_module_generator_made_at_import_repeats_under_the_same_seed_and_follows_it(tmp_path: Path) -> None:
    (tmp_path / "test_einops_style.py").write_text(EINOPS_STYLE)
    (tmp_path / "m.json").write_text(
        json.dumps({"version": "1.0", "seed": 1, "stages": {"test": {"frameworks": ["python", "numpy"]}}})
    )
    first = _pytest(tmp_path, "--seedlock", "m.json", "--seedlock-seed=5")
    second = _pytest(tmp_path, "--seedlock", "m.json", "--seedlock-seed=5")
    other = _pytest(tmp_path, "--seedlock", "m.json", "--seedlock-seed=6")
    assert len(first) == 4 and first == second
    assert all(other[k] != first[k] for k in first)
    # The module's generator follows the session's numpy seed; a test's own, the test's seed.
    numpy_seed = (
        seedlock.resolve(seedlock.load_manifest(tmp_path / "m.json"), {"SEEDLOCK_SEED": "5"}, provenance=False)
        .stage("test")
        .seed_of("numpy")
    )
    module_rng = np.random.default_rng(derive(numpy_seed, "unseeded", "0"))
    assert [float(first[f"DRAW {i}"]) for i in range(3)] == [module_rng.random() for _ in range(3)]
    own = derive(test_seed(numpy_seed, "test_einops_style.py::test_own_generator"), "unseeded", "0")
    assert float(first["DRAW own"]) == np.random.default_rng(own).random()


@requires_r
def test_an_r_program_drawing_in_a_stage_without_r_is_reported_and_one_that_does_not_draw_is_not(
    tmp_path: Path,
) -> None:
    lock = _lock(tmp_path, ["python"])
    script = _script(tmp_path, "x <- runif(1)\n", "draw.R")
    code, _, err = _run(lock, "Rscript", script, cwd=tmp_path)
    assert code == 0
    assert (
        "r not controlled by the lock: R's generator was used but stage 'train' does not list r: it ran unseeded; "
        f"add \"r\" to stage 'train' frameworks (at {script})"
    ) in err
    code, _, err = _run(lock, "Rscript", script, cwd=tmp_path, flags=("--strict",))
    assert (code, err.splitlines()[-1]) == (
        2,
        "seedlock: error[not-applied] 1 source(s) of randomness in stage 'train' "
        "not controlled by the lock (see above) at '/stages/train'",
    )
    quiet = _script(tmp_path, "x <- 1 + 1\n", "quiet.R")
    assert _run(lock, "Rscript", quiet, cwd=tmp_path)[2].count("not controlled") == 0


def test_the_controlled_kinds_are_finding_kinds_of_the_status_protocol() -> None:
    from seedlock.seeding import _seedstatus

    assert set(_seedstatus.CONTROLLED_KINDS) < set(_seedstatus.FINDING_KINDS)


def test_a_tensorflow_generator_from_non_deterministic_state_is_reported_with_its_line(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["tensorflow"])
    script = _script(
        tmp_path,
        "import tensorflow as tf\ng = tf.random.Generator.from_non_deterministic_state()\nprint(g.normal([1]).shape)\n",
    )
    code, _out, err = _run(lock, sys.executable, script, cwd=tmp_path)
    # TensorFlow itself refuses the call under op determinism (the lock's default): reported first, with its line.
    assert code == 1 and "cannot be called when determinism is enabled" in err
    assert err.count("not controlled by the lock:") == 1  # jax and numpy.random that TensorFlow loads are its own
    assert (
        "tensorflow not controlled by the lock: tf.random.Generator.from_non_deterministic_state() made a "
        "generator from the OS; use Generator.from_seed(...) or the stage's generator (at script.py:2)"
    ) in err


def test_verbose_says_how_dataloader_workers_were_seeded(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "numpy", "torch"])
    script = _script(
        tmp_path,
        """\
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        if __name__ == "__main__":
            loader = DataLoader(TensorDataset(torch.arange(4.0)), batch_size=2, num_workers=2)
            for _ in range(2):
                print(sum(float(b[0].sum()) for b in loader))
        """,
    )
    code, _out, err = _run(lock, sys.executable, script, cwd=tmp_path, flags=("-v",))
    assert code == 0, err
    lines = [line for line in err.splitlines() if "DataLoader workers" in line]
    assert len(lines) == 1, err
    assert lines[0].startswith(
        "  torch      workers  DataLoader workers (first at script.py:7) (seeded by PyTorch: "
        "python, numpy and torch from the iterator's base seed "
    )
    assert lines[0].endswith(", drawn from torch's global generator; no worker_init_fn)")


FORK_SEEDLESS = """\
    import multiprocessing as mp
    import numpy as np

    def draw(_):
        return float(np.random.default_rng().random())

    if __name__ == "__main__":
        with mp.get_context("fork").Pool(1) as pool:
            print(pool.map(draw, range(4)))
    """


def test_a_forked_workers_seedless_generators_are_reported_once_per_call_site(tmp_path: Path) -> None:
    # Four default_rng() calls from one line in one worker: one finding (each call drew OS entropy, but
    # the report counts sources of randomness, not calls).
    lock = _lock(tmp_path, ["python", "numpy"])
    code, _, err = _run(lock, sys.executable, _script(tmp_path, FORK_SEEDLESS), cwd=tmp_path)
    assert code == 0, err
    findings = [line for line in err.splitlines() if "a generator made without a seed in a forked worker" in line]
    assert len(findings) == 1 and "script.py:5" in findings[0], err
