"""``seedlock run LOCK --stage S -- CMD``: the launcher, one path for every lock.

Every CI job and every wrapped command pays for starting seedlock before its own process, so this
module imports nothing it can do without: no ``json``, ``re``, ``argparse``, ``dataclasses``,
``typing``, ``signal`` (``enum``), ``subprocess`` or ``threading``, and no framework module. What was
measured to matter (bench/RESULTS.md): a fork and exec of our own, ``os._exit`` once the output is out,
lazy imports, ``PR_SET_PDEATHSIG`` through ``_ctypes``.

:func:`launch` takes the argument list of ``seedlock run``; the options it does not know (``--help``, a
misspelt one) go to the argparse command line, whose ``run`` calls :func:`run_lock` -- the same path.
:func:`run_lock`:

1. reads the lock file once (:func:`seedlock.spec._lockfile.read`: a pipe, ``/dev/stdin`` or ``<(cat lock)``
   cannot be read twice) and checks it with the one lock validator (:func:`seedlock.spec._lockcheck.check`):
   first, or, for an interpreter held back at the start gate, while it starts up (from the stage's values
   read plainly, :func:`seedlock.spec._lockfile.plain_stage`);
2. runs the start-of-run check (:func:`seedlock.seeding.runcheck.check_start`, spec §5.4) on every run; git,
   the CI variables and the ledger are read only with ``--record`` or ``--check-reuse``. When the command
   is a Python interpreter started directly, it runs while that starts up (on another core): the
   interpreter waits at the start gate (:func:`run_stage`) until the check is done, so its warnings come
   before the program's output and a refusal (:func:`seedlock.spec.fingerprint.recorded_hashes`: a path
   outside the project, a special file) ends it before its program runs. With ``--strict``, ``--record``,
   ``--check-reuse``, ``--no-auto-seed`` or any other command it all runs before the command starts;
3. starts the command with the stage's variables (:func:`stage_variables`) and the auto-seeding ones
   (:func:`autoseed_environment`) through :func:`run_command`, the one foreground child runner, which
   ``seedlock verify`` uses too (:func:`seedlock.launching.launch.run_child`);
4. reads what the command's processes seeded (the report module only when there is something to say),
   records the run when asked, and returns the command's exit status -- a recording failure is reported
   on stderr and never replaces the command's status.
"""

import os
import sys

from ..spec.errors import SeedlockError, pointer_join

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

_EXIT_ERROR = 2
_FLAGS = {
    "--no-auto-seed": "no_auto_seed",
    "-v": "verbose",
    "--verbose": "verbose",
    "--strict": "strict",
    "--record": "record",
    "--check-reuse": "check_reuse",
    "--take-over": "take_over",
}
# si_code of a signal the kernel raised itself: a terminal's Ctrl-C (SIGINT), hang-up or quit goes to
# the whole foreground process group, which the child is in too (linux/siginfo.h SI_KERNEL).
_SI_KERNEL = 0x80


#: runcheck.CHECKED_VARIABLE, which seedlock run sets for its child: named here because the launcher
#: imports runcheck only while the command starts up (a test holds the two names equal).
CHECKED_VARIABLE = "SEEDLOCK_RUN_CHECKED"
#: seeding._seedstatus's names of the variables that tell the command's processes where to report, what
#: to seed and when to start: named here because the launcher loads _seedstatus (and the seeding package,
#: about 0.2 ms) only once the command has started (a test holds each pair equal).
STATUS_VARIABLE = "SEEDLOCK_STATUS"
AUTOSEED_VARIABLE = "SEEDLOCK_AUTOSEED"
AUTOSEED_SETTINGS_VARIABLE = "SEEDLOCK_AUTOSEED_SETTINGS"
AUTOSEED_R_VARIABLE = "SEEDLOCK_AUTOSEED_R"
R_PROFILE_VARIABLE = "SEEDLOCK_R_PROFILE_USER"
GATE_VARIABLE = "SEEDLOCK_START_GATE"
#: replicates.REPLICATE_VARIABLE, VARY_VARIABLE, GROUP_VARIABLE, which a replicate's launcher sets and every
#: other run clears (launch.child_environment too); named here because replicates imports dataclasses.
REPLICATE_VARIABLES = ("SEEDLOCK_REPLICATE", "SEEDLOCK_VARY", "SEEDLOCK_GROUP")


class _Options:
    """``seedlock run``'s options, as :func:`launch` or argparse found them."""

    def __init__(
        self,
        lock: str,
        stage: str,
        cmd: list[str],
        *,
        no_auto_seed: bool = False,
        verbose: bool = False,
        strict: bool = False,
        record: bool = False,
        check_reuse: bool = False,
        ledger: str | None = None,
        take_over: bool = False,
    ) -> None:
        self.lock, self.stage, self.cmd = lock, stage, cmd
        self.auto_seed, self.verbose, self.strict = not no_auto_seed, verbose, strict
        self.record, self.check_reuse, self.ledger = record, check_reuse, ledger
        self.take_over = take_over


def launch(argv: list[str]) -> None:
    """``seedlock run`` (``argv`` after ``run``): runs the command and ends the process with its exit
    status. Returns (having done nothing) when the argparse command line must read the options."""
    options = _parse(argv)
    if options is None:
        return
    try:
        code = run_lock(options)
    except SeedlockError as err:
        print("seedlock: " + " ".join(f"error[{err.code}] {err}".split()), file=sys.stderr)
        code = _EXIT_ERROR
    except KeyboardInterrupt:
        print("seedlock: interrupted", file=sys.stderr)
        code = _EXIT_ERROR
    exit_now(code)


def _parse(argv: list[str]) -> "_Options | None":
    """The options when they are all plainly ones ``seedlock run`` knows; None otherwise."""
    if "--" not in argv:
        return None
    cut = argv.index("--")
    opts, cmd = argv[:cut], argv[cut + 1 :]
    flags: dict[str, Any] = {}
    positional: list[str] = []
    stage = None
    i = 0
    while i < len(opts):
        arg = opts[i]
        if arg in _FLAGS:
            flags[_FLAGS[arg]] = True
        elif arg in ("--stage", "--ledger") and i + 1 < len(opts) and not opts[i + 1].startswith("-"):
            i += 1
            if arg == "--stage":
                stage = opts[i]
            else:
                flags["ledger"] = opts[i]
        elif arg.startswith("--stage="):
            stage = arg[len("--stage=") :]
        elif arg.startswith("--ledger="):
            flags["ledger"] = arg[len("--ledger=") :]
        elif arg.startswith("-") or positional:
            return None  # --help, a misspelt option, a second lock: argparse says what is wrong
        else:
            positional.append(arg)
        i += 1
    if not cmd or not positional or not positional[0] or stage is None:
        return None
    return _Options(positional[0], stage, cmd, **flags)


def exit_now(code: int) -> None:
    """End the launcher with ``code`` once its output is out, skipping the interpreter's finalisation
    (about a sixth of a bare start, paid by every wrapped command): this path holds no files, threads
    or exit handlers that finalisation would tidy (a ledger's connections are closed when used)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = 141  # as `seedlock` reports a reader that went away (cli._reader_went_away)
    except (OSError, ValueError):
        pass
    os._exit(code)


class _Stage:
    """What the launcher reads of a stage (a :class:`seedlock.spec.lock.LockedStage` offers the same): its
    name and, per framework in lock order, an entry with ``seed`` and ``settings``."""

    def __init__(self, name: str, frameworks: "dict[str, Any]", take_over: bool | None = None) -> None:
        self.name, self.frameworks, self.take_over = name, frameworks, take_over


class _Entry:
    def __init__(self, seed: int, settings: "dict[str, Any]") -> None:
        self.seed, self.settings = seed, settings


def run_lock(options: "_Options") -> int:
    """Read and check the lock once, check the start of the run, run the command, record it when asked;
    the command's exit status (2 and a coded error when seedlock itself refuses)."""
    path, name = options.lock, options.stage
    if options.ledger is not None:
        from ..ledger import check_address

        check_address(options.ledger)  # before any child starts: out of `ps`, and refused before the run
    raw, document = _read_lock(path)
    provenance = None
    gated: Callable[[], None] | None
    if options.auto_seed and not (options.strict or options.record or options.check_reuse) and _waits(options.cmd):
        # The command is an interpreter that waits at the start gate (run_stage) before its program runs:
        # it starts with the stage's seeds read plainly from the lock (plain_stage), and the lock is
        # checked while it starts up, with the start-of-run check (hashing the inputs, versions, the
        # manifest; their imports: 2-4 ms). A refusal (a lock fault, an input outside the project, a special
        # file) ends the interpreter before its program runs; the check's warnings come before its
        # first line. A stage that is not plainly readable is checked first.
        from ..spec._lockfile import plain_stage  # loaded already: _read_lock

        stage: Mapping[str, Any] | None = plain_stage(document, name)
        data: dict[str, Any] | None = _checked(document, path) if stage is None else None

        def gated() -> None:
            from ..seeding.runcheck import check_start

            checked = data if data is not None else _checked(document, path)
            base = _base_directory(checked, path)
            _warn(check_start(checked, name, base=base, lock_path=path).warnings(name))

    else:
        gated, stage = None, None
        data = _checked(document, path)
        base = _base_directory(data, path)
        if options.record or options.check_reuse:
            from ..records.recording import run_provenance

            provenance = run_provenance(data, path, name, base, command=options.cmd)
        from ..seeding.runcheck import check_start

        check = check_start(data, name, base=base, current=provenance, lock_path=path)
        if options.strict:
            check.raise_if_any(path)  # strict refuses before the command starts
        _warn(check.warnings(name))
    if stage is None:
        assert data is not None  # checked above: no plain stage means a checked lock
        stage = _stage_of(data, name)
    ledger = None
    if options.check_reuse:
        from ..records.recording import ledger_for, reuse_report

        ledger = ledger_for(options.ledger)
        lines, idle = reuse_report(ledger, data, [name], provenance)  # type: ignore[arg-type]
        for line in lines:
            print(f"seedlock: {line}", file=sys.stderr)
        if idle and options.strict:
            return 1
    view = _Stage(
        name,
        {fw: _Entry(e["seed"], e["settings"]) for fw, e in stage["frameworks"].items()},
        stage.get("take_over") or options.take_over,
    )
    env = {**os.environ, CHECKED_VARIABLE: "1", **stage_variables(path, view)}
    for variable in REPLICATE_VARIABLES:
        # A replicate is the launcher's to give (spec §13.2): a run started inside one runs the lock's stage.
        env.pop(variable, None)
    outcomes: list[Any] | None = [] if options.record else None
    metrics: list[Any] = []
    status_dir = _status_dir()
    try:
        if not _is_regular(path):
            # The child's apply_from_env() reads $SEEDLOCK_LOCK again: a pipe's text is gone by then.
            env["SEEDLOCK_LOCK"] = _keep_copy(status_dir, raw)
        if options.record:
            from ..records.metrics import collecting_metrics

            with collecting_metrics(env) as metrics:  # log_metric() values go with the record (spec §13.4)
                code = run_stage(
                    options.cmd,
                    env,
                    view,
                    status_dir,
                    auto_seed=options.auto_seed,
                    strict=options.strict,
                    verbose=options.verbose,
                    outcomes=outcomes,
                    gated=gated,
                )
        else:
            code = run_stage(
                options.cmd,
                env,
                view,
                status_dir,
                auto_seed=options.auto_seed,
                strict=options.strict,
                verbose=options.verbose,
                gated=gated,
            )
    finally:
        _remove(status_dir)
    if options.record:
        if outcomes:  # what the run's processes seeded, failed to seed and did not control (spec §5.4)
            provenance = {**provenance, "seeding": outcomes[0].record()}  # type: ignore[dict-item]
        assert data is not None  # a recorded run checks the lock before it starts
        _record(options, ledger, data, raw.decode("utf-8-sig"), name, code, provenance, tuple(metrics))
    return code


def _base_directory(data: "Mapping[str, Any]", path: str) -> str:
    """Where the lock's inputs and parameter files are (:func:`seedlock.spec.fingerprint.base_directory`)
    when it records any; the lock's directory otherwise (nothing is hashed: no need to find the manifest)."""
    prov = data["provenance"]
    if type(prov) is dict and (prov.get("inputs") or prov.get("params")):
        from ..spec.fingerprint import base_directory

        return base_directory(data, path)
    return os.path.dirname(os.path.abspath(path))


def _waits(cmd: "Sequence[str]") -> bool:
    """Whether ``cmd`` is a Python interpreter started directly, without the options that skip its start-up
    files (``-I``, ``-E``, ``-S``): it waits at the start gate, so the check's warnings can come while it
    starts and still precede its output. Anything else (a shell, ``env``, R, a program's own script) may
    print before it could be held back: the check runs before it starts."""
    name = os.path.basename(cmd[0])
    if name != "python" and not (name.startswith("python") and name[6:].replace(".", "").isdigit()):
        return False
    args = iter(cmd[1:])
    for arg in args:
        if arg in ("-c", "-m", "-") or not arg.startswith("-") or arg.startswith("--"):
            break  # the program (or a long option, which none of those three is): options end
        if set(arg[1:]) & {"I", "E", "S"}:
            return False
        if arg in ("-W", "-X"):
            next(args, None)  # their value
    return True


def _warn(lines: "Sequence[str]") -> None:
    for line in lines:
        print(f"seedlock: {line}", file=sys.stderr)
    sys.stderr.flush()


def _read_lock(path: str) -> "tuple[bytes, Any]":
    """The lock's bytes, read once, and their JSON; errors name the file."""
    from ..spec import _lockfile

    try:
        raw = _lockfile.read(path)
        return raw, _lockfile.parse(raw)
    except SeedlockError as err:
        raise SeedlockError(err.code, f"{path}: {err.problem}", err.pointer) from None


def _checked(document: "Any", path: str) -> "dict[str, Any]":
    """The lock's checked data; errors name the file (a manifest is ``not-a-lock``)."""
    from ..spec._lockcheck import check

    try:
        if type(document) is not dict or "lock-version" not in document:
            from ..spec.documents import from_data

            from_data(document, path=path)  # a manifest's own faults first, as `seedlock.read` reports them
            raise SeedlockError("not-a-lock", f"{path}: a manifest, not a lock (resolve it first)", "/lock-version")
        return check(document)
    except SeedlockError as err:
        if err.code == "not-a-lock":
            raise
        raise SeedlockError(err.code, f"{path}: {err.problem}", err.pointer) from None


def _stage_of(data: "Mapping[str, Any]", name: str) -> "Mapping[str, Any]":
    """Stage ``name`` of checked lock data (``unknown-stage`` with the stages there are)."""
    stage = data["stages"].get(name)
    if stage is None:
        from ..spec._suggest import hint

        stages = data["stages"]
        raise SeedlockError(
            "unknown-stage",
            f"No stage {name!r}{hint(name, stages)} (stages: {', '.join(stages)})",
            pointer_join("/stages", name),
        )
    return stage  # type: ignore[no-any-return]


def _record(
    options: "_Options",
    ledger: "Any",
    data: "Mapping[str, Any]",
    text: str,
    stage: str,
    code: int,
    provenance: "Any",
    metrics: "tuple[Any, ...]" = (),
) -> None:
    """Append the run to the ledger. A failure (the record is then spooled) is reported on stderr and
    does not change the exit status: the command's status is what CI needs to see (docs/reliability.md)."""
    try:
        from ..ledger import new_record
        from ..records.recording import ledger_for

        ledger = ledger or ledger_for(options.ledger)
        record = new_record(
            data, event="run", stage=stage, exit_code=code, provenance=provenance, lock_text=text, metrics=metrics
        )
        ledger.record(record)
    except SeedlockError as err:
        print("seedlock: " + " ".join(f"error[{err.code}] {err}".split()), file=sys.stderr)
        return
    print(
        f"seedlock: recorded as run {record.run[:10]} (pipeline {record.pipeline[:10]}) in {ledger.location}",
        file=sys.stderr,
    )


def stage_variables(lock_path: str | os.PathLike[str], stage: "Any") -> dict[str, str]:
    """The variables ``seedlock run`` sets for ``stage`` (spec §6): where the lock is, which stage, and
    each framework's start-up variables as ``spec/registry.json`` lists them, in application order."""
    from ..spec import _registry  # the registry's literals, loaded already (spec.errors)

    env = {"SEEDLOCK_LOCK": os.path.abspath(lock_path), "SEEDLOCK_STAGE": stage.name}
    for name, variables in _registry.LAUNCHER_ENVIRONMENT.items():
        locked = stage.frameworks.get(name)
        if locked is None:
            continue
        for var in variables:
            if not locked.settings[var["when"]]:
                continue
            value = var["value"].replace("{seed}", str(locked.seed))
            if var.get("append"):
                value = _appended(os.environ.get(var["variable"]), value)
            env[var["variable"]] = value
    return env


def _appended(current: str | None, flag: str) -> str:
    """Spec §6: ``flag`` after a space at the end of the user's value, unless already among its words."""
    if not current or not current.strip():
        return flag
    return current if flag in current.split() else f"{current} {flag}"


def _is_regular(path: str) -> bool:
    import stat

    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _keep_copy(status_dir: str, raw: bytes) -> str:
    path = os.path.join(status_dir, "lock.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, raw)
    finally:
        os.close(fd)
    return path


def run_command(
    cmd: "Sequence[str]",
    env: "Mapping[str, str]",
    meanwhile: "Callable[[], None] | None" = None,
    *,
    held: bool = False,
) -> int:
    """Run ``cmd`` in the foreground as a wrapper does: same terminal and process group, every inherited
    descriptor passed on, ``PR_SET_PDEATHSIG`` (it dies with seedlock, even on SIGKILL). SIGTERM, SIGINT
    and SIGHUP sent to seedlock alone are forwarded; those the terminal sends to the whole foreground
    group (Ctrl-C) reached the child already and are not sent twice. Returns the exit status, 128+N (and
    a line on stderr) when signal N killed it; ``io-error`` when it cannot be started. ``meanwhile`` runs
    once the child has exec'd: work that need not delay it (on another core, while it starts up), done
    before an exec failure is reported too; when it raises, the child is killed (SIGKILL) and waited for,
    and the error goes on.

    ``held``: the command is an interpreter held at the start gate (:func:`run_stage`), which binds
    ``PR_SET_PDEATHSIG`` to this process itself before it waits there: it is started with
    :func:`os.posix_spawn` (vfork and exec: no Python runs between them, and neither the page tables nor
    ``_ctypes`` are needed here; measured 0.6 ms sooner than a fork and exec)."""
    import _signal  # the C module: `signal` imports enum

    if not cmd or not cmd[0]:
        raise SeedlockError("io-error", "Cannot run '': the command name is empty")
    forwarded = {_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP}
    child_env = dict(env)
    # Blocked before the child starts, so that nothing arrives unseen: the loop below takes each signal
    # with its sender (sigwaitinfo), and the child's exit as SIGCHLD.
    previous = _signal.pthread_sigmask(_signal.SIG_BLOCK, forwarded | {_signal.SIGCHLD})
    try:
        pid, failure = _spawned(cmd, child_env, previous) if held else _forked(cmd, child_env, previous)
        if failure is not None:
            if meanwhile is not None:
                meanwhile()  # its output (the check's warnings) first, as when the command starts
            raise SeedlockError("io-error", f"Cannot run {cmd[0]!r}: {failure}")
        if meanwhile is not None:
            try:
                meanwhile()
            except BaseException:
                # What the command was started beside failed (a refusal): the command ends with it.
                os.kill(pid, _signal.SIGKILL)
                os.waitpid(pid, 0)
                raise
        while True:
            # A SIGCHLD that comes before this wait, in a process with other threads (the library called
            # in-process), goes to a thread that does not block it, where its default action drops it:
            # the wait times out now and then to ask the child itself.
            info = _signal.sigtimedwait(forwarded | {_signal.SIGCHLD}, 0.2)
            if info is None or info.si_signo == _signal.SIGCHLD:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
            elif info.si_code != _SI_KERNEL:
                try:
                    os.kill(pid, info.si_signo)
                except ProcessLookupError:
                    pass
    finally:
        _signal.pthread_sigmask(_signal.SIG_SETMASK, previous)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        if -code != _signal.SIGPIPE:  # `seedlock run ... | head -1`: the reader went away, as a shell says nothing
            import shlex
            import signal

            print(f"seedlock: command {shlex.join(cmd)} was killed by {signal.Signals(-code).name}", file=sys.stderr)
        return 128 - code
    return code


def _forked(cmd: "Sequence[str]", env: "dict[str, str]", mask: "set[int]") -> "tuple[int, str | None]":
    """Fork and exec ``cmd`` with ``PR_SET_PDEATHSIG`` and ``mask``; (pid, why exec failed, or None)."""
    import _signal

    from ._prctl import PR_SET_PDEATHSIG, load

    prctl = load()
    parent = os.getpid()
    errors_r, errors_w = os.pipe()  # close-on-exec: stays empty when exec succeeds
    pid = os.fork()
    if pid == 0:  # the child: nothing here may return into seedlock
        try:
            for signum in (_signal.SIGPIPE, _signal.SIGXFSZ):
                _signal.signal(signum, _signal.SIG_DFL)  # as subprocess's restore_signals
            _signal.pthread_sigmask(_signal.SIG_SETMASK, mask)
            if prctl is not None:
                prctl(PR_SET_PDEATHSIG, _signal.SIGTERM)  # type: ignore[operator]
                if os.getppid() != parent:
                    os.kill(os.getpid(), _signal.SIGTERM)
            _search_path(cmd[0], env, lambda path: os.execve(path, list(cmd), env))
        except OSError as exc:
            os.write(errors_w, str(exc.errno or 0).encode())
        finally:
            os._exit(255)
    os.close(errors_w)
    # After the exec, not during it: until then every page the parent writes is copied (shared with
    # the child), and the two compete for a core (measured: 2.76x of a bare start against 2.56x).
    failure = b""
    while chunk := os.read(errors_r, 64):
        failure += chunk
    os.close(errors_r)
    if failure:
        os.waitpid(pid, 0)
        return pid, os.strerror(int(failure))
    return pid, None


def _spawned(cmd: "Sequence[str]", env: "dict[str, str]", mask: "set[int]") -> "tuple[int, str | None]":
    """posix_spawn ``cmd`` with ``mask`` and SIGPIPE and SIGXFSZ at their defaults (as :func:`_forked`);
    (pid, why exec failed, or None: glibc reports an exec failure to the caller)."""
    import _signal

    defaults = (_signal.SIGPIPE, _signal.SIGXFSZ)
    try:
        pid = _search_path(
            cmd[0], env, lambda path: os.posix_spawn(path, list(cmd), env, setsigmask=mask, setsigdef=defaults)
        )
    except OSError as exc:
        return -1, os.strerror(exc.errno or 0)
    return pid, None


def _search_path(file: str, env: "dict[str, str]", start: "Callable[[str], Any]") -> "Any":
    """``start(path)`` for ``file`` as :func:`os.execvpe` finds it, without :func:`os.get_exec_path`, which
    imports ``warnings`` (about a millisecond before the command can start): the command's ``PATH``
    (the default path when it has none) searched for a name without a slash, the first error other than
    not-found raised when none starts."""
    if os.sep in file:
        return start(file)
    first: OSError | None = None
    last: OSError | None = None
    for directory in env.get("PATH", os.defpath).split(os.pathsep):
        try:
            return start(os.path.join(directory, file))
        except (FileNotFoundError, NotADirectoryError) as exc:
            last = exc
        except OSError as exc:
            last = exc
            first = first or exc
    raise first or last or FileNotFoundError(2, "No such file or directory")


def run_stage(
    cmd: "Sequence[str]",
    env: "Mapping[str, str]",
    stage: "Any",
    status_dir: str,
    *,
    auto_seed: bool,
    strict: bool,
    verbose: bool,
    outcomes: "list[Any] | None" = None,
    child: "Callable[[Sequence[str], Mapping[str, str]], int] | None" = None,
    gated: "Callable[[], None] | None" = None,
) -> int:
    """:func:`run_command` for a stage: its Python and R programs seed themselves (unless not
    ``auto_seed``) and report to ``status_dir``; then say what was seeded. The report's module (json,
    dataclasses) is imported only when there is something to say: a failed step, nothing seeded, or
    ``verbose``. With ``strict`` a failed step or a run nothing seeded is ``not-applied`` (unless the
    command failed: its status is returned).

    ``gated`` is work that must be done before the program runs (checking the lock, the start-of-run
    check and its warnings): with ``auto_seed`` it runs while the command starts up, and the auto-seeded
    Python interpreter waits at the start gate (:data:`GATE_VARIABLE`, a pipe) before it seeds and runs
    its program, until this launcher writes ``open`` there (:func:`_open_gate`); without, it runs first.
    When it raises, the gate stays shut, the command is killed (its program never ran) and the error goes
    on."""
    extra = autoseed_environment(stage, status_dir, env, auto_seed=auto_seed)
    if strict:
        from ..seeding._seedstatus import STRICT_VARIABLE

        extra[STRICT_VARIABLE] = "1"
    gate: list[int] = []
    if gated is not None:
        if auto_seed and child is None:
            gate += os.pipe()
            os.set_inheritable(gate[0], True)  # the command's interpreters read it; the write end stays here
            # The pipe's inode too: an interpreter whose descriptor of that number is something else waits for
            # nothing. And this process: the interpreter binds PR_SET_PDEATHSIG to it (run_command's `held`).
            extra[GATE_VARIABLE] = f"{gate[0]}:{os.fstat(gate[0]).st_ino}:{os.getpid()}"
        else:
            gated()

    def meanwhile() -> None:
        from ..seeding import _seedstatus  # noqa: F401  # what _all_well reads once the command ends

        if gate:
            import _signal

            os.close(gate.pop(0))
            # While the program is held, a signal to seedlock acts as it would before the command started:
            # Ctrl-C ends seedlock ("interrupted"; run_command kills the held interpreter), SIGTERM and SIGHUP
            # end it as they do by default (the held interpreter follows: PR_SET_PDEATHSIG, and the gate
            # never says "open"). The program's own signals are forwarded once it runs.
            held = {_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP}
            _signal.pthread_sigmask(_signal.SIG_UNBLOCK, held)
            try:
                gated()  # type: ignore[misc]
            finally:
                _signal.pthread_sigmask(_signal.SIG_BLOCK, held)
            # A refusal (gated raised) leaves the gate shut: run_command kills the interpreter, then run_stage
            # closes the pipe. Else it opens: the command's programs run.
            _open_gate(gate.pop(), stage)
        _remove_stale(os.path.dirname(status_dir))

    try:
        if child is not None:
            code = child(cmd, {**env, **extra})
        else:
            code = run_command(cmd, {**env, **extra}, meanwhile=meanwhile, held=bool(gate))
    finally:
        for fd in gate:  # the command could not be started
            os.close(fd)
    if not verbose and outcomes is None and _all_well(status_dir):
        return code
    from ._seedreport import read_outcome, report_outcome

    outcome = read_outcome(status_dir, stage)
    if outcomes is not None:  # a run record keeps what was and was not controlled
        outcomes.append(outcome)
    return report_outcome(outcome, cmd, stage.name, code, auto_seed=auto_seed, strict=strict, verbose=verbose)


#: Items longer than this are not handed over: the gate's one write must fit an empty pipe (at least a page).
_HAND_OVER_BYTES = 3072


def _open_gate(gate: int, stage: "Any") -> None:
    """Open the start gate: send what the command's interpreters would each look up at start, found while
    they started up (the seeders of the stage's extensions, :func:`seedlock.seeding.extensions.handoff`:
    reading every ``entry_points.txt`` took each interpreter about a millisecond) as ``NAME=VALUE`` items,
    then ``open``, each ended by a NUL byte, in one write that never blocks; then close the pipe."""
    from ..spec import _registry

    data = b""
    names = [name for name in stage.frameworks if name.startswith(_registry.EXTENSION_PREFIX)]
    if names:
        from ..seeding.extensions import SEEDERS_VARIABLE, handoff

        text = handoff(names)
        item = f"{SEEDERS_VARIABLE}={text}\0".encode("utf-8", "surrogateescape")
        if text is not None and len(item) <= _HAND_OVER_BYTES:
            data = item  # else the interpreters search for themselves
    os.set_blocking(gate, False)
    try:
        os.write(gate, data + b"open\0")
    except OSError:
        pass  # the interpreter is gone already
    finally:
        os.close(gate)


_PREFIX = "seedlock-status-"


def _status_base() -> str:
    """Where status directories go: in memory when this machine offers it (``$XDG_RUNTIME_DIR``, the user's
    own; else ``/dev/shm``), else where :func:`tempfile.mkdtemp` would put one (TMPDIR, else /tmp). Every
    run removes its directory after the command ends and before it can exit: on a disk filesystem mounted
    with ``discard`` that ``rmdir`` took 0.1-2.7 ms (a quarter of a bare interpreter start), in tmpfs a few
    microseconds."""
    for base in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if base and os.path.isabs(base) and os.access(base, os.W_OK | os.X_OK):
            return base
    return os.path.abspath(os.environ.get("TMPDIR") or os.environ.get("TEMP") or os.environ.get("TMP") or "/tmp")


def _status_dir() -> str:
    """A private new directory in :func:`_status_base`, named after this process
    (``seedlock-status-<pid namespace>-<pid>-<random>``). A launcher killed by SIGKILL cannot remove its
    own: each run removes those whose process is gone (same pid namespace only)."""
    base = _status_base()
    namespace = _pid_namespace()
    for _ in range(8):
        path = os.path.join(base, f"{_PREFIX}{namespace}-{os.getpid()}-{os.urandom(4).hex()}")
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue
        except OSError:
            break
    import tempfile

    return tempfile.mkdtemp(prefix=_PREFIX)


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        return "0"


def _remove_stale(base: str) -> None:
    """Remove the status directories in ``base`` whose launcher (same pid namespace) is gone (run_stage
    calls it while the command starts up)."""
    namespace = _pid_namespace()
    try:
        entries = os.scandir(base)
    except OSError:
        return
    with entries:
        for entry in entries:
            if not entry.name.startswith(_PREFIX):
                continue
            parts = entry.name[len(_PREFIX) :].split("-")
            if len(parts) != 3 or parts[0] != namespace or not parts[1].isdigit():
                continue
            try:
                os.kill(int(parts[1]), 0)
                continue  # its launcher runs
            except ProcessLookupError:
                pass
            except OSError:
                continue  # another user's process: alive
            if entry.is_dir(follow_symlinks=False):
                _remove(entry.path)


def _remove(directory: str) -> None:
    """The status directory holds one flat file per process (and a pipe's lock text)."""
    try:
        for name in os.listdir(directory):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass
        os.rmdir(directory)
    except OSError:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)


def _all_well(status_dir: str) -> bool:
    """True when the run's processes reported at least one applied step and no failed one, and every
    line reads plainly; anything else goes to :func:`seedlock.launching._seedreport.read_outcome`."""
    from ..seeding._seedstatus import CONTROLLED_KINDS  # loaded while the command ran (run_stage)
    from ..spec._lockfile import scan

    seeded = False
    try:
        for name in os.listdir(status_dir):
            if not name.endswith(".jsonl"):
                continue
            with open(os.path.join(status_dir, name), "rb") as handle:
                for line in handle.read().decode("utf-8").splitlines():
                    item = scan(line)
                    if type(item) is not dict:
                        return False
                    if item.get("event") == "finding" and item.get("kind") not in CONTROLLED_KINDS:
                        return False  # randomness the lock does not control: a warning
                    if item.get("event") == "action":
                        status = item.get("status")
                        if status == "failed":
                            return False
                        seeded = seeded or status == "applied"
    except Exception:
        return False
    return seeded


def autoseed_environment(
    stage: "Any", status_dir: str, base: "Mapping[str, str]", *, auto_seed: bool
) -> dict[str, str]:
    """The variables that make ``stage``'s Python and R children seed themselves and report back (a
    :class:`seedlock.spec.lock.LockedStage` or this module's view of one; :func:`run_stage` adds strict mode),
    without json and pathlib.

    With ``auto_seed`` the bootstrap directory goes first on ``PYTHONPATH`` (its ``sitecustomize``
    chains any other; the user's entries stay as they were, a nested ``seedlock run`` finds it first
    already) and ``R_PROFILE_USER`` names seedlock's R profile (which sources the user's own; a nested
    run keeps the user's, never chains ours). Seeds travel as "name=seed" words (":hash" when the python
    seed is also PYTHONHASHSEED), read at every interpreter start without json; the settings, as JSON,
    are read only when a framework is imported."""
    from _json import encode_basestring_ascii  # type: ignore[import-not-found]  # what json.dumps uses

    env = {STATUS_VARIABLE: status_dir}
    if getattr(stage, "take_over", None):  # spec §6.4: take-over mode, for apply_from_env() too
        env["SEEDLOCK_TAKEOVER"] = "1"
    if not auto_seed:
        return env
    env[AUTOSEED_VARIABLE] = " ".join(
        f"{name}={fw.seed}" + (":hash" if name == "python" and fw.settings["hash_seed"] else "")
        for name, fw in stage.frameworks.items()
    )

    def dumps(value: "Any") -> str:
        if value is None or type(value) is bool:
            return {None: "null", True: "true", False: "false"}[value]
        if type(value) is int:
            return str(value)
        if type(value) is str:
            return encode_basestring_ascii(value)  # type: ignore[no-any-return]
        if type(value) in (list, tuple):
            return "[" + ",".join(dumps(x) for x in value) + "]"
        if isinstance(value, dict) or hasattr(value, "items"):
            return "{" + ",".join(f"{encode_basestring_ascii(k)}:{dumps(v)}" for k, v in value.items()) + "}"
        import json  # no setting of the registry has another type; a plug-in's might

        return json.dumps(value, separators=(",", ":"))

    env[AUTOSEED_SETTINGS_VARIABLE] = dumps({name: dict(fw.settings) for name, fw in stage.frameworks.items()})
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    boot = os.path.join(here, "_bootstrap", "python")
    r_profile = os.path.join(here, "_bootstrap", "Rprofile.R")
    path = base.get("PYTHONPATH", "")
    if path != boot and not path.startswith(boot + os.pathsep):
        path = boot + (os.pathsep + path if path else "")
    env["PYTHONPATH"] = path
    r = stage.frameworks.get("r")
    if r is not None:
        t = r.settings
        env[AUTOSEED_R_VARIABLE] = f"{r.seed},{t['kind']},{t['normal_kind']},{t['sample_kind']}"
    if "R_PROFILE_USER" in base and R_PROFILE_VARIABLE not in base and base["R_PROFILE_USER"] != r_profile:
        env[R_PROFILE_VARIABLE] = base["R_PROFILE_USER"]
    env["R_PROFILE_USER"] = r_profile
    return env
