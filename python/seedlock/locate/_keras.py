"""Keras instrumentation: ``Model.fit`` gets a callback, so a program that trains with ``fit`` is observed
unchanged.

Coarse pass: each layer's weights after every training batch (the step), folded into the step digest.
Fine pass, at ``$SEEDLOCK_LOCATE_STEP``: the model runs eagerly (both runs alike) so that each layer's
call can be seen: the batch the model is called with (``input-batch``), every layer's output in
execution order (``forward-output``), then the weights after the step (``parameter``).
"""

from __future__ import annotations

import functools
from typing import Any

from ._record import Recorder


def install(rec: Recorder, keras: Any) -> None:
    model_class = keras.Model
    layer_class = keras.layers.Layer
    fit = model_class.fit
    call = layer_class.__call__
    state: dict[str, Any] = {"model": None, "depth": 0}

    class _Locate(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            for layer in (
                self.model._flatten_layers(include_self=False)
                if hasattr(self.model, "_flatten_layers")
                else self.model.layers
            ):
                for w in layer.weights:
                    name = f"{_name(layer)}/{getattr(w, 'name', 'w')}"
                    value = w.numpy()
                    if rec.fine is None:
                        rec.fold("parameter", name, _checksum(value))
                    elif rec.step == rec.fine:
                        rec.tensor("parameter", _name(layer), name, value)
            rec.generators("end of step")
            rec.end_step()

    @functools.wraps(fit)
    def fit_with_locate(self: Any, *args: Any, **kwargs: Any) -> Any:
        rec.stepping = True
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), _Locate()]
        if rec.fine is not None:
            self.run_eagerly = True  # both runs of the fine pass alike: layer calls become visible
        state["model"] = self
        return fit(self, *args, **kwargs)

    @functools.wraps(call)
    def call_with_locate(self: Any, *args: Any, **kwargs: Any) -> Any:
        watching = rec.fine is not None and rec.step == rec.fine and state["model"] is not None
        if watching and self is state["model"] and state["depth"] == 0 and args and _eager(args[0]):
            rec.generators("forward of " + _name(self))
            rec.tensor("input-batch", _name(self), f"{_name(self)} input", args[0])
        state["depth"] += 1
        try:
            out = call(self, *args, **kwargs)
        finally:
            state["depth"] -= 1
        if watching and _eager(out) and self is not state["model"]:
            rec.tensor("forward-output", _name(self), _name(self), out)
        return out

    model_class.fit = fit_with_locate
    layer_class.__call__ = call_with_locate


def _name(layer: Any) -> str:
    return str(getattr(layer, "path", None) or layer.name)


def _eager(value: Any) -> bool:
    return hasattr(value, "numpy") and hasattr(value, "shape")


def _checksum(value: Any) -> str:
    import hashlib

    import numpy as np

    array = np.ascontiguousarray(value)
    return f"{array.dtype}{array.shape}" + hashlib.sha256(array.tobytes()).hexdigest()[:16]
