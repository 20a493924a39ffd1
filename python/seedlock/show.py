"""The ``seedlock show`` table: stage x framework -> seed and where it came from."""

from __future__ import annotations

import os

from .errors import SeedlockError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .lock import Lock
    from .manifest import Manifest


def source_text(source: str, variable: str | None) -> str:
    """``env VAR`` for a seed taken from the environment, else the source (manifest, derived, generate)."""
    return f"env {variable}" if variable else source


def seed_table(lock: Lock) -> list[tuple[str, str, str, str]]:
    """Rows (stage, framework, seed, source), header first; a stage row precedes its frameworks."""
    rows = [("stage", "framework", "seed", "source")]
    for name, stage in lock.stages.items():
        rows.append((name, "", str(stage.seed), source_text(stage.source, stage.variable)))
        for fw, item in stage.frameworks.items():
            rows.append(("", fw, str(item.seed), source_text(item.source, item.variable)))
    return rows


def render(document: Manifest | Lock, path: str | os.PathLike[str]) -> str:
    """What ``seedlock show`` prints for ``document`` read from ``path`` (a manifest is resolved now)."""
    import seedlock

    from .documents import labelled

    if isinstance(document, seedlock.Lock):
        lock, head = document, f"lock {os.fspath(path)} (manifest sha256 {document.manifest_sha256[:12]})"
    else:
        try:
            lock = seedlock.resolve(document, provenance=False)
        except SeedlockError as err:
            raise labelled(path, err) from None
        head = f"manifest {os.fspath(path)}, resolved now (generated seeds change on every resolve)"
    lines = [head, f"root seed {lock.root.seed} ({source_text(lock.root.source, lock.root.variable)})"]
    rows = seed_table(lock)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"
