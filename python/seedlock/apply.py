"""Applying a locked stage to the frameworks it lists (spec §6), and restoring their state.

Each framework is imported only when the stage lists it. Every step is reported: ``applied``,
``skipped`` (deliberately not done here, with the reason) or ``failed`` (could not be seeded or
set; ``strict`` turns it into ``not-applied``).
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .derivation import derive, rank_seed, worker_seed
from .errors import SeedlockError, pointer_join
from .settings import FRAMEWORKS

if TYPE_CHECKING:
    from .lock import FrameworkSeed, LockedStage

Status = Literal["applied", "skipped", "failed"]
CUBLAS_VARIABLE = "CUBLAS_WORKSPACE_CONFIG"
CUBLAS_VALUE = ":4096:8"


@dataclass(frozen=True, kw_only=True)
class Action:
    """One thing apply did or could not do."""

    framework: str
    what: str
    status: Status
    detail: str = ""

    def __str__(self) -> str:
        tail = f" ({self.detail})" if self.detail else ""
        return f"{self.framework:<10} {self.status:<8} {self.what}{tail}"


@dataclass(frozen=True, kw_only=True)
class ApplyReport:
    """What :meth:`LockedStage.apply` did, per framework."""

    stage: str
    seeds: Mapping[str, int]
    actions: tuple[Action, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    @property
    def failures(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.status == "failed")

    def __str__(self) -> str:
        head = f"seedlock: stage {self.stage!r}: " + ", ".join(f"{fw}={s}" for fw, s in self.seeds.items())
        return "\n".join([head, *(f"  {a}" for a in self.actions)])


def apply_stage(stage: LockedStage, *, strict: bool = False, rank: int | None = None) -> ApplyReport:
    seeds = {}
    actions: list[Action] = []
    for name in FRAMEWORKS:
        fw = stage.frameworks.get(name)
        if fw is None:
            continue
        seed = fw.seed if rank is None else rank_seed(fw.seed, rank)
        seeds[name] = seed
        if name == "python":
            # Every rank hashes alike (same PYTHONHASHSEED): ranks must agree on e.g. set iteration order.
            actions.extend(_python(seed, fw.settings, hash_seed=fw.seed))
        else:
            actions.extend(_APPLIERS[name](seed, fw.settings))
    report = ApplyReport(stage=stage.name, seeds={n: seeds[n] for n in stage.frameworks}, actions=tuple(actions))
    if strict and report.failures:
        first = report.failures[0]
        raise SeedlockError(
            "not-applied",
            "Not applied: " + "; ".join(f"{a.framework} {a.what}: {a.detail}" for a in report.failures),
            pointer_join("/stages", stage.name, "frameworks", first.framework),
        )
    return report


def _python(seed: int, settings: Mapping[str, Any], hash_seed: int | None = None) -> list[Action]:
    random.seed(seed)
    out = [Action(framework="python", what=f"random.seed({seed})", status="applied")]
    expected = seed if hash_seed is None else hash_seed
    if settings["hash_seed"]:
        # The hash secret is fixed when the interpreter starts; all we can do here is check it.
        actual = os.environ.get("PYTHONHASHSEED")
        if actual == str(expected):
            out.append(Action(framework="python", what=f"PYTHONHASHSEED={expected}", status="applied", detail="set at launch"))
        else:
            out.append(
                Action(
                    framework="python",
                    what=f"PYTHONHASHSEED={expected}",
                    status="failed",
                    detail=f"interpreter started with PYTHONHASHSEED={actual or 'unset'}; launch with `seedlock run`",
                )
            )
    return out


def _numpy(seed: int, settings: Mapping[str, Any]) -> list[Action]:
    import numpy as np

    np.random.seed(seed)
    return [Action(framework="numpy", what=f"numpy.random.seed({seed})", status="applied",
                   detail=f"Generator objects use {settings['bit_generator']}")]


def _torch(seed: int, settings: Mapping[str, Any]) -> list[Action]:
    import torch

    torch.manual_seed(seed)
    out = [Action(framework="torch", what=f"torch.manual_seed({seed})", status="applied")]
    if settings["num_threads"] is not None:
        n = settings["num_threads"]
        torch.set_num_threads(n)
        got = torch.get_num_threads()
        out.append(Action(framework="torch", what=f"torch.set_num_threads({n})",
                          status="applied" if got == n else "failed", detail="" if got == n else f"got {got}"))
    if not settings["deterministic"]:
        return out
    warn_only = bool(settings["warn_only"])
    try:
        torch.use_deterministic_algorithms(True, warn_only=warn_only)
        ok = torch.are_deterministic_algorithms_enabled()
        detail = "" if ok else "still disabled after the call"
    except RuntimeError as exc:
        ok, detail = False, str(exc)
    out.append(Action(framework="torch", what=f"use_deterministic_algorithms(True, warn_only={warn_only})",
                      status="applied" if ok else "failed", detail=detail))
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    out.append(Action(framework="torch", what="cudnn.deterministic=True, cudnn.benchmark=False", status="applied"))
    out.append(_cublas(torch))
    return out


def _cublas(torch: Any) -> Action:
    what = f"{CUBLAS_VARIABLE}={CUBLAS_VALUE}"
    current = os.environ.get(CUBLAS_VARIABLE)
    if current in (":4096:8", ":16:8"):
        return Action(framework="torch", what=what, status="applied", detail=f"set to {current}")
    if not torch.cuda.is_available():
        return Action(framework="torch", what=what, status="skipped", detail="no CUDA device")
    if torch.cuda.is_initialized():
        return Action(framework="torch", what=what, status="failed",
                      detail="CUDA already initialised; launch with `seedlock run` or set it before using CUDA")
    # cuBLAS reads the variable when its first handle is created, which has not happened yet.
    os.environ[CUBLAS_VARIABLE] = CUBLAS_VALUE
    return Action(framework="torch", what=what, status="applied", detail="set before CUDA initialisation")


def _tensorflow(seed: int, settings: Mapping[str, Any]) -> list[Action]:
    import tensorflow as tf

    tf.random.set_seed(seed)
    out = [Action(framework="tensorflow", what=f"tf.random.set_seed({seed})", status="applied")]
    out.append(_keras(seed))
    if settings["op_determinism"]:
        tf.config.experimental.enable_op_determinism()
        probe = _tf_determinism()
        ok = probe is None or probe[0]()
        detail = "not verifiable in this TensorFlow" if probe is None else ("" if ok else "still disabled after the call")
        out.append(Action(framework="tensorflow", what="enable_op_determinism()",
                          status="applied" if ok else "failed", detail=detail))
    return out


def _tf_determinism() -> tuple[Callable[[], bool], Callable[[], None]] | None:
    """(is_enabled, disable) for op determinism; TensorFlow only exposes ``enable`` publicly."""
    try:
        from tensorflow.python.framework import config
    except ImportError:
        return None
    is_enabled = getattr(config, "is_op_determinism_enabled", None)
    disable = getattr(config, "disable_op_determinism", None)
    if is_enabled is None or disable is None:
        return None
    return is_enabled, disable


def _keras_module() -> Any:
    from keras.src.random import seed_generator

    if not hasattr(seed_generator, "python_random") or not hasattr(seed_generator, "GLOBAL_SEED_GENERATOR"):
        raise AttributeError("keras.src.random.seed_generator has no python_random/GLOBAL_SEED_GENERATOR")
    return seed_generator


def _keras(seed: int) -> Action:
    """Give Keras 3 its own generator for default seeds, derived from the tensorflow seed.

    Keras draws initialiser and global SeedGenerator seeds from Python's ``random`` module
    (``seed_generator.make_default_seed``); reseeding ``random`` itself would clobber the python seed.
    """
    keras_seed = derive(seed, "keras")
    what = f"Keras default seeds from Random({keras_seed})"
    try:
        seed_generator = _keras_module()
        from keras.src.backend.common import global_state
    except ImportError:
        return Action(framework="tensorflow", what=what, status="skipped", detail="Keras is not installed")
    except AttributeError as exc:
        return Action(framework="tensorflow", what=what, status="failed",
                      detail=f"this Keras version is not supported ({exc}); initialiser seeds follow Python's random")
    seed_generator.python_random = random.Random(keras_seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    return Action(framework="tensorflow", what=what, status="applied")


def _r(seed: int, settings: Mapping[str, Any]) -> list[Action]:
    what = (f"set.seed({seed}, kind={settings['kind']!r}, normal.kind={settings['normal_kind']!r}, "
            f"sample.kind={settings['sample_kind']!r})")
    try:
        from . import _rbridge
    except ImportError as exc:
        return [Action(framework="r", what=what, status="failed", detail=f"rpy2 is not usable: {exc}")]
    try:
        version = _rbridge.set_seed(seed, settings)
    except _rbridge.RBridgeError as exc:
        return [Action(framework="r", what=what, status="failed", detail=str(exc))]
    return [Action(framework="r", what=what, status="applied", detail=f"embedded R {version} via rpy2")]


def _caffe(seed: int, settings: Mapping[str, Any]) -> list[Action]:
    what = f"caffe.set_random_seed({seed})"
    caffe: Any
    try:
        import caffe  # type: ignore[import-not-found,no-redef]
    except ImportError:
        caffe = None
    if not callable(getattr(caffe, "set_random_seed", None)):
        # A directory named caffe/ (like this project's examples) imports as an empty namespace package.
        return [Action(framework="caffe", what=what, status="skipped",
                       detail="pycaffe is not importable; seed Caffe through the solver file (random_seed)")]
    caffe.set_random_seed(seed)
    return [Action(framework="caffe", what=what, status="applied")]


_APPLIERS: Mapping[str, Callable[[int, Mapping[str, Any]], list[Action]]] = {
    "python": _python,
    "numpy": _numpy,
    "torch": _torch,
    "tensorflow": _tensorflow,
    "r": _r,
    "caffe": _caffe,
}


def numpy_generator(fw: FrameworkSeed, rank: int | None) -> Any:
    import numpy as np

    seed = fw.seed if rank is None else rank_seed(fw.seed, rank)
    return np.random.Generator(getattr(np.random, fw.settings["bit_generator"])(seed))


def torch_generator(fw: FrameworkSeed, rank: int | None) -> Any:
    import torch

    seed = fw.seed if rank is None else rank_seed(fw.seed, rank)
    return torch.Generator().manual_seed(seed)


@dataclass(frozen=True)
class WorkerInit:
    """DataLoader ``worker_init_fn``: seeds python, numpy and torch in worker ``w`` of rank ``rank``
    with ``derive(F, "rank", r, "worker", w)`` of each framework's seed ``F`` (spec §4.3).

    Without it numpy and ``random`` in workers are copies of the parent's state (pytorch issue 5059).
    """

    seeds: Mapping[str, int]
    rank: int = 0

    def __call__(self, worker_id: int) -> None:
        if "python" in self.seeds:
            random.seed(worker_seed(self.seeds["python"], worker_id, self.rank))
        if "numpy" in self.seeds:
            import numpy as np

            np.random.seed(worker_seed(self.seeds["numpy"], worker_id, self.rank))
        if "torch" in self.seeds:
            import torch

            torch.manual_seed(worker_seed(self.seeds["torch"], worker_id, self.rank))


@contextlib.contextmanager
def saved_state(frameworks: Mapping[str, Any]) -> Iterator[None]:
    """Save the RNG state and flags of ``frameworks`` and restore them on exit."""
    restorers: list[Callable[[], None]] = []
    for name in FRAMEWORKS:
        if name in frameworks:
            restorers.append(_SAVERS[name]())
    try:
        yield
    finally:
        for restore in reversed(restorers):
            restore()


def _save_python() -> Callable[[], None]:
    state = random.getstate()
    return lambda: random.setstate(state)


def _save_numpy() -> Callable[[], None]:
    import numpy as np

    state = np.random.get_state()
    return lambda: np.random.set_state(state)


def _save_torch() -> Callable[[], None]:
    import torch

    cpu = torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    det = torch.are_deterministic_algorithms_enabled()
    warn = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    threads = torch.get_num_threads()
    cublas = os.environ.get(CUBLAS_VARIABLE)

    def restore() -> None:
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
        torch.use_deterministic_algorithms(det, warn_only=warn)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        _restore_env(CUBLAS_VARIABLE, cublas)

    return restore


def _save_tensorflow() -> Callable[[], None]:
    import tensorflow as tf
    from tensorflow.python.eager import context

    seed = context.global_seed()
    probe = _tf_determinism()
    det = probe[0]() if probe is not None else None
    keras_state: tuple[Any, Any, Any] | None = None
    try:
        seed_generator = _keras_module()
        from keras.src.backend.common import global_state

        keras_state = (
            seed_generator,
            seed_generator.python_random,
            global_state.get_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR),
        )
    except (ImportError, AttributeError):
        keras_state = None

    def restore() -> None:
        tf.random.set_seed(seed)
        if probe is not None and det is not None and probe[0]() != det:
            if det:
                tf.config.experimental.enable_op_determinism()
            else:
                probe[1]()
        if keras_state is not None:
            from keras.src.backend.common import global_state

            module, python_random, generator = keras_state
            module.python_random = python_random
            global_state.set_global_attribute(module.GLOBAL_SEED_GENERATOR, generator)

    return restore


def _save_r() -> Callable[[], None]:
    try:
        from . import _rbridge
    except ImportError:
        return lambda: None  # nothing was seeded in R either: apply reports rpy2 as unusable
    state = _rbridge.get_state()
    return lambda: _rbridge.set_state(state)


def _save_caffe() -> Callable[[], None]:
    # pycaffe exposes no way to read its generator state, so there is nothing to restore.
    return lambda: None


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


_SAVERS: Mapping[str, Callable[[], Callable[[], None]]] = {
    "python": _save_python,
    "numpy": _save_numpy,
    "torch": _save_torch,
    "tensorflow": _save_tensorflow,
    "r": _save_r,
    "caffe": _save_caffe,
}

