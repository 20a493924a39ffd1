"""pytest plugin: seed every test from a seedlock manifest or lock.

    pytest --seedlock seedlock.json [--seedlock-stage test] [--seedlock-seed N|last] [--seedlock-strict]

Each test gets, for every framework of the stage, ``derive(F, "pytest", h)`` where ``h`` is the
first 16 hex digits of SHA-256 of the test's node id (spec §4.3): stable across runs and
independent of test order, selection and of which pytest-xdist worker runs it. Its setup, body
and teardown each get their own seeds (the body ``T`` itself, setup and teardown ``derive(T,
"phase", …)``), applied as each phase starts, so a fixture that draws neither shifts nor repeats
the body's values. A framework is seeded only once the session has imported it (a listed torch
costs nothing to a suite that never imports it); one a test imports first is seeded on that import
with the seeds of the phase running. Flags and generator states a test changes are restored after it;
python's and numpy's global generators, which every phase reseeds whole, are put back once, after the
last test (outside the tests, the session's state is untouched).

The manifest is resolved once, by the controlling process: pytest-xdist workers receive the
resolved lock (``workerinput``), so a generated root seed is the same in every worker and the
printed ``--seedlock-seed=N`` reproduces every test serially. What could not be applied is
reported (a warning; an error with ``--seedlock-strict``). Does nothing unless ``--seedlock``
(or the ``seedlock`` ini option) is given.
"""

from __future__ import annotations

import json
import os
import random  # loaded by pytest already (tempfile)
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
    group.addoption(
        "--seedlock-stage",
        metavar="STAGE",
        default=None,
        help="stage to use (default: ini seedlock_stage, else 'test')",
    )
    group.addoption(
        "--seedlock-seed",
        metavar="N|last",
        default=None,
        help="override the manifest's root seed; 'last' repeats the previous run's",
    )
    group.addoption(
        "--seedlock-strict",
        action="store_true",
        default=None,
        help="fail when something the stage asks for cannot be applied (default: warn)",
    )
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


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--seedlock") or config.getini("seedlock")
    if not path:
        options = ("--seedlock-seed", "--seedlock-stage", "--seedlock-strict")
        given = [name for name in options if config.getoption(name)]
        if given:  # silently ignored, they would leave the tests unseeded while the command line says otherwise
            raise pytest.UsageError(f"{', '.join(given)} need --seedlock FILE (or the seedlock ini option)")
        return
    _leave_unrewritten(config)
    from .spec.documents import from_data
    from .spec.errors import SeedlockError

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
    config.pluginmanager.register(_TestHooks(config, config.stash[_STATE]), "seedlock-tests")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "seedlock-xdist")


def _leave_unrewritten(config: pytest.Config) -> None:
    """Take seedlock's package off pytest's list of modules to rewrite for assertions. pytest puts every
    package of a plug-in's distribution there, and then loads each of its modules through its rewriter (a
    second path search, file-name patterns and its own bytecode cache per import: about 2 M instructions a
    module, some 10 ms for the modules that read a manifest). seedlock has no asserts (the package says
    PYTEST_DONT_REWRITE). pytest has no public way to do this: where its private list is not what this
    expects, nothing changes and the imports take the slow way."""
    marked = getattr(getattr(config.pluginmanager, "rewrite_hook", None), "_must_rewrite", None)
    if isinstance(marked, set):
        marked.discard(__package__)


def _resolve(config: pytest.Config, path: str) -> tuple[Any, str, bool]:
    from .spec.documents import read
    from .spec.lock import Lock
    from .spec.resolution import resolve  # without provenance: the records layer has nothing to add here

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
    lock = document if isinstance(document, Lock) else resolve(document, env)
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
    from .spec.errors import SeedlockError

    try:
        return lock.stage(name)
    except SeedlockError as err:
        if explicit:
            raise
        raise SeedlockError(
            err.code,
            f"{err.problem}; choose one with --seedlock-stage STAGE (or the seedlock_stage ini option)",
            err.pointer,
        ) from None


def _hash_seed_problem(stage: Any) -> Any:
    """PYTHONHASHSEED is fixed at interpreter start, once for the whole session (not per test)."""
    fw = stage.frameworks.get("python")
    if fw is None or not fw.settings["hash_seed"]:
        return None
    actual = os.environ.get("PYTHONHASHSEED")
    if actual == str(fw.seed):
        return None
    from .seeding.actions import Action  # only when there is something to report

    return Action(
        framework="python",
        what=f"PYTHONHASHSEED={fw.seed}",
        status="failed",
        detail=f"pytest started with PYTHONHASHSEED={actual or 'unset'}; run `seedlock run LOCK --stage "
        f"{stage.name} -- pytest ...` or set the python setting hash_seed to false",
    )


def _not_applied(
    config: pytest.Config, stage: Any, failures: list[Any], *, strict: bool, at_start: bool = False, nodeid: str = ""
) -> None:
    from .spec.errors import SeedlockError, pointer_join

    text = "; ".join(f"{a.framework} {a.what}: {a.detail}" for a in failures)
    if strict:
        raise SeedlockError(
            "not-applied",
            f"Not applied: {text}",
            pointer_join("/stages", stage.name, "frameworks", failures[0].framework),
        )
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
            node.workerinput[_WORKER_KEY] = {
                "lock": json.dumps(state.lock.to_dict(provenance=False)),
                "source": state.source,
                "from_lock": state.from_lock,
            }


def _reproduce(state: _State, config: pytest.Config) -> str:
    """How to run these tests with the same seeds again."""
    if state.from_lock:
        return f"reproduce with --seedlock {state.path} (a lock is final)"
    line = f"reproduce with --seedlock-seed={state.lock.root.seed}"
    if getattr(config, "cache", None) is not None:  # `last` reads pytest's cache (absent: -p no:cacheprovider)
        line += " or --seedlock-seed=last"
    stage = state.stage
    if stage.source in ("generated", "env"):
        # The stage seed was not derived from the root seed: the root seed alone does not bring it back.
        line += f", with {stage.variable or _stage_variable(stage.name)}={stage.seed} in the environment"
    return line


def _stage_variable(name: str) -> str:
    from .spec.manifest import stage_variable

    return stage_variable(name)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    root = state.lock.root
    return [
        f"seedlock: root seed {root.seed} ({state.source}) from {state.path}, stage {state.stage.name!r} "
        f"({', '.join(state.stage.frameworks)}); {_reproduce(state, config)}",
        *config.stash.get(_START_WARNINGS, []),
    ]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or not (terminalreporter.stats.get("failed") or terminalreporter.stats.get("error")):
        return
    # Repeated last, under the failures, where a person reading a red CI log looks.
    terminalreporter.write_line(f"seedlock: {_reproduce(state, config)}")


def _with_seeds(stage: Any, seeds: dict[str, int]) -> Any:
    from .spec.lock import FrameworkSeed, LockedStage

    frameworks = {}
    for name, fw in stage.frameworks.items():
        frameworks[name] = FrameworkSeed(
            framework=name,
            seed=seeds[name],
            source="derived",
            settings=MappingProxyType(_session_settings(name, fw.settings)),
        )
    return LockedStage(
        name=stage.name,
        seed=stage.seed,
        source=stage.source,
        variable=stage.variable,
        frameworks=MappingProxyType(frameworks),
    )


def _session_settings(name: str, settings: Any) -> dict[str, Any]:
    out = dict(settings)
    if name == "python":
        out["hash_seed"] = False  # fixed once per process, checked once at session start
    return out


_SHA256: Any = None  # derivation's SHA-256, bound when a session first seeds a test (plain pytest never does)


def _derived(message: bytes) -> int:
    """``derive``'s last step (spec §4.1) on a message the plugin built itself: every test derives up to
    three seeds per framework, and the label checks of :func:`~seedlock.spec.derivation.derive` would be
    most of their cost (a test holds the two equal)."""
    return int.from_bytes(_SHA256(message).digest()[:4], "big") & 0x7FFFFFFF


#: A phase's place in :meth:`_TestSeeds.of`.
_PHASES = {"setup": 0, "call": 1, "teardown": 2}


class _TestSeeds:
    """The seeds of one test's phases (spec §4.3), derived on demand: a framework the session has not
    imported costs the test nothing."""

    __slots__ = ("_digest", "_prefixes", "_seeds", "_stage", "restorers", "seedless", "stage_name")

    def __init__(self, runner: _Runner, nodeid: str) -> None:
        self._prefixes = runner.prefixes
        self._stage = runner.stage
        self.stage_name = runner.stage.name
        self._digest = _SHA256(nodeid.encode("utf-8")).hexdigest()[:16].encode()
        self._seeds: dict[str, tuple[int, int, int]] = {}
        # What the test found, put back after it: restorers of framework state, and the session's counters of
        # generators made without a seed (one stash entry per test: every phase reads it).
        self.restorers: list[Any] = []
        self.seedless: Any = None

    def of(self, framework: str) -> tuple[int, int, int]:
        """The seeds of ``framework`` for setup, call and teardown: ``T = derive(F, "pytest", h)`` for the
        body, ``derive(T, "phase", "setup")`` and ``derive(T, "phase", "teardown")`` around it."""
        seeds = self._seeds.get(framework)
        if seeds is None:
            call = _derived(self._prefixes[framework] + self._digest)
            seeds = self._seeds[framework] = (
                _derived(b"seedlock/v1:%d:phase/setup" % call),
                call,
                _derived(b"seedlock/v1:%d:phase/teardown" % call),
            )
        return seeds

    def seed(self, phase: str, framework: str) -> int:
        return self.of(framework)[_PHASES[phase]]

    def stage(self) -> Any:
        """The stage with the body's seeds of every framework (the ``seedlock_stage`` fixture)."""
        return _with_seeds(self._stage, {name: self.of(name)[1] for name in self._stage.frameworks})


class _Runner:
    """The per-test work of one session, with everything that does not depend on the test found once:
    the frameworks in application order (spec §6), their modules and settings, which of them the session
    has imported. Each phase then seeds only those frameworks, calling their ``apply`` directly (the same
    steps as ``stage.apply()``, without building a stage and a report per phase when nothing failed)."""

    def __init__(self, config: pytest.Config, state: _State) -> None:
        from .spec._registry import FRAMEWORKS, TRIGGERS
        from .spec.derivation import small_sha256

        global _SHA256
        _SHA256 = small_sha256
        stage = state.stage
        self.config = config
        self.state = state
        self.stage = stage
        builtin = [name for name in FRAMEWORKS if name in stage.frameworks]
        # Extensions after the built-in frameworks, in code-point order (spec §2.2), as apply_stage does.
        self.order = (*builtin, *sorted(name for name in stage.frameworks if name not in FRAMEWORKS))
        self._builtin = frozenset(builtin)
        self._modules: dict[str, Any] = {}  # framework -> its seedlock module, loaded when first needed
        # derive(F, "pytest", h)'s message up to the test's digest h, per framework (spec §4.1, §4.3).
        self.prefixes = {name: b"seedlock/v1:%d:pytest/" % fw.seed for name, fw in stage.frameworks.items()}
        self.settings = {
            name: MappingProxyType(_session_settings(name, fw.settings)) for name, fw in stage.frameworks.items()
        }
        # A framework with trigger modules counts as imported once one of them is (python and extensions
        # have none: always); until then a phase leaves it alone and _SeedOnFirstImport seeds it.
        triggers = {name: tuple(m for m, fw in TRIGGERS.items() if fw == name) for name in self.order}
        self._pending = {name: modules for name, modules in triggers.items() if modules}
        self._imported = tuple(name for name in self.order if name not in self._pending)
        self._modules_seen = -1  # len(sys.modules) when _pending was last looked at
        #: The stage's frameworks whose generators made without a seed follow the rule (spec §6.3).
        self.seedless = tuple(fw for fw in _SEEDLESS_MODULES.values() if fw in stage.frameworks)
        self.lazy = _SeedOnFirstImport(self)
        self._autoseed_told = False
        self._status = bool(os.environ.get(_STATUS_VARIABLE))
        # python's and numpy's apply is one seeding call that cannot fail (python's hash seed is checked once
        # per session): made directly, without the Action it reports, unless `seedlock run` wants the steps.
        self.direct: dict[str, Any] = {} if self._status else {"python": _seed_python, "numpy": _seed_numpy}
        self._session: dict[str, Any] = {}  # framework -> restorer of the state the tests found (python, numpy)

    def module(self, framework: str) -> Any:
        """seedlock's module for a built-in ``framework`` (None for an extension), imported on first use: a
        listed framework the suite never imports costs it nothing, not even seedlock's module for it."""
        module = self._modules.get(framework)
        if module is None and framework in self._builtin:
            from . import frameworks

            module = self._modules[framework] = frameworks.get(framework)
        return module

    def imported(self) -> tuple[str, ...]:
        """The stage's frameworks the session has imported by now, in application order. The others are
        seeded when a test first imports them (:class:`_SeedOnFirstImport`), as ``seedlock run`` does:
        listing torch must not make a suite that never imports it pay seconds for it."""
        if self._pending:
            modules = sys.modules
            if len(modules) != self._modules_seen:  # no import since the last look: nothing can have arrived
                self._modules_seen = len(modules)
                done = [name for name, triggers in self._pending.items() if any(m in modules for m in triggers)]
                if done:
                    self.arrived(done)
        return self._imported

    def arrived(self, frameworks: list[str]) -> None:
        """``frameworks`` were imported (seen in ``sys.modules`` or told by the import hook)."""
        for name in frameworks:
            self._pending.pop(name, None)
        self._imported = tuple(name for name in self.order if name not in self._pending)

    def enter(self, item: pytest.Item, seeds: _TestSeeds, phase: str, *, report: bool) -> None:
        """Apply the seeds of ``phase`` to every framework imported by now; later imports follow them."""
        self.lazy.phase = (item, seeds, phase)
        if not self._autoseed_told:
            self._autoseed_told = True
            autoseed = sys.modules.get("seedlock.seeding._autoseed")
            if autoseed is not None:  # under `seedlock run`: the plugin seeds these frameworks, not their import
                autoseed.forget(self.stage.frameworks)
        actions: list[Any] = []
        name = self.stage.name
        direct = self.direct
        index = _PHASES[phase]
        for framework in self.imported() if self._pending else self._imported:
            seed = seeds.of(framework)[index]
            seeder = direct.get(framework)
            if seeder is not None:
                seeder(seed)
                continue
            module = self.module(framework)
            if module is None:
                from .seeding import extensions

                actions.append(extensions.apply(framework, seed))
            else:
                from .frameworks import Context

                actions.extend(module.apply(seed, self.settings[framework], Context(stage=name, framework_seed=seed)))
        if self._status:  # under `seedlock run`: tell it this process was seeded, and how
            from .seeding._seedstatus import record

            record("apply", name, [(a.framework, a.status, a.what, a.detail) for a in actions])
        if report:
            failures = [a for a in actions if a.status == "failed"]
            if failures:
                _report_failures(item, self.state, self.stage, failures)

    def save(self) -> list[Any]:
        """Restorers of the RNG state and flags of every framework imported by now, put back after the
        test (a framework a test imports is seeded, and every later test reseeds it, so no test sees
        another's draws).

        python's and numpy's saved state is their global generator only, which every phase reseeds
        completely: no test can see what the one before it left there, so they are saved once, before
        the first test that finds them imported, and put back after the session's last test (numpy's
        ``get_state`` and ``set_state`` cost more than all the rest of a test's seeding)."""
        restorers = []
        for framework in self.imported():
            if framework in _SAVE_SESSION:
                if framework not in self._session:
                    self._session[framework] = _SAVE_SESSION[framework]()
                continue
            module = self.module(framework)
            if module is not None:
                restorers.append(module.save())
            else:
                from .seeding import extensions

                restorer = extensions.save(framework)
                if restorer is not None:
                    restorers.append(restorer)
        return restorers

    def restore_session(self) -> None:
        """Put back what python's and numpy's generators held before the first test."""
        for framework in reversed(list(self._session)):
            self._session.pop(framework)()


# python's and numpy's seeding and saving as frameworks.python and frameworks.numpy do them (their apply is
# one call that cannot fail once python's hash seed was checked at the start), made directly: every phase of
# every test makes them, and importing those modules (their Action and Context dataclasses) costs a suite
# that only imports numpy more than all its tests' seeding.
def _seed_python(seed: int) -> None:
    random.seed(seed)


def _seed_numpy(seed: int) -> None:
    # Through sys.modules: right after numpy.random first ran (a test's first draw imports it), the import
    # system has not bound it on numpy yet, and numpy's __getattr__ would import it again.
    sys.modules["numpy.random"].seed(seed)


def _save_python() -> Any:
    state = random.getstate()
    return lambda: random.setstate(state)


def _save_numpy() -> Any:
    generator = sys.modules["numpy.random"]
    state = generator.get_state()
    return lambda: generator.set_state(state)


#: Frameworks whose saved state is their global generator only, which every phase reseeds whole: no test can
#: see what the one before it left there, so it is saved once, before the first test that finds the framework
#: imported, and put back after the session's last test (numpy's ``get_state``/``set_state`` cost more than
#: all the rest of a test's seeding).
_SAVE_SESSION = {"python": _save_python, "numpy": _save_numpy}
_STATUS_VARIABLE = "SEEDLOCK_STATUS"  # _seedstatus.STATUS_VARIABLE, without importing it per phase


class _SeedOnFirstImport:
    """Seeds a framework the moment a test first imports it, with the seeds of the phase running then.
    Imports outside a test (collection) seed nothing here: every later phase applies the framework."""

    def __init__(self, runner: _Runner) -> None:
        from .seeding._importhook import SeedOnImport
        from .spec._registry import TRIGGERS

        self.runner = runner
        self.phase: tuple[pytest.Item, _TestSeeds, str] | None = None
        hooks = {m: fw for m, fw in TRIGGERS.items() if fw in runner.stage.frameworks and m not in sys.modules}
        self.finder = SeedOnImport(hooks, self._seed) if hooks else None
        if self.finder is not None:
            sys.meta_path.insert(0, self.finder)

    def close(self) -> None:
        if self.finder is not None and self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)

    def _seed(self, module: str, framework: str) -> None:
        self.runner.arrived([framework])
        if self.phase is None:
            return

        item, seeds, phase = self.phase
        runner = self.runner
        direct = runner.direct.get(framework)
        if direct is not None:
            direct(seeds.seed(phase, framework))
            return
        # What the framework holds right after its import (its flags' defaults) is put back after the test,
        # as for a framework the test found imported.
        own = runner.module(framework)
        if own is not None:
            seeds.restorers.append(own.save())
        from .seeding._autoseed import seed_on_import

        actions = seed_on_import(
            module, framework, runner.stage.name, seeds.seed(phase, framework), runner.settings[framework]
        )
        failures = [a for a in actions if a.status == "failed"]
        if failures:
            _report_failures(item, runner.state, runner.stage, failures)


_SEEDS = pytest.StashKey[_TestSeeds]()


def _report_failures(item: pytest.Item, state: _State, stage: Any, failures: list[Any]) -> None:
    from .spec.errors import SeedlockError

    try:
        _not_applied(item.config, stage, failures, strict=state.strict, nodeid=item.nodeid)
    except SeedlockError as err:
        pytest.fail(f"seedlock: error[{err.code}] {state.path}: {err}", pytrace=False)


class _TestHooks:
    """Each test's seeding, registered only when ``--seedlock`` is given: a session without it pays no
    hook call per test phase. ``runner`` is made at the first test (collection has imported what it will)."""

    def __init__(self, config: pytest.Config, state: _State) -> None:
        self.config = config
        self.state = state
        self.runner: _Runner | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        runner = self.runner
        if runner is None:
            runner = self.runner = _Runner(self.config, self.state)
        seeds = item.stash[_SEEDS] = _TestSeeds(runner, item.nodeid)
        seeds.restorers = runner.save()  # only what is imported can be saved
        runner.enter(item, seeds, "setup", report=True)
        seeds.seedless = _control_seedless_in_test(runner, seeds)
        try:
            return (yield)
        finally:
            runner.lazy.phase = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        runner = self.runner
        seeds = item.stash.get(_SEEDS, None)
        if runner is None or seeds is None:
            return (yield)
        # The body starts from its own seeds, whatever its fixtures drew (spec §4.3 phases).
        runner.enter(item, seeds, "call", report=False)
        try:
            return (yield)
        finally:
            runner.lazy.phase = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        runner = self.runner
        seeds = item.stash.get(_SEEDS, None)
        if runner is None or seeds is None:
            return (yield)
        runner.enter(item, seeds, "teardown", report=False)
        try:
            return (yield)
        finally:
            runner.lazy.phase = None
            for restore in reversed(seeds.restorers):
                restore()
            if seeds.seedless is not None:
                from .seeding import _seedless

                # Generators made after the test (collection goes on) count on from the session's counters.
                _seedless.restore(seeds.seedless)
            # Items live as long as the session: what a test saved (a torch generator's state, ...) must not.
            del item.stash[_SEEDS]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, None, object]:
        try:
            return (yield)
        finally:
            if self.runner is not None:
                self.runner.restore_session()  # before any pytest_sessionfinish: outside the tests, the session's

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.runner is not None:
            self.runner.restore_session()  # a run that left the test loop another way
            self.runner.lazy.close()


# ---------------------------------------------------------------- generators made without a seed (spec §6.3)
_SEEDLESS_MODULES = {"random": "python", "numpy.random": "numpy"}


def _control_seedless_at_collection(stage: Any, strict: bool) -> None:
    """Generators made outside tests (a test module's ``rng = np.random.default_rng()`` at import) follow
    the session's framework seeds, counted in collection order; numpy is watched, not imported."""
    from .seeding import _importhook, _seedless

    wanted = {m: fw for m, fw in _SEEDLESS_MODULES.items() if fw in stage.frameworks}

    def control(module: str, framework: str) -> None:
        _seedless.control(framework, stage.frameworks[framework].seed, stage=stage.name, via="pytest", strict=strict)

    waiting = {m: fw for m, fw in wanted.items() if m not in sys.modules}
    for module, fw in wanted.items():
        if module not in waiting:
            control(module, fw)
    if waiting:
        sys.meta_path.insert(0, _importhook.SeedOnImport(waiting, control))


def _control_seedless_in_test(runner: _Runner, seeds: _TestSeeds) -> Any:
    """A test's generators made without a seed start from the test's seeds at 0 (they depend on its id
    only); returns the session's counters, restored after the test. Only frameworks controlled already
    count: the collection-time watcher controls each on its first import (patching here would import it)."""
    from .seeding import _seedless

    return _seedless.restart({framework: seeds.of(framework)[1] for framework in runner.seedless})


@pytest.fixture
def seedlock_stage(request: pytest.FixtureRequest) -> Any:
    """The session of the stage seeding this test (per-test seeds), e.g. ``seedlock_stage.numpy_generator()``."""
    from .seeding.actions import ApplyReport
    from .seeding.session import Session

    seeds = request.node.stash.get(_SEEDS, None)
    if seeds is None:
        pytest.skip("seedlock is not enabled: run pytest with --seedlock FILE")
    stage = seeds.stage()
    # The plugin applies every phase of the test itself (at its start): this session's report lists no actions.
    return Session(stage, ApplyReport(stage=stage.name, seeds=stage.seeds))
