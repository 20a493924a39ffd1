"""Seeding calls a program makes itself, after seedlock seeded it (issue 18 item 2, spec §6.3).

A script that calls ``np.random.seed(42)``, ``torch.manual_seed(42)``, Lightning's
``seed_everything(42)`` or transformers' ``set_seed(42)`` after seedlock seeded its frameworks throws
the lock's seeds away: the run repeats whatever the lock says. This module wraps those functions in the
process seedlock seeded (the auto-seeded program, or one that called ``apply_from_env()``) so that

* each such call is reported, once per call site, as a ``reseeded`` finding with the program's
  ``file:line`` (``_seedstatus.record_finding``); in strict mode the call raises ``not-applied``
  before it seeds anything;
* in **take-over** mode (``seedlock run --take-over``, which sets ``$SEEDLOCK_TAKEOVER=1``) the call
  seeds ``takeover_seed(F, v)`` instead of the program's value ``v``,
  where ``F`` is the stage's seed for that framework: distinct values stay distinct (per-epoch
  reseeding ``seed(42 + epoch)`` keeps its structure) and the run follows the lock. Each call site is
  reported once as ``taken-over``.

Functions that seed several frameworks in one call (Lightning's ``seed_everything``, transformers'
``set_seed``, Keras' ``set_random_seed``: "bundles") are reported once, at the program's line that
called them; the seeding calls they make inside are taken over one by one, each with its own
framework's seed. Calls made by seedlock itself, by forked workers (which keep the randomness their
framework gives them, spec §6.1) and by library code with no program frame above it are left alone.

Runs at every auto-seeded interpreter start: imports nothing beyond ``os`` and ``sys`` until a seeding
call happens.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import FrameType
    from typing import Any, ClassVar

TAKEOVER_VARIABLE = "SEEDLOCK_TAKEOVER"

#: module -> (attribute, framework) of the functions that seed one framework's global generator.
_DIRECT: dict[str, tuple[tuple[str, str], ...]] = {
    "random": (("seed", "python"),),
    "numpy.random": (("seed", "numpy"),),
    "torch": (("manual_seed", "torch"),),
    "torch.random": (("manual_seed", "torch"),),
    "torch.cuda": (("manual_seed", "torch"), ("manual_seed_all", "torch")),
    "tensorflow": (("random.set_seed", "tensorflow"),),
}
#: module -> the function in it that seeds several frameworks (named in findings by the program's call).
_BUNDLES: dict[str, str] = {
    "lightning.fabric.utilities.seed": "seed_everything",
    "lightning_fabric.utilities.seed": "seed_everything",
    "transformers.trainer_utils": "set_seed",
    "keras.src.utils.rng_utils": "set_random_seed",
}
#: Top-level packages whose frames are never the program's call site: the libraries that seed on the
#: program's behalf, and the machinery between them and the program.
_LIBRARIES = frozenset(
    {
        "random",
        "numpy",
        "torch",
        "tensorflow",
        "keras",
        "tf_keras",
        "lightning",
        "lightning_fabric",
        "pytorch_lightning",
        "transformers",
        "accelerate",
        "importlib",
        "functools",
        "contextlib",
        "multiprocessing",
        "threading",
        "concurrent",
        "runpy",
    }
)

_MARK = "__seedlock_intercepted__"


class _State:
    """What the interception needs, set by :func:`start`."""

    stage = ""
    via = "auto"
    strict = False
    takeover = False
    owner = -1
    seeds: "ClassVar[Mapping[str, int]]" = {}  # noqa: RUF012  (ClassVar, quoted: typing is not imported at run time)
    #: (kind, framework, where) already reported: one finding per call site, however often it runs.
    reported: "ClassVar[set[tuple[str, str, str]]]" = set()  # noqa: RUF012  (ClassVar, quoted: typing is not imported at run time)
    #: thread id -> what the intercepted call running on that thread is ("direct" or a collecting list).
    active: "ClassVar[dict[int, Any]]" = {}  # noqa: RUF012  (ClassVar, quoted: typing is not imported at run time)


_finder: "Any" = None


def label_of(value: object) -> str | None:
    """The derivation label for the program's seed value ``value`` (spec §6.3): ``dec(v)`` for an
    integer ``v >= 0``, ``"n" + dec(-v)`` for a negative one, ``"none"`` for None (reseeding from the
    operating system); None (not taken over) for anything else or a number too long for a label."""
    if value is None:
        return "none"
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        return None
    number = value.__index__()  # numpy and torch integer scalars too
    text = str(number) if number >= 0 else "n" + str(-number)
    return text if len(text) <= 63 else None


def takeover_seed(framework_seed: int, value: object) -> int | None:
    """The seed a taken-over call seeds instead of ``value``: ``derive(F, ["takeover", label(v)])``."""
    label = label_of(value)
    if label is None:
        return None
    from ..spec.derivation import derive

    return derive(framework_seed, "takeover", label)


def start(stage: str, seeds: "Mapping[str, int]", *, via: str, strict: bool, takeover: bool) -> None:
    """Watch this process's seeding calls from now on (idempotent; later calls update the seeds)."""
    global _finder
    _State.stage, _State.via, _State.strict, _State.takeover = stage, via, strict, takeover
    _State.seeds = dict(seeds)
    _State.owner = os.getpid()
    modules = {m: "" for m, fns in _DIRECT.items() if any(fw in seeds for _, fw in fns)}
    modules.update(dict.fromkeys(_BUNDLES, ""))
    for module in list(modules):
        if module in sys.modules:
            _wrap(module)
            del modules[module]
    if _finder is None and modules:
        from ._importhook import SeedOnImport

        _finder = SeedOnImport(modules, lambda module, _name: _wrap(module))
        sys.meta_path.insert(0, _finder)


def takeover_requested() -> bool:
    """Whether the launcher asked for take-over mode (``seedlock run --take-over``)."""
    return os.environ.get(TAKEOVER_VARIABLE) == "1"


def _wrap(module_name: str) -> None:
    module = sys.modules.get(module_name)
    if module is None:
        return
    for attribute, framework in _DIRECT.get(module_name, ()):
        owner: Any = module
        *parents, name = attribute.split(".")
        try:
            for part in parents:
                owner = getattr(owner, part)
            original = getattr(owner, name)
        except AttributeError:
            continue
        if not getattr(original, _MARK, False):
            setattr(owner, name, _direct(original, framework, f"{module_name}.{attribute}"))
    bundle = _BUNDLES.get(module_name)
    if bundle is not None:
        original = getattr(module, bundle, None)
        if original is not None and not getattr(original, _MARK, False):
            setattr(module, bundle, _bundle(original, bundle, module_name))


def _direct(original: "Callable[..., Any]", framework: str, name: str) -> "Callable[..., Any]":
    def seed(*args: "Any", **kwargs: "Any") -> "Any":
        if framework not in _State.seeds or os.getpid() != _State.owner:
            return original(*args, **kwargs)
        import _thread

        me = _thread.get_ident()
        outer = _State.active.get(me)
        if outer == "direct":  # torch.manual_seed calls torch.cuda.manual_seed_all: already handled
            return original(*args, **kwargs)
        value = args[0] if args else next(iter(kwargs.values()), None)
        if _is_lock_seed(value, framework):
            # np.random.seed(stage.seed_of("numpy")): the lock's own seed, applied again; nothing overridden.
            return original(*args, **kwargs)
        if isinstance(outer, list):  # inside a bundle: take over quietly, the bundle reports
            outer.append(framework)
            new = takeover_seed(_State.seeds[framework], value) if _State.takeover else None
            return _call(original, me, "direct", new, args, kwargs)
        where = _call_site(sys._getframe(1))
        if where is None:  # seedlock's own call, or no program frame above it
            return original(*args, **kwargs)
        new = _decide(framework, [framework], where, value, f"{_api(name)}({value!r}) seeded {framework}")
        return _call(original, me, "direct", new, args, kwargs)

    setattr(seed, _MARK, True)
    seed.__wrapped__ = original  # type: ignore[attr-defined]
    seed.__name__ = getattr(original, "__name__", "seed")
    seed.__doc__ = getattr(original, "__doc__", None)
    return seed


def _bundle(original: "Callable[..., Any]", function: str, module_name: str) -> "Callable[..., Any]":
    def seed_all(*args: "Any", **kwargs: "Any") -> "Any":
        if os.getpid() != _State.owner:
            return original(*args, **kwargs)
        import _thread

        me = _thread.get_ident()
        if me in _State.active:
            return original(*args, **kwargs)
        where = _call_site(sys._getframe(1))
        if where is None:
            return original(*args, **kwargs)
        value = args[0] if args else kwargs.get("seed")
        touched: list[str] = []
        if _State.strict and not _State.takeover:
            # Which frameworks it would reseed is known only by running it: stop before, naming the call.
            touched = [fw for fw in _BUNDLE_FRAMEWORKS.get(function, ()) if fw in _State.seeds]
            if touched:
                _decide(touched[0], touched, where, value, f"{function}({value!r}) seeds {_join(touched)}")
        _State.active[me] = touched
        try:
            result = original(*args, **kwargs)
        finally:
            del _State.active[me]
        frameworks = [fw for fw in dict.fromkeys(touched) if fw in _State.seeds]
        if function == "set_random_seed" and "tensorflow" in _State.seeds:
            _keras_takeover(value)
            frameworks = list(dict.fromkeys([*frameworks, "tensorflow"]))
        if frameworks:
            _decide(
                frameworks[0], frameworks, where, value, f"{function}({value!r}) seeded {_join(frameworks)}", done=True
            )
        return result

    setattr(seed_all, _MARK, True)
    seed_all.__wrapped__ = original  # type: ignore[attr-defined]
    seed_all.__name__ = function
    seed_all.__doc__ = getattr(original, "__doc__", None)
    seed_all.__module__ = module_name
    return seed_all


#: What each bundle seeds (for strict mode, which stops the call before it runs).
_BUNDLE_FRAMEWORKS = {
    "seed_everything": ("python", "numpy", "torch"),
    "set_seed": ("python", "numpy", "torch", "tensorflow"),
    "set_random_seed": ("python", "numpy", "tensorflow", "torch"),
}


def _keras_takeover(value: object) -> None:
    """Keras' own generator (spec §6: derived from the tensorflow seed) follows a taken-over
    ``set_random_seed(v)`` as if the stage's tensorflow seed were ``takeover_seed(F, v)``; without
    take-over, seedlock's Keras generator is left as it was (set_random_seed reseeds Python's random,
    which Keras no longer draws from under seedlock)."""
    if not _State.takeover:
        return
    new = takeover_seed(_State.seeds["tensorflow"], value)
    if new is not None:
        from ..frameworks.tensorflow import apply_keras

        apply_keras(new)


def _decide(
    framework: str, frameworks: list[str], where: str, value: object, did: str, *, done: bool = False
) -> int | None:
    """Report the call and say what to seed instead (None: the program's own value).

    ``done``: the call has run already (a bundle, reported after its inner calls were taken over)."""
    from . import _seedstatus

    names = _join(frameworks)
    lock_seeds = "seed has" if len(frameworks) == 1 else "seeds have"
    if _State.takeover:
        if done:
            new = None
            detail = (
                (
                    f"{did}: taken over, each framework seeded from the lock's seed and {value!r} "
                    f"(derive(F, takeover/{label_of(value)}))"
                )
                if label_of(value) is not None
                else (
                    f"{did}: {value!r} is not an integer, so it was not taken over: "
                    f"the lock's {names} {lock_seeds} no effect"
                )
            )
        else:
            new = takeover_seed(_State.seeds[framework], value)
            detail = (
                f"{did}: taken over, seeded {new} instead (derived from the lock's {framework} seed and {value!r})"
                if new is not None
                else (
                    f"{did}: {value!r} is not an integer, so it was not taken over: "
                    f"the lock's {names} {lock_seeds} no effect"
                )
            )
        kind = "taken-over" if label_of(value) is not None else "reseeded"
    else:
        new = None
        kind = "reseeded"
        detail = f"{did} after seedlock: the lock's {names} {lock_seeds} no effect"
    key = (kind, ",".join(frameworks), where)
    if key not in _State.reported:
        _State.reported.add(key)
        _seedstatus.record_finding(_State.via, _State.stage, kind, ",".join(frameworks), where, detail)
    if _State.strict and kind == "reseeded":
        from ..spec.errors import SeedlockError, pointer_join

        raise SeedlockError(
            "not-applied",
            f"{where} {detail} (run with --take-over to seed such calls from the lock)",
            pointer_join("/stages", _State.stage, "frameworks", framework),
        )
    return new


def _is_lock_seed(value: object, framework: str) -> bool:
    return type(value) is int and value == _State.seeds[framework]


def _call(
    original: "Callable[..., Any]",
    me: int,
    role: "Any",
    new: int | None,
    args: "tuple[Any, ...]",
    kwargs: "dict[str, Any]",
) -> "Any":
    if new is not None:
        if args:
            args = (new, *args[1:])
        else:
            kwargs = {k: (new if i == 0 else v) for i, (k, v) in enumerate(kwargs.items())}
    outer = _State.active.get(me)
    _State.active[me] = role
    try:
        return original(*args, **kwargs)
    finally:
        if outer is None:
            del _State.active[me]
        else:
            _State.active[me] = outer  # back to the bundle this call was made in


def _call_site(frame: "FrameType | None") -> str | None:
    """``file:line`` of the program's frame that made the call: the first frame, walking out, that is
    not a library's (:data:`_LIBRARIES`); None when seedlock's own frame comes first, or none is found.
    A library's own test modules (``numpy.random.tests.test_random``) are the program that calls: run
    under pytest, their seeding calls are named at their lines, not at pytest's."""
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        top = module.partition(".")[0]
        if top == "seedlock":
            return None
        test_module = ".tests." in f".{module}." or module.rpartition(".")[2].startswith("test_")
        if (top not in _LIBRARIES or test_module) and not frame.f_code.co_filename.startswith("<frozen"):
            from ._seedstatus import frame_line

            return frame_line(frame)
        frame = frame.f_back
    return None


def _api(name: str) -> str:
    """The call as programs write it."""
    return {
        "numpy.random.seed": "np.random.seed",
        "tensorflow.random.set_seed": "tf.random.set_seed",
        "torch.random.manual_seed": "torch.manual_seed",
    }.get(name, name)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
