"""The run ledger: one record per resolve and per stage run, for history, reruns and the reuse check.

``SEEDLOCK_LEDGER`` (or ``--ledger``) names it: a file path for the embedded SQLite ledger (the
default, ``.seedlock/ledger.sqlite`` at the git root), or a PostgreSQL address for a team ledger (a
``postgresql://`` URL or a libpq keyword string, see :mod:`._secrets`).
Every operation behaves the same on both. A record that cannot reach the ledger is kept in the local
spool (``.seedlock/spool``, or ``SEEDLOCK_SPOOL``) until ``seedlock ledger push`` delivers it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..spec.errors import SeedlockError, pointer_join
from ._backend import SCHEMA_VERSION, Backend, Filters, ReplicateRun
from ._record import RunRecord, digest, from_export_line, new_record, pipeline_id, stage_key
from ._secrets import check_location, is_postgres, redact
from ._spool import PushResult

LEDGER_VARIABLE = "SEEDLOCK_LEDGER"
SPOOL_VARIABLE = "SEEDLOCK_SPOOL"
DEFAULT_RELATIVE = Path(".seedlock") / "ledger.sqlite"
SPOOL_RELATIVE = Path(".seedlock") / "spool"
SHORT = 10  # characters of a run or pipeline id shown in tables; any unique prefix is accepted


def _project_root() -> Path:
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=30, check=False
        )
        return Path(top.stdout.strip()) if top.returncode == 0 and top.stdout.strip() else Path.cwd()
    except (OSError, subprocess.TimeoutExpired):
        return Path.cwd()


def default_location(env: Mapping[str, str] | None = None) -> str:
    """``$SEEDLOCK_LEDGER``, else ``.seedlock/ledger.sqlite`` at the git root of the working directory (or in it)."""
    env = os.environ if env is None else env
    if env.get(LEDGER_VARIABLE):
        return env[LEDGER_VARIABLE]
    return str(_project_root() / DEFAULT_RELATIVE)


def default_spool(env: Mapping[str, str] | None = None) -> Path:
    """``$SEEDLOCK_SPOOL``, else ``.seedlock/spool`` at the git root of the working directory (or in it)."""
    env = os.environ if env is None else env
    if env.get(SPOOL_VARIABLE):
        return Path(env[SPOOL_VARIABLE])
    return _project_root() / SPOOL_RELATIVE


def open_backend(location: str | os.PathLike[str]) -> Backend:
    text = os.fspath(location)
    if is_postgres(text):
        from ._postgres import PostgresBackend

        return PostgresBackend(text)
    check_location(text)
    from ._sqlite import SqliteBackend

    return SqliteBackend(text)


def check_address(location: str | os.PathLike[str]) -> None:
    """What the CLI does with ``--ledger`` before anything else: its secrets are overwritten in this
    process's command line (``ps``), and an address that names no ledger is refused (redacted)."""
    from ._secrets import hide_from_ps

    text = os.fspath(location)
    hide_from_ps(text)
    open_backend(text)


@dataclass(frozen=True, kw_only=True)
class Reuse:
    """The most relevant past run of a stage with the same framework seeds, and what else was equal."""

    record: RunRecord
    stage: str
    same_code: bool
    same_inputs: bool
    same_params: bool
    #: Why the code cannot be compared (uncommitted changes, no git), or None when it was compared.
    code_unknown: str | None = None
    #: Whether that run ran the same command (argv); None where either side has none to compare
    #: (a reuse check at resolve, a record made before commands were recorded).
    same_command: bool | None = None

    @property
    def failed(self) -> bool:
        return self.record.exit_code not in (0, None)

    @property
    def adds_no_information(self) -> bool:
        # Only a run that succeeded doing the same thing makes another one redundant (spec §5.4).
        return (
            self.same_code
            and self.same_inputs
            and self.same_params
            and not self.failed
            and self.same_command is not False
        )

    def describe(self) -> str:
        r = self.record
        where = f"run {r.run[:SHORT]} ({r.created}, pipeline {r.pipeline[:SHORT]}"
        where += f", CI job {r.ci_job}" if r.ci_job else ""
        where += f", which failed with exit code {r.exit_code})" if self.failed else ")"
        if self.adds_no_information:
            what = "command, code" if self.same_command else "code"
            return (
                f"stage {self.stage!r} repeats {where} with the same seeds and the same {what}, inputs and params: "
                f"it adds no information; use fresh seeds (SEEDLOCK_SEED=generate) or change something"
            )
        # (as named when changed, as named when the same, equal?)
        flags: list[tuple[str, str, bool]] = [
            ("inputs", "inputs", self.same_inputs),
            ("params", "params", self.same_params),
        ]
        if self.same_command is not None:
            flags.insert(0, ("the command", "command", self.same_command))
        if self.code_unknown is None:
            # Only the commit is compared: another commit may change nothing that runs (a committed lock).
            flags.insert(0, ("the commit", "code", self.same_code))
        changed = [name for name, _, same in flags if not same]
        same = [name for _, name, same in flags if same]
        if self.code_unknown is not None and not changed:
            return (
                f"stage {self.stage!r} uses the seeds of {where} with the same {_and(same)}, but whether the "
                f"code is the same cannot be told: {self.code_unknown} (commit them to let this check tell a repeat)"
            )
        if not changed:  # the same in every way, but that run failed: this one is not a repeat of a result
            return (
                f"stage {self.stage!r} uses the seeds of {where} with the same {_and(same)}: "
                f"not a repeat of a result, since that run failed"
            )
        tail = f" (same {_and(same)})" if same else ""
        unknown = f"; the code cannot be compared: {self.code_unknown}" if self.code_unknown is not None else ""
        return (
            f"stage {self.stage!r} uses the seeds of {where} with {_and(changed)} changed{tail}{unknown}: "
            f"fine, the comparison is informative"
        )


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True, kw_only=True)
class Dependent:
    """The dependent variables a run has now: code (clean commit), inputs and params digests."""

    commit: str | None
    dirty: bool | None
    inputs_sha256: str | None
    params_sha256: str | None
    #: The command about to run (argv); None at resolve, when no command is known yet.
    command: tuple[str, ...] | None = None

    @classmethod
    def of(cls, provenance: Mapping[str, Any]) -> Dependent:
        git = provenance.get("git") or {}
        return cls(
            commit=git.get("commit"),
            dirty=None if not git else bool(git.get("dirty")),
            inputs_sha256=digest(provenance.get("inputs")),
            params_sha256=digest(provenance.get("params")),
            command=_command(provenance),
        )


def _command(provenance: Mapping[str, Any]) -> tuple[str, ...] | None:
    command = provenance.get("command")
    return tuple(str(a) for a in command) if isinstance(command, list) else None


class Ledger:
    """A ledger at ``location`` (path or ``postgresql://`` URL; default :func:`default_location`)."""

    def __init__(self, location: str | os.PathLike[str] | None = None, *, spool: Path | None = None) -> None:
        self._location = os.fspath(location) if location is not None else default_location()
        self.backend = open_backend(self._location)
        self.spool = spool if spool is not None else default_spool()

    @property
    def location(self) -> str:
        """Where the ledger is, safe to print (password redacted)."""
        return self.backend.location

    @property
    def local_path(self) -> Path | None:
        """The SQLite file, for an embedded ledger; None for a server."""
        path = getattr(self.backend, "path", None)
        return path if isinstance(path, Path) else None

    def init(self) -> tuple[int, bool]:
        """Create the schema when absent (needs CREATE rights on PostgreSQL); (version, created now)."""
        return self.backend.init()

    def record(self, record: RunRecord) -> None:
        """Add ``record``; when the ledger cannot take it, keep it in the spool and raise ``io-error``."""
        from . import _spool

        try:
            self.backend.insert([record])
            return
        except SeedlockError as err:
            failure = err
        try:
            kept = _spool.keep(record, self.spool, self.backend.identity)
        except SeedlockError as err:
            raise SeedlockError(
                "io-error",
                f"{failure.problem}; the record of run {record.run} could not be kept "
                f"in the spool either ({err.problem}): this run is NOT recorded",
            ) from None
        raise SeedlockError(
            "io-error", f"{failure.problem}; run {record.run} is kept in {kept}: deliver it with `seedlock ledger push`"
        ) from None

    def push(self, *, sources: Sequence[str | os.PathLike[str]] = (), every: bool = False) -> PushResult:
        """Deliver the spooled records meant for this ledger, and those meant for the ledgers ``sources``
        (addresses, as for ``--ledger``); with ``every``, every spooled record whatever it was for."""
        from . import _spool

        wanted = None if every else [open_backend(source).identity for source in sources]
        return _spool.push(self.backend, self.spool, sources=wanted)

    def history(self, filters: Filters | None = None, *, limit: int | None = None) -> list[RunRecord]:
        return self.backend.history(filters or Filters(), limit)

    def get(self, prefix: str) -> RunRecord:
        """The one record whose run id starts with ``prefix`` (``unknown-run`` when none or several)."""
        found = self.backend.find(prefix.strip())
        if not found:
            raise SeedlockError(
                "unknown-run", f"No run {prefix} in the ledger {self.location}", pointer_join("/runs", prefix)
            )
        if len(found) > 1:
            raise SeedlockError(
                "unknown-run",
                f"Run id {prefix} is ambiguous in the ledger {self.location}: "
                f"give more of it (`seedlock history` shows ids)",
                pointer_join("/runs", prefix),
            )
        return found[0]

    def reuse(self, lock_doc: Mapping[str, Any], stages: Sequence[str], now: Dependent) -> list[Reuse]:
        """For each stage about to run: the most recent past run of it with the same seeds, preferring one
        that also had the same code, inputs and params (then the run adds no information)."""
        out = []
        clean_commit = now.commit if now.commit and now.dirty is False else None
        with self.backend.held():
            for name in stages:
                out.extend(self._reuse_of(lock_doc, name, clean_commit, now))
        return out

    def _reuse_of(
        self, lock_doc: Mapping[str, Any], name: str, clean_commit: str | None, now: Dependent
    ) -> list[Reuse]:
        key = stage_key(lock_doc["stages"][name])
        full, last = self.backend.last_uses(
            name, key, commit=clean_commit, inputs=now.inputs_sha256, params=now.params_sha256
        )
        if full is not None and (now.command is None or _command(full.provenance) in (None, now.command)):
            same_command = None if now.command is None or _command(full.provenance) is None else True
            return [
                Reuse(
                    record=full,
                    stage=name,
                    same_code=True,
                    same_inputs=True,
                    same_params=True,
                    same_command=same_command,
                )
            ]
        if last is None:
            return []
        then = _command(last.provenance)
        same_command = None if now.command is None or then is None else then == now.command
        same_code = bool(clean_commit) and last.git_commit == clean_commit and last.git_dirty is False
        unknown = None
        if not now.commit or not last.git_commit:
            unknown = "no git commit recorded for " + ("this run" if not now.commit else "that run")
        elif now.dirty is not False and last.git_commit == now.commit:
            unknown = "this working tree has uncommitted changes"
        elif last.git_dirty is not False and last.git_commit == now.commit:
            unknown = "that run had uncommitted changes"
        return [
            Reuse(
                record=last,
                stage=name,
                same_code=same_code,
                same_inputs=last.inputs_sha256 == now.inputs_sha256,
                same_params=last.params_sha256 == now.params_sha256,
                code_unknown=unknown,
                same_command=same_command,
            )
        ]

    def held(self) -> Any:
        """A context in which operations share one connection (see :meth:`Backend.held`)."""
        return self.backend.held()

    def replicates(self, group: str, metric: str | None = None) -> list[ReplicateRun]:
        """The replicates of ``group``, one per index (the attempt that counts), with their seeds and
        metrics (only ``metric``'s with one): what ``seedlock report`` reads (spec §12)."""
        return self.backend.replicates(group, metric)

    def groups(self) -> list[tuple[str, int]]:
        """Every replicate group in the ledger with its number of records."""
        return self.backend.groups()

    def export_text(self) -> str:
        """Every record as JSON Lines, oldest first."""
        return "".join(r.export_line() + "\n" for r in self.backend.records())

    def import_lines(self, text: str, source: str) -> tuple[int, int]:
        """Add every record of a JSON Lines export; (new, already present). Idempotent."""
        records = [
            from_export_line(line, f"{source}:{number}")
            for number, line in enumerate(text.splitlines(), 1)
            if line.strip()
        ]
        added = self.backend.insert(records) if records else 0
        return added, len(records) - added


__all__ = [
    "LEDGER_VARIABLE",
    "SCHEMA_VERSION",
    "SPOOL_VARIABLE",
    "Dependent",
    "Filters",
    "Ledger",
    "PushResult",
    "ReplicateRun",
    "Reuse",
    "RunRecord",
    "check_address",
    "default_location",
    "default_spool",
    "new_record",
    "open_backend",
    "pipeline_id",
    "redact",
]
