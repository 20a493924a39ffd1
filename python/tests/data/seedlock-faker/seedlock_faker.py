"""seedlock seeder for Faker: every ``Faker()`` shares one ``random.Random``, seeded by ``Faker.seed``."""

from __future__ import annotations

from collections.abc import Callable


def seed(value: int) -> str:
    from faker import Faker

    Faker.seed(value)
    return f"Faker.seed({value})"


def _save() -> Callable[[], None]:
    """Snapshot the shared generator; calling the result puts it back (``stage.seeded()``)."""
    from faker.generator import random as shared

    state = shared.getstate()
    return lambda: shared.setstate(state)


seed.save = _save  # type: ignore[attr-defined]
