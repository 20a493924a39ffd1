"""numpy's legacy global generator and ``Generator`` objects (spec §6, ``numpy``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from ..seeding.actions import Action
from . import Context
from ._common import installed_version

NAME: Final = "numpy"


def apply(seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    import numpy as np

    np.random.seed(seed)
    return [
        Action(
            framework=NAME,
            what=f"numpy.random.seed({seed})",
            status="applied",
            detail=f"Generator objects use {settings['bit_generator']}",
        )
    ]


def seed_on_import(module: str, seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    """Auto-seeding, right after ``numpy.random`` first ran."""
    import sys

    if "random" not in vars(sys.modules["numpy"]):
        # The import system binds numpy.random on numpy only after this hook returns, and numpy's
        # __getattr__ would import it again (recursing into this import): bind it now, as it will be.
        setattr(sys.modules["numpy"], "random", sys.modules["numpy.random"])  # noqa: B010
    return apply(seed, settings, context)


def save() -> Callable[[], None]:
    import numpy as np

    state = np.random.get_state()
    return lambda: np.random.set_state(state)


def capture_state() -> Any:
    """The legacy global generator's state as plain data (key as little-endian 32-bit words)."""
    import numpy as np

    from ._common import words

    legacy: Any = np.random.get_state(legacy=True)
    name, key, pos, has_gauss, cached = legacy
    return {"global": [str(name), words(key.tolist()), int(pos), int(has_gauss), float(cached)]}


def restore_state(state: Any) -> None:
    import numpy as np

    from ._common import unwords

    name, key, pos, has_gauss, cached = state["global"]
    np.random.set_state((name, np.array(unwords(key), dtype=np.uint32), pos, has_gauss, cached))


def version() -> str | None:
    return installed_version(NAME)
