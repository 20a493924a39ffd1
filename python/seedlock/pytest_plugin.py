"""pytest plugin: seed every test from a seedlock manifest or lock.

    pytest --seedlock seedlock.json [--seedlock-stage test] [--seedlock-seed N|last]

Each test gets, for every framework of the stage, ``derive(F, "pytest", h)`` where ``h`` is the
first 16 hex digits of SHA-256 of the test's node id (spec §4.3): stable across runs and
independent of test order or selection. RNG state is restored after each test. The header names
the root seed and how to run with it again. Does nothing unless ``--seedlock`` (or the ``seedlock``
ini option) is given.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from types import MappingProxyType
from typing import Any

import pytest

_KEY = "seedlock/last_seed"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seedlock", "seed tests from a seedlock manifest or lock")
    group.addoption("--seedlock", metavar="FILE", default=None, help="manifest or lock whose stage seeds every test")
    group.addoption("--seedlock-stage", metavar="STAGE", default=None, help="stage to use (default: ini seedlock_stage, else 'test')")
    group.addoption("--seedlock-seed", metavar="N|last", default=None,
                    help="override the manifest's root seed; 'last' repeats the previous run's")
    parser.addini("seedlock", "manifest or lock whose stage seeds every test")
    parser.addini("seedlock_stage", "stage whose frameworks seed the tests (default: test)")


class _State:
    def __init__(self, lock: Any, stage: Any, path: str) -> None:
        self.lock, self.stage, self.path = lock, stage, path


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--seedlock") or config.getini("seedlock")
    if not path:
        return
    import seedlock

    override = config.getoption("--seedlock-seed")
    try:
        document = seedlock.read(path)
        if override is not None and isinstance(document, seedlock.Lock):
            raise pytest.UsageError(f"--seedlock-seed cannot change a lock ({path} is final); give a manifest")
        env = dict(os.environ)
        if override is not None:
            if override == "last":
                cache = getattr(config, "cache", None)
                last = cache.get(_KEY, None) if cache is not None else None
                if last is None:
                    raise pytest.UsageError("--seedlock-seed=last: no previous seedlock run recorded in the pytest cache")
                override = str(last)
            env["SEEDLOCK_SEED"] = str(override)
        lock = document if isinstance(document, seedlock.Lock) else seedlock.resolve(document, env, provenance=False)
        stage_name = config.getoption("--seedlock-stage") or config.getini("seedlock_stage") or "test"
        stage = lock.stage(stage_name)
    except seedlock.SeedlockError as err:
        raise pytest.UsageError(f"seedlock: error[{err.code}] {path}: {err}") from None
    cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
    if cache is not None:
        cache.set(_KEY, lock.root.seed)
    config.stash[_STATE] = _State(lock, stage, str(path))


_STATE = pytest.StashKey[_State]()


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    root = state.lock.root
    source = f"env {root.variable}" if root.variable else root.source
    return [f"seedlock: root seed {root.seed} ({source}) from {state.path}, stage {state.stage.name!r} "
            f"({', '.join(state.stage.frameworks)}); reproduce with --seedlock-seed={root.seed} or --seedlock-seed=last"]


def _test_stage(stage: Any, nodeid: str) -> Any:
    from .derivation import test_seed
    from .lock import FrameworkSeed, LockedStage

    frameworks = {}
    for name, fw in stage.frameworks.items():
        settings = dict(fw.settings)
        if name == "python":
            settings["hash_seed"] = False  # fixed once per process; cannot differ per test
        frameworks[name] = FrameworkSeed(framework=name, seed=test_seed(fw.seed, nodeid), source="derived",
                                         settings=MappingProxyType(settings))
    return LockedStage(name=stage.name, seed=stage.seed, source=stage.source, variable=stage.variable,
                       frameworks=MappingProxyType(frameworks))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    state = item.config.stash.get(_STATE, None)
    if state is not None:
        from .apply import saved_state

        stage = _test_stage(state.stage, item.nodeid)
        context = saved_state(stage.frameworks)
        context.__enter__()
        item.stash[_CONTEXT] = (context, stage)
        stage.apply()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    yield
    entry = item.stash.get(_CONTEXT, None)
    if entry is not None:
        entry[0].__exit__(None, None, None)


_CONTEXT = pytest.StashKey[Any]()


@pytest.fixture
def seedlock_stage(request: pytest.FixtureRequest) -> Any:
    """The stage seeding this test (per-test seeds), e.g. ``seedlock_stage.numpy_generator()``."""
    entry = request.node.stash.get(_CONTEXT, None)
    if entry is None:
        pytest.skip("seedlock is not enabled: run pytest with --seedlock FILE")
    return entry[1]
