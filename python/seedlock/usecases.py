"""What the ``seedlock`` commands do, as library functions: plain arguments in, a frozen result out.

The command line (:mod:`seedlock.commands.cli`) parses options, calls one of these, prints what it returns and
maps it to an exit status; tests and other commands call them directly. Each function opens at most one
:class:`~seedlock.ledger.Ledger`, and runs git (through the run's provenance) only where its result
needs it: a record, or a reuse check. Errors are coded :class:`~seedlock.spec.errors.SeedlockError`\\ s whose
message names the file first; a manifest with more than one fault raises :class:`DocumentFaults`.

``seedlock run`` without ``--replicate`` is :func:`seedlock.launching._launch_fast.run_lock` (its start-up cost is
measured; it imports nothing of this module).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from .spec.errors import SeedlockError, SeedlockWarning

if TYPE_CHECKING:
    from .engines import EngineResult, ReplicateJob
    from .launching.replicating import ReplicateOutcome
    from .launching.verify import Result
    from .ledger import Filters, Ledger, RunRecord
    from .records.recording import RunStart
    from .spec._diagnostics import Problem
    from .spec.lock import Lock


class DocumentFaults(SeedlockError):
    """A document with more than one fault: every one of them (as ``seedlock validate`` lists them), so
    that one round of fixes suffices. Code, pointer and message are the first fault's."""

    def __init__(self, path: str, problems: Sequence[Problem]) -> None:
        first = problems[0]
        super().__init__(first.code, f"{path}: {first.problem}", first.pointer, line=first.line, column=first.column)
        self.path = path
        self.problems = tuple(problems)


class NotRecorded(SeedlockError):
    """The ledger did not take the record (it is then spooled, or said lost); everything else was done:
    ``done`` is the result without the record. Code and message are the ledger's error's."""

    def __init__(self, err: SeedlockError, done: ResolveResult) -> None:
        super().__init__(err.code, err.problem, err.pointer)
        self.done = done


@dataclass(frozen=True, kw_only=True)
class Reuse:
    """The reuse check (spec §5.4): one line per stage at most, and whether a run would add no information."""

    lines: tuple[str, ...]
    adds_no_information: bool


@dataclass(frozen=True, kw_only=True)
class ResolveResult:
    """What :func:`resolve` did. ``stopped``: the reuse check refused the lock (``strict``), nothing was
    written. ``written``: the files written (the lock, when not to a stream, then the CI files)."""

    lock: Lock
    text: str
    warnings: tuple[SeedlockWarning, ...]
    reuse: Reuse | None
    stopped: bool
    written: tuple[str, ...]
    record: RunRecord | None
    ledger: str | None  # where the record went (password redacted)


def resolve(
    manifest_path: str,
    *,
    output: str | os.PathLike[str] | IO[str] | None = None,
    provenance: bool = True,
    strict: bool = False,
    record: bool = False,
    check_reuse: bool = False,
    ledger: str | None = None,
    dotenv: str | None = None,
    github_output: bool = False,
    github_env: bool = False,
    environ: Mapping[str, str] | None = None,
) -> ResolveResult:
    """Resolve the manifest at ``manifest_path`` and write the lock to ``output`` (a path, written
    atomically, or a text stream; None: not written), the seeds to the CI files, and a ``resolve`` record
    to ``ledger`` (with ``record``). Every target is checked writable before anything is written.

    ``SEEDLOCK_SEED*`` variables come from ``environ`` (default ``os.environ``). Warnings are issued (as
    :class:`SeedlockWarning`) and also returned; with ``strict`` they are errors, and a reuse check that
    finds the seeds already used to no purpose stops before anything is written."""
    import seedlock

    from .records import ci
    from .spec import _json
    from .spec._io import check_writable, write_atomic
    from .spec.documents import for_output, labelled, read_document

    env = os.environ if environ is None else environ
    try:
        document = read_document(manifest_path)
    except SeedlockError:
        _every_fault(manifest_path)
        raise
    if isinstance(document, seedlock.Lock):
        raise SeedlockError("not-a-manifest", f"{manifest_path}: already a lock", "/lock-version")
    try:
        lock, warned = _resolving(document, env, provenance=provenance, strict=strict)
    except SeedlockError as err:
        _every_fault(manifest_path)
        raise labelled(manifest_path, err) from None
    path = None if output is None or hasattr(output, "write") else os.fspath(output)  # type: ignore[arg-type]
    # Every output is checked before any is written: a missing $GITHUB_OUTPUT must not leave a lock behind.
    ci_targets = ci.targets(dotenv=dotenv, github_output=github_output, github_env=github_env, environ=env)
    if path is not None:
        check_writable(path)
    book = _open_ledger(ledger) if record or check_reuse else None
    local = book.local_path if record and book is not None else None
    if local is not None and local.exists():
        check_writable(local)
    if path is not None:
        lock = for_output(lock, path)
    doc = lock.to_dict()
    text = _json.pretty(doc)
    reuse = None
    state: Mapping[str, Any] = {}
    if record or check_reuse:
        from .records.recording import resolve_provenance

        state = resolve_provenance(doc, manifest_path, env)  # once: without the lock's own, it runs git
    if check_reuse:
        assert book is not None
        reuse = _reuse(book, doc, list(doc["stages"]), state)
        if strict and reuse.adds_no_information:
            return ResolveResult(
                lock=lock, text=text, warnings=warned, reuse=reuse, stopped=True, written=(), record=None, ledger=None
            )
    written: list[str] = []
    if path is not None:
        write_atomic(path, text)
        written.append(path)
    elif output is not None:
        output.write(text)  # type: ignore[union-attr]
    ci.write_outputs(lock, ci_targets)
    written += ci_targets.paths
    done = ResolveResult(
        lock=lock,
        text=text,
        warnings=warned,
        reuse=reuse,
        stopped=False,
        written=tuple(written),
        record=None,
        ledger=None,
    )
    if not record:
        return done
    from .records.recording import record_resolve

    assert book is not None
    try:
        made = record_resolve(book, doc, text, state)
    except SeedlockError as err:
        raise NotRecorded(err, done) from None
    return dataclasses.replace(done, record=made, ledger=book.location)


@dataclass(frozen=True, kw_only=True)
class Validated:
    """One file ``seedlock validate`` checked: its faults (none: valid), and what it is when valid."""

    path: str
    problems: tuple[Problem, ...]
    kind: str | None  # "manifest" or "lock" when valid
    stages: int  # when valid


def validate(files: Sequence[str], *, manifest: str | None = None) -> tuple[Validated, ...]:
    """``seedlock validate``: every fault of each file (its text, the JSON Schema, its inputs and params
    or, given the ``manifest`` it was resolved from, whether a lock matches it). Each file is read once
    (``<(cat lock.json)`` cannot be read twice); the manifest must be valid (errors name it)."""
    from .spec import _diagnostics, _io, _json
    from .spec.documents import read_document
    from .spec.lock import Lock

    source = None
    if manifest is not None:
        source = read_document(manifest, schema=True)
        if isinstance(source, Lock):
            raise SeedlockError("not-a-manifest", f"{manifest}: a lock, not a manifest", "/lock-version")
    out = []
    for path in dict.fromkeys(files):  # a file named twice is checked and reported once
        try:
            data = _io.read_bytes(path, limit=_json.MAX_DOCUMENT_BYTES)
        except SeedlockError as err:
            out.append(Validated(path=path, problems=(_diagnostics.Problem.of(err),), kind=None, stages=0))
            continue
        found = _diagnostics.file_problems(path, manifest=source, data=data)
        kind, stages = None, 0
        if not found:
            import seedlock

            try:
                document = seedlock.parse(data, path=path, schema=True)
                kind, stages = ("lock" if isinstance(document, Lock) else "manifest"), len(document.stages)
            except SeedlockError as err:  # the hand-written checks reject all the schema does (a test proves it)
                found = [_diagnostics.Problem.of(err)]
        out.append(Validated(path=path, problems=tuple(found), kind=kind, stages=stages))
    return tuple(out)


def _resolving(
    document: Any, env: Mapping[str, str], *, provenance: bool, strict: bool
) -> tuple[Lock, tuple[SeedlockWarning, ...]]:
    """``seedlock.resolve`` with the warnings it issues caught, issued again to the caller's filters, and returned."""
    import warnings

    import seedlock

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SeedlockWarning)
        lock = seedlock.resolve(document, env, provenance=provenance, strict=strict)
    found = tuple(w.message for w in caught if isinstance(w.message, SeedlockWarning))
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return lock, found


def _every_fault(path: str) -> None:
    """A manifest that fails for more than one reason raises :class:`DocumentFaults` (one fault raises as it is)."""
    from .spec import _diagnostics

    found = _diagnostics.file_problems(path)
    if len(found) > 1:
        raise DocumentFaults(path, found)


def _open_ledger(location: str | os.PathLike[str] | None) -> Ledger:
    from .ledger import Ledger

    return Ledger(location)


def _reuse(book: Ledger, doc: Mapping[str, Any], stages: Sequence[str], provenance: Mapping[str, Any]) -> Reuse:
    from .records.recording import reuse_report

    lines, idle = reuse_report(book, doc, stages, provenance)
    return Reuse(lines=tuple(lines), adds_no_information=idle)


def check(lock_path: str, stages: Sequence[str] = (), *, ledger: str | None = None) -> Reuse:
    """``seedlock check``: would running these ``stages`` of the lock (default: every stage) repeat a
    recorded run with the same code, inputs and parameters? Collects this run's provenance (git)."""
    from .records.recording import start_run
    from .spec.documents import read_lock_document

    lock = read_lock_document(lock_path)
    chosen = list(stages) or list(lock.stages)
    for name in chosen:
        lock.stage(name)
    start = start_run(lock_path, chosen[0])
    return _reuse(_open_ledger(ledger), start.lock_doc, chosen, start.provenance)


@dataclass(frozen=True, kw_only=True)
class History:
    """Recorded runs, newest first; ``damaged``: the ledger could be read only in part (raise it after showing)."""

    records: tuple[RunRecord, ...]
    damaged: SeedlockError | None


def history(filters: Filters, *, limit: int | None = 50, ledger: str | None = None) -> History:
    """``seedlock history``: the runs matching ``filters``. A stage that matches nothing and that no
    record has is ``unknown-stage`` (a typo until shown otherwise), with the stages recorded."""
    from .ledger._sqlite import DamagedLedger

    book = _open_ledger(ledger)
    try:
        records = book.history(filters, limit=limit)
        if not records and filters.stage is not None:
            _check_stage_known(book, filters.stage)
    except DamagedLedger as err:
        return History(records=tuple(err.records), damaged=err)
    return History(records=tuple(records), damaged=None)


def _check_stage_known(book: Ledger, stage: str) -> None:
    from .ledger import Filters
    from .spec._suggest import hint

    if not book.backend.exists():
        return
    known = sorted({r.stage for r in book.history(Filters(), limit=None) if r.stage})
    if stage not in known:
        listed = f" (stages recorded: {', '.join(known)})" if known else " (no stage run is recorded yet)"
        raise SeedlockError(
            "unknown-stage", f"No run of stage {stage!r} in {book.location}{hint(stage, known)}{listed}"
        )


def rerun(run_id: str, *, output: str | os.PathLike[str] | None = None, ledger: str | None = None) -> RunRecord:
    """``seedlock rerun``: the record of run ``run_id`` (any unique prefix); with ``output``, its exact
    lock text is written there atomically."""
    record = _open_ledger(ledger).get(run_id)
    if output is not None:
        from .spec._io import write_atomic

        write_atomic(output, record.lock_text)
    return record


@dataclass(frozen=True, kw_only=True)
class ReplicateStart:
    """A replicate task ready to run (:func:`start_replicate`): the lock read once, the index, the checks."""

    lock: Lock
    lock_path: str
    start: RunStart
    index: int
    group: str
    vary: tuple[str, ...]
    cmd: tuple[str, ...]
    warnings: tuple[str, ...]
    ledger: Ledger | None  # where the record goes, and the reuse check looks; None: neither asked for
    record: bool


def start_replicate(
    lock_path: str,
    stage: str,
    cmd: Sequence[str],
    *,
    replicate: str,
    group: str | None = None,
    vary: Sequence[str] = (),
    record: bool = False,
    check_reuse: bool = False,
    ledger: str | None = None,
    strict: bool = False,
    environ: Mapping[str, str] | None = None,
) -> ReplicateStart:
    """The checks before ``seedlock run --replicate K|from-env`` starts its command (spec §13): the index
    (``from-env``: the task's variables), the start-of-run check (``strict``: its findings are errors)
    and what it warns of. The run's provenance (git, CI) is collected only for a record or a reuse
    check (:func:`replicate_reuse`, asked for separately so that the warnings can be shown first)."""
    from .records.recording import start_run
    from .spec import _io, _json
    from .spec.documents import labelled
    from .spec.replicates import GROUP_VARIABLE, parse_index, task_index

    env = os.environ if environ is None else environ
    index = task_index(env)[0] if replicate == "from-env" else parse_index(replicate, "--replicate", "invalid-value")
    raw = _io.read_bytes(lock_path, limit=_json.MAX_DOCUMENT_BYTES)  # once: a pipe cannot be read twice
    lock = _lock_from(raw, lock_path, labelled)
    start = start_run(lock_path, stage, env, command=cmd, raw=raw, provenance=record or check_reuse)
    if strict:
        start.check.raise_if_any(lock_path)
    return ReplicateStart(
        lock=lock,
        lock_path=lock_path,
        start=start,
        index=index,
        group=group or env.get(GROUP_VARIABLE) or stage,
        vary=tuple(vary),
        cmd=tuple(cmd),
        warnings=tuple(start.check.warnings(stage)),
        record=record,
        ledger=_open_ledger(ledger) if record or check_reuse else None,
    )


def replicate_reuse(task: ReplicateStart) -> Reuse:
    """The reuse check of a replicate task started with ``check_reuse`` (spec §5.4)."""
    if task.ledger is None:
        raise AssertionError("start_replicate(check_reuse=True) opens the ledger this check reads")
    return _reuse(task.ledger, task.start.lock_doc, [task.start.stage], task.start.provenance)


def _lock_from(raw: bytes, path: str, labelled: Any) -> Lock:
    import seedlock

    try:
        document = seedlock.parse(raw, path=path)
    except SeedlockError as err:
        raise labelled(path, err) from None
    if not isinstance(document, seedlock.Lock):
        raise SeedlockError("not-a-lock", f"{path}: a manifest, not a lock (resolve it first)", "/lock-version")
    return document


def run_replicate(
    task: ReplicateStart, *, auto_seed: bool = True, strict: bool = False, verbose: bool = False
) -> ReplicateOutcome:
    """Run the command of a started replicate task and record it when asked (:func:`start_replicate`)."""
    from .launching.replicating import run_replicate as run_one

    return run_one(
        task.lock,
        task.lock_path,
        task.start,
        index=task.index,
        vary=task.vary,
        group=task.group,
        cmd=task.cmd,
        ledger=task.ledger if task.record else None,
        auto_seed=auto_seed,
        strict=strict,
        verbose=verbose,
    )


def verify(
    lock_path: str,
    stage: str,
    cmd: Sequence[str],
    outputs: Sequence[str],
    *,
    runs: int = 2,
    workdir: str | os.PathLike[str] | None = None,
    keep: bool = False,
    ignore: Sequence[str] = (),
    locate: str = "on-difference",
    locate_json: str | None = None,
    auto_seed: bool = True,
    cwd: str | os.PathLike[str] | None = None,
) -> Result:
    """``seedlock verify``: run ``cmd`` ``runs`` times from the lock's ``stage`` and compare the
    ``outputs`` (below ``cwd``, default the working directory); ``ignore``: ``FILE#/pointer`` rules.
    Returns :class:`seedlock.launching.verify.Result` (its ``status`` is the command's exit status)."""
    from functools import partial
    from pathlib import Path

    from .launching import verify as verifying
    from .launching.launch import child_environment, run_seeded
    from .launching.volatile import parse_ignore
    from .spec.documents import read_lock_document

    rules = [parse_ignore(text) for text in ignore]
    locked = read_lock_document(lock_path).stage(stage)
    env = child_environment(locked, lock_path)
    planned = verifying.plan_outputs(outputs, Path(cwd) if cwd is not None else Path.cwd())
    run = partial(run_seeded, stage=locked, auto_seed=auto_seed)
    return verifying.verify(
        list(cmd),
        env,
        planned,
        runs=runs,
        workdir=Path(workdir) if workdir else None,
        keep=keep,
        run=run,
        ignore=rules,
        locate=locate,
        locate_json=locate_json,
    )


def replicate(
    lock_path: str,
    stage: str,
    cmd: Sequence[str],
    *,
    count: int,
    group: str | None = None,
    vary: Sequence[str] = (),
    engine: str = "local",
    jobs: int = 1,
    ledger: str | None = None,
    auto_seed: bool = True,
    strict: bool = False,
    engine_options: Sequence[str] = (),
    wait: bool = True,
    cwd: str | None = None,
) -> ReplicateJob:
    """``seedlock replicate``: the job of ``count`` replicates of ``stage`` (spec §13), in ``group``
    (default: a new one). Returns the :class:`seedlock.engines.ReplicateJob`; run it with
    :func:`run_replicates` or emit it with :func:`seedlock.launching.emit.write_emitted`."""
    from .engines import ReplicateJob
    from .spec.replicates import new_group

    return ReplicateJob(
        lock_path=os.path.abspath(lock_path),
        stage=stage,
        count=count,
        group=group or new_group(stage),
        cmd=tuple(cmd),
        vary=tuple(vary),
        jobs=jobs,
        ledger=ledger,
        auto_seed=auto_seed,
        strict=strict,
        engine_options=tuple(engine_options),
        cwd=cwd or os.getcwd(),
        wait=wait,
    )


def run_replicates(job: ReplicateJob, engine: str = "local") -> EngineResult:
    """Run every replicate of ``job`` on ``engine`` (local, slurm, ray) into its ledger:
    :class:`seedlock.engines.EngineResult`."""
    from .launching.replicating import run_group

    return run_group(job, engine)


@dataclass(frozen=True, kw_only=True)
class LedgerChange:
    """What a ``seedlock ledger`` command did to the ledger at ``location`` (password redacted).
    ``init``: the schema ``version`` and whether it was ``created``; ``push``: the spool's ``pushed``
    result and the ``spool`` directory; ``import``: records ``added`` and ``present`` already;
    ``export``: the JSON Lines ``text``, its ``count`` of records, and the file ``written`` (or None)."""

    location: str
    version: int | None = None
    created: bool = False
    pushed: Any = None  # seedlock.ledger._spool.PushResult
    spool: str | None = None
    added: int = 0
    present: int = 0
    text: str = ""
    count: int = 0
    written: str | None = None


def ledger_init(*, ledger: str | None = None) -> LedgerChange:
    """``seedlock ledger init``: create (or bring up to date) the ledger's schema."""
    book = _open_ledger(ledger)
    version, created = book.init()
    return LedgerChange(location=book.location, version=version, created=created)


def ledger_push(*, ledger: str | None = None, sources: Sequence[str] = (), every: bool = False) -> LedgerChange:
    """``seedlock ledger push``: deliver the spooled records for this ledger (and for the ledgers
    ``sources``; with ``every``, all of them), each exactly once."""
    from .ledger import check_address

    book = _open_ledger(ledger)
    for source in sources:
        check_address(source)
    pushed = book.push(sources=sources, every=every)
    return LedgerChange(location=book.location, pushed=pushed, spool=os.fspath(book.spool))


def ledger_export(*, ledger: str | None = None, output: str | os.PathLike[str] | None = None) -> LedgerChange:
    """``seedlock ledger export``: every record as JSON Lines; with ``output``, written there atomically."""
    book = _open_ledger(ledger)
    text = book.export_text()
    if output is not None:
        from .spec._io import write_atomic

        write_atomic(output, text)
    return LedgerChange(
        location=book.location, text=text, count=text.count("\n"), written=None if output is None else os.fspath(output)
    )


def ledger_import(path: str, *, ledger: str | None = None) -> LedgerChange:
    """``seedlock ledger import``: add the records of the JSON Lines export at ``path`` (those already
    there are skipped); a file that is not UTF-8 is ``invalid-json``."""
    from .spec._io import read_bytes

    book = _open_ledger(ledger)
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SeedlockError("invalid-json", f"{path}: not UTF-8") from None
    added, present = book.import_lines(text, path)
    return LedgerChange(location=book.location, added=added, present=present)


__all__ = [
    "DocumentFaults",
    "History",
    "LedgerChange",
    "NotRecorded",
    "ReplicateStart",
    "ResolveResult",
    "Reuse",
    "Validated",
    "check",
    "history",
    "ledger_export",
    "ledger_import",
    "ledger_init",
    "ledger_push",
    "replicate",
    "replicate_reuse",
    "rerun",
    "resolve",
    "run_replicate",
    "run_replicates",
    "start_replicate",
    "validate",
    "verify",
]
