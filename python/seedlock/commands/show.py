"""The ``seedlock show`` table: stage x framework -> seed and where it came from."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from ..spec.errors import SeedlockError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..spec.lock import Lock
    from ..spec.manifest import Manifest


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


def provenance_lines(provenance: Any, indent: str = "  ") -> list[str]:
    """Provenance as indented ``key: value`` lines, nested mappings indented under their key."""
    lines: list[str] = []
    for key, value in provenance.items():
        if isinstance(value, Mapping) and value:
            lines.append(f"{indent}{key}:")
            lines += provenance_lines(value, indent + "  ")
        else:
            shown = value if isinstance(value, str) else json.dumps(_plain(value), sort_keys=True)
            lines.append(f"{indent}{key}: {shown}")
    return lines


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def render(document: Manifest | Lock, path: str | os.PathLike[str], *, provenance: bool = False) -> str:
    """What ``seedlock show`` prints for ``document`` read from ``path`` (a manifest is resolved now);
    with ``provenance``, the provenance follows the table (a manifest's as it would be recorded now)."""
    import seedlock

    from ..spec.documents import labelled

    if isinstance(document, seedlock.Lock):
        lock, head = document, f"lock {os.fspath(path)} (manifest sha256 {document.manifest_sha256[:12]})"
    else:
        try:
            lock = seedlock.resolve(document, provenance=provenance)
        except SeedlockError as err:
            raise labelled(path, err) from None
        head = f"manifest {os.fspath(path)}, resolved now (generated seeds change on every resolve)"
    lines = [head, f"root seed {lock.root.seed} ({source_text(lock.root.source, lock.root.variable)})"]
    rows = seed_table(lock)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    if provenance:
        lines += ["provenance:", *(provenance_lines(lock.provenance) or ["  (none recorded)"])]
    return "\n".join(lines) + "\n"
