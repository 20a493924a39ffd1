"""Programs that seed themselves (issue 18 item 2): a seeding call the program makes after seedlock
seeded it is reported with its line (an error with --strict), and under take-over mode it is seeded
from the lock instead, so that scripts with hard-coded seeds follow the lock.

Every test runs an unmodified script under `seedlock run`, in a fresh process; Lightning, transformers
and Keras are the real packages (requirements-dev.txt).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import seedlock
from conftest import requires_r, seedlock_cli, vector_cases
from seedlock.seeding._intercept import label_of, takeover_seed


def _lock(tmp_path: Path, frameworks: list[str], *, seed: int, name: str, take_over: bool = False) -> Path:
    stage: dict[str, object] = {"frameworks": frameworks}
    manifest = tmp_path / f"{name}.manifest.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": seed, "stages": {"train": stage}}))
    lock = tmp_path / f"{name}.json"
    out = seedlock_cli("resolve", str(manifest), "-o", str(lock), "--no-provenance")
    assert out.returncode == 0, out.stderr
    return lock


def _run(lock: Path, script: Path, *flags: str) -> tuple[int, str, str]:
    out = seedlock_cli(
        "run", str(lock), "--stage", "train", *flags, "--", sys.executable, str(script), cwd=script.parent
    )
    return out.returncode, out.stdout, out.stderr


def _seed(lock: Path, framework: str) -> int:
    return seedlock.load_lock(lock).stage("train").seed_of(framework)


NUMPY_SCRIPT = """\
import json, random
import numpy as np

np.random.seed(42)
draws = []
for epoch in range(3):
    random.seed(100 + epoch)
    draws.append(random.random())
print(json.dumps({"numpy": np.random.random(), "python": draws}))
"""


def test_a_script_that_seeds_numpy_itself_is_reported_with_its_line_and_says_the_lock_had_no_effect(
    tmp_path: Path,
) -> None:
    lock = _lock(tmp_path, ["python", "numpy"], seed=1, name="a")
    (tmp_path / "train.py").write_text(NUMPY_SCRIPT)
    code, out, err = _run(lock, tmp_path / "train.py")
    assert code == 0, err
    # What happened: the program's seed won, and the report says so (without -v), once per call site.
    assert json.loads(out)["numpy"] == np.random.RandomState(42).random_sample()
    lines = err.splitlines()
    assert (
        "seedlock: warning: stage 'train': train.py:4 np.random.seed(42) seeded numpy after seedlock: "
        "the lock's numpy seed has no effect"
    ) in lines
    assert (
        "seedlock: warning: stage 'train': train.py:7 random.seed(100) seeded python after seedlock: "
        "the lock's python seed has no effect"
    ) in lines
    assert sum("train.py:7" in line for line in lines) == 1


def test_strict_stops_the_program_at_its_seeding_call(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "numpy"], seed=1, name="a")
    (tmp_path / "train.py").write_text(NUMPY_SCRIPT)
    code, out, err = _run(lock, tmp_path / "train.py", "--strict")
    assert code != 0 and out == ""
    assert (
        "train.py:4 np.random.seed(42) seeded numpy after seedlock: the lock's numpy seed has no effect "
        "(run with --take-over to seed such calls from the lock) at '/stages/train/frameworks/numpy'"
    ) in err
    assert "SeedlockError" in err


def test_take_over_seeds_the_programs_calls_from_the_lock_keeping_distinct_values_distinct(tmp_path: Path) -> None:
    import random

    a, b = (_lock(tmp_path, ["python", "numpy"], seed=s, name=n) for s, n in ((1, "a"), (2, "b")))
    (tmp_path / "train.py").write_text(NUMPY_SCRIPT)
    runs = [_run(lock, tmp_path / "train.py", "--take-over", "-v") for lock in (a, a, b)]
    assert [r[0] for r in runs] == [0, 0, 0], runs[0][2]
    first, again, other = (json.loads(r[1]) for r in runs)
    assert first == again and first != other
    # For the right reason: each call seeded derive(F, takeover/v) with the lock's framework seed F.
    assert first["numpy"] == np.random.RandomState(takeover_seed(_seed(a, "numpy"), 42)).random_sample()
    assert first["python"] == [random.Random(takeover_seed(_seed(a, "python"), 100 + e)).random() for e in range(3)]
    assert len(set(first["python"])) == 3  # per-epoch reseeding keeps its structure
    report = runs[0][2]
    assert "numpy      taken    np.random.seed(42) seeded numpy: taken over, seeded " in report
    assert report.count("np.random.seed(42) seeded numpy") == 1 and "(at train.py:4)" in report  # once, with its line
    assert "warning" not in runs[0][2]


def test_apply_from_env_watches_the_programs_later_seeding_calls_too(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["numpy"], seed=1, name="a")
    (tmp_path / "train.py").write_text(
        "import seedlock\nimport numpy as np\nseedlock.apply_from_env()\nnp.random.seed(7)\nprint(np.random.random())\n"
    )
    code, out, err = _run(lock, tmp_path / "train.py", "--no-auto-seed")
    assert code == 0, err
    assert "train.py:4 np.random.seed(7) seeded numpy after seedlock" in err
    code, out, err = _run(lock, tmp_path / "train.py", "--no-auto-seed", "--take-over")
    assert code == 0, err
    assert float(out) == np.random.RandomState(takeover_seed(_seed(lock, "numpy"), 7)).random_sample()


def test_the_takeover_label_of_a_value_is_its_decimal_form() -> None:
    assert [label_of(v) for v in (0, 42, -5, None, np.int64(3), True, "42", 1.5, 10**70)] == [
        "0",
        "42",
        "n5",
        "none",
        "3",
        None,
        None,
        None,
        None,
    ]


WEIGHTS = """\
import json
import torch
{seeding}
print(json.dumps(torch.nn.Linear(4, 3).weight.flatten().tolist()))
"""


@pytest.mark.parametrize(
    ("name", "seeding", "line"),
    [
        (
            "lightning",
            "import lightning as L\nL.seed_everything(42)",
            "seed_everything(42) seeded python, numpy and torch",
        ),
        (
            "transformers",
            "from transformers import set_seed\nset_seed(42)",
            "set_seed(42) seeded python, numpy and torch",
        ),
    ],
)
def test_a_third_party_seed_everything_is_reported_once_at_its_line_and_follows_the_lock_under_take_over(
    tmp_path: Path, name: str, seeding: str, line: str
) -> None:
    a, b = (_lock(tmp_path, ["python", "numpy", "torch"], seed=s, name=n) for s, n in ((1, "a"), (2, "b")))
    script = tmp_path / "train.py"
    script.write_text(WEIGHTS.format(seeding=seeding))
    code, out, err = _run(a, script)
    assert code == 0, err
    assert [x for x in err.splitlines() if "train.py" in x] == [
        f"seedlock: warning: stage 'train': train.py:4 {line} after seedlock: the lock's python, numpy and torch "
        "seeds have no effect"
    ]
    plain = json.loads(out)
    runs = [_run(lock, script, "--take-over") for lock in (a, a, b)]
    assert [r[0] for r in runs] == [0, 0, 0], runs[0][2]
    first, again, other = (json.loads(r[1]) for r in runs)
    assert first == again and first != other and first != plain
    import torch

    torch.manual_seed(takeover_seed(_seed(a, "torch"), 42))
    assert first == torch.nn.Linear(4, 3).weight.flatten().tolist()


def test_keras_set_random_seed_is_reported_and_follows_the_lock_under_take_over(tmp_path: Path) -> None:
    a, b = (_lock(tmp_path, ["python", "numpy", "tensorflow"], seed=s, name=n) for s, n in ((1, "a"), (2, "b")))
    script = tmp_path / "train.py"
    script.write_text(
        "import json\nimport keras\n\nkeras.utils.set_random_seed(42)\nlayer = keras.layers.Dense(3)\n"
        "layer.build((None, 4))\nprint(json.dumps(layer.kernel.numpy().flatten().tolist()))\n"
    )
    code, _out, err = _run(a, script)
    assert code == 0, err
    assert [x for x in err.splitlines() if "train.py" in x] == [
        "seedlock: warning: stage 'train': train.py:4 set_random_seed(42) seeded python, numpy and tensorflow after "
        "seedlock: the lock's python, numpy and tensorflow seeds have no effect"
    ]
    runs = [_run(lock, script, "--take-over") for lock in (a, a, b)]
    assert [r[0] for r in runs] == [0, 0, 0], runs[0][2]
    first, again, other = (json.loads(r[1]) for r in runs)
    assert first == again and first != other


@pytest.mark.parametrize("case", vector_cases("takeover"))
def test_the_takeover_seed_matches_the_spec_vectors(case: dict[str, Any]) -> None:
    given, want = case["input"], case["expected"]
    assert label_of(given["value"]) == want["label"]
    assert takeover_seed(given["framework_seed"], given["value"]) == want["seed"]


R_SCRIPT = """\
rm(list = ls())
set.seed(42)
x <- runif(1)
for (epoch in 1:2) set.seed(100 + epoch)
cat(sprintf("%.17g %.17g\\n", x, runif(1)))
"""


@requires_r
def test_an_r_scripts_set_seed_is_reported_and_taken_over_from_the_lock(tmp_path: Path) -> None:
    from seedlock.rcompat import r_uniform

    a, b = (_lock(tmp_path, ["r"], seed=s, name=n) for s, n in ((1, "a"), (2, "b")))
    script = tmp_path / "train.R"
    script.write_text(R_SCRIPT)

    def run(lock: Path, *flags: str) -> tuple[list[float], str]:
        out = seedlock_cli("run", str(lock), "--stage", "train", *flags, "--", "Rscript", str(script), cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        return [float(x) for x in out.stdout.split()], out.stderr

    plain, err = run(a)
    assert plain[0] == r_uniform(42, 1)[0]  # the program's seed won ...
    assert (
        "seedlock: warning: stage 'train': train.R set.seed(42) seeded r after seedlock: "
        "the lock's r seed has no effect" in err
    )
    first, err = run(a, "--take-over")
    assert err == ""
    assert first == run(a, "--take-over")[0] and first != run(b, "--take-over")[0]
    f = _seed(a, "r")
    assert first == [r_uniform(takeover_seed(f, 42), 1)[0], r_uniform(takeover_seed(f, 102), 1)[0]]
    out = seedlock_cli("run", str(a), "--stage", "train", "--strict", "--", "Rscript", str(script), cwd=tmp_path)
    assert out.returncode != 0 and out.stdout == ""
    assert (
        "seedlock: error[not-applied] train.R set.seed(42) seeded r after seedlock: the lock's r seed has no effect "
        "(run with --take-over to seed such calls from the lock) at '/stages/train/frameworks/r'"
    ) in out.stderr


@requires_r
def test_an_r_script_that_calls_seedlock_from_env_has_its_set_seed_reported_and_taken_over(tmp_path: Path) -> None:
    """Without auto-seeding, seedlock_from_env() is what seeds R: the script's set.seed after it is watched
    as after the launcher's R profile (spec 6.4)."""
    from seedlock.rcompat import r_uniform

    a, b = (_lock(tmp_path, ["r"], seed=s, name=n) for s, n in ((1, "a"), (2, "b")))
    script = tmp_path / "train.R"
    script.write_text("stage <- seedlock::seedlock_from_env()\n" + R_SCRIPT)

    def run(lock: Path, *flags: str) -> tuple[list[float], str]:
        out = seedlock_cli(
            "run", str(lock), "--stage", "train", "--no-auto-seed", *flags, "--", "Rscript", str(script), cwd=tmp_path
        )
        assert out.returncode == 0, out.stderr
        return [float(x) for x in out.stdout.split()], out.stderr

    plain, err = run(a)
    assert plain[0] == r_uniform(42, 1)[0]
    assert (
        "seedlock: warning: stage 'train': train.R set.seed(42) seeded r after seedlock: "
        "the lock's r seed has no effect" in err
    )
    first, err = run(a, "--take-over")
    assert err == ""
    assert first != run(b, "--take-over")[0]
    f = _seed(a, "r")
    assert first == [r_uniform(takeover_seed(f, 42), 1)[0], r_uniform(takeover_seed(f, 102), 1)[0]]
    out = seedlock_cli(
        "run", str(a), "--stage", "train", "--no-auto-seed", "--strict", "--", "Rscript", str(script), cwd=tmp_path
    )
    assert out.returncode != 0 and out.stdout == ""
    assert (
        "seedlock: error[not-applied] train.R set.seed(42) seeded r after seedlock: the lock's r seed has no effect "
        "(run with --take-over to seed such calls from the lock) at '/stages/train/frameworks/r'"
    ) in out.stderr


def test_a_script_that_seeds_a_framework_with_the_locks_own_seed_overrides_nothing(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python", "numpy"], seed=1, name="a")
    (tmp_path / "train.py").write_text(
        "import os, random, seedlock\nimport numpy as np\n"
        "stage = seedlock.load_lock(os.environ['SEEDLOCK_LOCK']).stage('train')\n"
        "np.random.seed(stage.seed_of('numpy'))\nrandom.seed(stage.seed_of('numpy'))\n"
    )
    code, _, err = _run(lock, tmp_path / "train.py")
    assert code == 0
    # numpy got its own seed again (nothing to say); python got numpy's seed, which is not the lock's.
    assert [x for x in err.splitlines() if "train.py" in x] == [
        f"seedlock: warning: stage 'train': train.py:5 random.seed({_seed(lock, 'numpy')}) "
        "seeded python after seedlock: "
        "the lock's python seed has no effect"
    ]


def test_a_stage_whose_manifest_says_take_over_follows_the_lock_without_the_flag(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text(
        json.dumps(
            {"version": "1.2", "seed": 1, "stages": {"train": {"frameworks": ["python", "numpy"], "take_over": True}}}
        )
    )
    lock = tmp_path / "l.json"
    assert seedlock_cli("resolve", str(manifest), "-o", str(lock), "--no-provenance").returncode == 0
    assert json.loads(lock.read_text())["stages"]["train"]["take_over"] is True
    (tmp_path / "train.py").write_text(NUMPY_SCRIPT)
    code, out, err = _run(lock, tmp_path / "train.py")
    assert code == 0 and err == "", err
    assert json.loads(out)["numpy"] == np.random.RandomState(takeover_seed(_seed(lock, "numpy"), 42)).random_sample()
    # apply_from_env() reads the stage's take_over too.
    (tmp_path / "apply.py").write_text(
        "import seedlock\nimport numpy as np\nseedlock.apply_from_env()\nnp.random.seed(7)\nprint(np.random.random())\n"
    )
    code, out, err = _run(lock, tmp_path / "apply.py", "--no-auto-seed")
    assert code == 0 and err == "", err
    assert float(out) == np.random.RandomState(takeover_seed(_seed(lock, "numpy"), 7)).random_sample()


def test_take_over_in_a_1_1_manifest_is_an_unknown_field_naming_the_version(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text(
        json.dumps({"version": "1.1", "seed": 1, "stages": {"train": {"frameworks": ["numpy"], "take_over": True}}})
    )
    out = seedlock_cli("resolve", str(manifest), "-o", str(tmp_path / "l.json"))
    assert out.returncode == 2
    assert out.stderr == (
        f"seedlock: error[unknown-field] {manifest}: Unknown field 'take_over' (version 1.2 defines it; "
        "this document is 1.1) at '/stages/train/take_over'\n"
    )


def test_a_librarys_own_test_module_is_named_as_the_caller_not_the_test_runner() -> None:
    import sys as _sys

    from seedlock.seeding._intercept import _call_site

    # numpy's own tests (numpy.random.tests.test_random) seed numpy; run under pytest, the finding must
    # name their line, not pytest's (numpy is otherwise a library whose frames are skipped).
    code = compile("\n\nwhere = site(sys._getframe(0))\n", "numpy/random/tests/test_fake.py", "exec")
    scope = {"__name__": "numpy.random.tests.test_fake", "site": _call_site, "sys": _sys}
    exec(code, scope)
    assert scope["where"] == "numpy/random/tests/test_fake.py:3"
    library = {"__name__": "numpy.random._internal", "site": _call_site, "sys": _sys}
    exec(compile("where = site(sys._getframe(0))\n", "numpy/random/_internal.py", "exec"), library)
    assert library["where"] != "numpy/random/_internal.py:1"  # numpy's own code is skipped
