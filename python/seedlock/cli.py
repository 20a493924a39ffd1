"""The ``seedlock`` command line. Errors: one line ``seedlock: error[<code>] ... at '<pointer>'``, exit 2."""

from __future__ import annotations

import os
import sys

from .errors import SeedlockError

# Only what `seedlock derive` needs is imported up front: it must start like bare Python.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping, Sequence
    from typing import NoReturn

    from .lock import Lock, LockedStage

EXIT_ERROR = 2
_LEDGER_HELP = "ledger database (default: $SEEDLOCK_LEDGER or .seedlock/ledger.sqlite)"


class _UsageError(Exception):
    pass


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that command's subparser (building all costs a few ms)."""
    import argparse

    from . import __version__

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
        s.add_argument("--manifest", metavar="MANIFEST", help="also check that each lock was resolved from this manifest")

    if want("resolve"):
        s = sub.add_parser("resolve", help="resolve a manifest into a lock (env overrides, generate, provenance)")
        s.add_argument("manifest", metavar="MANIFEST")
        s.add_argument("-o", "--output", metavar="LOCK", help="write the lock here (atomically); default stdout")
        s.add_argument("--no-provenance", action="store_true", help="leave out provenance (versions, git, CI)")
        _ledger_options(s)
        s.add_argument("--dotenv", metavar="FILE", help="write SEEDLOCK_SEED and SEEDLOCK_SEED_<STAGE> lines (GitLab dotenv report)")
        s.add_argument("--github-output", action="store_true", help="append the seeds to $GITHUB_OUTPUT")
        s.add_argument("--github-env", action="store_true", help="append the seeds to $GITHUB_ENV for later steps")

    if want("show"):
        s = sub.add_parser("show", help="table of stage x framework -> seed, source")
        s.add_argument("file", metavar="FILE")

    if want("derive"):
        s = sub.add_parser("derive", help="print derive(SEED, LABEL...) as a bare integer")
        s.add_argument("seed", metavar="SEED")
        s.add_argument("labels", nargs="+", metavar="LABEL")

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
        s.add_argument("cmd", nargs="*", metavar="-- CMD", help="the command, after --")
    if want("history"):
        s = sub.add_parser("history", help="runs recorded in the ledger")
        s.add_argument("--ledger", metavar="PATH", help=_LEDGER_HELP)
        s.add_argument("--stage", help="only runs with this stage")
        s.add_argument("--seed", type=int, help="only runs that used this seed (root, stage or framework)")
        s.add_argument("--commit", help="only runs at this commit (prefix)")
        s.add_argument("--limit", type=int, default=50, help="newest N runs (default 50; 0 for all)")
        s.add_argument("--format", choices=("table", "json"), default="table")

    if want("rerun"):
        s = sub.add_parser("rerun", help="write the exact lock of a recorded run")
        s.add_argument("run_id", type=int, metavar="RUN_ID")
        s.add_argument("-o", "--output", metavar="LOCK", required=True)
        s.add_argument("--ledger", metavar="PATH", help=_LEDGER_HELP)

    if want("check"):
        s = sub.add_parser("check", help="would this lock repeat a past run with the same code, inputs and params?")
        s.add_argument("lock", metavar="LOCK")
        s.add_argument("--ledger", metavar="PATH", help=_LEDGER_HELP)
        s.add_argument("--strict", action="store_true", help="exit 1 when the run would add no information")

    if want("caffe-solver"):
        s = sub.add_parser("caffe-solver", help="write the stage's caffe seed into solver files as random_seed")
        s.add_argument("lock", metavar="LOCK")
        s.add_argument("--stage", required=True)
        s.add_argument("solvers", nargs="*", metavar="SOLVER", help="default: the stage's caffe `solvers` setting")
        mode = s.add_mutually_exclusive_group()
        mode.add_argument("-o", "--output", metavar="OUT", help="write the seeded solver here (one SOLVER only)")
        mode.add_argument("--in-place", action="store_true", help="replace each SOLVER atomically")
        mode.add_argument("--check", action="store_true", help="validate and report; exit 1 when a seed is missing or differs")

    if want("verify"):
        s = sub.add_parser("verify", help="run your command N times from a lock and compare its outputs")
        s.add_argument("lock", metavar="LOCK")
        s.add_argument("--stage", required=True)
        s.add_argument("--runs", type=int, default=2, metavar="N", help="fresh runs (default 2)")
        s.add_argument("--output", action="append", required=True, metavar="PATH",
                       help="a file or directory the command writes (repeatable)")
        s.add_argument("--workdir", metavar="DIR", help="keep each run's outputs here (default: a temporary directory)")
        s.add_argument("cmd", nargs="*", metavar="-- CMD", help="the command, after --")

    if want("conformance"):
        s = sub.add_parser("conformance", help="prove every framework reproduces from a manifest in fresh processes")
        s.add_argument("--manifest", metavar="FILE", help="your manifest or lock (default: the built-in one)")
        s.add_argument("--frameworks", nargs="+", metavar="FW", help="only these frameworks' cases")
        s.add_argument("--runs", type=int, default=2, metavar="N", help="fresh runs per case with the same seed (default 2)")
        s.add_argument("--require", metavar="FRAMEWORKS", help="comma list, 'all' or 'all-but-caffe': a skip there fails")
        s.add_argument("--jobs", type=int, default=0, metavar="N", help="parallel processes (default: cores)")
        s.add_argument("--junit", metavar="FILE", help="write JUnit XML")
        s.add_argument("--json", metavar="FILE", help="write the JSON report")
        s.add_argument("--workdir", metavar="DIR", help="keep every run's outputs here")
        s.add_argument("--write-golden", metavar="FILE", help=argparse.SUPPRESS)
        s.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def _ledger_options(s: argparse.ArgumentParser) -> None:
    s.add_argument("--record", action="store_true", help="append the lock to the run ledger")
    s.add_argument("--ledger", metavar="PATH", help=_LEDGER_HELP)
    s.add_argument("--check-reuse", action="store_true", help="report seeds already used with the same code, inputs, params")
    s.add_argument("--strict", action="store_true", help="with --check-reuse: fail instead of warning")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list[:1] == ["derive"]:
            return _derive_fast(args_list[1:])
        # Everything after the first "--" is the child's command line, never seedlock's options.
        cmd: list[str] = []
        if "--" in args_list:
            cut = args_list.index("--")
            args_list, cmd = args_list[:cut], args_list[cut + 1 :]
        first = args_list[0] if args_list else None
        only = first if first in _COMMANDS else None
        args, extra = _parser(only).parse_known_args(args_list)
        # argparse cannot take positionals after an option (`caffe-solver LOCK --stage S SOLVER`).
        if extra and args.command == "caffe-solver" and not any(e.startswith("-") for e in extra):
            args.solvers = list(args.solvers) + extra
        elif extra:
            raise _UsageError(f"unrecognized arguments: {' '.join(extra)}")
        if cmd:
            if args.command not in ("run", "verify"):
                raise _UsageError(f"unexpected arguments after -- for {args.command}")
            args.cmd = list(args.cmd) + cmd
        return int(_COMMANDS[args.command](args))
    except SeedlockError as err:
        _fail(f"error[{err.code}] {err}")
    except _UsageError as err:
        _fail(f"usage error: {err} (see `seedlock --help`)")
    except KeyboardInterrupt:
        _fail("interrupted")
    return 0


def _fail(line: str) -> NoReturn:
    print(f"seedlock: {' '.join(line.split())}", file=sys.stderr)
    raise SystemExit(EXIT_ERROR)


def _derive_fast(argv: list[str]) -> int:
    # Scripts call this in loops: skip argparse and everything but the derivation itself.
    from .derivation import derive

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


def _label(path: str, err: SeedlockError) -> SeedlockError:
    """The same error with the file it concerns named first."""
    return SeedlockError(err.code, f"{path}: {err.problem}", err.pointer)


def _read(path: str):  # type: ignore[no-untyped-def]
    import seedlock

    try:
        return seedlock.read(path)
    except SeedlockError as err:
        raise _label(path, err) from None


def _read_lock(path: str) -> Lock:
    from .lock import Lock

    document = _read(path)
    if not isinstance(document, Lock):
        raise SeedlockError("missing-field", f"{path}: a manifest, not a lock (resolve it first)", "/lock-version")
    return document


def _cmd_validate(args: argparse.Namespace) -> int:
    from .lock import Lock

    manifest = None
    if args.manifest:
        manifest = _read(args.manifest)
        if isinstance(manifest, Lock):
            raise SeedlockError("invalid-value", f"{args.manifest}: a lock, not a manifest", "/lock-version")
    for path in args.files:
        document = _read(path)
        if manifest is not None and isinstance(document, Lock):
            try:
                document.check_against(manifest)
            except SeedlockError as err:
                raise _label(path, err) from None
        kind = "lock" if isinstance(document, Lock) else "manifest"
        print(f"{path}: valid {kind} ({len(document.stages)} stage{'s' if len(document.stages) != 1 else ''})")
    return 0


def _cmd_resolve(args: argparse.Namespace) -> int:
    import seedlock

    from . import _json
    from ._io import write_atomic

    document = _read(args.manifest)
    if isinstance(document, seedlock.Lock):
        raise SeedlockError("invalid-value", f"{args.manifest}: already a lock", "/lock-version")
    try:
        lock = seedlock.resolve(document, provenance=not args.no_provenance)
    except SeedlockError as err:
        raise _label(args.manifest, err) from None
    doc = lock.to_dict()
    if args.check_reuse and _report_reuse(args, doc):
        return 1
    text = _json.pretty(doc)
    if args.output:
        write_atomic(args.output, text)
        print(f"seedlock: wrote {args.output} (root seed {lock.root.seed}, {lock.root.source})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if args.record:
        run_id = _ledger(args).record(doc, event="resolve")
        print(f"seedlock: recorded as run {run_id} in {_ledger(args).path}", file=sys.stderr)
    _ci_outputs(args, lock)
    return 0


def _ledger(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .ledger import Ledger, default_path

    return Ledger(args.ledger or default_path())


def _report_reuse(args: argparse.Namespace, doc: dict) -> bool:  # type: ignore[type-arg]
    """Print what a past run shares with this lock; True when --strict should stop here."""
    uses = _ledger(args).reuse(doc)
    idle = [u for u in uses if u.adds_no_information]
    for use in uses:
        r = use.record
        if use.adds_no_information:
            print(f"seedlock: stage {use.stage!r} repeats run {r.id} ({r.created}, {r.event}) with the same seeds, "
                  f"code {(r.git_commit or '')[:12]}, inputs and params: it adds no information; use fresh seeds "
                  f"(SEEDLOCK_SEED=generate)", file=sys.stderr)
        else:
            changed = [name for name, same in (("code", use.same_code), ("inputs", use.same_inputs),
                                               ("params", use.same_params)) if not same]
            print(f"seedlock: stage {use.stage!r} uses the seeds of run {r.id} ({r.created}) with different "
                  f"{', '.join(changed)}: fine, the comparison is informative", file=sys.stderr)
    if not uses:
        print("seedlock: no recorded run used these seeds", file=sys.stderr)
    return bool(idle) and bool(getattr(args, "strict", False))


def _ci_outputs(args: argparse.Namespace, lock: Lock) -> None:
    from .manifest import stage_variable

    values = {"SEEDLOCK_SEED": str(lock.root.seed)}
    values.update({stage_variable(name): str(st.seed) for name, st in lock.stages.items()})
    lines = "".join(f"{k}={v}\n" for k, v in values.items())
    targets = []
    if args.dotenv:
        targets.append((args.dotenv, "w"))
    for flag, variable in (("github_output", "GITHUB_OUTPUT"), ("github_env", "GITHUB_ENV")):
        if getattr(args, flag):
            path = os.environ.get(variable)
            if not path:
                raise SeedlockError("missing-field", f"--{flag.replace('_', '-')} needs ${variable} (set by GitHub Actions)")
            targets.append((path, "a"))
    for path, mode in targets:
        if mode == "w":
            from ._io import write_atomic

            write_atomic(path, lines)
        else:
            try:
                with open(path, "a", encoding="utf-8") as handle:
                    handle.write(lines)
            except OSError as exc:
                raise SeedlockError("io-error", f"Cannot write {path}: {exc.strerror or exc}") from None


def _cmd_show(args: argparse.Namespace) -> int:
    import seedlock

    document = _read(args.file)
    if isinstance(document, seedlock.Lock):
        lock, head = document, f"lock {args.file} (manifest sha256 {document.manifest_sha256[:12]})"
    else:
        try:
            lock = seedlock.resolve(document, provenance=False)
        except SeedlockError as err:
            raise _label(args.file, err) from None
        head = f"manifest {args.file}, resolved now (generated seeds change on every resolve)"
    print(head)
    root = lock.root
    print(f"root seed {root.seed} ({_source(root.source, root.variable)})")
    rows = [("stage", "framework", "seed", "source")]
    for name, stage in lock.stages.items():
        rows.append((name, "", str(stage.seed), _source(stage.source, stage.variable)))
        for fw, item in stage.frameworks.items():
            rows.append(("", fw, str(item.seed), _source(item.source, item.variable)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return 0


def _source(source: str, variable: str | None) -> str:
    return f"env {variable}" if variable else source


def stage_environment(lock: Lock, stage: LockedStage, lock_path: str) -> dict[str, str]:
    """The variables ``seedlock run`` sets for a stage (spec §6)."""
    env = {"SEEDLOCK_LOCK": os.path.abspath(lock_path), "SEEDLOCK_STAGE": stage.name}
    python = stage.frameworks.get("python")
    if python is not None and python.settings["hash_seed"]:
        env["PYTHONHASHSEED"] = str(python.seed)
    torch = stage.frameworks.get("torch")
    if torch is not None and torch.settings["deterministic"]:
        env["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    tf = stage.frameworks.get("tensorflow")
    if tf is not None and tf.settings["op_determinism"]:
        env["TF_DETERMINISTIC_OPS"] = "1"
    return env


def _cmd_env(args: argparse.Namespace) -> int:
    import json
    import shlex

    lock = _read_lock(args.lock)
    env = stage_environment(lock, lock.stage(args.stage), args.lock)
    if args.format == "json":
        print(json.dumps(env, indent=2, sort_keys=True))
    elif args.format == "dotenv":
        for key, value in env.items():
            print(f"{key}={value}")
    else:
        for key, value in env.items():
            print(f"export {key}={shlex.quote(value)}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    cmd = list(args.cmd)
    if not cmd:
        raise _UsageError("run needs a command after --")
    lock = _read_lock(args.lock)
    env = dict(os.environ)
    env.update(stage_environment(lock, lock.stage(args.stage), args.lock))
    if args.check_reuse and _report_reuse(args, lock.to_dict()):
        return 1
    code = run_child(cmd, env)
    if args.record:
        run_id = _ledger(args).record(lock.to_dict(), event="run", stage=args.stage, exit_code=code)
        print(f"seedlock: recorded as run {run_id} in {_ledger(args).path}", file=sys.stderr)
    return code


def _cmd_history(args: argparse.Namespace) -> int:
    from .ledger import DamagedLedger

    damaged: DamagedLedger | None = None
    try:
        records = _ledger(args).history(stage=args.stage, seed=args.seed, commit=args.commit, limit=args.limit or None)
    except DamagedLedger as err:
        # Show what SQLite can still read, then fail with the one-line error.
        damaged, records = err, err.records
    if damaged is not None:
        _print_history(args, records)
        raise damaged
    return _print_history(args, records)


def _print_history(args: argparse.Namespace, records: list) -> int:  # type: ignore[type-arg]
    import json

    if args.format == "json":
        print(json.dumps([r.to_dict() for r in records], indent=1))
        return 0
    rows = [("run", "created", "event", "stage", "root seed", "stage seeds", "commit", "ci job")]
    for r in records:
        commit = (r.git_commit or "")[:10] + ("+dirty" if r.git_dirty else "")
        job = str((r.ci or {}).get("job_id") or (r.ci or {}).get("run_id") or "")
        seeds = " ".join(f"{k}={v}" for k, v in r.stage_seeds.items())
        rows.append((str(r.id), r.created, r.event + (f" exit {r.exit_code}" if r.exit_code else ""), r.stage or "",
                     str(r.root_seed), seeds, commit, job))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return 0


def _cmd_rerun(args: argparse.Namespace) -> int:
    from ._io import write_atomic

    text = _ledger(args).lock_text(args.run_id)
    write_atomic(args.output, text)
    print(f"seedlock: wrote the lock of run {args.run_id} to {args.output}", file=sys.stderr)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    lock = _read_lock(args.lock)
    uses = _ledger(args).reuse(lock.to_dict())
    _report_reuse(args, lock.to_dict())
    return 1 if args.strict and any(u.adds_no_information for u in uses) else 0


def die_with_parent() -> None:
    """In the child before exec (Linux): get SIGTERM when seedlock dies, even by SIGKILL, so no
    workload is left running without the process that reports on it."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # no prctl on this libc: the forwarding of SIGTERM/SIGINT/SIGHUP still applies


def run_child(cmd: list[str], env: Mapping[str, str]) -> int:
    """Run ``cmd`` as a fresh process; forward termination signals; exit code 128+N when killed by N."""
    import shlex
    import signal
    import subprocess

    try:
        child = subprocess.Popen(cmd, env=dict(env), preexec_fn=die_with_parent if sys.platform == "linux" else None)
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot run {cmd[0]!r}: {exc.strerror or exc}") from None

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code < 0:
        name = signal.Signals(-code).name
        print(f"seedlock: command {shlex.join(cmd)} was killed by {name}", file=sys.stderr)
        return 128 - code
    return code


def _cmd_caffe_solver(args: argparse.Namespace) -> int:
    from . import caffe_solver
    from ._io import read_bytes

    lock = _read_lock(args.lock)
    fw = lock.stage(args.stage)._fw("caffe")
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
            data = read_bytes(path)
            if args.check:
                status |= _caffe_check(path, data, fw.seed, caffe_solver)
                continue
            out = caffe_solver.set_random_seed(data, fw.seed)
        except SeedlockError as err:
            raise _label(path, err) from None
        if args.output or args.in_place:
            from ._io import write_atomic

            target = args.output or path
            write_atomic(target, out, mode=os.stat(path).st_mode & 0o777)
            print(f"seedlock: {target}: random_seed {fw.seed} (stage {args.stage!r})", file=sys.stderr)
        else:
            sys.stdout.buffer.write(out)
    return status


def _caffe_check(path: str, data: bytes, seed: int, caffe_solver) -> int:  # type: ignore[no-untyped-def]
    info = caffe_solver.validate(data)
    problems = 0
    if not info.random_seed_lines:
        print(f"{path}: random_seed absent (Caffe seeds from the clock); the lock's caffe seed is {seed}")
        problems = 1
    elif len(info.random_seed_lines) > 1:
        print(f"{path}: random_seed set {len(info.random_seed_lines)} times (lines {info.random_seed_lines})")
        problems = 1
    elif info.random_seed != seed:
        print(f"{path}: random_seed {info.random_seed} on line {info.random_seed_lines[0]} differs from the lock's caffe seed {seed}")
        problems = 1
    else:
        print(f"{path}: random_seed {seed} on line {info.random_seed_lines[0]} matches the lock")
    base = os.path.dirname(os.path.abspath(path))
    for name, ref, line in info.net_files:
        exists = os.path.exists(ref) or os.path.exists(os.path.join(base, ref))
        print(f"{path}: {name} {ref!r} on line {line} ({'found' if exists else 'NOT FOUND'}; left untouched)")
    for name, line in info.inline_nets:
        print(f"{path}: inline {name} on line {line} (left untouched; its layers are not validated here)")
    return problems


def _cmd_verify(args: argparse.Namespace) -> int:
    import shutil
    import tempfile
    from pathlib import Path

    from .conformance.compare import compare_paths

    cmd = list(args.cmd)
    if not cmd:
        raise _UsageError("verify needs a command after --")
    if args.runs < 2:
        raise _UsageError("--runs must be at least 2")
    lock = _read_lock(args.lock)
    env = dict(os.environ)
    env.update(stage_environment(lock, lock.stage(args.stage), args.lock))
    work = Path(args.workdir or tempfile.mkdtemp(prefix="seedlock-verify-"))
    outputs = [Path(p) for p in args.output]
    before = work / "before"
    for path in outputs:
        # Each run must start without the outputs; what was there is kept, not deleted.
        if path.exists():
            before.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), str(before / path.name))
            print(f"seedlock: moved the existing {path} to {before / path.name}", file=sys.stderr)
    for i in range(1, args.runs + 1):
        print(f"seedlock: verify run {i}/{args.runs}: {' '.join(cmd)}", file=sys.stderr, flush=True)
        code = run_child(cmd, env)
        if code != 0:
            print(f"seedlock: verify: run {i} exited {code}; outputs of earlier runs are in {work}")
            return code if code > 0 else 1
        for path in outputs:
            if not path.exists():
                print(f"seedlock: verify: run {i} did not write {path}")
                return 1
            target = work / f"run{i}" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, target)
            if i < args.runs:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    differences = 0
    for path in outputs:
        found = [d for i in range(2, args.runs + 1)
                 for d in compare_paths(work / "run1" / path.name, work / f"run{i}" / path.name, f"{path} (run 1 vs {i})")]
        if found:
            differences += len(found)
            print(f"DIFFERS {path}:")
            for diff in found[:20]:
                print(f"  {diff}")
            if len(found) > 20:
                print(f"  ... and {len(found) - 20} more")
        else:
            print(f"identical {path} ({args.runs} runs)")
    print(f"seedlock: verify: {'not reproducible' if differences else 'reproducible'}; runs kept in {work}")
    return 1 if differences else 0


def _cmd_conformance(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .conformance import Options, run
    from .settings import FRAMEWORKS

    if args.runs < 2:
        raise _UsageError("--runs must be at least 2: repeatability needs two runs")
    required: tuple[str, ...] = ()
    if args.require:
        if args.require == "all":
            required = FRAMEWORKS
        elif args.require == "all-but-caffe":
            required = tuple(f for f in FRAMEWORKS if f != "caffe")
        else:
            required = tuple(x.strip() for x in args.require.split(",") if x.strip())
            unknown = [f for f in required if f not in FRAMEWORKS]
            if unknown:
                raise _UsageError(f"unknown framework in --require: {', '.join(unknown)}")
    report = run(Options(
        manifest=Path(args.manifest) if args.manifest else None,
        frameworks=tuple(args.frameworks or ()),
        runs=args.runs, require=required, jobs=args.jobs,
        workdir=Path(args.workdir) if args.workdir else None,
        junit=Path(args.junit) if args.junit else None,
        json_report=Path(args.json) if args.json else None,
        write_golden=Path(args.write_golden) if args.write_golden else None,
        progress=not args.quiet,
    ))
    if report.interrupted:
        import signal

        return 128 + int(signal.Signals[report.interrupted])
    return 1 if report.failed else 0


_COMMANDS = {
    "validate": _cmd_validate,
    "resolve": _cmd_resolve,
    "show": _cmd_show,
    "env": _cmd_env,
    "run": _cmd_run,
    "caffe-solver": _cmd_caffe_solver,
    "conformance": _cmd_conformance,
    "verify": _cmd_verify,
    "history": _cmd_history,
    "rerun": _cmd_rerun,
    "check": _cmd_check,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
