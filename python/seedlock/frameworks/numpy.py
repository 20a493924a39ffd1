"""numpy's legacy global generator and ``Generator`` objects (spec §6, ``numpy``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .. import _validate as v
from ..actions import Action
from . import Check, Context
from ._common import distribution_version

NAME: Final = "numpy"
SINCE: Final = "1.0"
DISTRIBUTIONS: Final[tuple[str, ...]] = ("numpy",)
BIT_GENERATORS: Final = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
DEFAULTS: Final[Mapping[str, Any]] = {"bit_generator": "PCG64"}
VALUES: Final[Mapping[str, tuple[str, ...]]] = {"bit_generator": BIT_GENERATORS}
CHECKS: Final[Mapping[str, Check]] = {"bit_generator": lambda x, p: v.choice(x, BIT_GENERATORS, p)}


def apply(seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    import numpy as np

    np.random.seed(seed)
    return [Action(framework=NAME, what=f"numpy.random.seed({seed})", status="applied",
                   detail=f"Generator objects use {settings['bit_generator']}")]


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


def launcher_environment(seed: int, settings: Mapping[str, Any]) -> dict[str, str]:
    return {}


def version() -> str | None:
    return distribution_version(DISTRIBUTIONS)
