"""Auto-seeding, inside a Python program that ``seedlock run`` started and that never calls seedlock.

The launcher puts ``_bootstrap/python`` first on ``PYTHONPATH`` and the stage's seeds and settings in
``$SEEDLOCK_AUTOSEED``; that directory's ``sitecustomize`` calls :func:`start` as the interpreter starts.
``start`` seeds Python's ``random`` and installs an import hook that seeds each framework the stage
lists right after the program first imports it. Nothing is imported here that the program does not
import itself: a program that only uses numpy never loads torch or TensorFlow.

Extensions (``x-<name>``, spec §2.2) name no module, so their seeders are looked up when the
interpreter starts (``importlib.metadata``: a cost only stages that list extensions pay). A seeder
that names its library (``module``) is called right after the program first imports it, like a
framework; one that does not is called at start. A missing seeder is reported at start, and in strict
mode the program does not run.

A program that calls ``seedlock.apply_from_env()`` itself re-seeds at that point, which is what it
asks for; the seeds are the same, so the two never disagree.
"""

import os
import sys

from ..spec import _registry
from ._importhook import SeedOnImport

# `typing` and `collections.abc` cost milliseconds at every interpreter start; only mypy needs them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import Any

    from ._seedstatus import Row
    from .actions import Action

# Module whose first import triggers seeding -> the framework it belongs to (spec/registry.json "module"
# and "extra_modules"). numpy's global generator lives in numpy.random, which numpy 2 loads on first
# use: a program (or torch) that imports numpy without drawing from it pays nothing.
TRIGGERS: "Mapping[str, str]" = _registry.TRIGGERS

#: Names a stage lists that are extensions (spec §2.2; spec/registry.json "extensions").
EXTENSION_PREFIX = _registry.EXTENSION_PREFIX


#: Python's ``random``: seeded on first import too, with the python seed.
RANDOM_MODULE = "random"


#: The ``-c`` programs multiprocessing starts its helper processes with (spawn workers, the forkserver
#: whose forks are workers, the resource tracker), as Python writes them.
_WORKER_PROGRAMS = (
    "from multiprocessing.spawn import spawn_main",
    "from multiprocessing.forkserver import main",
    "from multiprocessing.resource_tracker import main",
)


def is_multiprocessing_worker(argv: "Sequence[str]") -> bool:
    """Workers started by multiprocessing (spawn, forkserver) or joblib's loky (scikit-learn's
    ``n_jobs``) are not the program: they keep the per-process randomness the program's framework
    gives them (torch seeds DataLoader workers itself; ``session.worker_init_fn()`` derives worker
    seeds). Seeding each with the stage seed would make every worker draw the same numbers.

    Only the exact ``-c`` programs multiprocessing writes count: a program of the user's own that
    mentions ``from multiprocessing.`` (``python -c "from multiprocessing.pool import ThreadPool; ..."``)
    is a program."""
    argv = list(argv)
    if "--multiprocessing-fork" in argv or any("loky.backend.popen_loky" in a for a in argv):
        return True
    # Each "-c" and the word after it (itertools.pairwise, without importing itertools at every start).
    return any(argv[i] == "-c" and argv[i + 1].startswith(_WORKER_PROGRAMS) for i in range(len(argv) - 1))


def parse_seeds(text: str) -> tuple[dict[str, int], bool]:
    """``$SEEDLOCK_AUTOSEED`` ("python=1:hash numpy=2 ...") as (framework -> seed, python hash_seed)."""
    seeds, hash_seed = {}, False
    for word in text.split():
        name, _, value = word.partition("=")
        seed, _, flag = value.partition(":")
        seeds[name] = int(seed)
        hash_seed = hash_seed or (name == "python" and flag == "hash")
    return seeds, hash_seed


def python_rows(seed: int, hash_seed: bool) -> "list[Row]":
    """``random.seed`` and the ``PYTHONHASHSEED`` check, reported exactly as ``apply`` reports them
    (a test holds the two to the same lines) without importing ``apply`` at every start-up.

    ``random`` itself is seeded by :func:`start` when the program first imports it (seeded before
    anything can draw from it), so a program that never uses it does not pay for importing it."""
    rows: list[Row] = [("python", "applied", f"random.seed({seed})", "")]
    if hash_seed:
        actual = os.environ.get("PYTHONHASHSEED")
        if actual == str(seed):
            rows.append(("python", "applied", f"PYTHONHASHSEED={seed}", "set at launch"))
        else:
            rows.append(
                (
                    "python",
                    "failed",
                    f"PYTHONHASHSEED={seed}",
                    f"interpreter started with PYTHONHASHSEED={actual or 'unset'}; launch with `seedlock run`",
                )
            )
    return rows


def start() -> None:
    """Seed this interpreter per ``$SEEDLOCK_AUTOSEED``; a no-op without it or in a worker."""
    text = os.environ.get("SEEDLOCK_AUTOSEED")
    if not text:
        return
    if is_multiprocessing_worker(getattr(sys, "orig_argv", sys.argv)):
        _watch_worker(text)
        return
    from . import _seedstatus

    seeds, hash_seed = parse_seeds(text)
    stage = os.environ.get("SEEDLOCK_STAGE", "")
    strict = os.environ.get(_seedstatus.STRICT_VARIABLE) == "1"
    hooks = {module: fw for module, fw in TRIGGERS.items() if fw in seeds}
    rows = python_rows(seeds["python"], hash_seed) if "python" in seeds else []
    _seedstatus.record_start(stage, "auto", rows)
    if "python" in seeds:
        hooks[RANDOM_MODULE] = "python"
        _stop_if_failed(rows, stage, strict)
    extensions = sorted(name for name in seeds if name.startswith(EXTENSION_PREFIX))
    if extensions:
        rows = _start_extensions(extensions, seeds, hooks)
        _seedstatus.record("auto", stage, rows)
        _stop_if_failed(rows, stage, strict)
    if hooks:
        global _finder, _owner
        _owner = os.getpid()
        _finder = SeedOnImport(hooks, lambda module, fw: _seed(module, fw, stage, seeds, strict))
        sys.meta_path.insert(0, _finder)
        for module in list(hooks):
            if module in sys.modules:  # imported before us (e.g. by a .pth file): seed now
                _finder.fire(module)
    _watch_unlisted(seeds, stage, strict)
    watch_forks(seeds, stage, strict)
    if seeds:
        from . import _intercept  # the program's own seeding calls, from now on (issue 18 item 2)

        _intercept.start(stage, seeds, via="auto", strict=strict, takeover=_intercept.takeover_requested())


def _stop_if_failed(rows: "Sequence[Row]", stage: str, strict: bool) -> None:
    """In strict mode, end the process before the program runs when a step at start failed."""
    failed = [r for r in rows if r[1] == "failed"]
    if strict and failed:
        # Raising here would only print "Error in sitecustomize" and run the program unseeded.
        text = "; ".join(f"{fw} {what}: {detail}" for fw, _, what, detail in failed)
        sys.stderr.write(
            f"seedlock: error[not-applied] Not applied: {text} at '/stages/{stage}/frameworks/{failed[0][0]}'\n"
        )
        sys.stderr.flush()
        os._exit(2)


def _start_extensions(names: "Sequence[str]", seeds: "Mapping[str, int]", hooks: dict[str, str]) -> "list[Row]":
    """Load each extension's seeder: hook the module it names, or call it now; report what failed or ran."""
    from . import extensions

    rows: list[Row] = []
    for name in names:
        seeder, failure = extensions.load(name, seeds[name])
        module = extensions.module_of(seeder) if seeder is not None else None
        if failure is not None:
            rows.append((failure.framework, failure.status, failure.what, failure.detail))
        elif module is not None:
            # Several extensions may wait for one module: the hook names the first, _waiting holds all.
            hooks.setdefault(module, name)
            _waiting.setdefault(module, []).append(name)
            _seeders[name] = seeder
        else:
            a = extensions.call(name, seeder, seeds[name])
            rows.append((a.framework, a.status, a.what, a.detail))
    return rows


_finder: SeedOnImport | None = None
#: Module -> the extensions whose seeders wait for its first import; extension -> its loaded seeder.
_waiting: dict[str, list[str]] = {}
_seeders: "dict[str, Any]" = {}
#: The process auto-seeding started in; a child it forks inherits the import hook, not the program's role.
_owner: int | None = None


def forget(frameworks: "Iterable[str]") -> None:
    """Stop auto-seeding ``frameworks``: the program applies them itself (``apply()`` calls this first),
    so importing them inside ``apply`` must not seed them once more on the way."""
    frameworks = set(frameworks)
    for names in _waiting.values():
        names[:] = [n for n in names if n not in frameworks]
    if _finder is not None:
        # A module another framework's hook named stays watched for the extensions still waiting for it.
        _finder.forget(frameworks, keep={m: names[0] for m, names in _waiting.items() if names})


def _seed(module: str, framework: str, stage: str, seeds: "Mapping[str, int]", strict: bool) -> None:
    if os.getpid() != _owner:
        # A forked worker (multiprocessing's fork, a Pool) importing the framework first: like spawned
        # workers (is_multiprocessing_worker) it keeps the per-process randomness the framework gives
        # it. Seeding it with the stage seed would make every worker draw the same numbers. That
        # randomness is not the lock's: a draw from the global generator is reported as a spawned
        # worker's is (unless the worker seeds it first), an error in strict mode.
        if module in _SEEDERS:
            _guard_globals(module, framework, stage, strict)
            from . import _seedless

            _seedless.control(framework, seeds[framework], stage=stage, via="auto", strict=strict, forked_from=_owner)
        return
    seed = seeds[framework]
    if module == RANDOM_MODULE:
        # Reported at start (python_rows): the seed is set before the program can draw from it.
        sys.modules[RANDOM_MODULE].seed(seed)
        _control_seedless(module, framework, stage, seed, strict)
        return
    from . import _seedstatus

    actions = [] if framework.startswith(EXTENSION_PREFIX) else _seed_framework(module, framework, stage, seed)
    waiting = _waiting.pop(module, [])
    if waiting:  # extensions whose seeders name this module (extensions.call reports its own failures)
        from . import extensions

        actions.extend(extensions.call(name, _seeders[name], seeds[name]) for name in waiting)
    _seedstatus.record("auto", stage, [(a.framework, a.status, a.what, a.detail) for a in actions])
    failed = [a for a in actions if a.status == "failed"]
    if not failed:
        _control_seedless(module, framework, stage, seed, strict)
    if strict and failed:
        from ..spec.errors import SeedlockError, pointer_join

        raise SeedlockError(
            "not-applied",
            "Not applied: " + "; ".join(f"{a.framework} {a.what}: {a.detail}" for a in failed),
            pointer_join("/stages", stage, "frameworks", failed[0].framework),
        )


def _seed_framework(module: str, framework: str, stage: str, seed: int) -> "list[Action]":
    import json

    from . import _seedstatus

    settings: Mapping[str, Any] = json.loads(os.environ.get(_seedstatus.AUTOSEED_SETTINGS_VARIABLE) or "{}")[framework]
    return seed_on_import(module, framework, stage, seed, settings)


def seed_on_import(module: str, framework: str, stage: str, seed: int, settings: "Mapping[str, Any]") -> "list[Action]":
    """Seed ``framework`` right after its module ``module`` was first executed (auto-seeding, and the
    pytest plugin for a framework a test imports): the framework module's ``seed_on_import``."""
    from .. import frameworks
    from .actions import Action

    try:
        return frameworks.seed_on_import(
            framework, module, seed, settings, frameworks.Context(stage=stage, framework_seed=seed)
        )
    except Exception as exc:  # a framework raising while being seeded must be reported, not swallowed
        return [
            Action(
                framework=framework,
                what=f"seed on import of {module}",
                status="failed",
                detail=f"{type(exc).__name__}: {exc}",
            )
        ]


# ---------------------------------------------------------------- seedless generators, unlisted frameworks,
# workers (#18 items 1, 3, 4): what the lock controls beyond the global generators, and what it does not.
def _control_seedless(module: str, framework: str, stage: str, seed: int, strict: bool) -> None:
    """Once ``framework`` is seeded: its generators made without a seed follow the rule of spec §6.3,
    and its calls that seed from the OS are reported."""
    if module in (RANDOM_MODULE, "numpy.random"):
        from . import _seedless

        _seedless.control(framework, seed, stage=stage, via="auto", strict=strict)
    elif module in ("torch", "tensorflow"):
        from . import _seedless

        _seedless.watch_os_seeding(framework, stage=stage, via="auto", strict=strict)


#: Frameworks whose first import is reported when the stage does not list them. Python's ``random`` is
#: not among them: the standard library imports it (tempfile) into nearly every program.
_UNLISTED = {module: fw for fw, module in _registry.MODULES.items() if module is not None}
_unlisted_finder: SeedOnImport | None = None


def _watch_unlisted(seeds: "Mapping[str, int]", stage: str, strict: bool) -> None:
    """Report each framework the program imports that the stage does not list (a warning naming the fix;
    in strict mode the import fails)."""
    global _unlisted_finder, _owner
    if _owner is None:
        _owner = os.getpid()
    hooks = {module: fw for module, fw in _UNLISTED.items() if fw not in seeds}
    if not hooks:
        return
    _unlisted_finder = SeedOnImport(hooks, lambda module, fw: _report_unlisted(module, fw, stage, strict))
    sys.meta_path.insert(0, _unlisted_finder)  # it watches other modules than the seeding hook
    for module in list(hooks):
        if module in sys.modules:
            _unlisted_finder.fire(module)


#: Packages that load other frameworks for their own use (TensorFlow and Keras load JAX and numpy.random
#: when installed, JAX loads numpy.random): a framework only they import is not the program's. The
#: frameworks' own packages are the registry's "packages"; scipy is numpy's companion, not a framework.
_FRAMEWORK_PACKAGES = frozenset({*_registry.PACKAGES, "scipy"})


def _report_unlisted(module: str, framework: str, stage: str, strict: bool) -> None:
    if os.getpid() != _owner:
        return  # a forked worker: its parent reported the framework when it imported it
    where, importer = _importer(module)
    if importer in _FRAMEWORK_PACKAGES or (framework == "numpy" and importer):
        # Loaded by another framework (or, for numpy.random, any library) for its own use: only the
        # program's own use, or a library's such as transformers importing torch, is reported (README:
        # a library drawing from numpy's global generator is not seen).
        return
    from . import _seedstatus

    fix = f'add "{framework}" to stage {stage!r} frameworks'
    detail = f"{module} imported but stage {stage!r} does not list {framework}: it runs unseeded; {fix}"
    _seedstatus.record_finding("auto", stage, "unlisted-framework", framework, where, detail)
    if strict:
        from ..spec.errors import SeedlockError, pointer_join

        raise SeedlockError(
            "not-applied", f"{where or 'the program'}: {detail}", pointer_join("/stages", stage, "frameworks")
        )


def _importer(module: str) -> tuple[str, str]:
    """``file:line`` of the program's line that led to importing ``module`` (the first frame outside the
    import system, seedlock, the framework itself and installed libraries), and the top-level package of
    the library that imported it (``""`` when the program's own line did)."""
    top = module.partition(".")[0]
    stdlib = os.path.dirname(os.__file__)
    frame: Any = sys._getframe(1)
    importer = None
    while frame is not None:
        name = frame.f_globals.get("__name__", "") or ""
        path = frame.f_code.co_filename
        skip = path.startswith("<") or name.startswith(("seedlock", top + ".")) or name == top
        if not skip:
            library = "site-packages" in path or "dist-packages" in path or path.startswith(stdlib)
            if importer is None:
                importer = name.partition(".")[0] if library else ""
            if not library:
                rel = os.path.relpath(path)
                return f"{path if rel.startswith('..') else rel}:{frame.f_lineno}", importer
        frame = frame.f_back
    return "", importer or ""


def _watch_worker(text: str) -> None:
    """In a multiprocessing worker: nothing is seeded (see :func:`is_multiprocessing_worker`), but the
    first draw from a global generator nobody seeded in the worker is reported with its line, unless
    the worker seeds that generator itself first (an initializer's ``np.random.seed(...)``)."""
    seeds, _ = parse_seeds(text)
    from . import _seedstatus

    stage = os.environ.get("SEEDLOCK_STAGE", "")
    strict = os.environ.get(_seedstatus.STRICT_VARIABLE) == "1"
    hooks = {module: fw for module, fw in (("numpy.random", "numpy"), (RANDOM_MODULE, "python")) if fw in seeds}
    if not hooks:
        return
    finder = SeedOnImport(hooks, lambda module, fw: _guard_globals(module, fw, stage, strict))
    sys.meta_path.insert(0, finder)
    for module in list(hooks):
        if module in sys.modules:
            finder.fire(module)


#: The functions of each global generator's module that seed it (a worker that calls one first is seeded).
_SEEDERS = {"numpy.random": ("seed", "set_state"), RANDOM_MODULE: ("seed", "setstate")}
#: The module-level draws of each global generator (bound methods of its hidden instance).
_DRAWS = {
    "numpy.random": (
        "beta",
        "binomial",
        "bytes",
        "chisquare",
        "choice",
        "dirichlet",
        "exponential",
        "f",
        "gamma",
        "geometric",
        "gumbel",
        "hypergeometric",
        "laplace",
        "logistic",
        "lognormal",
        "logseries",
        "multinomial",
        "multivariate_normal",
        "negative_binomial",
        "noncentral_chisquare",
        "noncentral_f",
        "normal",
        "pareto",
        "permutation",
        "poisson",
        "power",
        "rand",
        "randint",
        "randn",
        "random",
        "random_integers",
        "random_sample",
        "ranf",
        "rayleigh",
        "sample",
        "shuffle",
        "standard_cauchy",
        "standard_exponential",
        "standard_gamma",
        "standard_normal",
        "standard_t",
        "triangular",
        "uniform",
        "vonmises",
        "wald",
        "weibull",
        "zipf",
    ),
    RANDOM_MODULE: (
        "betavariate",
        "binomialvariate",
        "choice",
        "choices",
        "expovariate",
        "gammavariate",
        "gauss",
        "getrandbits",
        "lognormvariate",
        "normalvariate",
        "paretovariate",
        "randbytes",
        "randint",
        "random",
        "randrange",
        "sample",
        "shuffle",
        "triangular",
        "uniform",
        "vonmisesvariate",
        "weibullvariate",
    ),
}


def watch_forks(seeds: "Mapping[str, int]", stage: str, strict: bool) -> None:
    """In a process seedlock seeded: a process forked from it (multiprocessing's ``fork`` start method, a
    ``Pool``, ``os.fork``) holds a copy of its global generators. numpy's then gives every such worker the
    same numbers; Python re-seeds ``random`` from the OS in each (numbers that never repeat). Neither is
    what the lock controls, so a forked process's first draw from one, unless it seeded that generator
    itself first (an initializer), is reported as an ``unseeded-worker`` finding with its line, as a
    spawned worker's is (an error in strict mode)."""
    modules = {m: fw for m, fw in (("numpy.random", "numpy"), (RANDOM_MODULE, "python")) if fw in seeds}
    if not modules or not hasattr(os, "register_at_fork"):
        return
    _forks.update(stage=stage, strict=strict)
    _forks_watched.update(modules)
    if not _forks.get("registered"):
        _forks["registered"] = True  # once per process (apply_from_env after auto-seeding updates the maps)
        os.register_at_fork(after_in_child=_after_fork_in_child)


def _after_fork_in_child() -> None:
    for module, framework in _forks_watched.items():
        # Only a generator the parent had loaded is inherited; one the child imports first is seeded from
        # the OS there (its own stream, see _seed).
        if module in sys.modules:
            _guard_globals(module, framework, str(_forks["stage"]), bool(_forks["strict"]), inherited=True)


#: module -> framework of the global generators whose forked copies are watched, and the stage's context.
_forks_watched: dict[str, str] = {}
_forks: dict[str, object] = {}
#: The mark on a guard's wrappers: a process forked from a forked worker is not wrapped twice.
_GUARD_MARK = "__seedlock_worker_guard__"


def _guard_globals(module: str, framework: str, stage: str, strict: bool, *, inherited: bool = False) -> None:
    """Wrap the global generator's module functions until the first call: a seeding call unwraps them
    quietly, a draw reports an ``unseeded-worker`` finding first. Only that first call costs anything.
    ``inherited``: the worker was forked with the generator already loaded (see :func:`watch_forks`)."""
    target = sys.modules[module]
    if getattr(vars(target).get("random"), _GUARD_MARK, False):
        return  # guarded already (forked from a worker that never drew): that guard reports
    names = [n for n in (*_SEEDERS[module], *_DRAWS[module]) if callable(vars(target).get(n))]
    originals = {n: vars(target)[n] for n in names}

    def unwrap() -> None:
        for n, f in originals.items():
            if getattr(target, n, None) is wrappers.get(n):
                setattr(target, n, f)

    def wrap(n: str) -> "Callable[..., Any]":
        original = originals[n]

        def first_call(*args: "Any", **kwargs: "Any") -> "Any":
            unwrap()
            if n not in _SEEDERS[module]:
                from . import _seedstatus

                frame = sys._getframe(1)
                where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
                if not inherited:
                    what = f"a multiprocessing worker drew from {module}'s global generator, which nobody seeded in it"
                elif module == RANDOM_MODULE:
                    what = (
                        f"a forked worker drew from {module}'s global generator, which Python re-seeds from the "
                        "OS in every forked process: its numbers never repeat"
                    )
                else:
                    what = (
                        f"a forked worker drew from {module}'s global generator, inherited from its parent: every "
                        "process forked from it draws the same numbers"
                    )
                detail = (
                    f"{what} ({module}.{n}): seed workers with session.worker_init_fn(), seedlock.worker_seed() "
                    "or an initializer"
                )
                _seedstatus.record_start(stage, "worker")
                _seedstatus.record_finding("worker", stage, "unseeded-worker", framework, where, detail)
                if strict:
                    from ..spec.errors import SeedlockError, pointer_join

                    raise SeedlockError(
                        "not-applied", f"{where}: {detail}", pointer_join("/stages", stage, "frameworks", framework)
                    )
            return original(*args, **kwargs)

        setattr(first_call, _GUARD_MARK, True)
        return first_call

    wrappers = {n: wrap(n) for n in names}
    for n, w in wrappers.items():
        setattr(target, n, w)
