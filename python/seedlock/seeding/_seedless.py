"""Generators a program makes without a seed, seeded by rule (spec §6.3).

numpy's ``default_rng()``, ``RandomState()``, ``PCG64()`` (any BitGenerator) and ``SeedSequence()``
called without a seed all draw entropy for a ``SeedSequence`` from the operating system; Python's
``random.Random()`` seeds itself from it. In a process seeded from a stage, the ``n``-th such draw of
framework ``f`` (``n = 0, 1, ...`` in creation order, counted per framework and per process) gets
``derive(B, ["unseeded", dec(n)])`` instead, ``B`` being the framework's base: its process seed, or
under the pytest plugin the test's seed (and the session's seed for generators made at collection).
An unmodified program that makes its generators without seeds therefore repeats and follows the lock.

The interception is one function each: numpy's ``bit_generator.randbits`` (what ``SeedSequence`` calls
for entropy; a Cython module reads its globals at call time) and ``random.Random.__init__``. Objects
stay what they are (``isinstance``, pickling and subclasses are untouched), and constructors given a
seed never reach this module.

Limits: the counter orders creations within one process. Threads that create generators concurrently
get the seeds in whichever order they happen to run. A process forked from a seeded one (a worker
pool) would repeat its parent's sequence in every worker: there the draw keeps its OS entropy and the
finding says so.

This module is imported when a seeded program first loads ``random`` or ``numpy.random``: it imports
nothing itself, ``hashlib`` not even (seeds use :mod:`seedlock.spec.derivation`'s built-in SHA-256).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

#: The label of the rule's path: ``derive(B, ["unseeded", dec(n)])``.
LABEL = "unseeded"
#: Frameworks whose seedless constructors this module seeds.
FRAMEWORKS = ("python", "numpy")

# Per framework: the base seed, the next index, and where the program made its first seedless generator.
_bases: dict[str, int] = {}
_counts: dict[str, int] = {}
_firsts: dict[str, str] = {}
_context = {"stage": "", "via": "", "strict": ""}
_owner: int | None = None
_originals: dict[str, Any] = {}
_lock: Any = None
_sha256: Any = None
#: Modules whose seedless generators are not the program's randomness (tempfile's names must stay unique
#: across processes that share a seed), and the modules skipped when naming the program's call site.
_EXEMPT = frozenset({"tempfile", "random", "secrets"})


def unseeded_seed(base: int, n: int) -> int:
    """The seed of the ``n``-th generator made without a seed below ``base``: ``derive(B, "unseeded", n)``."""
    from ..spec.derivation import _index, derive

    return derive(base, LABEL, _index(n, "n"))


def control(
    framework: str,
    base: int,
    *,
    stage: str,
    via: str,
    strict: bool = False,
    restart: bool = False,
    forked_from: int | None = None,
) -> None:
    """From now on, seed ``framework``'s generators made without a seed from ``base``, counting on from
    where the process is (``restart``: from 0, as a test does). ``framework`` must already be imported
    (its seeding imported it), so this never loads a framework. ``forked_from``: this process is a
    worker forked from that seeded process, which never loaded the framework: its generators made
    without a seed are reported, not seeded (every worker would count alike)."""
    global _owner
    _start()
    if forked_from is not None:
        _owner = forked_from
    _bases[framework] = base
    if restart or framework not in _counts:
        _counts[framework] = 0
    _context.update(stage=stage, via=via, strict="1" if strict else "")
    if framework == "numpy":
        _patch_numpy()
    elif framework == "python":
        _patch_python()


def _start() -> None:
    global _owner, _lock, _sha256
    if _lock is not None:
        return
    import _thread

    from ..spec.derivation import small_sha256

    _sha256 = small_sha256
    _lock = _thread.allocate_lock()
    _owner = os.getpid()
    import atexit

    atexit.register(_report_counts)


def snapshot() -> dict[str, tuple[int, int]]:
    """The base and next index of every controlled framework (the pytest plugin saves the session's)."""
    return {fw: (_bases[fw], _counts[fw]) for fw in _bases}


def restart(bases: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Count ``framework``'s generators made without a seed from 0 below ``bases[framework]``, for those of
    them already controlled (the pytest plugin, as each test starts); returns :func:`snapshot` as it was."""
    saved = {fw: (_bases[fw], _counts[fw]) for fw in _bases}
    for fw, base in bases.items():
        if fw in _bases:
            _bases[fw] = base
            _counts[fw] = 0
    return saved


def restore(saved: dict[str, tuple[int, int]]) -> None:
    for fw, (base, count) in saved.items():
        _bases[fw], _counts[fw] = base, count


def counts() -> dict[str, int]:
    """How many generators made without a seed each framework has seeded by rule in this process."""
    return dict(_counts)


#: (pid, framework, file:line) of forked workers' seedless generators already reported.
_worker_sites: set[tuple[int, str, str]] = set()


def _next(framework: str) -> int | None:
    """The next seed of ``framework``'s rule, or None where the rule must not apply (a forked worker)."""
    if os.getpid() != _owner:
        # A forked worker inherits the counter: every worker would make the same "random" generators.
        where = _where()
        if (os.getpid(), framework, where) not in _worker_sites:  # said once per call site and worker
            _worker_sites.add((os.getpid(), framework, where))
            _finding(
                "unseeded-worker",
                framework,
                where,
                "a generator made without a seed in a forked worker "
                "drew OS entropy; seed workers with session.worker_init_fn() or seedlock.worker_seed()",
            )
        return None
    with _lock:
        n = _counts[framework]
        _counts[framework] = n + 1
    if framework not in _firsts:
        _firsts[framework] = where = _where()
        _finding(
            "seedless-generator",
            framework,
            where,
            f"generator made without a seed: seeded by rule (derive(seed, unseeded, n), first n={n})",
            count=1,
        )
    return _fast_seed(_bases[framework], n)


def _fast_seed(base: int, n: int) -> int:
    """:func:`unseeded_seed` without re-checking its arguments (both come from here): on the hot path of
    every seedless constructor (a test holds the two equal)."""
    return int.from_bytes(_sha256(b"seedlock/v1:%d:unseeded/%d" % (base, n)).digest()[:4], "big") & 0x7FFFFFFF


def _where(skip: str = "numpy") -> str:
    """``file:line`` of the program's call: the first frame outside ``skip`` (a package), random and seedlock."""
    frame: Any = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "") or ""
        if not (name in _EXEMPT or name.partition(".")[0] in (skip, "seedlock") or name.startswith("importlib")):
            from ._seedstatus import frame_line

            return frame_line(frame)
        frame = frame.f_back
    return ""


def _finding(kind: str, framework: str, where: str, detail: str, *, count: int | None = None) -> None:
    from . import _seedstatus

    _seedstatus.record_finding(_context["via"], _context["stage"], kind, framework, where, detail, count=count)
    if kind != "seedless-generator" and _context["strict"]:
        from ..spec.errors import SeedlockError, pointer_join

        raise SeedlockError(
            "not-applied",
            f"{framework} at {where}: {detail}",
            pointer_join("/stages", _context["stage"], "frameworks", framework),
        )


def _report_counts() -> None:
    """At exit: how many generators each framework seeded by rule (the first was reported when made)."""
    if os.getpid() != _owner:
        return
    from . import _seedstatus

    for fw, n in _counts.items():
        if n > 1 and fw in _firsts:
            _seedstatus.record_finding(
                _context["via"],
                _context["stage"],
                "seedless-generator",
                fw,
                _firsts[fw],
                f"{n} generators made without a seed: seeded by rule",
                count=n,
            )


def _patch_numpy() -> None:
    if "numpy" in _originals:
        return
    # Loaded already (seeding numpy loaded numpy.random); typed Any: its stub does not list randbits.
    bit_generator: Any = sys.modules["numpy.random"].bit_generator
    original: Callable[[int], int] = bit_generator.randbits
    _originals["numpy"] = original

    def randbits(k: int) -> int:
        # SeedSequence(entropy=None) asks for 128 bits; the rule's seed is its entropy instead, so
        # default_rng() is default_rng(S), PCG64() is PCG64(S), SeedSequence() is SeedSequence(S).
        seed = _next("numpy")
        return original(k) if seed is None else seed

    bit_generator.randbits = randbits


def _patch_python() -> None:
    if "python" in _originals:
        return
    import random

    cls = random.Random
    original = cls.__init__
    _originals["python"] = original
    system = random.SystemRandom

    def __init__(self: random.Random, x: Any = None) -> None:
        # SystemRandom is the OS's randomness on purpose; tempfile's name generator must differ per process.
        if x is None and not isinstance(self, system) and sys._getframe(1).f_globals.get("__name__") not in _EXEMPT:
            x = _next("python")
        original(self, x)

    cls.__init__ = __init__  # type: ignore[method-assign]


# ---------------------------------------------------------------- generators seeded from the OS on purpose
def watch_os_seeding(framework: str, *, stage: str, via: str, strict: bool) -> None:
    """Report the program's calls that seed ``framework`` from the OS (``torch.seed()``,
    ``tf.random.Generator.from_non_deterministic_state()``): the lock cannot control them, so each is a
    finding (an error in strict mode, at the call)."""
    _start()
    _context.update(stage=stage, via=via, strict="1" if strict else "")
    if framework == "torch":
        torch: Any = sys.modules["torch"]
        original = torch.seed

        def seed() -> int:
            _os_seeding(
                "torch", "torch.seed() re-seeded torch from the OS: the lock's torch seed has no effect from here on"
            )
            return original()  # type: ignore[no-any-return]

        torch.seed = seed
        if getattr(sys.modules.get("torch.random"), "seed", None) is original:
            sys.modules["torch.random"].seed = seed  # type: ignore[attr-defined]
        _watch_data_loaders(stage, via)
    elif framework == "tensorflow":
        generator = sys.modules["tensorflow"].random.Generator
        method = generator.__dict__.get("from_non_deterministic_state")
        if method is None:
            return
        original_function = method.__func__

        def from_non_deterministic_state(cls: Any, alg: Any = None) -> Any:
            _os_seeding(
                "tensorflow",
                "tf.random.Generator.from_non_deterministic_state() made a generator from the "
                "OS; use Generator.from_seed(...) or the stage's generator",
            )
            return original_function(cls, alg)

        generator.from_non_deterministic_state = classmethod(from_non_deterministic_state)


def _os_seeding(framework: str, detail: str) -> None:
    if os.getpid() == _owner:
        _finding("unseeded-generator", framework, _where(), detail)


# ---------------------------------------------------------------- how DataLoader workers were seeded
def _watch_data_loaders(stage: str, via: str) -> None:
    """Say, once per process, how the workers of the first multi-process DataLoader were seeded: PyTorch
    seeds python, numpy and torch in each worker from the iterator's base seed (drawn from the torch
    generator, so workers repeat when torch is seeded), and a ``worker_init_fn`` may seed them again."""
    module: Any = sys.modules.get("torch.utils.data.dataloader")
    cls = getattr(module, "_MultiProcessingDataLoaderIter", None)
    if cls is None:
        return
    original = cls.__init__

    def __init__(self: Any, loader: Any) -> None:
        original(self, loader)
        if cls.__init__ is __init__:
            cls.__init__ = original  # once: every later iterator is seeded the same way
        if os.getpid() != _owner:
            return
        from . import _seedstatus
        from .workers import WorkerInit

        init = getattr(loader, "worker_init_fn", None)
        if isinstance(init, WorkerInit):
            then = "then session.worker_init_fn() gave them the lock's worker seeds (spec 4.3)"
        elif init is not None:
            then = f"then the program's worker_init_fn {getattr(init, '__qualname__', type(init).__name__)} ran"
        else:
            then = "no worker_init_fn"
        generator = (
            "the loader's generator" if getattr(loader, "generator", None) is not None else "torch's global generator"
        )
        _seedstatus.record(
            via,
            stage,
            [
                (
                    "torch",
                    "workers",
                    f"DataLoader workers (first at {_where('torch')})",
                    f"seeded by PyTorch: python, numpy and torch from the iterator's base seed "
                    f"{self._base_seed}, drawn from {generator}; {then}",
                )
            ],
        )

    cls.__init__ = __init__
