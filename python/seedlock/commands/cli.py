"""The ``seedlock`` command line. Errors: one line ``seedlock: error[<code>] ... at '<pointer>'``, exit 2."""

from __future__ import annotations

import sys

from ..spec.errors import SeedlockError

# Only what `seedlock derive` needs is imported up front: it must start like bare Python.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import NoReturn

EXIT_ERROR = 2
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a process ended by SIGPIPE (git, cat)
_LEDGER_HELP = "ledger: a SQLite file or a postgresql:// URL (default: $SEEDLOCK_LEDGER or .seedlock/ledger.sqlite)"


class _UsageError(Exception):
    pass


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that command's subparser (building all costs a few ms)."""
    import argparse

    from .. import __version__

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise _UsageError(message)

    p = _Parser(prog="seedlock", description="Reproducible randomness for ML pipelines.")
    p.add_argument("--version", action="version", version=f"seedlock {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def want(name: str) -> bool:
        return only is None or only == name

    if want("validate"):
        s = sub.add_parser("validate", help="validate manifests and locks")
        s.add_argument("files", nargs="+", metavar="FILE")
        s.add_argument(
            "--manifest", metavar="MANIFEST", help="also check that each lock was resolved from this manifest"
        )
        s.add_argument(
            "--format",
            choices=("text", "json"),
            default="text",
            help="json: every file's faults (code, pointer, message, line, column) on stdout, for editors and CI",
        )

    if want("resolve"):
        s = sub.add_parser("resolve", help="resolve a manifest into a lock (env overrides, generate, provenance)")
        s.add_argument("manifest", metavar="MANIFEST")
        s.add_argument("-o", "--output", metavar="LOCK", help="write the lock here (atomically); default stdout")
        s.add_argument("--no-provenance", action="store_true", help="leave out provenance (versions, git, CI)")
        _ledger_options(s)
        s.add_argument(
            "--dotenv",
            metavar="FILE",
            help="write SEEDLOCK_SEED and SEEDLOCK_SEED_<STAGE> lines (GitLab dotenv report)",
        )
        s.add_argument("--github-output", action="store_true", help="append the seeds to $GITHUB_OUTPUT")
        s.add_argument("--github-env", action="store_true", help="append the seeds to $GITHUB_ENV for later steps")

    if want("show"):
        s = sub.add_parser("show", help="table of stage x framework -> seed, source")
        s.add_argument("file", metavar="FILE")
        s.add_argument(
            "--provenance",
            action="store_true",
            help="also the provenance: versions, git, CI, input hashes (a manifest's as collected now)",
        )

    if want("diff"):
        s = sub.add_parser("diff", help="what differs between two locks, or a manifest and a lock (exit 1 if any)")
        s.add_argument("a", metavar="FILE")
        s.add_argument("b", metavar="FILE")
        s.add_argument(
            "--ignore",
            action="append",
            default=[],
            metavar="AREA",
            choices=("seeds", "sources", "stages", "settings", "manifest", "provenance"),
            help="leave out an area (repeatable): seeds, sources, stages, settings, manifest, provenance",
        )
        s.add_argument("--format", choices=("text", "json"), default="text")

    if want("derive"):
        s = sub.add_parser("derive", help="print derive(SEED, LABEL...) as a bare integer")
        s.add_argument("seed", metavar="SEED")
        s.add_argument("labels", nargs="+", metavar="LABEL")

    if want("seed"):
        s = sub.add_parser("seed", help="print one seed of a lock as a bare integer (for scripts that take --seed)")
        s.add_argument("lock", metavar="LOCK")
        s.add_argument("--stage", required=True)
        s.add_argument(
            "framework", nargs="?", metavar="FRAMEWORK", help="a framework the stage lists (default: the stage seed)"
        )

    if want("env"):
        s = sub.add_parser("env", help="print a stage's environment (seeds, PYTHONHASHSEED, determinism variables)")
        s.add_argument("lock", metavar="LOCK")
        s.add_argument("--stage", required=True)
        s.add_argument("--format", choices=("sh", "dotenv", "json"), default="sh")

    if want("run"):
        s = sub.add_parser("run", help="run CMD as a fresh process with a stage's environment")
        s.add_argument("lock", metavar="LOCK")
        s.add_argument("--stage", required=True)
        _ledger_options(s)
        _auto_seed_option(s)
        s.add_argument(
            "--take-over",
            action="store_true",
            help="seed the program's own seeding calls (np.random.seed(42), seed_everything(42), ...) "
            "from the lock instead of the program's value",
        )
        s.add_argument("-v", "--verbose", action="store_true", help="print what each process of CMD seeded")
        s.add_argument(
            "--replicate",
            metavar="K|from-env",
            help="run replicate K of the stage (spec §13); from-env: the index of this task "
            "(SEEDLOCK_REPLICATE_INDEX, SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX)",
        )
        _replicate_options(s)
        s.add_argument("cmd", nargs="*", metavar="-- CMD", help="the command, after --")
    if want("replicate"):
        s = sub.add_parser("replicate", help="run N replicates of a stage (locally, on Slurm or Ray) into the ledger")
        s.add_argument("lock", metavar="LOCK")
        s.add_argument("--stage", required=True)
        s.add_argument("--seeds", type=int, required=True, metavar="N", help="how many replicates: 0 .. N-1")
        _replicate_options(s)
        s.add_argument("--engine", default="local", help="local (default), slurm or ray")
        s.add_argument("--jobs", type=int, default=1, metavar="J", help="replicates at a time (local engine)")
        s.add_argument("--ledger", metavar="LEDGER", help=_LEDGER_HELP)
        s.add_argument(
            "--engine-option",
            action="append",
            default=[],
            metavar="OPT",
            help="passed to the engine as given (e.g. an sbatch option; repeatable)",
        )
        s.add_argument("--no-wait", dest="wait", action="store_false", help="submit and return (slurm)")
        s.add_argument(
            "--emit",
            choices=("slurm", "k8s"),
            help="write the Slurm array batch script or the Kubernetes Indexed Job manifest instead of running",
        )
        s.add_argument("-o", "--output", metavar="FILE", help="where --emit writes (default: standard output)")
        s.add_argument(
            "--k8s-image", metavar="IMAGE", help="--emit k8s: the container image (holds the project and seedlock)"
        )
        s.add_argument("--k8s-workdir", metavar="DIR", help="--emit k8s: the container's working directory")
        _auto_seed_option(s)
        s.add_argument("--strict", action="store_true", help="as for run")
        s.add_argument("cmd", nargs="*", metavar="-- CMD", help="the command, after --")
    if want("report"):
        s = sub.add_parser("report", help="statistics of a replicate group's metrics; --vs: is the change real?")
        s.add_argument("group", metavar="G")
        s.add_argument("--metric", metavar="M", help="only this metric (default: every metric the group logged)")
        s.add_argument(
            "--vs",
            metavar="G2",
            help="compare with this group (the baseline): difference, its interval, "
            "probability of improvement; paired when both ran the same seeds",
        )
        s.add_argument(
            "--better",
            choices=("higher", "lower"),
            default="higher",
            help="which direction is an improvement (default: higher)",
        )
        s.add_argument("--plot", metavar="FILE", help="draw the replicates and intervals (png, svg or pdf)")
        s.add_argument("--format", choices=("table", "json"), default="table")
        s.add_argument(
            "--bootstrap-seed",
            type=int,
            default=0,
            metavar="N",
            help="seed of the bootstrap resampling (default 0: the same data give the same report)",
        )
        s.add_argument("--ledger", metavar="LEDGER", help=_LEDGER_HELP)
    if want("history"):
        s = sub.add_parser("history", help="runs recorded in the ledger, one line each, newest first")
        s.add_argument("--ledger", metavar="LEDGER", help=_LEDGER_HELP)
        s.add_argument("--stage", help="only runs of this stage")
        s.add_argument("--seed", type=int, help="only runs that used this seed (root, stage or framework)")
        s.add_argument("--commit", help="only runs at this commit (prefix)")
        s.add_argument("--pipeline", help="only runs of this pipeline: one resolved lock (id prefix)")
        s.add_argument("--ci-pipeline", metavar="ID", help="only runs of this CI pipeline / workflow run id")
        s.add_argument("--job", metavar="ID", help="only runs of this CI job id")
        s.add_argument("--limit", type=int, default=50, help="newest N runs (default 50; 0 for all)")
        s.add_argument("--format", choices=("table", "json"), default="table")

    if want("rerun"):
        s = sub.add_parser("rerun", help="write the exact lock of a recorded run")
        s.add_argument("run_id", metavar="RUN", help="a run id as `history` shows it (any unique prefix)")
        s.add_argument("-o", "--output", metavar="LOCK", help="write it here (atomically); default stdout")
        s.add_argument("--ledger", metavar="LEDGER", help=_LEDGER_HELP)

    if want("check"):
        s = sub.add_parser(
            "check", help="would running this lock repeat a past run with the same code, inputs and params?"
        )
        s.add_argument("lock", metavar="LOCK")
        s.add_argument("--stage", action="append", help="only this stage (repeatable; default: every stage)")
        s.add_argument("--ledger", metavar="LEDGER", help=_LEDGER_HELP)
        s.add_argument("--strict", action="store_true", help="exit 1 when the run would add no information")

    if want("ledger"):
        s = sub.add_parser("ledger", help="create, fill and move the run ledger (SQLite file or postgresql:// URL)")
        lsub = s.add_subparsers(dest="ledger_command", required=True, parser_class=type(p))
        for name, text in (
            ("init", "create the schema (PostgreSQL: with an owner's rights)"),
            ("push", "deliver the records waiting in the local spool, each exactly once"),
            ("export", "write every record as JSON Lines"),
            ("import", "add the records of a JSON Lines export (records already there are skipped)"),
        ):
            ls = lsub.add_parser(name, help=text)
            ls.add_argument("--ledger", metavar="LEDGER", help=_LEDGER_HELP)
            if name == "export":
                ls.add_argument("-o", "--output", metavar="FILE", help="write here (atomically); default stdout")
            if name == "import":
                ls.add_argument("file", metavar="FILE")
            if name == "push":
                source = ls.add_mutually_exclusive_group()
                source.add_argument(
                    "--from",
                    dest="sources",
                    action="append",
                    default=[],
                    metavar="LEDGER",
                    help="also deliver the records spooled for LEDGER (another ledger) here; repeatable",
                )
                source.add_argument(
                    "--all",
                    dest="every",
                    action="store_true",
                    help="deliver every spooled record here, whatever ledger it was for",
                )

    if want("caffe-solver"):
        s = sub.add_parser("caffe-solver", help="write the stage's caffe seed into solver files as random_seed")
        s.add_argument("lock", metavar="LOCK")
        s.add_argument("--stage", required=True)
        s.add_argument("solvers", nargs="*", metavar="SOLVER", help="default: the stage's caffe `solvers` setting")
        mode = s.add_mutually_exclusive_group()
        mode.add_argument("-o", "--output", metavar="OUT", help="write the seeded solver here (one SOLVER only)")
        mode.add_argument("--in-place", action="store_true", help="replace each SOLVER atomically")
        mode.add_argument(
            "--check", action="store_true", help="validate and report; exit 1 when a seed is missing or differs"
        )

    if want("verify"):
        s = sub.add_parser("verify", help="run your command N times from a lock and compare its outputs")
        s.add_argument("lock", metavar="LOCK")
        s.add_argument("--stage", required=True)
        s.add_argument("--runs", type=int, default=2, metavar="N", help="fresh runs (default 2)")
        s.add_argument(
            "--output",
            action="append",
            required=True,
            metavar="PATH",
            help="a file or directory below the working directory that the command writes; "
            "repeat for each (--output a --output b)",
        )
        s.add_argument(
            "--workdir",
            metavar="DIR",
            help="keep each run's outputs here (default: a temporary directory, removed when the runs agree)",
        )
        s.add_argument("--keep", action="store_true", help="keep the temporary directory even when the runs agree")
        s.add_argument(
            "--ignore",
            action="append",
            default=[],
            metavar="FILE#/POINTER",
            help="a JSON field whose differences do not count, e.g. 'all_results.json#/*_per_second' "
            "(FILE is a glob; '*' in a pointer segment matches any characters); repeatable. "
            "PDF and TensorBoard time stamps are ignored by built-in rules; all are listed",
        )
        where = s.add_mutually_exclusive_group()
        where.add_argument(
            "--locate",
            dest="locate",
            action="store_const",
            const="always",
            default="on-difference",
            help="find where two runs part (step, module, rank) even when the outputs agree "
            "(default: only when they differ)",
        )
        where.add_argument(
            "--no-locate",
            dest="locate",
            action="store_const",
            const="never",
            help="do not look for where differing runs part",
        )
        s.add_argument("--json", metavar="FILE", help="write the locator's findings as JSON")
        _auto_seed_option(s)
        s.add_argument("cmd", nargs="*", metavar="-- CMD", help="the command, after --")

    if want("conformance"):
        s = sub.add_parser("conformance", help="prove every framework reproduces from a manifest in fresh processes")
        s.add_argument("--manifest", metavar="FILE", help="your manifest or lock (default: the built-in one)")
        s.add_argument(
            "--frameworks",
            nargs="+",
            action="extend",
            metavar="FW",
            help="only these frameworks' cases (names, comma lists, 'all' or 'all-but-caffe')",
        )
        s.add_argument(
            "--runs", type=int, default=2, metavar="N", help="fresh runs per case with the same seed (default 2)"
        )
        s.add_argument(
            "--require",
            nargs="+",
            action="extend",
            metavar="FW",
            help="frameworks that must run and pass (names, comma lists, 'all' or 'all-but-caffe')",
        )
        s.add_argument("--jobs", type=int, default=0, metavar="N", help="parallel processes (default: cores)")
        s.add_argument("--junit", metavar="FILE", help="write JUnit XML")
        s.add_argument("--json", metavar="FILE", help="write the JSON report")
        s.add_argument("--workdir", metavar="DIR", help="keep every run's outputs here")
        s.add_argument("--keep", action="store_true", help="keep the temporary directory even when the suite passes")
        s.add_argument("--write-golden", metavar="DIR", help=argparse.SUPPRESS)
        s.add_argument("--quiet", action="store_true", help="no progress lines")
    if want("init"):
        s = sub.add_parser("init", help="write a starter manifest (asks on a terminal when no --stage is given)")
        s.add_argument("path", nargs="?", default="seedlock.json", metavar="PATH", help="default: seedlock.json")
        s.add_argument(
            "--stage",
            action="append",
            metavar="NAME=FW,FW",
            dest="stages",
            help="a stage and the frameworks it seeds, e.g. train=python,numpy,torch (repeatable, in order)",
        )
        s.add_argument("--seed", default=None, metavar="N|generate", help="the root seed (default: generate)")
        s.add_argument(
            "--schema",
            metavar="REF",
            help="the $schema reference to write (default: a copy in .seedlock/manifest.schema.json)",
        )

    if want("schema"):
        s = sub.add_parser("schema", help="print the JSON Schema of a manifest or a lock (for editors)")
        s.add_argument("kind", nargs="?", choices=("manifest", "lock"), default="manifest")
        s.add_argument(
            "-o",
            "--output",
            metavar="FILE",
            help="write it here (atomically) instead of stdout, with the schemas it refers to beside it "
            "(the lock schema: manifest.schema.json)",
        )

    if want("completion"):
        s = sub.add_parser("completion", help="print a shell completion script (bash, zsh, fish)")
        s.add_argument("shell", nargs="?", choices=("bash", "zsh", "fish"))
        # What the scripts call to complete --stage: the stage names of the first document on the line.
        s.add_argument("--stages-of", nargs=argparse.REMAINDER, metavar="WORD", help=argparse.SUPPRESS)
    return p


def _auto_seed_option(s: argparse.ArgumentParser) -> None:
    s.add_argument(
        "--no-auto-seed",
        dest="auto_seed",
        action="store_false",
        help="do not seed Python and R programs at start-up and on first import of each framework",
    )


def _replicate_options(s: argparse.ArgumentParser) -> None:
    s.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="NAME",
        help="what varies across replicates: a framework, a stream name, or FRAMEWORK:STREAM "
        "(repeatable; default: every framework not pinned in the manifest)",
    )
    s.add_argument("--group", metavar="G", help="the replicate group recorded in the ledger (a label)")


def _ledger_options(s: argparse.ArgumentParser) -> None:
    s.add_argument("--record", action="store_true", help="append a record of this run to the run ledger")
    s.add_argument("--ledger", metavar="LEDGER", help=_LEDGER_HELP)
    s.add_argument(
        "--check-reuse", action="store_true", help="report seeds already used with the same code, inputs, params"
    )
    s.add_argument(
        "--strict",
        action="store_true",
        help="fail instead of warning: SEEDLOCK_SEED_* variables that match no stage; with --check-reuse, "
        "reused seeds; for run, a seeding step that failed, a command nothing seeded, or inputs "
        "or setup that differ from the lock's",
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            code = _main(argv)
        finally:
            # Short outputs (and --help) sit in the buffer until exit: a closed pipe shows here,
            # where it can be handled, not in the interpreter's shutdown.
            sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _reader_went_away()


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list[:1] == ["derive"]:
            return _derive_fast(args_list[1:])
        # Everything after the first "--" is the child's command line, never seedlock's options.
        cmd: list[str] = []
        if "--" in args_list:
            cut = args_list.index("--")
            args_list, cmd = args_list[:cut], args_list[cut + 1 :]
        if not args_list and not cmd:
            _parser().print_help()  # a bare `seedlock` asks what it can do
            return 0
        first = args_list[0] if args_list else None
        only = first if first in _COMMANDS else None
        args, extra = _parser(only).parse_known_args(args_list)
        # argparse cannot take positionals after an option (`caffe-solver LOCK --stage S SOLVER`).
        if extra and args.command == "caffe-solver" and not any(e.startswith("-") for e in extra):
            args.solvers = list(args.solvers) + extra
        elif len(extra) == 1 and args.command == "seed" and args.framework is None and not extra[0].startswith("-"):
            args.framework = extra[0]
        elif extra and args.command in ("run", "verify") and not cmd:
            # `seedlock run LOCK --stage S python -c pass`: the command's own options reached seedlock.
            words = [*args.cmd, *extra]
            raise _UsageError(
                f"unrecognized arguments: {' '.join(extra)}; put the command after `--`: "
                f"seedlock {args.command} {args.lock} --stage {args.stage} ... -- {' '.join(words)}"
            )
        elif extra:
            raise _UsageError(f"unrecognized arguments: {' '.join(extra)}")
        if getattr(args, "ledger", None):
            from ..ledger import check_address

            check_address(args.ledger)  # before any child starts: out of `ps`, and refused before the run
        if cmd:
            if args.command not in ("run", "verify", "replicate"):
                raise _UsageError(f"unexpected arguments after -- for {args.command}")
            args.cmd = list(args.cmd) + cmd
        return int(_COMMANDS[args.command](args))
    except SeedlockError as err:
        from ..usecases import DocumentFaults  # not before: `seedlock derive` imports nothing it need not

        if isinstance(err, DocumentFaults):
            # Every fault of the document, as `validate` lists them: one round of fixes suffices.
            from ..spec._diagnostics import render_text

            for line in render_text(err.path, list(err.problems)):
                print(f"seedlock: {line}", file=sys.stderr)
            raise SystemExit(EXIT_ERROR) from None
        _fail(f"error[{err.code}] {err}")
    except _UsageError as err:
        _fail(f"usage error: {err} (see `seedlock --help`)")
    except KeyboardInterrupt:
        _fail("interrupted")
    return 0


def _reader_went_away() -> int:
    """`seedlock history | head -1`: the reader closed the pipe. Stop quietly, as git does, with the
    status a shell reports for a process ended by SIGPIPE; cleanup in ``finally`` blocks has run."""
    import os

    # Point the standard streams at /dev/null so the interpreter's final flush cannot fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass  # a stream without a descriptor (replaced in tests) has nothing left to flush
    os.close(devnull)
    return EXIT_BROKEN_PIPE


def _fail(line: str) -> NoReturn:
    print(f"seedlock: {' '.join(line.split())}", file=sys.stderr)
    raise SystemExit(EXIT_ERROR)


def _derive_fast(argv: list[str]) -> int:
    # Scripts call this in loops: skip argparse and everything but the derivation itself.
    from ..spec.derivation import derive

    if len(argv) < 2 or any(a.startswith("-") and a != "-" for a in argv[:1]) or "--help" in argv or "-h" in argv:
        if "--help" in argv or "-h" in argv:
            print("usage: seedlock derive SEED LABEL...\n\nPrint derive(SEED, LABEL...) (spec §3) as a bare integer.")
            return 0
        raise _UsageError("derive needs SEED and at least one LABEL")
    raw = argv[0]
    if not raw.isascii() or not raw.isdigit() or (len(raw) > 1 and raw[0] == "0"):
        raise SeedlockError("invalid-seed", f"Invalid seed {raw!r} (expected a decimal integer)", "/seed")
    print(derive(int(raw), *argv[1:]))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from ..spec import _diagnostics
    from ..usecases import validate

    checked = validate(args.files, manifest=args.manifest)
    if args.format == "json":
        print(_diagnostics.render_json({c.path: list(c.problems) for c in checked}))
    for c in checked:
        if args.format == "text":
            for line in _diagnostics.render_text(c.path, list(c.problems)):
                print(f"seedlock: {line}", file=sys.stderr)
            if not c.problems:
                print(f"{c.path}: valid {c.kind} ({c.stages} stage{'s' if c.stages != 1 else ''})")
    return EXIT_ERROR if any(c.problems for c in checked) else 0


def _cmd_resolve(args: argparse.Namespace) -> int:
    from ..spec import _diagnostics
    from ..usecases import NotRecorded, resolve

    try:
        with _diagnostics.warnings_as_lines():
            result = resolve(
                args.manifest,
                output=args.output or sys.stdout,
                provenance=not args.no_provenance,
                strict=args.strict,
                record=args.record,
                check_reuse=args.check_reuse,
                ledger=args.ledger,
                dotenv=args.dotenv,
                github_output=args.github_output,
                github_env=args.github_env,
            )
    except NotRecorded as err:
        _print_resolved(args, err.done)  # the lock was written: say so before the ledger's error
        raise
    if _print_resolved(args, result):
        return 1
    if result.record is not None:
        print(
            f"seedlock: recorded as run {result.record.run[:10]} (pipeline {result.record.pipeline[:10]}) "
            f"in {result.ledger}",
            file=sys.stderr,
        )
    return 0


def _print_resolved(args: argparse.Namespace, result) -> bool:  # type: ignore[no-untyped-def]
    """What resolve did, up to the record; True when the reuse check stopped it (--strict)."""
    _print_reuse(result.reuse)
    if result.stopped:
        return True
    if args.output:
        print(
            f"seedlock: wrote {args.output} (root seed {result.lock.root.seed}, {result.lock.root.source})",
            file=sys.stderr,
        )
    return False


def _print_reuse(reuse) -> None:  # type: ignore[no-untyped-def]
    for line in reuse.lines if reuse is not None else ():
        print(f"seedlock: {line}", file=sys.stderr)


def _cmd_show(args: argparse.Namespace) -> int:
    from ..spec.documents import read_document
    from .show import render

    sys.stdout.write(render(read_document(args.file), args.file, provenance=args.provenance))
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from ..spec.documents import read_document
    from . import diff

    found = diff.diff_documents(read_document(args.a), read_document(args.b), ignore=args.ignore)
    sys.stdout.write(diff.render_json(found) if args.format == "json" else diff.render(found, args.a, args.b))
    return 1 if found else 0


def _cmd_env(args: argparse.Namespace) -> int:
    from ..launching.launch import format_environment, stage_environment
    from ..spec.documents import read_lock_document

    lock = read_lock_document(args.lock)
    sys.stdout.write(format_environment(stage_environment(lock.stage(args.stage), args.lock), args.format))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from ..launching._launch_fast import _Options, run_lock

    cmd = list(args.cmd)
    if not cmd:
        raise _UsageError("run needs a command after --")
    if args.replicate is None and (args.vary or args.group):
        raise _UsageError("--vary and --group go with --replicate")
    if args.replicate is None:
        return run_lock(
            _Options(
                args.lock,
                args.stage,
                cmd,
                no_auto_seed=not args.auto_seed,
                verbose=args.verbose,
                strict=args.strict,
                record=args.record,
                check_reuse=args.check_reuse,
                ledger=args.ledger,
                take_over=args.take_over,
            )
        )
    # One replicate of the stage (spec §13): its seeds are not the lock's, so it runs as replicating does.
    from ..usecases import replicate_reuse, run_replicate, start_replicate

    task = start_replicate(
        args.lock,
        args.stage,
        cmd,
        replicate=args.replicate,
        group=args.group,
        vary=args.vary,
        record=args.record,
        check_reuse=args.check_reuse,
        ledger=args.ledger,
        strict=args.strict,
    )
    for line in task.warnings:
        print(f"seedlock: {line}", file=sys.stderr)
    if args.check_reuse:
        reuse = replicate_reuse(task)
        _print_reuse(reuse)
        if reuse.adds_no_information and args.strict:
            return 1
    outcome = run_replicate(task, auto_seed=args.auto_seed, strict=args.strict, verbose=args.verbose)
    if outcome.record is not None:
        print(
            f"seedlock: recorded replicate {task.index} of group {task.group} as run {outcome.record.run[:10]}",
            file=sys.stderr,
        )
    return outcome.exit_code


def _cmd_replicate(args: argparse.Namespace) -> int:
    from ..usecases import replicate, run_replicates

    cmd = list(args.cmd)
    if not cmd:
        raise _UsageError("replicate needs a command after --")
    job = replicate(
        args.lock,
        args.stage,
        cmd,
        count=args.seeds,
        group=args.group,
        vary=args.vary,
        jobs=args.jobs,
        ledger=args.ledger,
        auto_seed=args.auto_seed,
        strict=args.strict,
        engine_options=args.engine_option,
        wait=args.wait,
    )
    if args.emit:
        from ..launching.emit import write_emitted

        write_emitted(job, args.emit, args.output, image=args.k8s_image, workdir=args.k8s_workdir)
        return 0
    print(
        f"seedlock: group {job.group}: {args.seeds} replicates of stage {args.stage!r} on {args.engine}",
        file=sys.stderr,
    )
    result = run_replicates(job, args.engine)
    failed = result.failed
    print(
        f"seedlock: group {job.group}: {len(result.tasks) - len(failed)} of {len(result.tasks)} replicates succeeded"
        + (f" (failed: {', '.join(str(t.index) for t in failed)})" if failed else ""),
        file=sys.stderr,
    )
    return result.exit_code


def _cmd_report(args: argparse.Namespace) -> int:
    from ..ledger import Ledger
    from .group_report import build, plot, render_json, render_table

    if args.bootstrap_seed < 0:
        raise _UsageError("--bootstrap-seed must be a non-negative integer")
    report = build(
        Ledger(args.ledger), args.group, metric=args.metric, vs=args.vs, better=args.better, seed=args.bootstrap_seed
    )
    if args.plot:
        plot(report, args.plot)
    sys.stdout.write(render_json(report) if args.format == "json" else render_table(report))
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    from ..ledger import Filters
    from ..usecases import history
    from .ledger_report import history_json, history_table

    filters = Filters(
        stage=args.stage,
        seed=args.seed,
        commit=args.commit,
        pipeline=args.pipeline,
        ci_pipeline=args.ci_pipeline,
        job=args.job,
    )
    found = history(filters, limit=args.limit or None, ledger=args.ledger)
    # A damaged ledger: show what SQLite can still read, then fail with the one-line error.
    sys.stdout.write(history_json(found.records) if args.format == "json" else history_table(found.records))
    if found.damaged is not None:
        raise found.damaged
    return 0


def _cmd_rerun(args: argparse.Namespace) -> int:
    from ..usecases import rerun

    record = rerun(args.run_id, output=args.output, ledger=args.ledger)
    if args.output is None:
        sys.stdout.write(record.lock_text)  # the exact text, as `resolve` without -o prints a lock
        return 0
    print(
        f"seedlock: wrote the lock of run {record.run[:10]} (pipeline {record.pipeline[:10]}, {record.created}) "
        f"to {args.output}",
        file=sys.stderr,
    )
    return 0


def _cmd_seed(args: argparse.Namespace) -> int:
    from ..spec.documents import read_lock_document

    stage = read_lock_document(args.lock).stage(args.stage)
    print(stage.seed if args.framework is None else stage.seed_of(args.framework))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from ..usecases import check

    reuse = check(args.lock, args.stage or (), ledger=args.ledger)
    _print_reuse(reuse)
    return 1 if reuse.adds_no_information and args.strict else 0


def _cmd_ledger(args: argparse.Namespace) -> int:
    from .. import usecases

    if args.ledger_command == "init":
        done = usecases.ledger_init(ledger=args.ledger)
        print(
            f"seedlock: {'created' if done.created else 'found'} ledger schema version {done.version} in "
            f"{done.location}",
            file=sys.stderr,
        )
    elif args.ledger_command == "push":
        done = usecases.ledger_push(ledger=args.ledger, sources=args.sources, every=args.every)
        result = done.pushed
        print(
            f"seedlock: pushed {result.delivered} spooled record(s) to {done.location} "
            f"({result.already_there} already there, {result.remaining} waiting in {done.spool})",
            file=sys.stderr,
        )
        for destination, count in sorted(result.elsewhere.items()):
            if destination:
                print(
                    f"seedlock: {count} spooled record(s) are for the ledger {destination}, not this one: push them "
                    f"with --ledger {destination}, or here with --from {destination}",
                    file=sys.stderr,
                )
            else:
                print(
                    f"seedlock: {count} spooled record(s) name no ledger (spooled by an older seedlock): "
                    f"push them where they belong with --all",
                    file=sys.stderr,
                )
    elif args.ledger_command == "export":
        done = usecases.ledger_export(ledger=args.ledger, output=args.output or None)
        if done.written is not None:
            print(f"seedlock: wrote {done.count} record(s) to {done.written}", file=sys.stderr)
        else:
            sys.stdout.write(done.text)
    else:
        done = usecases.ledger_import(args.file, ledger=args.ledger)
        print(
            f"seedlock: imported {done.added} record(s) into {done.location} ({done.present} already there)",
            file=sys.stderr,
        )
    return 0


def _cmd_caffe_solver(args: argparse.Namespace) -> int:
    from ..seeding import caffe_solver
    from ..spec._io import read_bytes
    from ..spec.documents import labelled, read_lock_document

    lock = read_lock_document(args.lock)
    fw = lock.stage(args.stage).framework("caffe")
    solvers = list(args.solvers) or list(fw.settings["solvers"])
    if not solvers:
        raise _UsageError("name a SOLVER, or list solvers in the stage's caffe settings")
    if args.output and len(solvers) != 1:
        raise _UsageError("-o takes exactly one SOLVER")
    if not (args.output or args.in_place or args.check) and len(solvers) != 1:
        raise _UsageError("several solvers need --in-place or --check")
    status = 0
    for path in solvers:
        try:
            if args.check:
                ok, lines = caffe_solver.check_solver(path, read_bytes(path), fw.seed)
                print("\n".join(lines))
                status |= 0 if ok else 1
                continue
            out = caffe_solver.set_random_seed(read_bytes(path), fw.seed)
        except SeedlockError as err:
            raise labelled(path, err) from None
        target = args.output or (path if args.in_place else None)
        if target is not None:
            caffe_solver.write_file(target, out, like=path)
            print(f"seedlock: {target}: random_seed {fw.seed} (stage {args.stage!r})", file=sys.stderr)
        else:
            sys.stdout.buffer.write(out)
    return status


def _cmd_verify(args: argparse.Namespace) -> int:
    from ..usecases import verify

    cmd = list(args.cmd)
    if not cmd:
        raise _UsageError("verify needs a command after --")
    if args.runs < 2:
        raise _UsageError("--runs must be at least 2")
    result = verify(
        args.lock,
        args.stage,
        cmd,
        args.output,
        runs=args.runs,
        workdir=args.workdir,
        keep=args.keep,
        ignore=args.ignore,
        locate=args.locate,
        locate_json=args.json,
        auto_seed=args.auto_seed,
    )
    return result.status


def _cmd_conformance(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..conformance import Options, run, selection

    if args.runs < 2:
        raise _UsageError("--runs must be at least 2: repeatability needs two runs")
    try:
        frameworks, required = selection(args.frameworks or (), args.require or ())
    except ValueError as err:
        raise _UsageError(str(err)) from None
    report = run(
        Options(
            manifest=Path(args.manifest) if args.manifest else None,
            frameworks=frameworks,
            runs=args.runs,
            require=required,
            jobs=args.jobs,
            workdir=Path(args.workdir) if args.workdir else None,
            keep=args.keep,
            junit=Path(args.junit) if args.junit else None,
            json_report=Path(args.json) if args.json else None,
            write_golden=Path(args.write_golden) if args.write_golden else None,
            progress=not args.quiet,
        )
    )
    return report.exit_code


def _cmd_init(args: argparse.Namespace) -> int:
    from . import init

    if args.stages:
        stages = [init.parse_stage(text) for text in args.stages]
        seed = init.parse_seed(args.seed) if args.seed is not None else "generate"
    elif sys.stdin.isatty() and sys.stderr.isatty():
        stages, seed = _ask_init(init, args)
    else:
        raise _UsageError("name the stages with --stage NAME=FW,FW (repeatable), or run `seedlock init` on a terminal")
    written = init.write_starter(args.path, stages, seed=seed, schema_reference=args.schema)
    ignored = init.ignore_ledger(written.manifest.parent)
    also = f" and {written.schema}" if written.schema else ""
    also += f", and the ledger to {ignored}" if ignored else ""
    print(
        f"seedlock: wrote {written.manifest}{also} ({len(stages)} stage{'s' if len(stages) != 1 else ''}); "
        f"next: seedlock resolve {written.manifest} -o {init.lock_name(written.manifest)}",
        file=sys.stderr,
    )
    return 0


def _ask_init(init, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    import os

    if os.path.lexists(args.path):  # say so before asking anything
        raise SeedlockError(
            "io-error", f"Cannot write {args.path}: it already exists (remove it or choose another path)"
        )

    def ask(prompt: str) -> str:
        sys.stderr.write(prompt)
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            raise _UsageError("init cancelled (end of input)")
        return line

    stages, seed = init.interview(ask, lambda line: print(line, file=sys.stderr))
    if args.seed is not None:
        seed = init.parse_seed(args.seed)
    return stages, seed


def _cmd_schema(args: argparse.Namespace) -> int:
    from ..spec._files import schema_text, write_schema

    if args.output:
        written = write_schema(args.kind, args.output)
        also = "".join(f" and the {p.name.split('.')[0]} schema it refers to, {p}" for p in written[1:])
        print(f"seedlock: wrote the {args.kind} schema to {args.output}{also}", file=sys.stderr)
    else:
        sys.stdout.write(schema_text(args.kind))
    return 0


def _cmd_completion(args: argparse.Namespace) -> int:
    from .completion import script, stage_names

    if args.stages_of is not None:
        print("\n".join(stage_names(args.stages_of)))
        return 0
    if args.shell is None:
        raise _UsageError("completion needs a shell: bash, zsh or fish")
    sys.stdout.write(script(_parser(), args.shell))
    return 0


_COMMANDS = {
    "validate": _cmd_validate,
    "resolve": _cmd_resolve,
    "show": _cmd_show,
    "diff": _cmd_diff,
    "env": _cmd_env,
    "seed": _cmd_seed,
    "run": _cmd_run,
    "replicate": _cmd_replicate,
    "caffe-solver": _cmd_caffe_solver,
    "conformance": _cmd_conformance,
    "verify": _cmd_verify,
    "history": _cmd_history,
    "report": _cmd_report,
    "rerun": _cmd_rerun,
    "check": _cmd_check,
    "init": _cmd_init,
    "schema": _cmd_schema,
    "completion": _cmd_completion,
    "ledger": _cmd_ledger,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
