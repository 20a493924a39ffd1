"""Where two runs of one seeded command part: the divergence locator behind ``seedlock verify --locate``.

In the program (no change to it needed): when ``$SEEDLOCK_LOCATE`` names a directory, the auto-seeding
bootstrap loads :mod:`seedlock.locate._boot`, which hooks torch (global module and optimizer hooks) and
Keras (``Model.fit``) when the program imports them, and :func:`probe` records values the program names.
Each process appends records to a JSON Lines file in that directory (:mod:`._record`; format: spec §10).

In the launcher: :mod:`.runner` runs the command twice for a coarse pass (cheap per-step hashes), then,
at the first step that differs, twice for a fine pass (every tensor of that step, with its values);
:mod:`.compare` finds the first differing record of each rank and says what was identical before it and
the likely cause; :mod:`.report` prints it and writes the JSON.

Importing this package costs nothing: it is what ``seedlock.probe`` is.
"""

from __future__ import annotations

import os

from ._variables import LOCATE_VARIABLE, RUN_VARIABLE, STEP_VARIABLE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["LOCATE_VARIABLE", "RUN_VARIABLE", "STEP_VARIABLE", "probe"]


def probe(name: str, value: Any, *, step: int | None = None) -> None:
    """Record ``value`` (a number, sequence, numpy/torch/JAX array) under ``name`` for ``seedlock verify
    --locate``, which compares the probes of two runs in order. Does nothing unless the locator runs the
    program. ``step``: the program's own step (epoch, batch); default: the training step when torch or
    Keras training is hooked, else how many probes of this name came before."""
    if not os.environ.get(LOCATE_VARIABLE):
        return
    from . import _record

    _record.recorder().probe(name, value, step)
