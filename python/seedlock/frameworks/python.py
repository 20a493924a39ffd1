"""Python's ``random`` module and the interpreter's hash seed (spec §6, ``python``).

Modules are imported inside the functions: loading a lock imports this module, and must stay cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..seeding.actions import Action
from . import Context

NAME: Final = "python"
HASH_SEED_VARIABLE: Final = "PYTHONHASHSEED"


def apply(seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    import random

    random.seed(seed)
    out = [Action(framework=NAME, what=f"random.seed({seed})", status="applied")]
    # Every rank hashes alike (the stage's python seed, not the rank seed): ranks must agree on
    # e.g. set iteration order.
    expected = context.framework_seed
    if settings["hash_seed"]:
        # The hash secret is fixed when the interpreter starts; all we can do here is check it.
        actual = os.environ.get(HASH_SEED_VARIABLE)
        if actual == str(expected):
            out.append(
                Action(
                    framework=NAME, what=f"{HASH_SEED_VARIABLE}={expected}", status="applied", detail="set at launch"
                )
            )
        else:
            out.append(
                Action(
                    framework=NAME,
                    what=f"{HASH_SEED_VARIABLE}={expected}",
                    status="failed",
                    detail=(
                        f"interpreter started with {HASH_SEED_VARIABLE}={actual or 'unset'}; launch with `seedlock run`"
                    ),
                )
            )
    return out


def save() -> Callable[[], None]:
    import random

    state = random.getstate()
    return lambda: random.setstate(state)


def capture_state() -> Any:
    """``random``'s state as plain data: ``{"random": [version, words, gauss_next]}`` (words as bytes)."""
    import random

    from ._common import words

    version, internal, gauss = random.getstate()
    return {"random": [version, words(internal), gauss]}


def restore_state(state: Any) -> None:
    import random

    from ._common import unwords

    version, internal, gauss = state["random"]
    random.setstate((version, unwords(internal), gauss))


def version() -> str | None:
    from ..seeding._machine import python_version

    return python_version()
