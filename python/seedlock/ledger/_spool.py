"""The local spool: records that could not reach the ledger wait here for ``seedlock ledger push``.

One file per record, named by its run id and written atomically, so a record is either wholly in the
spool or not at all. Pushing inserts by run id (a run already in the ledger is skipped) and removes
the file only after the ledger committed it: every record arrives exactly once, even when a push is
interrupted and repeated.

Each spooled record names the ledger it was for (``"ledger"``: an SQLite file's real path, or
``postgresql://host:port/dbname``, no user and no secret), and a push delivers only the records
for the ledger it pushes to, unless told to take records meant for another (``--from``) or all of
them (``--all``). Files spooled by seedlock 0.x name no ledger; only ``--all`` delivers them,
because where they were meant to go can no longer be told.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from ..spec._io import read_bytes, write_atomic
from ..spec.errors import SeedlockError
from ._backend import Backend
from ._record import RunRecord, from_export_line

SUFFIX = ".run.json"


def keep(record: RunRecord, directory: Path, destination: str) -> Path:
    """Write ``record`` into the spool, for the ledger ``destination`` (a backend's ``identity``: no
    secret); ``io-error`` when it cannot (e.g. the disk is full)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot create the spool {directory}: {exc.strerror or exc}") from None
    target = directory / f"{record.run}{SUFFIX}"
    line = json.loads(record.export_line())
    line["ledger"] = destination
    write_atomic(target, json.dumps(line, sort_keys=True) + "\n")
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
    #: Records left in the spool because they are for another ledger: destination -> count
    #: ("" for records that name none, spooled by seedlock 0.x).
    elsewhere: dict[str, int]


def destination_of(text: str) -> str:
    """The ledger a spool file's record was for; "" when it names none."""
    try:
        value = json.loads(text).get("ledger")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def push(backend: Backend, directory: Path, *, sources: Collection[str] | None = ()) -> PushResult:
    """Deliver to ``backend`` every spooled record meant for it or for one of ``sources`` (identities;
    None: every record, whatever it was for); stops at the first failure (the rest stay spooled)."""
    delivered = already = 0
    wanted = {backend.identity, *(sources or ())}
    elsewhere: dict[str, int] = {}
    for path in waiting(directory):
        try:
            text = read_bytes(path).decode("utf-8")
        except SeedlockError:
            if not path.exists():
                continue  # a concurrent push delivered it
            raise
        destination = destination_of(text)
        if sources is not None and destination not in wanted:
            elsewhere[destination] = elsewhere.get(destination, 0) + 1
            continue
        record = from_export_line(text.strip(), str(path))
        if backend.insert([record]):
            delivered += 1
        else:
            already += 1
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass  # a concurrent push delivered it too; the ledger holds it once
    remaining = len(waiting(directory))
    return PushResult(delivered=delivered, already_there=already, remaining=remaining, elsewhere=elsewhere)
