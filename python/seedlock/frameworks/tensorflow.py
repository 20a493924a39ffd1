"""TensorFlow's global seed, op determinism and Keras 3's default seeds (spec §6, ``tensorflow``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .. import _validate as v
from ..actions import Action
from ..derivation import derive
from . import Check, Context
from ._common import distribution_version

NAME: Final = "tensorflow"
DISTRIBUTIONS: Final[tuple[str, ...]] = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel")
DETERMINISTIC_OPS_VARIABLE: Final = "TF_DETERMINISTIC_OPS"
DEFAULTS: Final[Mapping[str, Any]] = {"op_determinism": True}
VALUES: Final[Mapping[str, tuple[str, ...]]] = {}
CHECKS: Final[Mapping[str, Check]] = {"op_determinism": v.boolean}


def apply(seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    graph = apply_tensorflow(seed, settings)
    return [graph[0], apply_keras(seed), *graph[1:]]


def apply_tensorflow(seed: int, settings: Mapping[str, Any]) -> list[Action]:
    """TensorFlow's own part of :func:`apply` (global seed, op determinism), without Keras: auto-seeding
    seeds Keras when the program imports Keras, which TensorFlow alone may never do."""
    import tensorflow as tf

    tf.random.set_seed(seed)
    out = [Action(framework=NAME, what=f"tf.random.set_seed({seed})", status="applied")]
    if settings["op_determinism"]:
        tf.config.experimental.enable_op_determinism()
        probe = _determinism()
        ok = probe is None or probe[0]()
        detail = "not verifiable in this TensorFlow" if probe is None else ("" if ok else "still disabled after the call")
        out.append(Action(framework=NAME, what="enable_op_determinism()",
                          status="applied" if ok else "failed", detail=detail))
    return out


def _determinism() -> tuple[Callable[[], bool], Callable[[], None]] | None:
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


def apply_keras(seed: int) -> Action:
    """Give Keras 3 its own generator for default seeds, derived from the tensorflow seed.

    Keras draws initialiser and global SeedGenerator seeds from Python's ``random`` module
    (``seed_generator.make_default_seed``); reseeding ``random`` itself would clobber the python seed.
    """
    import random

    keras_seed = derive(seed, "keras")
    what = f"Keras default seeds from Random({keras_seed})"
    try:
        seed_generator = _keras_module()
        from keras.src.backend.common import global_state
    except ImportError:
        return Action(framework=NAME, what=what, status="skipped", detail="Keras is not installed")
    except AttributeError as exc:
        return Action(framework=NAME, what=what, status="failed",
                      detail=f"this Keras version is not supported ({exc}); initialiser seeds follow Python's random")
    seed_generator.python_random = random.Random(keras_seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    return Action(framework=NAME, what=what, status="applied")


def save() -> Callable[[], None]:
    import tensorflow as tf
    from tensorflow.python.eager import context

    seed = context.global_seed()
    probe = _determinism()
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
        _set_determinism(probe, det)
        if keras_state is not None:
            from keras.src.backend.common import global_state

            module, python_random, generator = keras_state
            module.python_random = python_random
            global_state.set_global_attribute(module.GLOBAL_SEED_GENERATOR, generator)

    return restore


def _set_determinism(probe: tuple[Callable[[], bool], Callable[[], None]] | None, det: bool | None) -> None:
    import tensorflow as tf

    if probe is not None and det is not None and probe[0]() != det:
        if det:
            tf.config.experimental.enable_op_determinism()
        else:
            probe[1]()


def capture_state() -> Any:
    """The global seed, op determinism and the state of Keras's default-seed generator, as plain data.

    TensorFlow exposes no state of its op-level random streams: restoring resets them as
    ``tf.random.set_seed`` does. Keras's global ``SeedGenerator`` is dropped on restore; the next one
    is drawn from the restored default-seed generator, as after :func:`apply`.
    """
    from tensorflow.python.eager import context

    probe = _determinism()
    keras_random = None
    try:
        version, internal, gauss = _keras_module().python_random.getstate()
        keras_random = [version, list(internal), gauss]
    except (ImportError, AttributeError):
        pass
    return {
        "global_seed": context.global_seed(),
        "op_determinism": probe[0]() if probe is not None else None,
        "keras_random": keras_random,
    }


def restore_state(state: Any) -> None:
    import tensorflow as tf

    tf.random.set_seed(state["global_seed"])
    _set_determinism(_determinism(), state["op_determinism"])
    if state["keras_random"] is not None:
        try:
            seed_generator = _keras_module()
            from keras.src.backend.common import global_state
        except (ImportError, AttributeError):
            return
        import random

        version, internal, gauss = state["keras_random"]
        generator = random.Random()
        generator.setstate((version, tuple(internal), gauss))
        seed_generator.python_random = generator
        global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)


def launcher_environment(seed: int, settings: Mapping[str, Any]) -> dict[str, str]:
    return {DETERMINISTIC_OPS_VARIABLE: "1"} if settings["op_determinism"] else {}


def version() -> str | None:
    return distribution_version(DISTRIBUTIONS)
