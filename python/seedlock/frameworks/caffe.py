"""Caffe: seeded through the solver file's ``random_seed``, and pycaffe when importable (spec §6, ``caffe``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from ..seeding.actions import Action
from . import Context

NAME: Final = "caffe"
# pycaffe is built from source, not installed as a distribution: there is no version to ask for.


def apply(seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    what = f"caffe.set_random_seed({seed})"
    caffe: Any
    try:
        import caffe  # type: ignore[import-not-found,no-redef]
    except ImportError:
        caffe = None
    if not callable(getattr(caffe, "set_random_seed", None)):
        # A directory named caffe/ (like this project's examples) imports as an empty namespace package.
        return [
            Action(
                framework=NAME,
                what=what,
                status="skipped",
                detail="pycaffe is not importable; seed Caffe through the solver file (random_seed)",
            )
        ]
    caffe.set_random_seed(seed)
    return [Action(framework=NAME, what=what, status="applied")]


def save() -> Callable[[], None]:
    # pycaffe exposes no way to read its generator state, so there is nothing to restore.
    return lambda: None


def capture_state() -> Any:
    """Always None: pycaffe exposes no generator state."""
    return None


def restore_state(state: Any) -> None:
    return None


def version() -> str | None:
    return None
