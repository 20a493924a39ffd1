"""TensorFlow's global seed, op determinism and Keras 3's default seeds (spec §6, ``tensorflow``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from ..seeding.actions import Action
from ..spec.derivation import derive
from . import Context
from ._common import installed_version

NAME: Final = "tensorflow"
DETERMINISTIC_OPS_VARIABLE: Final = "TF_DETERMINISTIC_OPS"
#: Where Keras records the seed of ``keras.utils.set_random_seed`` (``keras.src.utils.rng_utils``).
KERAS_SEED_ATTRIBUTE: Final = "global_random_seed"


def apply(seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    import tensorflow as tf

    graph = apply_tensorflow(seed, settings)
    # Not in apply_tensorflow: creating the generator initialises TensorFlow's runtime, which the
    # import-time auto-seeding must not do (programs configure threads and devices after `import`).
    return [graph[0], apply_keras(seed), _global_generator(tf, seed), *graph[1:]]


def seed_on_import(module: str, seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    """Auto-seeding: Keras apart from TensorFlow, neither importing the other. Keras is seeded when Keras
    itself is imported (with the tensorflow seed, spec §6): seeding it from TensorFlow's hook would
    import Keras into programs that never use it, or re-enter Keras while it imports TensorFlow."""
    if module == "keras":
        return [apply_keras(seed)]
    return apply_tensorflow(seed, settings)


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
        detail = (
            "not verifiable in this TensorFlow" if probe is None else ("" if ok else "still disabled after the call")
        )
        out.append(
            Action(framework=NAME, what="enable_op_determinism()", status="applied" if ok else "failed", detail=detail)
        )
    return out


def _global_generator(tf: Any, seed: int) -> Action:
    """Seed TensorFlow's global ``tf.random.Generator``: the tensorflow stream ``global`` (spec §4.3, §6).

    Under op determinism TensorFlow refuses to create an unseeded one, so without this
    ``tf.random.get_global_generator()`` raises (issue 11, defect 6).
    """
    generator_seed = derive(seed, "stream", "global")
    tf.random.set_global_generator(tf.random.Generator.from_seed(generator_seed))
    return Action(
        framework=NAME,
        what=f"tf.random.set_global_generator(Generator.from_seed({generator_seed}))",
        status="applied",
        detail="initialises TensorFlow's runtime: configure threads and devices before",
    )


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
        return Action(
            framework=NAME,
            what=what,
            status="failed",
            detail=f"this Keras version is not supported ({exc}); initialiser seeds follow Python's random",
        )
    seed_generator.python_random = random.Random(keras_seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    # keras.utils.get_random_seed() reports the seed applied, as keras.utils.set_random_seed records it.
    global_state.set_global_attribute(KERAS_SEED_ATTRIBUTE, seed)
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
    keras_seed = _keras_seed_record()
    from tensorflow.python.ops import stateful_random_ops

    global_generator = stateful_random_ops.global_generator

    def restore() -> None:
        tf.random.set_seed(seed)
        _set_determinism(probe, det)
        stateful_random_ops.global_generator = global_generator
        if keras_state is not None:
            from keras.src.backend.common import global_state

            module, python_random, generator = keras_state
            module.python_random = python_random
            global_state.set_global_attribute(module.GLOBAL_SEED_GENERATOR, generator)
            global_state.set_global_attribute(KERAS_SEED_ATTRIBUTE, keras_seed)

    return restore


def _set_determinism(probe: tuple[Callable[[], bool], Callable[[], None]] | None, det: bool | None) -> None:
    import tensorflow as tf

    if probe is not None and det is not None and probe[0]() != det:
        if det:
            tf.config.experimental.enable_op_determinism()
        else:
            probe[1]()


def _keras_seed_record() -> Any:
    try:
        from keras.src.backend.common import global_state
    except ImportError:
        return None
    return global_state.get_global_attribute(KERAS_SEED_ATTRIBUTE)


def capture_state() -> Any:
    """As plain data: the global seed, op determinism, the generator TensorFlow draws op seeds from
    after ``set_seed`` (``op_rng``, words as bytes), the global ``tf.random.Generator``, and Keras's
    default-seed generator, global ``SeedGenerator`` and seed record.
    """
    from tensorflow.python.eager import context
    from tensorflow.python.ops import stateful_random_ops

    from ._common import words

    probe = _determinism()
    op_rng = getattr(context.context(), "_rng", None)  # private: absent in another TensorFlow, then not kept
    generator = stateful_random_ops.global_generator
    keras: dict[str, Any] | None = None
    try:
        seed_generator = _keras_module()
        from keras.src.backend.common import global_state

        version, internal, gauss = seed_generator.python_random.getstate()
        global_generator = global_state.get_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR)
        keras = {
            "random": [version, words(internal), gauss],
            "global_generator": None if global_generator is None else global_generator.state.numpy().tolist(),
            "seed": global_state.get_global_attribute(KERAS_SEED_ATTRIBUTE),
        }
    except (ImportError, AttributeError):
        pass
    return {
        "global_seed": context.global_seed(),
        "op_determinism": probe[0]() if probe is not None else None,
        "op_rng": None if op_rng is None else _random_state(op_rng),
        "generator": None
        if generator is None
        else {"algorithm": int(generator.algorithm), "state": generator.state.numpy().tolist()},
        "keras": keras,
    }


def _random_state(generator: Any) -> list[Any]:
    from ._common import words

    version, internal, gauss = generator.getstate()
    return [version, words(internal), gauss]


def restore_state(state: Any) -> None:
    import random

    import tensorflow as tf
    from tensorflow.python.eager import context

    from ._common import unwords

    tf.random.set_seed(state["global_seed"])  # resets the op-seed generator; its state follows
    _set_determinism(_determinism(), state["op_determinism"])
    if state["op_rng"] is not None and getattr(context.context(), "_rng", None) is not None:
        version, internal, gauss = state["op_rng"]
        context.context()._rng.setstate((version, unwords(internal), gauss))
    if state["generator"] is not None:
        tf.random.set_global_generator(
            tf.random.Generator.from_state(state["generator"]["state"], state["generator"]["algorithm"])
        )
    if state["keras"] is None:
        return
    try:
        seed_generator = _keras_module()
        from keras.src.backend.common import global_state
    except (ImportError, AttributeError):
        return
    version, internal, gauss = state["keras"]["random"]
    python_random = random.Random()
    python_random.setstate((version, unwords(internal), gauss))
    seed_generator.python_random = python_random
    global_state.set_global_attribute(KERAS_SEED_ATTRIBUTE, state["keras"]["seed"])
    if state["keras"]["global_generator"] is None:
        global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    else:
        seed_generator.global_seed_generator().state.assign(state["keras"]["global_generator"])


def version() -> str | None:
    return installed_version(NAME)
