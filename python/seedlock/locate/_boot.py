"""Loaded by the bootstrap's ``sitecustomize`` only when ``$SEEDLOCK_LOCATE`` is set (a normal start
never imports it): hooks torch and Keras right after the program first imports them, with the import
hook auto-seeding uses, so a program that never imports them pays nothing."""

from __future__ import annotations

import os
import sys
from typing import Any

from ._variables import LOCATE_VARIABLE

#: module -> what to instrument when the program first imports it
WATCH = {"torch": "torch", "keras": "keras"}


def start() -> None:
    from ..seeding._autoseed import is_multiprocessing_worker
    from ..seeding._importhook import SeedOnImport

    if not os.environ.get(LOCATE_VARIABLE) or is_multiprocessing_worker(getattr(sys, "orig_argv", sys.argv)):
        return

    class _InstrumentOnImport(SeedOnImport):
        """Auto-seeding's finder, once more: each asks the other for the module's spec, so the one asked
        while it is asking answers None (else they would ask each other forever)."""

        busy = False

        def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
            if self.busy:
                return None
            self.busy = True
            try:
                return super().find_spec(fullname, path, target)
            finally:
                self.busy = False

    finder = _InstrumentOnImport(dict(WATCH), _instrument)
    sys.meta_path.insert(0, finder)
    for module in list(WATCH):
        if module in sys.modules:
            finder.fire(module)


def _instrument(module: str, what: str) -> None:
    from . import _record

    rec = _record.recorder()
    if what == "torch":
        from . import _torch

        _torch.install(rec)
    elif what == "keras":
        from . import _keras

        _keras.install(rec, sys.modules["keras"])
