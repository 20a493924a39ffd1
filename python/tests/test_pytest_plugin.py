"""The pytest plugin, exercised in isolated pytest runs (pytester)."""

from __future__ import annotations

import ast
import json
import random
import re
import sys
from pathlib import Path

import numpy as np  # imported here: pytester forgets modules first imported inside a test, and numpy cannot load twice
import pytest
import seedlock
from conftest import seedlock_cli
from seedlock.spec.derivation import test_seed as per_test_seed  # not named test_*: pytest would collect it

MANIFEST = {"version": "1.0", "seed": "generate", "stages": {"test": {"frameworks": ["python", "numpy"]}}}
TESTS = """
import random, json
import numpy as np

def _show(name):
    print("DRAW", json.dumps([name, random.random(), float(np.random.random())]))

def test_a(): _show("a")
def test_b(): _show("b")
def test_c(): _show("c")
"""


def _draws(result: pytest.RunResult) -> dict[str, list[float]]:
    out = {}
    for line in result.outlines:
        if "DRAW " in line:
            name, *values = json.loads(line.split("DRAW ", 1)[1])
            out[name] = values
    return out


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    # Its own rootdir, so node ids are "test_x.py::test_y" wherever the temporary directory is.
    pytester.makeini("[pytest]\n")
    pytester.makefile(".json", seedlock=json.dumps(MANIFEST))
    pytester.makepyfile(test_draws=TESTS)
    return pytester


def test_it_reports_a_header_with_the_root_seed_and_how_to_reproduce(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--seedlock", "seedlock.json")
    result.assert_outcomes(passed=3)
    header = [line for line in result.outlines if line.startswith("seedlock: root seed")]
    assert header and re.fullmatch(
        r"seedlock: root seed (\d+) \(generated\) from seedlock.json, stage 'test' \(python, numpy\); "
        r"reproduce with --seedlock-seed=\1 or --seedlock-seed=last",
        header[0],
    )


def test_a_tests_seed_depends_on_its_id_not_on_order_or_selection(project: pytest.Pytester) -> None:
    full = _draws(project.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "--seedlock-seed", "7"))
    only_c = _draws(
        project.runpytest_subprocess(
            "-s", "--seedlock", "seedlock.json", "--seedlock-seed", "7", "test_draws.py::test_c"
        )
    )
    reversed_ = _draws(
        project.runpytest_subprocess(
            "-s",
            "--seedlock",
            "seedlock.json",
            "--seedlock-seed",
            "7",
            "test_draws.py::test_c",
            "test_draws.py::test_b",
            "test_draws.py::test_a",
        )
    )
    assert only_c["c"] == full["c"]
    assert reversed_ == full
    assert len({tuple(v) for v in full.values()}) == 3


def test_last_repeats_the_previous_root_seed(project: pytest.Pytester) -> None:
    first = project.runpytest_subprocess("-s", "--seedlock", "seedlock.json")
    again = project.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "--seedlock-seed=last")
    assert _draws(first) == _draws(again)
    fresh = project.runpytest_subprocess("-s", "--seedlock", "seedlock.json")
    assert _draws(fresh) != _draws(first)


def test_rng_state_is_restored_after_each_test(project: pytest.Pytester) -> None:
    project.makeconftest("""
import random
import numpy as np

def pytest_sessionstart(session):
    random.seed(99)
    np.random.seed(99)

def pytest_sessionfinish(session):
    # Every test drew from its own seeds; outside the tests the session's state must be untouched.
    print("UNTOUCHED", random.random() == random.Random(99).random(),
          np.random.random() == np.random.RandomState(99).random_sample())
""")
    result = project.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "test_draws.py")
    result.assert_outcomes(passed=3)
    assert "UNTOUCHED True True" in result.stdout.str()


def test_the_seedlock_stage_fixture_gives_the_tests_own_seeds_and_generators(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_fixture="""
import json
def test_gen(seedlock_stage):
    print("DRAW", json.dumps(["gen", seedlock_stage.seeds["numpy"], float(seedlock_stage.numpy_generator().random())]))
def test_other(seedlock_stage):
    print("DRAW", json.dumps(["other", seedlock_stage.seeds["numpy"],
                              float(seedlock_stage.numpy_generator().random())]))
"""
    )
    result = project.runpytest_subprocess(
        "-s", "--seedlock", "seedlock.json", "--seedlock-seed", "7", "test_fixture.py"
    )
    result.assert_outcomes(passed=2)
    numpy_seed = (
        seedlock.resolve(seedlock.from_data(MANIFEST), {"SEEDLOCK_SEED": "7"}, provenance=False)
        .stage("test")
        .seed_of("numpy")
    )
    draws = _draws(result)
    for name in ("gen", "other"):
        seed = per_test_seed(numpy_seed, f"test_fixture.py::test_{name}")
        # Rules 2 (spec §4.3): an unnamed generator is the stream "default" of the test's seed.
        stream = seedlock.spec.derivation.derive(seed, "stream", "default")
        assert draws[name] == [seed, float(np.random.Generator(np.random.PCG64(stream)).random())]
    assert draws["gen"] != draws["other"]


def test_an_unknown_stage_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--seedlock", "seedlock.json", "--seedlock-stage", "train")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*seedlock: error[[]unknown-stage[]] seedlock.json: No stage 'train' (stages: test)*"])


def test_the_plugin_is_idle_without_the_option(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-s")
    result.assert_outcomes(passed=3)
    assert not [line for line in result.outlines if line.startswith("seedlock:")]


def test_the_ini_option_enables_it(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nseedlock = seedlock.json\n")
    result = project.runpytest_subprocess("-s")
    assert [line for line in result.outlines if line.startswith("seedlock: root seed")]


# --- issue 11 (xdist, call-phase reseed, apply report) and issue 14 (stage, summary, seed source) ---

XDIST_TESTS = """
import json, os, pathlib, random
import numpy as np
import pytest

def _record(request):
    out = pathlib.Path(__file__).parent / "draws"
    out.mkdir(exist_ok=True)
    (out / (request.node.name + ".json")).write_text(json.dumps([random.random(), float(np.random.random())]))
    (out / (request.node.name + ".worker")).write_text(os.environ.get("PYTEST_XDIST_WORKER", "serial"))

@pytest.mark.parametrize("i", range(8))
def test_draw(request, i):
    _record(request)
"""


def _recorded(project: pytest.Pytester) -> dict[str, list[float]]:
    values, _ = _recorded_with_workers(project)
    return values


def _recorded_with_workers(project: pytest.Pytester) -> tuple[dict[str, list[float]], set[str]]:
    folder = project.path / "draws"
    values = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    workers = {p.read_text() for p in folder.glob("*.worker")}
    for p in [*folder.glob("*.json"), *folder.glob("*.worker")]:
        p.unlink()
    return values, workers


def _root_seed(result: pytest.RunResult) -> int:
    header = [line for line in result.outlines if line.startswith("seedlock: root seed")]
    assert header, result.outlines
    return int(header[0].split()[3])


def test_xdist_workers_use_the_controllers_seed_so_a_serial_rerun_reproduces_every_test(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_draws=XDIST_TESTS)
    parallel = project.runpytest_subprocess("-n", "2", "--seedlock", "seedlock.json")
    parallel.assert_outcomes(passed=8)
    seed = _root_seed(parallel)
    under_xdist, workers = _recorded_with_workers(project)
    assert workers == {"gw0", "gw1"}  # both workers ran tests, or this would not test xdist at all
    assert len(under_xdist) == 8 and len({tuple(v) for v in under_xdist.values()}) == 8
    serial = project.runpytest_subprocess("--seedlock", "seedlock.json", f"--seedlock-seed={seed}")
    serial.assert_outcomes(passed=8)
    assert _recorded(project) == under_xdist
    last = project.runpytest_subprocess("--seedlock", "seedlock.json", "--seedlock-seed=last")
    last.assert_outcomes(passed=8)
    assert _root_seed(last) == seed
    assert _recorded(project) == under_xdist
    # And back under xdist with the printed seed: the same values again, whichever worker runs a test.
    project.runpytest_subprocess("-n", "2", "--seedlock", "seedlock.json", f"--seedlock-seed={seed}").assert_outcomes(
        passed=8
    )
    assert _recorded(project) == under_xdist


CALL_PHASE_TESTS = """
import json, os, random
import numpy as np
import pytest

@pytest.fixture(autouse=True)
def noisy_fixture():
    # A fixture that draws (builds random data, a model...) only in some runs.
    if os.environ.get("FIXTURE_DRAWS"):
        random.random(); np.random.random(); random.random()
    yield

def test_body():
    print("DRAW", json.dumps(["body", random.random(), float(np.random.random())]))
"""


def test_fixture_draws_do_not_shift_the_test_body(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    project.makepyfile(test_call=CALL_PHASE_TESTS)
    args = ("-s", "--seedlock", "seedlock.json", "--seedlock-seed", "7", "test_call.py")
    monkeypatch.delenv("FIXTURE_DRAWS", raising=False)
    quiet = _draws(project.runpytest_subprocess(*args))
    monkeypatch.setenv("FIXTURE_DRAWS", "1")
    drawing = _draws(project.runpytest_subprocess(*args))
    assert quiet == drawing
    # ... and the body's values are the test's own seeds (spec §4.3), not some shifted stream.
    stage = seedlock.resolve(seedlock.from_data(MANIFEST), {"SEEDLOCK_SEED": "7"}, provenance=False).stage("test")
    node = "test_call.py::test_body"
    expected_python = random.Random(per_test_seed(stage.seed_of("python"), node)).random()
    expected_numpy = np.random.RandomState(per_test_seed(stage.seed_of("numpy"), node)).random_sample()
    assert quiet["body"] == [expected_python, expected_numpy]


def test_what_could_not_be_applied_is_a_warning_and_strict_makes_it_an_error(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stage asks for PYTHONHASHSEED (hash_seed defaults to true); pytest was not started with it.
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    result = project.runpytest_subprocess("--seedlock", "seedlock.json", "--seedlock-seed", "7")
    result.assert_outcomes(passed=3)
    python_seed = (
        seedlock.resolve(seedlock.from_data(MANIFEST), {"SEEDLOCK_SEED": "7"}, provenance=False)
        .stage("test")
        .seed_of("python")
    )
    result.stdout.fnmatch_lines([f"*seedlock: not applied: python PYTHONHASHSEED={python_seed}*"])
    strict = project.runpytest_subprocess("--seedlock", "seedlock.json", "--seedlock-seed", "7", "--seedlock-strict")
    assert strict.ret == pytest.ExitCode.USAGE_ERROR
    strict.stderr.fnmatch_lines([f"*seedlock: error[[]not-applied[]] seedlock.json: *PYTHONHASHSEED={python_seed}*"])
    # Started as `seedlock run` starts it, nothing is missing and nothing is reported.
    monkeypatch.setenv("PYTHONHASHSEED", str(python_seed))
    clean = project.runpytest_subprocess("--seedlock", "seedlock.json", "--seedlock-seed", "7", "--seedlock-strict")
    clean.assert_outcomes(passed=3)
    assert "not applied" not in clean.stdout.str()


def test_a_manifest_without_a_test_stage_names_the_option_to_choose_one(pytester: pytest.Pytester) -> None:
    manifest = {
        "version": "1.0",
        "seed": 1,
        "stages": {"train": {"frameworks": ["python"]}, "eval": {"frameworks": ["numpy"]}},
    }
    pytester.makefile(".json", seedlock=json.dumps(manifest))
    pytester.makepyfile(test_x="def test_x(): pass")
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_subprocess("--seedlock", "seedlock.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*seedlock: error[[]unknown-stage[]] seedlock.json: No stage 'test' (stages: train, eval); "
            "choose one with --seedlock-stage STAGE (or the seedlock_stage ini option)*"
        ]
    )


def test_the_failure_summary_repeats_how_to_reproduce(project: pytest.Pytester) -> None:
    project.makepyfile(test_fail="def test_fails():\n    assert False\n")
    result = project.runpytest_subprocess("--seedlock", "seedlock.json", "test_fail.py")
    result.assert_outcomes(failed=1)
    seed = _root_seed(result)
    # After the failures' tracebacks, next to pytest's own summary.
    tail = result.outlines[result.outlines.index(next(line for line in result.outlines if " FAILURES " in line)) :]
    assert any(line == f"seedlock: reproduce with --seedlock-seed={seed} or --seedlock-seed=last" for line in tail), (
        tail
    )
    passing = project.runpytest_subprocess("--seedlock", "seedlock.json", "test_draws.py")
    assert not [line for line in passing.outlines if line.startswith("seedlock: reproduce")]


def test_a_command_line_seed_is_reported_as_one(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEEDLOCK_SEED", raising=False)
    result = project.runpytest_subprocess("--seedlock", "seedlock.json", "--seedlock-seed", "7")
    header = [line for line in result.outlines if line.startswith("seedlock: root seed")]
    assert header and header[0].startswith("seedlock: root seed 7 (--seedlock-seed) from seedlock.json")
    monkeypatch.setenv("SEEDLOCK_SEED", "8")
    result = project.runpytest_subprocess("--seedlock", "seedlock.json")
    assert [line for line in result.outlines if line.startswith("seedlock: root seed 8 (env SEEDLOCK_SEED)")]


def test_a_generated_stage_seed_is_printed_and_brought_back_by_last(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = {
        "version": "1.0",
        "seed": 3,
        "stages": {"test": {"seed": "generate", "frameworks": ["python"]}},
        "settings": {"python": {"hash_seed": False}},
    }
    pytester.makeini("[pytest]\n")
    pytester.makefile(".json", seedlock=json.dumps(manifest))
    pytester.makepyfile(test_draws=TESTS.replace("float(np.random.random())", "0.0"))
    monkeypatch.delenv("SEEDLOCK_SEED_TEST", raising=False)
    first = pytester.runpytest_subprocess("-s", "--seedlock", "seedlock.json")
    header = next(line for line in first.outlines if line.startswith("seedlock: root seed"))
    match = re.search(r"with SEEDLOCK_SEED_TEST=(\d+) in the environment", header)
    assert match, header
    again = pytester.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "--seedlock-seed=last")
    assert _draws(again) == _draws(first)
    monkeypatch.setenv("SEEDLOCK_SEED_TEST", match.group(1))
    by_hand = pytester.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "--seedlock-seed=3")
    assert _draws(by_hand) == _draws(first)


PHASE_TESTS = """
import json
import numpy as np
import pytest

@pytest.fixture
def noise():
    drawn = np.random.normal(size=4).tolist()
    yield drawn
    print("DRAW", json.dumps(["teardown", float(np.random.random())]))

def test_fixture_noise_is_independent_of_the_body(noise):
    body = np.random.normal(size=4).tolist()
    print("DRAW", json.dumps(["setup", *noise]))
    print("DRAW", json.dumps(["call", *body]))
    assert noise != body
"""


def test_setup_call_and_teardown_draw_from_their_own_spec_seeds(project: pytest.Pytester) -> None:
    project.makepyfile(test_phases=PHASE_TESTS)
    result = project.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "--seedlock-seed", "7", "test_phases.py")
    result.assert_outcomes(passed=1)
    draws = _draws(result)
    stage = seedlock.resolve(seedlock.from_data(MANIFEST), {"SEEDLOCK_SEED": "7"}, provenance=False).stage("test")
    node = "test_phases.py::test_fixture_noise_is_independent_of_the_body"
    numpy_seed = stage.seed_of("numpy")
    assert draws["setup"] == np.random.RandomState(per_test_seed(numpy_seed, node, "setup")).normal(size=4).tolist()
    assert draws["call"] == np.random.RandomState(per_test_seed(numpy_seed, node, "call")).normal(size=4).tolist()
    assert draws["teardown"] == [np.random.RandomState(per_test_seed(numpy_seed, node, "teardown")).random_sample()]


LAZY_MANIFEST = {"version": "1.0", "seed": 5, "stages": {"test": {"frameworks": ["python", "numpy", "torch"]}}}
LAZY_TESTS = """
import json, sys

def test_numpy_only():
    import numpy as np
    print("DRAW", json.dumps(["numpy", float(np.random.random()), "torch" in sys.modules]))

def test_imports_torch_in_its_body():
    import torch
    print("DRAW", json.dumps(["torch", float(torch.rand(1)), 0]))
"""


def test_a_listed_framework_is_imported_only_by_the_tests_that_use_it(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makefile(".json", seedlock=json.dumps(LAZY_MANIFEST))
    pytester.makepyfile(test_lazy=LAZY_TESTS)
    only_numpy = pytester.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "test_lazy.py::test_numpy_only")
    only_numpy.assert_outcomes(passed=1)
    assert _draws(only_numpy)["numpy"][1] is False  # torch was never imported for a suite that does not use it

    both = pytester.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "-p", "no:randomly")
    both.assert_outcomes(passed=2)
    stage = seedlock.resolve(seedlock.from_data(LAZY_MANIFEST), {}, provenance=False).stage("test")
    node = "test_lazy.py::test_imports_torch_in_its_body"
    import torch

    # Seeded on its first import, inside the body, with the body's seed: as if it had been applied.
    expected = float(
        torch.rand(1, generator=torch.Generator().manual_seed(per_test_seed(stage.seed_of("torch"), node)))
    )
    assert _draws(both)["torch"][0] == expected
    assert _draws(both)["numpy"][0] == _draws(only_numpy)["numpy"][0]


def test_pytest_under_seedlock_run_gives_no_assertion_rewriting_warning(tmp_path: Path) -> None:
    # Auto-seeding imports seedlock before pytest starts; pytest then warned that it could not rewrite the
    # asserts of the plug-in's package (three times per run), though seedlock has no asserts to rewrite.
    (tmp_path / "seedlock.json").write_text(json.dumps(MANIFEST))
    (tmp_path / "test_x.py").write_text("import random\n\ndef test_x():\n    assert random.random() < 2\n")
    lock = tmp_path / "seedlock.lock.json"
    assert seedlock_cli("resolve", "seedlock.json", "-o", str(lock), cwd=tmp_path).returncode == 0
    out = seedlock_cli(
        "run",
        str(lock),
        "--stage",
        "test",
        "--",
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "test_x.py",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout
    assert "PytestAssertRewriteWarning" not in out.stdout + out.stderr


PHASE_HOOKS_CONFTEST = """
def pytest_collection_finish(session):
    manager = session.config.pluginmanager
    hooks = (manager.hook.pytest_runtest_setup, manager.hook.pytest_runtest_call, manager.hook.pytest_runtest_teardown)
    print("PHASE-HOOKS", sorted({manager.get_name(impl.plugin) for hook in hooks for impl in hook.get_hookimpls()}))
"""


def _phase_hook_plugins(result: pytest.RunResult) -> list[str]:
    line = next(line for line in result.outlines if line.startswith("PHASE-HOOKS"))
    return list(ast.literal_eval(line.split(" ", 1)[1]))


def test_a_session_without_seedlock_pays_no_seedlock_hook_per_test_phase(project: pytest.Pytester) -> None:
    # Installing seedlock registers its plug-in in every pytest session; only --seedlock may cost each test.
    project.makeconftest(PHASE_HOOKS_CONFTEST)
    plain = project.runpytest_subprocess("-s", "-p", "no:randomly", "test_draws.py")
    assert plain.ret == 0
    assert not [name for name in _phase_hook_plugins(plain) if "seedlock" in name]

    seeded = project.runpytest_subprocess("-s", "-p", "no:randomly", "--seedlock", "seedlock.json", "test_draws.py")
    assert seeded.ret == 0
    assert "seedlock-tests" in _phase_hook_plugins(seeded)


HELD_CONFTEST = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    result = yield
    held = [type(value).__name__ for value in item.stash._storage.values()]
    print("HELD", item.name, held)
    return result
"""


def test_what_a_test_saved_is_released_after_it(project: pytest.Pytester) -> None:
    # Items live as long as the session: a test's saved generator states (a torch state per test) must not.
    project.makeconftest(HELD_CONFTEST)
    result = project.runpytest_subprocess("-s", "-p", "no:randomly", "--seedlock", "seedlock.json", "test_draws.py")
    assert result.ret == 0
    held = [line for line in result.outlines if "HELD " in line]
    assert held
    assert not [line for line in held if "_TestSeeds" in line]


FLAG_CONFTEST = """
def pytest_unconfigure(config):
    import sys
    torch = sys.modules.get("torch")
    print("DETERMINISTIC-AFTER", None if torch is None else torch.are_deterministic_algorithms_enabled())
"""
FLAG_TESTS = """
def test_imports_torch_in_its_body():
    import torch
    assert torch.are_deterministic_algorithms_enabled()  # the stage's setting, applied on the import
"""


def test_a_framework_first_imported_in_a_test_gets_its_flags_back_after_it(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makefile(".json", seedlock=json.dumps(LAZY_MANIFEST))
    pytester.makeconftest(FLAG_CONFTEST)
    pytester.makepyfile(test_flag=FLAG_TESTS)
    result = pytester.runpytest_subprocess("-s", "--seedlock", "seedlock.json")
    result.assert_outcomes(passed=1)
    assert "DETERMINISTIC-AFTER False" in result.stdout.str()


def test_a_seedlock_option_without_seedlock_is_an_error_not_ignored(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--seedlock-seed=5", "test_draws.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--seedlock-seed need --seedlock FILE" in result.stderr.str()


def test_the_reproduce_line_offers_last_only_where_pytest_keeps_its_cache(project: pytest.Pytester) -> None:
    with_cache = project.runpytest_subprocess("--seedlock", "seedlock.json", "--seedlock-seed", "3", "test_draws.py")
    assert "or --seedlock-seed=last" in with_cache.stdout.str()
    without = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "--seedlock", "seedlock.json", "--seedlock-seed", "3", "test_draws.py"
    )
    assert "reproduce with --seedlock-seed=3" in without.stdout.str()
    assert "--seedlock-seed=last" not in without.stdout.str()


LOADER_TESTS = """
import sys

def test_loaders():
    print("LOADER", type(sys.modules["seedlock.spec.lock"].__loader__).__name__)
"""


def test_seedlocks_modules_skip_pytests_assertion_rewriter(project: pytest.Pytester) -> None:
    # pytest loads every module of a plug-in's package through its rewriter (about 2 M instructions each);
    # seedlock has no asserts, and the modules that read the manifest load as plain modules.
    project.makepyfile(test_loaders=LOADER_TESTS)
    result = project.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "test_loaders.py")
    assert result.ret == 0
    assert "LOADER SourceFileLoader" in result.stdout.str()
