"""seedlock seeder for Faker: every ``Faker()`` shares one ``random.Random``, seeded by ``Faker.seed``."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # seedlock looks this module up in every auto-seeded interpreter: no typing at run time
    from collections.abc import Callable
    from typing import Any


def seed(value: int) -> str:
    from faker import Faker

    Faker.seed(value)
    return f"Faker.seed({value})"


def _save() -> Callable[[], None]:
    """Snapshot the shared generator; calling the result puts it back (``seedlock.seeded(stage)``)."""
    from faker.generator import random as shared

    state = shared.getstate()
    return lambda: shared.setstate(state)


def _capture() -> Any:
    """The shared generator's state as plain data (ints, tuples, None) for ``session.state_dict()``."""
    from faker.generator import random as shared

    return shared.getstate()


def _restore(state: Any) -> None:
    from faker.generator import random as shared

    # A checkpoint may hand back lists where getstate() gave tuples; setstate needs the tuples.
    version, internal, gauss = state
    shared.setstate((version, tuple(internal), gauss))


seed.save = _save  # type: ignore[attr-defined]
seed.capture = _capture  # type: ignore[attr-defined]
seed.restore = _restore  # type: ignore[attr-defined]
# `seedlock run` seeds Faker when the program first imports it, and never loads it into one that does not.
seed.module = "faker"  # type: ignore[attr-defined]
