"""The recorder inside the program: one per process, appending JSON Lines to ``$SEEDLOCK_LOCATE``.

Records (spec §10): ``probe`` (one per :func:`seedlock.probe` call, values included when small),
``step`` (coarse pass: per training step and kind, one digest folding every tensor's checksum) and
``tensor`` (fine pass, at ``$SEEDLOCK_LOCATE_STEP`` only: each tensor in execution order with its
values). ``generator`` records (the state of the global generators and of seedlock's named streams at
each top-level forward and step end) are context: they are never the divergence, they explain it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from typing import Any

from ._variables import LOCATE_VARIABLE, STEP_VARIABLE

#: Probe values up to this many elements are written (the report's largest difference needs them);
#: beyond, a digest only. Fine-pass tensors are written up to FINE_VALUES elements.
PROBE_VALUES = 1 << 16
FINE_VALUES = 1 << 20


def flat_values(value: Any) -> tuple[list[int], str, list[Any]]:
    """``value`` as (shape, dtype, values in C order): torch, numpy, JAX arrays, numbers, nested lists."""
    if hasattr(value, "detach"):  # torch: no numpy round trip (bfloat16 has no numpy type)
        t = value.detach()
        dtype = str(t.dtype).removeprefix("torch.")
        if t.is_floating_point():
            t = t.double()
        return list(t.shape), dtype, t.reshape(-1).tolist()
    if type(value) in (int, float, bool):
        return [], type(value).__name__, [value]
    try:
        import numpy as np
    except ImportError:  # plain lists without numpy
        out: list[Any] = []
        _flatten(value, out)
        return [len(out)], "list", out
    array = np.asarray(value)
    if array.dtype.kind in "fc" and array.dtype.itemsize < 8:
        shown = array.astype(np.complex128 if array.dtype.kind == "c" else np.float64)
    else:
        shown = array
    values: list[Any]
    if shown.dtype.kind == "c":
        values = [v for z in shown.reshape(-1).tolist() for v in (z.real, z.imag)]
    elif shown.dtype.kind in "biuf":
        values = shown.reshape(-1).tolist()
    else:
        values = [str(v) for v in shown.reshape(-1).tolist()]
    return list(array.shape), str(array.dtype), values


def _flatten(value: Any, out: list[Any]) -> None:
    if isinstance(value, (list, tuple)):
        for v in value:
            _flatten(v, out)
    else:
        out.append(value)


def digest_of(shape: list[int], dtype: str, values: list[Any]) -> str:
    """Equal exactly when shape, dtype and every value (bit for bit, NaN equal to NaN) are."""
    h = hashlib.sha256(json.dumps([shape, dtype], separators=(",", ":")).encode())
    h.update(repr(values).encode())
    return h.hexdigest()[:32]


def _json_number(v: Any) -> Any:
    # JSON has no NaN or infinity: spell them as strings (spec §10).
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return repr(v)
    return v


class Recorder:
    """This process's records. ``step`` counts optimizer steps completed (torch) or batches trained
    (Keras); ``stepping`` is whether a framework counts them at all."""

    def __init__(self, directory: str, fine: int | None) -> None:
        self.directory = directory
        self.fine = fine
        self.step = 0
        self.stepping = False
        self._seq = 0
        self._file: Any = None
        self._pid = os.getpid()
        self._inherited: list[Any] = []
        self._occurrences: dict[str, int] = {}
        # Coarse pass: kind -> running digest of the current step, and how many tensors went in.
        self._folds: dict[str, Any] = {}
        self._counts: dict[str, int] = {}
        self._generators: dict[str, Any] = {}
        self.streams: list[Any] = []  # seedlock's named streams handed out in this process
        self.flushers: list[Any] = []  # called before a step's records are written (torch's checksums)

    @property
    def recording_values(self) -> bool:
        return self.fine is not None and self.step == self.fine

    def rank(self) -> int:
        return int(os.environ.get("RANK", "0") or 0)

    def write(self, record: dict[str, Any]) -> None:
        if self._file is not None and self._pid != os.getpid():
            # A forked child (a DataLoader worker) recording: a file of its own. The parent's file object
            # is kept, never closed or collected here: flushing its copied buffer would write the
            # parent's records twice.
            self._inherited.append(self._file)
            self._file, self._seq = None, 0
        if self._file is None:
            self._pid = os.getpid()
            os.makedirs(self.directory, exist_ok=True)
            name = f"rank{self.rank()}-{time.time_ns()}-{os.getpid()}.jsonl"
            self._file = open(os.path.join(self.directory, name), "a", buffering=1 << 16)  # noqa: SIM115
        record = {"seq": self._seq, "rank": self.rank(), **record}
        self._seq += 1
        self._file.write(json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n")

    def close(self) -> None:
        for flush in self.flushers:
            flush()
        if self._folds or self._generators:
            self.end_step()
        if self._file is not None:
            self._file.close()
            self._file = None

    # -- probes ---------------------------------------------------------------------------------
    def probe(self, name: str, value: Any, step: int | None) -> None:
        occurrence = self._occurrences.get(name, 0)
        self._occurrences[name] = occurrence + 1
        if step is None:
            step = self.step if self.stepping else occurrence
        shape, dtype, values = flat_values(value)
        record: dict[str, Any] = {
            "type": "probe",
            "step": step,
            "kind": "probe",
            "name": name,
            "shape": shape,
            "dtype": dtype,
            "digest": digest_of(shape, dtype, values),
        }
        if len(values) <= PROBE_VALUES or self.recording_values:
            record["values"] = [_json_number(v) for v in values]
        self.generators("probe " + name)
        self.write(record)

    # -- tensors (torch hooks, Keras callback) ----------------------------------------------------
    def fold(self, kind: str, name: str, checksum: Any) -> None:
        """Coarse pass: add a tensor's checksum (anything whose repr is exact) to its kind's step digest."""
        h = self._folds.get(kind)
        if h is None:
            h = self._folds[kind] = hashlib.sha256()
            self._counts[kind] = 0
        h.update(f"{name}={checksum!r};".encode())
        self._counts[kind] += 1

    def tensor(self, kind: str, module: str, name: str, value: Any) -> None:
        """Fine pass: one tensor with its values, in execution order."""
        shape, dtype, values = flat_values(value)
        record: dict[str, Any] = {
            "type": "tensor",
            "step": self.step,
            "kind": kind,
            "module": module,
            "name": name,
            "shape": shape,
            "dtype": dtype,
            "digest": digest_of(shape, dtype, values),
        }
        if len(values) <= FINE_VALUES:
            record["values"] = [_json_number(v) for v in values]
        self.write(record)

    def end_step(self) -> None:
        """Close the current step: the coarse record (digest per kind) and the generators' states."""
        if self.fine is None and (self._folds or self._generators):
            self.write(
                {
                    "type": "step",
                    "step": self.step,
                    "digests": {k: h.hexdigest()[:32] for k, h in self._folds.items()},
                    "counts": dict(self._counts),
                    "generators": {k: h.hexdigest()[:32] for k, h in self._generators.items()},
                }
            )
        self._folds, self._counts, self._generators = {}, {}, {}
        self.step += 1

    # -- generators (context) ---------------------------------------------------------------------
    def generators(self, where: str) -> None:
        """The state of every global generator the program has loaded, and of seedlock's named streams."""
        for name, state in _generator_states(self.streams):
            if self.recording_values:
                self.write(
                    {
                        "type": "generator",
                        "step": self.step,
                        "kind": "generator",
                        "name": name,
                        "where": where,
                        "digest": state,
                    }
                )
            elif self.fine is None:
                h = self._generators.get(name)
                if h is None:
                    h = self._generators[name] = hashlib.sha256()
                h.update(state.encode())


def _generator_states(streams: list[Any]) -> list[tuple[str, str]]:
    """(name, digest of state) for Python's ``random``, numpy's, torch's CPU global generators (only those
    already imported: recording never imports a framework) and each named stream."""
    states: list[tuple[str, str]] = []

    def add(name: str, state: Any) -> None:
        states.append((name, hashlib.sha256(repr(state).encode()).hexdigest()[:32]))

    random = sys.modules.get("random")
    if random is not None:
        add("python random", random.getstate())
    nprandom = sys.modules.get("numpy.random")
    if nprandom is not None and hasattr(nprandom, "get_state"):
        state = nprandom.get_state(legacy=False)
        add("numpy global", state)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "random") and hasattr(torch.random, "get_rng_state"):
        add("torch global", bytes(torch.random.get_rng_state().numpy()))
    for stream in streams:
        g = stream.generator
        if hasattr(g, "bit_generator"):
            state = g.bit_generator.state
        elif hasattr(g, "get_state"):
            state = bytes(g.get_state().numpy())
        else:
            continue
        add(f"stream {stream.framework}:{stream.name}" + (f"#{stream.index}" if stream.index else ""), state)
    return states


_recorder: Recorder | None = None


def recorder() -> Recorder:
    """This process's recorder (made on first use; its file is closed at exit)."""
    global _recorder
    if _recorder is None:
        import atexit

        step = os.environ.get(STEP_VARIABLE)
        _recorder = Recorder(os.environ[LOCATE_VARIABLE], int(step) if step else None)
        atexit.register(_recorder.close)
    return _recorder


def watch_stream(stream: Any) -> None:
    """A named stream the stage handed out: its state is context like the global generators'."""
    if os.environ.get(LOCATE_VARIABLE):
        recorder().streams.append(stream)
