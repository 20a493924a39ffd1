"""R's RNG in the embedded session, through rpy2 (spec §6, ``r``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from ..seeding.actions import Action
from . import Context

NAME: Final = "r"


def apply(seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    what = (
        f"set.seed({seed}, kind={settings['kind']!r}, normal.kind={settings['normal_kind']!r}, "
        f"sample.kind={settings['sample_kind']!r})"
    )
    try:
        from ..seeding import _rbridge
    except ImportError as exc:
        return [Action(framework=NAME, what=what, status="failed", detail=f"rpy2 is not usable: {exc}")]
    try:
        r_version = _rbridge.set_seed(seed, settings)
    except _rbridge.RBridgeError as exc:
        return [Action(framework=NAME, what=what, status="failed", detail=str(exc))]
    return [Action(framework=NAME, what=what, status="applied", detail=f"embedded R {r_version} via rpy2")]


def save() -> Callable[[], None]:
    try:
        from ..seeding import _rbridge
    except ImportError:
        return lambda: None  # nothing was seeded in R either: apply reports rpy2 as unusable
    state = _rbridge.get_state()
    return lambda: _rbridge.set_state(state)


def capture_state() -> Any:
    """R's kinds and ``.Random.seed`` (None when absent) as plain data."""
    from ..seeding import _rbridge

    kinds, has, seed = _rbridge.get_state()
    return {"kinds": [str(k) for k in kinds], "random_seed": [int(x) for x in seed] if bool(has[0]) else None}


def restore_state(state: Any) -> None:
    import rpy2.robjects as ro

    from ..seeding import _rbridge

    seed = state["random_seed"]
    _rbridge.set_state((ro.StrVector(state["kinds"]), seed is not None, ro.IntVector(seed or [])))


def version() -> str | None:
    # `Rscript --version` answers without starting R (about 100 ms saved per resolve).
    from ..seeding._machine import rscript_version

    return rscript_version()
