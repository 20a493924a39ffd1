"""pytest plugin: seed every test from a seedlock manifest or lock.

    pytest --seedlock seedlock.json [--seedlock-stage test] [--seedlock-seed N|last] [--seedlock-strict]

Each test gets, for every framework of the stage, ``derive(F, "pytest", h)`` where ``h`` is the
first 16 hex digits of SHA-256 of the test's node id (spec §4.3): stable across runs and
independent of test order, selection and of which pytest-xdist worker runs it. Its setup, body
and teardown each get their own seeds (the body ``T`` itself, setup and teardown ``derive(T,
"phase", …)``), applied as each phase starts, so a fixture that draws neither shifts nor repeats
the body's values. A framework is seeded only once the session has imported it (a listed torch
costs nothing to a suite that never imports it); one a test imports first is seeded on that import
with the seeds of the phase running. RNG state is restored after each test.

The manifest is resolved once, by the controlling process: pytest-xdist workers receive the
resolved lock (``workerinput``), so a generated root seed is the same in every worker and the
printed ``--seedlock-seed=N`` reproduces every test serially. What could not be applied is
reported (a warning; an error with ``--seedlock-strict``). Does nothing unless ``--seedlock``
(or the ``seedlock`` ini option) is given.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Generator
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pytest

_KEY = "seedlock/last_seed"
_STAGES_KEY = "seedlock/last_generated_stage_seeds"  # stage variable -> seed, for stages whose seed was generated
_WORKER_KEY = "seedlock_lock"  # in pytest-xdist's workerinput: the controller's resolved lock
_DEFAULT_STAGE = "test"


class SeedlockNotAppliedWarning(UserWarning):
    """Something the stage asks for could not be seeded or set (spec §6); strict mode fails instead."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seedlock", "seed tests from a seedlock manifest or lock")
    group.addoption("--seedlock", metavar="FILE", default=None, help="manifest or lock whose stage seeds every test")
    group.addoption("--seedlock-stage", metavar="STAGE", default=None, help="stage to use (default: ini seedlock_stage, else 'test')")
    group.addoption("--seedlock-seed", metavar="N|last", default=None,
                    help="override the manifest's root seed; 'last' repeats the previous run's")
    group.addoption("--seedlock-strict", action="store_true", default=None,
                    help="fail when something the stage asks for cannot be applied (default: warn)")
    parser.addini("seedlock", "manifest or lock whose stage seeds every test")
    parser.addini("seedlock_stage", "stage whose frameworks seed the tests (default: test)")
    parser.addini("seedlock_strict", "fail when something cannot be applied", type="bool", default=False)


@dataclass(frozen=True)
class _State:
    lock: Any
    stage: Any
    path: str
    source: str  # how the root seed was chosen, as the header says it
    strict: bool
    from_lock: bool


_STATE = pytest.StashKey[_State]()
_CONTEXT = pytest.StashKey[Any]()


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--seedlock") or config.getini("seedlock")
    if not path:
        return
    from .documents import from_data
    from .errors import SeedlockError

    strict = bool(config.getoption("--seedlock-strict") or config.getini("seedlock_strict"))
    explicit_stage = config.getoption("--seedlock-stage") or config.getini("seedlock_stage")
    stage_name = explicit_stage or _DEFAULT_STAGE
    worker_lock = getattr(config, "workerinput", {}).get(_WORKER_KEY)
    lock: Any
    try:
        if worker_lock is not None:
            # An xdist worker: never resolve again ("generate" would draw a different seed per worker).
            lock = from_data(json.loads(worker_lock["lock"]), schema=False)
            source, from_lock = worker_lock["source"], worker_lock["from_lock"]
        else:
            lock, source, from_lock = _resolve(config, str(path))
        stage = _stage(lock, stage_name, explicit=bool(explicit_stage))
        missing = _hash_seed_problem(stage) if worker_lock is None else None  # the controller reports it
        if missing:
            _not_applied(config, stage, [missing], strict=strict, at_start=True)
    except SeedlockError as err:
        raise pytest.UsageError(f"seedlock: error[{err.code}] {path}: {err}") from None
    if worker_lock is None:
        cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
        if cache is not None:
            cache.set(_KEY, lock.root.seed)
            cache.set(_STAGES_KEY, _generated_stage_seeds(lock))
    config.stash[_STATE] = _State(lock, stage, str(path), source, strict, from_lock)
    _control_seedless_at_collection(stage, strict)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "seedlock-xdist")


def _resolve(config: pytest.Config, path: str) -> tuple[Any, str, bool]:
    from .documents import read, resolve
    from .lock import Lock

    override = config.getoption("--seedlock-seed")
    document = read(path)
    if override is not None and isinstance(document, Lock):
        raise pytest.UsageError(f"--seedlock-seed cannot change a lock ({path} is final); give a manifest")
    env = dict(os.environ)
    if override is not None:
        if override == "last":
            cache = getattr(config, "cache", None)
            last = cache.get(_KEY, None) if cache is not None else None
            if cache is None or last is None:
                raise pytest.UsageError("--seedlock-seed=last: no previous seedlock run recorded in the pytest cache")
            override = str(last)
            # A stage seed generated last time is not derived from the root seed: bring it back too,
            # unless the environment names one now.
            for variable, seed in (cache.get(_STAGES_KEY, None) or {}).items():
                if not env.get(variable):
                    env[variable] = str(seed)
        env["SEEDLOCK_SEED"] = str(override)
    lock = document if isinstance(document, Lock) else resolve(document, env, provenance=False)
    root = lock.root
    if override is not None:
        source = "--seedlock-seed"  # resolved through SEEDLOCK_SEED, but the user typed an option
    elif root.variable:
        source = f"env {root.variable}"
    else:
        source = root.source
    return lock, source, isinstance(document, Lock)


def _generated_stage_seeds(lock: Any) -> dict[str, int]:
    return {_stage_variable(name): stage.seed for name, stage in lock.stages.items() if stage.source == "generated"}


def _stage(lock: Any, name: str, *, explicit: bool) -> Any:
    from .errors import SeedlockError

    try:
        return lock.stage(name)
    except SeedlockError as err:
        if explicit:
            raise
        raise SeedlockError(err.code, f"{err.problem}; choose one with --seedlock-stage STAGE "
                                      "(or the seedlock_stage ini option)", err.pointer) from None


def _hash_seed_problem(stage: Any) -> Any:
    """PYTHONHASHSEED is fixed at interpreter start, once for the whole session (not per test)."""
    from .actions import Action

    fw = stage.frameworks.get("python")
    if fw is None or not fw.settings["hash_seed"]:
        return None
    actual = os.environ.get("PYTHONHASHSEED")
    if actual == str(fw.seed):
        return None
    return Action(framework="python", what=f"PYTHONHASHSEED={fw.seed}", status="failed",
                  detail=f"pytest started with PYTHONHASHSEED={actual or 'unset'}; run `seedlock run LOCK --stage "
                         f"{stage.name} -- pytest ...` or set the python setting hash_seed to false")


def _not_applied(config: pytest.Config, stage: Any, failures: list[Any], *, strict: bool,
                 at_start: bool = False, nodeid: str = "") -> None:
    from .errors import SeedlockError, pointer_join

    text = "; ".join(f"{a.framework} {a.what}: {a.detail}" for a in failures)
    if strict:
        raise SeedlockError("not-applied", f"Not applied: {text}",
                            pointer_join("/stages", stage.name, "frameworks", failures[0].framework))
    where = f" in {nodeid}" if nodeid else ""
    message = f"seedlock: not applied{where}: {text}"
    if at_start:
        config.issue_config_time_warning(SeedlockNotAppliedWarning(message), stacklevel=2)
        config.stash[_START_WARNINGS] = [*config.stash.get(_START_WARNINGS, []), message]
    else:
        warnings.warn(SeedlockNotAppliedWarning(message), stacklevel=2)


_START_WARNINGS = pytest.StashKey[list[str]]()


class _XdistHooks:
    """Registered only when pytest-xdist is active (its hooks are unknown to pytest otherwise)."""

    def pytest_configure_node(self, node: Any) -> None:
        state = node.config.stash.get(_STATE, None)
        if state is not None:
            node.workerinput[_WORKER_KEY] = {"lock": json.dumps(state.lock.to_dict(provenance=False)),
                                             "source": state.source, "from_lock": state.from_lock}


def _reproduce(state: _State) -> str:
    """How to run these tests with the same seeds again."""
    if state.from_lock:
        return f"reproduce with --seedlock {state.path} (a lock is final)"
    line = f"reproduce with --seedlock-seed={state.lock.root.seed} or --seedlock-seed=last"
    stage = state.stage
    if stage.source in ("generated", "env"):
        # The stage seed was not derived from the root seed: the root seed alone does not bring it back.
        line += f", with {stage.variable or _stage_variable(stage.name)}={stage.seed} in the environment"
    return line


def _stage_variable(name: str) -> str:
    from .manifest import stage_variable

    return stage_variable(name)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    root = state.lock.root
    return [f"seedlock: root seed {root.seed} ({state.source}) from {state.path}, stage {state.stage.name!r} "
            f"({', '.join(state.stage.frameworks)}); {_reproduce(state)}", *config.stash.get(_START_WARNINGS, [])]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or not (terminalreporter.stats.get("failed") or terminalreporter.stats.get("error")):
        return
    # Repeated last, under the failures, where a person reading a red CI log looks.
    terminalreporter.write_line(f"seedlock: {_reproduce(state)}")


def _with_seeds(stage: Any, seeds: dict[str, int], only: frozenset[str] | None) -> Any:
    from .lock import FrameworkSeed, LockedStage

    frameworks = {}
    for name, fw in stage.frameworks.items():
        if only is not None and name not in only:
            continue
        settings = dict(fw.settings)
        if name == "python":
            settings["hash_seed"] = False  # fixed once per process, checked once at session start
        frameworks[name] = FrameworkSeed(framework=name, seed=seeds[name], source="derived",
                                         settings=MappingProxyType(settings))
    return LockedStage(name=stage.name, seed=stage.seed, source=stage.source, variable=stage.variable,
                       frameworks=MappingProxyType(frameworks))


class _TestSeeds:
    """The seeds of one test's phases, derived once (a test enters three phases)."""

    def __init__(self, stage: Any, nodeid: str) -> None:
        from .derivation import derive, test_seed

        self.stage = stage
        call = {name: test_seed(fw.seed, nodeid) for name, fw in stage.frameworks.items()}
        # test_seed(F, id, phase) without hashing the id again for every framework and phase.
        self.seeds = {"call": call, **{phase: {name: derive(seed, "phase", phase) for name, seed in call.items()}
                                       for phase in ("setup", "teardown")}}
        self._stages: dict[tuple[str, frozenset[str] | None], Any] = {}

    def stage_for(self, phase: str, only: frozenset[str] | None = None) -> Any:
        key = (phase, only)
        if key not in self._stages:
            self._stages[key] = _with_seeds(self.stage, self.seeds[phase], only)
        return self._stages[key]


def _imported(stage: Any) -> frozenset[str]:
    """The stage's frameworks the session has imported by now. The others are seeded when a test first
    imports them (:class:`_SeedOnFirstImport`), as ``seedlock run`` does: listing torch must not make a
    suite that never imports it pay seconds for it."""
    from ._autoseed import TRIGGERS

    waiting = {fw for module, fw in TRIGGERS.items() if module not in sys.modules}
    present = {fw for module, fw in TRIGGERS.items() if module in sys.modules}
    return frozenset(name for name in stage.frameworks if name in present or name not in waiting)


class _SeedOnFirstImport:
    """Seeds a framework the moment a test first imports it, with the seeds of the phase running then.
    Imports outside a test (collection) seed nothing here: every later phase applies the framework."""

    def __init__(self, config: pytest.Config, state: _State) -> None:
        from ._autoseed import TRIGGERS, _SeedOnImport

        self.config = config
        self.state = state
        self.phase: tuple[pytest.Item, str] | None = None
        hooks = {m: fw for m, fw in TRIGGERS.items() if fw in state.stage.frameworks and m not in sys.modules}
        self.finder = _SeedOnImport(hooks, self._seed) if hooks else None
        if self.finder is not None:
            sys.meta_path.insert(0, self.finder)

    def close(self) -> None:
        if self.finder is not None and self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)

    def _seed(self, module: str, framework: str) -> None:
        if self.phase is None:
            return
        from ._autoseed import seed_on_import

        item, phase = self.phase
        fw = item.stash[_SEEDS].stage_for(phase).frameworks[framework]
        actions = seed_on_import(module, framework, self.state.stage.name, fw.seed, fw.settings)
        failures = [a for a in actions if a.status == "failed"]
        if failures:
            _report_failures(item, self.state, self.state.stage, failures)


_LAZY = pytest.StashKey[_SeedOnFirstImport]()
_SEEDS = pytest.StashKey[_TestSeeds]()


def _report_failures(item: pytest.Item, state: _State, stage: Any, failures: list[Any]) -> None:
    from .errors import SeedlockError

    try:
        _not_applied(item.config, stage, failures, strict=state.strict, nodeid=item.nodeid)
    except SeedlockError as err:
        pytest.fail(f"seedlock: error[{err.code}] {state.path}: {err}", pytrace=False)


def _enter(item: pytest.Item, state: _State, phase: str, *, report: bool) -> None:
    """Apply the seeds of ``phase`` to every framework imported by now; later imports follow them."""
    lazy = item.config.stash.get(_LAZY, None)
    if lazy is not None:
        lazy.phase = (item, phase)
    from .apply import seed_stage

    stage = item.stash[_SEEDS].stage_for(phase, _imported(state.stage))
    result = seed_stage(stage)
    if result.failures and report:
        _report_failures(item, state, stage, list(result.failures))


def _leave(item: pytest.Item) -> None:
    lazy = item.config.stash.get(_LAZY, None)
    if lazy is not None:
        lazy.phase = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    state = item.config.stash.get(_STATE, None)
    if state is not None:
        from .apply import saved_state

        if _LAZY not in item.config.stash:
            item.config.stash[_LAZY] = _SeedOnFirstImport(item.config, state)
        # Only what is imported can be saved; a framework a test imports is seeded, and every later
        # test reseeds it, so no test sees another's draws.
        seeds = item.stash[_SEEDS] = _TestSeeds(state.stage, item.nodeid)
        context = saved_state(seeds.stage_for("call", _imported(state.stage)).frameworks)
        context.__enter__()
        item.stash[_CONTEXT] = (context, seeds.stage_for("call"))
        _enter(item, state, "setup", report=True)
        item.stash[_SESSION_SEEDLESS] = _control_seedless_in_test(seeds.stage_for("call"), state.strict)
    try:
        yield
    finally:
        _leave(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    state = item.config.stash.get(_STATE, None)
    if state is not None and item.stash.get(_CONTEXT, None) is not None:
        # The body starts from its own seeds, whatever its fixtures drew (spec §4.3 phases).
        _enter(item, state, "call", report=False)
    try:
        yield
    finally:
        _leave(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    state = item.config.stash.get(_STATE, None)
    entry = item.stash.get(_CONTEXT, None)
    if state is not None and entry is not None:
        _enter(item, state, "teardown", report=False)
    try:
        yield
    finally:
        _leave(item)
        if entry is not None:
            entry[0].__exit__(None, None, None)
        saved = item.stash.get(_SESSION_SEEDLESS, None)
        if saved is not None:
            from . import _seedless

            _seedless.restore(saved)  # generators made after the test (collection goes on) count on the session's


def pytest_unconfigure(config: pytest.Config) -> None:
    lazy = config.stash.get(_LAZY, None)
    if lazy is not None:
        lazy.close()


# ---------------------------------------------------------------- generators made without a seed (spec §6.3)
_SESSION_SEEDLESS = pytest.StashKey[Any]()
_SEEDLESS_MODULES = {"random": "python", "numpy.random": "numpy"}


def _control_seedless_at_collection(stage: Any, strict: bool) -> None:
    """Generators made outside tests (a test module's ``rng = np.random.default_rng()`` at import) follow
    the session's framework seeds, counted in collection order; numpy is watched, not imported."""
    from . import _autoseed, _seedless

    wanted = {m: fw for m, fw in _SEEDLESS_MODULES.items() if fw in stage.frameworks}

    def control(module: str, framework: str) -> None:
        _seedless.control(framework, stage.frameworks[framework].seed, stage=stage.name, via="pytest", strict=strict)

    waiting = {m: fw for m, fw in wanted.items() if m not in sys.modules}
    for module, fw in wanted.items():
        if module not in waiting:
            control(module, fw)
    if waiting:
        sys.meta_path.insert(0, _autoseed._SeedOnImport(waiting, control))


def _control_seedless_in_test(stage: Any, strict: bool) -> Any:
    """A test's generators made without a seed start from the test's seeds at 0 (they depend on its id
    only); returns the session's counters, restored after the test."""
    from . import _seedless

    saved = _seedless.snapshot()
    for module, framework in _SEEDLESS_MODULES.items():
        # A framework the session has not imported yet is not patched here (that would import it); the
        # collection-time watcher controls it on its first import.
        if framework in stage.frameworks and module in sys.modules:
            _seedless.control(framework, stage.frameworks[framework].seed, stage=stage.name, via="pytest",
                              strict=strict, restart=True)
    return saved


@pytest.fixture
def seedlock_stage(request: pytest.FixtureRequest) -> Any:
    """The session of the stage seeding this test (per-test seeds), e.g. ``seedlock_stage.numpy_generator()``."""
    from .actions import ApplyReport
    from .session import Session

    entry = request.node.stash.get(_CONTEXT, None)
    if entry is None:
        pytest.skip("seedlock is not enabled: run pytest with --seedlock FILE")
    stage = entry[1]
    # The plugin applies every phase of the test itself (at its start): this session's report lists no actions.
    return Session(stage, ApplyReport(stage=stage.name, seeds=stage.seeds))
