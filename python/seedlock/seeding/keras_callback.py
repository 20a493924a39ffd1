"""A Keras callback entering every epoch of ``model.fit`` through ``session.seed_epoch`` (spec §4.3).

Keras draws dropout masks and other layer randomness from each layer's own ``SeedGenerator``, whose
state lives in the model, not in TensorFlow's global seed. At the start of epoch ``e`` the callback
therefore also resets the seed generators of the model, in the model's order (index ``i``), to
``derive(E, "stream", "keras-" + i)`` of the tensorflow epoch seed ``E``: what epoch ``e`` draws then
depends on ``e`` and the lock only, so ``fit(initial_epoch=k)`` in a new process, after loading the
weights saved at the end of epoch ``k - 1``, repeats the uninterrupted run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..spec.derivation import epoch_seed
from .streams import stream_seed_for

if TYPE_CHECKING:
    from ..spec.lock import LockedStage
    from .actions import ApplyReport
    from .streams import StageRuntime


def layer_seed_generators(model: Any) -> list[Any]:
    """The model's Keras ``SeedGenerator`` objects, in a stable order (layers depth first)."""
    from keras.src.random.seed_generator import SeedGenerator

    found: list[Any] = []
    seen: set[int] = set()
    for layer in model._flatten_layers(include_self=True, recursive=True):
        for value in vars(layer).values():
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, SeedGenerator) and id(item) not in seen:
                    seen.add(id(item))
                    found.append(item)
    return found


def reseed_layers(model: Any, tensorflow_seed: int) -> int:
    """Reset every layer seed generator of ``model`` to its stream below ``tensorflow_seed``; returns how many."""
    generators = layer_seed_generators(model)
    for i, generator in enumerate(generators):
        seed = stream_seed_for(tensorflow_seed, f"keras-{i}", rules=2, rank=None, epoch=None)
        value = generator.state.value
        generator.state.assign(_state_like(value, seed))
    return len(generators)


def _state_like(current: Any, seed: int) -> Any:
    import numpy as np

    return np.asarray([seed, 0], dtype=np.asarray(current).dtype)


def seed_epoch_callback(stage: LockedStage, runtime: StageRuntime) -> Any:
    """The callback of ``stage`` in the process state ``runtime`` (a session's)."""
    import keras

    from .epochs import seed_epoch

    class SeedEpoch(keras.callbacks.Callback):  # type: ignore[misc]
        """Calls ``session.seed_epoch(epoch)`` and reseeds the model's layer seed generators per epoch."""

        def __init__(self) -> None:
            super().__init__()
            self.stage = stage
            self.reports: list[ApplyReport] = []

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.reports.append(seed_epoch(stage, runtime, epoch))
            if "tensorflow" in stage.frameworks and self.model is not None:
                reseed_layers(self.model, epoch_seed(stage.seed_of("tensorflow"), epoch, runtime.rank))

    return SeedEpoch()


__all__ = ["layer_seed_generators", "reseed_layers", "seed_epoch_callback"]
