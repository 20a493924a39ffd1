"""``session.state_dict()`` / ``session.load_state_dict(d)`` (spec §6.2): generator state in checkpoints.

A state dict holds every generator state the stage owns — python, numpy's legacy generator, torch
CPU and CUDA, TensorFlow's global seed and global ``tf.random.Generator``, Keras's default-seed
generator, R's ``.Random.seed``, and every stream handed out — with the epoch and rank, as plain data
(numbers, strings, lists, dicts, bytes) that ``torch.save`` writes and ``torch.load(weights_only=True)``
reads back. Saved next to the model and optimiser, it lets a run resumed mid-epoch continue the same
streams.

An extension (``x-<name>``) is captured only when its seeder offers ``capture``/``restore``; otherwise
its entry says so (``{"captured": False, "reason": ...}``) and loading re-seeds it with a
:class:`~seedlock.spec.errors.SeedlockWarning` (see :func:`seedlock.seeding.extensions.restore_state`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import frameworks as _frameworks
from ..spec.errors import SeedlockError
from .streams import StageRuntime, Stream, restore_stream

if TYPE_CHECKING:
    from ..spec.lock import LockedStage

FORMAT = 1


def state_dict(stage: LockedStage, runtime: StageRuntime) -> dict[str, Any]:
    """Every generator state ``stage`` owns in this process (``runtime``: its streams, rank and epoch)."""
    return {
        "format": FORMAT,
        "stage": stage.name,
        "rules": stage.rules,
        "seeds": dict(stage.seeds),
        "rank": runtime.rank,
        "epoch": runtime.epoch,
        # Each framework module's plain-data state (seedlock.frameworks.<name>.capture_state).
        "frameworks": {name: _capture(name) for name in stage.frameworks},
        "streams": [_capture_stream(s) for s in runtime.streams],
    }


def load_state_dict(stage: LockedStage, runtime: StageRuntime, state: Mapping[str, Any]) -> None:
    """Restore what :func:`state_dict` captured; streams handed out later are restored when they are."""
    if not isinstance(state, Mapping) or state.get("format") != FORMAT:
        raise SeedlockError("invalid-value", f"Not a seedlock state dict of format {FORMAT}", "/format")
    for key, expected in (
        ("stage", stage.name),
        ("rules", stage.rules),
        ("seeds", dict(stage.seeds)),
        ("frameworks", set(stage.frameworks)),
    ):
        got = state.get(key)
        if key == "frameworks" and isinstance(got, Mapping):
            got = set(got)
        if got != expected:
            raise SeedlockError(
                "invalid-value",
                f"The state dict was captured for {key} {got!r}, this stage has {expected!r}",
                f"/{key}",
            )
    captured = list(state["streams"])
    live = {_key(s): s for s in runtime.streams}
    missing = [k for k in live if k not in {_key_of(c) for c in captured}]
    if missing:
        framework, name, rank, index = missing[0]
        raise SeedlockError(
            "invalid-value",
            f"The {framework} stream {name or 'default'!r} (rank {rank}, #{index}) was "
            "not handed out when the state dict was captured",
            "/streams",
        )
    for entry in captured:
        stream = live.get(_key_of(entry))
        if stream is None:
            # Handed out after the state is loaded (e.g. the DataLoader is built later): restored then.
            runtime.pending[_key_of(entry)] = entry["state"]
        else:
            restore_stream(stream, entry["state"])
    for name, framework_state in state["frameworks"].items():
        if name in _frameworks.NAMES:
            _frameworks.get(name).restore_state(framework_state)
            continue
        from ..spec.derivation import process_seed
        from . import extensions

        if not isinstance(framework_state, Mapping):
            raise SeedlockError(
                "invalid-value", f"Not an extension's state: {framework_state!r}", f"/frameworks/{name}"
            )
        problem = extensions.restore_state(name, framework_state, process_seed(stage.seed_of(name), state["rank"]))
        if problem is not None:
            import warnings

            from ..spec.errors import SeedlockWarning, pointer_join

            # A state the checkpoint cannot give back is said, never skipped silently (pointer: its entry).
            warnings.warn(
                SeedlockWarning(SeedlockError("not-applied", problem, pointer_join("/frameworks", name))), stacklevel=3
            )
    runtime.rank, runtime.epoch = state["rank"], state["epoch"]


def _capture(name: str) -> Any:
    if name in _frameworks.NAMES:
        return _frameworks.get(name).capture_state()
    from . import extensions  # an extension (spec §2.2): its seeder may or may not capture state

    return extensions.capture_state(name)


def _key(stream: Stream) -> tuple[str, str | None, int | None, int]:
    return stream.framework, stream.name, stream.rank, stream.index


def _key_of(entry: Mapping[str, Any]) -> tuple[str, str | None, int | None, int]:
    return entry["framework"], entry["name"], entry["rank"], entry["index"]


def _capture_stream(stream: Stream) -> dict[str, Any]:
    if stream.framework == "torch":
        state: Any = bytes(stream.generator.get_state().numpy().tobytes())
    else:
        state = _plain(stream.generator.bit_generator.state)
    return {
        "framework": stream.framework,
        "name": stream.name,
        "rank": stream.rank,
        "index": stream.index,
        "state": state,
    }


def _plain(value: Any) -> Any:
    """numpy arrays and scalars inside a bit generator's state → bytes and ints (weights_only-safe).

    Arrays travel as little-endian bytes: ``torch.load(weights_only=True)`` unpickles a list element
    by element in Python, a bytes object in one step (10x faster for a 624-word state)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "dtype") and int(getattr(value, "ndim", 0)) > 0:
        little = value.astype(value.dtype.newbyteorder("<"))
        return {"__array__": little.dtype.str, "bytes": little.tobytes()}
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


__all__ = ["FORMAT", "load_state_dict", "state_dict"]
