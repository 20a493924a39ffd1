"""JAX (spec §6, ``jax``, from spec 1.1): keys from the lock, the PRNG implementation, XLA determinism.

JAX has no global random generator: randomness flows from explicit keys the program passes around.
So there is nothing to seed globally, and :func:`apply` says so in its report instead of pretending;
the stage's keys come from :meth:`seedlock.Session.jax_key`: named streams of the jax seed that
follow the rank applied and the epoch entered (:func:`key_seed`). What *is* global, and pinned here,
is how keys turn into bits: the default PRNG implementation and ``jax_threefry_partitionable``
(JAX 0.5.0 flipped its default, which changed every random draw), and ``XLA_FLAGS``, which XLA reads
once when JAX starts its backends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..seeding.actions import Action
from ..spec.derivation import _index, derive, process_seed, stream_seed, worker_seed
from . import Context
from ._common import installed_version, restore_env

NAME: Final = "jax"
XLA_FLAGS_VARIABLE: Final = "XLA_FLAGS"
DETERMINISTIC_FLAG: Final = "--xla_gpu_deterministic_ops=true"
_GPU_PLATFORMS: Final = frozenset({"cuda", "rocm", "gpu"})


def with_deterministic_flag(current: str | None) -> str:
    """``XLA_FLAGS`` with the determinism flag appended, keeping the user's flags (unchanged when there)."""
    if not current or not current.strip():
        return DETERMINISTIC_FLAG
    if DETERMINISTIC_FLAG in current.split():
        return current
    return f"{current} {DETERMINISTIC_FLAG}"


def key_seed(
    seed: int,
    name: str | None = None,
    *,
    rank: int | None = None,
    worker: int | None = None,
    epoch: int | None = None,
    replicate: int = 0,
) -> int:
    """The seed ``S`` of the stage's key ``name`` (spec §6 ``jax``) under the jax seed ``seed``.

    ``K0`` is the key's process seed (the seed, its rank's, or its worker's: ``derive(F, "rank", r,
    "worker", w)``, rank 0 when not distributed); the base ``K`` is ``K0``, or ``derive(K0, "epoch", e)``
    in epoch ``e``; an unnamed key is ``K`` itself (as before named keys existed), key ``name`` is
    ``derive(K, "stream", name)``, the named-stream path of §4.3.
    """
    if worker is not None:
        base = worker_seed(seed, worker, 0 if rank is None else rank)
    else:
        base = process_seed(seed, rank)
    if epoch is not None:
        base = derive(base, "epoch", _index(epoch, "epoch"))
    return base if name is None else stream_seed(base, name, replicate)


def key(seed: int, settings: Mapping[str, Any]) -> Any:
    """A new-style typed key of seed ``seed`` on the stage's PRNG implementation (``jax.random.key``)."""
    import jax

    return jax.random.key(seed, impl=settings["prng_impl"])


def apply(seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    import jax

    out = [
        Action(
            framework=NAME,
            what="global seed",
            status="skipped",
            detail=f"JAX has no global random generator: pass keys from session.jax_key() (seed {seed})",
        )
    ]
    if context.epoch is not None:
        # Keys are values: entering an epoch cannot change one the program holds, only the keys the
        # stage makes from now on. Said here so a loop that keeps an old key is not silently repeated.
        out.append(
            Action(
                framework=NAME,
                what=f"keys follow epoch {context.epoch}",
                status="applied",
                detail=f"session.jax_key() keys are now epoch {context.epoch}'s (unnamed: seed {seed}); "
                "keys taken before are values and keep their draws: take this epoch's from the stage",
            )
        )
    jax.config.update("jax_default_prng_impl", settings["prng_impl"])
    out.append(Action(framework=NAME, what=f"jax_default_prng_impl = {settings['prng_impl']}", status="applied"))
    jax.config.update("jax_threefry_partitionable", settings["threefry_partitionable"])
    out.append(
        Action(
            framework=NAME, what=f"jax_threefry_partitionable = {settings['threefry_partitionable']}", status="applied"
        )
    )
    if settings["deterministic_ops"]:
        out.append(_deterministic_ops())
    return out


def _deterministic_ops() -> Action:
    """XLA reads ``XLA_FLAGS`` when JAX starts its backends: set it before, or report why not."""
    what = f"{XLA_FLAGS_VARIABLE} {DETERMINISTIC_FLAG}"
    current = os.environ.get(XLA_FLAGS_VARIABLE)
    if current is not None and DETERMINISTIC_FLAG in current.split():
        return Action(framework=NAME, what=what, status="applied", detail="already set: seedlock run sets it")
    from jax._src import xla_bridge

    started = getattr(xla_bridge, "backends_are_initialized", None)
    if started is None:
        return Action(
            framework=NAME,
            what=what,
            status="failed",
            detail="this JAX cannot tell whether its backends started; launch with seedlock run",
        )
    if not started():
        os.environ[XLA_FLAGS_VARIABLE] = with_deterministic_flag(current)
        return Action(framework=NAME, what=what, status="applied", detail="set before JAX started its backends")
    platforms = set(xla_bridge.backends())
    if platforms & _GPU_PLATFORMS:
        return Action(
            framework=NAME,
            what=what,
            status="failed",
            detail="JAX started its GPU backend without it; launch with seedlock run (or set XLA_FLAGS) instead",
        )
    return Action(
        framework=NAME,
        what=what,
        status="skipped",
        detail=f"JAX already started on {', '.join(sorted(platforms))} only, where the flag changes nothing",
    )


def save() -> Callable[[], None]:
    import jax

    # Read the way jax.config exposes them at run time (its type stub does not list option attributes).
    impl = jax.config.jax_default_prng_impl  # type: ignore[attr-defined]
    partitionable = jax.config.jax_threefry_partitionable  # type: ignore[attr-defined]
    flags = os.environ.get(XLA_FLAGS_VARIABLE)

    def restore() -> None:
        jax.config.update("jax_default_prng_impl", impl)
        jax.config.update("jax_threefry_partitionable", partitionable)
        restore_env(XLA_FLAGS_VARIABLE, flags)

    return restore


def capture_state() -> Any:
    """Nothing: JAX keeps no random state of its own. Keys are values the program holds; checkpoint
    them with the model (``jax.random.key_data``), or make them again with ``session.jax_key()``."""
    return {}


def restore_state(state: Any) -> None:
    """Nothing to restore (see :func:`capture_state`)."""


def version() -> str | None:
    return installed_version(NAME)
