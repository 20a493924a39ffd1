"""The pytest plugin, exercised in isolated pytest runs (pytester)."""

from __future__ import annotations

import json
import re

import pytest

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
    pytester.makefile(".json", seedlock=json.dumps(MANIFEST))
    pytester.makepyfile(test_draws=TESTS)
    return pytester


def test_it_reports_a_header_with_the_root_seed_and_how_to_reproduce(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--seedlock", "seedlock.json")
    result.assert_outcomes(passed=3)
    header = [line for line in result.outlines if line.startswith("seedlock: root seed")]
    assert header and re.fullmatch(
        r"seedlock: root seed (\d+) \(generated\) from seedlock.json, stage 'test' \(python, numpy\); "
        r"reproduce with --seedlock-seed=\1 or --seedlock-seed=last", header[0])


def test_a_tests_seed_depends_on_its_id_not_on_order_or_selection(project: pytest.Pytester) -> None:
    full = _draws(project.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "--seedlock-seed", "7"))
    only_c = _draws(project.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "--seedlock-seed", "7", "test_draws.py::test_c"))
    reversed_ = _draws(project.runpytest_subprocess("-s", "--seedlock", "seedlock.json", "--seedlock-seed", "7",
                                         "test_draws.py::test_c", "test_draws.py::test_b", "test_draws.py::test_a"))
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


def test_the_seedlock_stage_fixture_gives_the_tests_generators(project: pytest.Pytester) -> None:
    project.makepyfile(test_fixture="""
def test_gen(seedlock_stage):
    assert seedlock_stage.numpy_generator().random() >= 0
    assert set(seedlock_stage.seeds) == {"python", "numpy"}
""")
    project.runpytest_subprocess("--seedlock", "seedlock.json", "test_fixture.py").assert_outcomes(passed=1)


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
