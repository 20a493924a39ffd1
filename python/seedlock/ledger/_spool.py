"""The local spool: records that could not reach the ledger wait here for ``seedlock ledger push``.

One file per record, named by its run id and written atomically, so a record is either wholly in the
spool or not at all. Pushing inserts by run id (a run already in the ledger is skipped) and removes
the file only after the ledger committed it: every record arrives exactly once, even when a push is
interrupted and repeated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .._io import read_bytes, write_atomic
from ..errors import SeedlockError
from ._backend import Backend
from ._record import RunRecord, from_export_line

SUFFIX = ".run.json"


def keep(record: RunRecord, directory: Path) -> Path:
    """Write ``record`` into the spool; ``io-error`` when it cannot (e.g. the disk is full)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot create the spool {directory}: {exc.strerror or exc}") from None
    target = directory / f"{record.run}{SUFFIX}"
    write_atomic(target, record.export_line() + "\n")
    return target


def waiting(directory: Path) -> list[Path]:
    """Spooled records, oldest first."""
    if not directory.is_dir():
        return []
    files = [p for p in directory.iterdir() if p.name.endswith(SUFFIX) and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


@dataclass(frozen=True, kw_only=True)
class PushResult:
    delivered: int
    already_there: int
    remaining: int


def push(backend: Backend, directory: Path) -> PushResult:
    """Deliver every spooled record to ``backend``; stops at the first failure (the rest stay spooled)."""
    delivered = already = 0
    files = waiting(directory)
    for path in files:
        text = read_bytes(path).decode("utf-8")
        record = from_export_line(text.strip(), str(path))
        if backend.insert([record]):
            delivered += 1
        else:
            already += 1
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass  # a concurrent push delivered it too; the ledger holds it once
    return PushResult(delivered=delivered, already_there=already, remaining=len(waiting(directory)))
