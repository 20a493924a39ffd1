"""``seedlock run LOCK --stage S -- CMD``: the fast path, for a lock that is plainly valid.

Every CI job and every wrapped command pays for starting seedlock before its own process, so this
path imports nothing it can do without: no ``json`` (it imports ``re``), ``dataclasses``, ``typing``,
``signal`` (``enum``), ``subprocess`` or ``threading``, and no framework module. It decides only one
thing itself: *this lock is valid and has this stage*. It accepts the lock only when it is certain:

* the text is parsed by the C scanner behind ``json`` with the same rules as :mod:`seedlock._json`
  (duplicate keys, constants); anything unusual (a byte-order mark, ``\\u`` escapes, deep nesting,
  floats where integers are expected) is left to the full path;
* the lock is checked member by member against spec §5 and ``spec/registry.json`` (settings and
  launcher variables), using the same derivation code as :mod:`seedlock.lock`.

When it cannot accept the lock it returns ``None`` and ``seedlock run`` takes the full path, which
finds and reports the exact error (code, pointer, file name). ``test_launch_fast.py`` proves over
the vectors and the hostile corpus that it accepts nothing the full path refuses and that the
environment it gives the child is :func:`seedlock.launch.stage_environment`'s.

The child is started as :func:`seedlock.launch.run_child` starts it: same terminal and process group,
``PR_SET_PDEATHSIG``, SIGTERM/SIGINT/SIGHUP forwarded, 128+N and a line on stderr when signal N
killed it; a command that cannot be started is left to the full path, which reports ``io-error``.
"""

from __future__ import annotations

import os
import sys

from .derivation import DERIVATION, RULES, SEED_MAX, derive, is_label

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

_SOURCES = ("manifest", "env", "generated", "derived")
_MAX_BYTES = 16 * 1024 * 1024  # seedlock._json.MAX_DOCUMENT_BYTES (a test checks they agree)
_MAX_DEPTH = 64  # seedlock._json.MAX_DEPTH
_FORWARDED = ("SIGTERM", "SIGINT", "SIGHUP")
_HEX = frozenset("0123456789abcdef")


class _Decline(Exception):
    """Not certainly valid: the full path decides (and explains)."""


class _Entry:
    """A framework's seed and settings, as :class:`seedlock.lock.FrameworkSeed` offers them."""

    def __init__(self, seed: int, settings: dict[str, Any]) -> None:
        self.seed, self.settings = seed, settings


class _Stage:
    """What the launcher reads of a :class:`seedlock.lock.LockedStage`: its name and frameworks (lock order)."""

    def __init__(self, name: str, frameworks: dict[str, _Entry]) -> None:
        self.name, self.frameworks = name, frameworks


def launch(argv: list[str]) -> None:
    """``seedlock run`` (``argv`` after ``run``) when it is ``LOCK --stage S [--no-auto-seed] [-v] --
    CMD`` with a plainly valid lock: runs the command and ends the process with its exit status.
    Returns (having run nothing) when the full path must take the command: other options, any
    error, a lock in doubt, a start-of-run check with something to say, a command that cannot start."""
    parsed = _parse(argv)
    if parsed is None or os.environ.get("SEEDLOCK_REPLICATE"):
        return  # inside a replicate (spec §12.2): the full path clears the replicate's variables
    lock, name, cmd, auto_seed, verbose = parsed
    found = stage(lock, name)
    if found is None:
        return
    env, view = found
    # The start-of-run check has run, with nothing to say: the child's apply_from_env() need not
    # repeat it (seedlock.runcheck.CHECKED_VARIABLE, as the full path tells its child).
    child_env = {**os.environ, "SEEDLOCK_RUN_CHECKED": "1", **env}
    try:
        code = run_stage(cmd, child_env, view, auto_seed=auto_seed, verbose=verbose)
    except _NotStarted:
        return  # the full path tries again and reports why the command cannot start
    exit_now(code)


def _parse(argv: list[str]) -> tuple[str, str, list[str], bool, bool] | None:
    """(lock, stage, command, auto_seed, verbose) for the options this path knows; None otherwise."""
    if "--" not in argv:
        return None
    cut = argv.index("--")
    opts, cmd = argv[:cut], argv[cut + 1 :]
    auto_seed = "--no-auto-seed" not in opts
    verbose = "-v" in opts or "--verbose" in opts
    opts = [o for o in opts if o not in ("--no-auto-seed", "-v", "--verbose")]
    if len(opts) == 2 and opts[1].startswith("--stage="):
        lock, name = opts[0], opts[1][len("--stage="):]
    elif len(opts) == 2 and opts[0].startswith("--stage="):
        lock, name = opts[1], opts[0][len("--stage="):]
    elif len(opts) == 3 and opts[1] == "--stage":
        lock, name = opts[0], opts[2]
    elif len(opts) == 3 and opts[0] == "--stage":
        lock, name = opts[2], opts[1]
    else:
        return None
    if not cmd or not lock or lock.startswith("-"):
        return None
    return lock, name, cmd, auto_seed, verbose


def exit_now(code: int) -> None:
    """End the launcher with ``code`` once its output is out, skipping the interpreter's finalisation
    (about a sixth of a bare start, paid by every wrapped command): this path holds no files, threads
    or exit handlers that finalisation would tidy."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = 141  # as `seedlock` reports a reader that went away (cli._reader_went_away)
    except (OSError, ValueError):
        pass
    os._exit(code)


class _NotStarted(Exception):
    """The command could not be started (nothing ran)."""


def stage(lock_path: str, name: str) -> tuple[dict[str, str], _Stage] | None:
    """The stage's variables and a view of the stage, when the lock is certainly valid and has it."""
    try:
        data = _read(lock_path)
    except (_Decline, OSError, ValueError, RecursionError):
        return None
    env = _environment(data, lock_path, name)
    if env is None:
        return None
    entries = data["stages"][name]["frameworks"]
    return env, _Stage(name, {fw: _Entry(e["seed"], e["settings"]) for fw, e in entries.items()})


def stage_environment(lock_path: str, stage: str) -> dict[str, str] | None:
    """The stage's variables (as :func:`seedlock.launch.stage_environment` gives them) when the lock
    at ``lock_path`` is certainly valid and has ``stage``; None otherwise."""
    try:
        data = _read(lock_path)
    except (_Decline, OSError, ValueError, RecursionError):
        return None
    return _environment(data, lock_path, stage)


def _environment(data: Any, lock_path: str, stage: str) -> dict[str, str] | None:
    try:
        registry = _registry()
        _check_lock(data, registry)
        entry = data["stages"].get(stage)
        if entry is None:
            return None
        _want(_same_setup(data, lock_path, entry["frameworks"], registry))
        env = {"SEEDLOCK_LOCK": os.path.abspath(lock_path), "SEEDLOCK_STAGE": stage}
        frameworks = entry["frameworks"]
        for fw in registry["frameworks"]:  # application order, as the registry lists them
            locked = frameworks.get(fw["name"])
            if locked is None:
                continue
            for var in fw["launcher_environment"]:
                if not locked["settings"][var["when"]]:
                    continue
                value = var["value"].replace("{seed}", str(locked["seed"]))
                if var.get("append"):
                    value = _appended(os.environ.get(var["variable"]), value)
                env[var["variable"]] = value
        return env
    except (_Decline, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def _appended(current: str | None, flag: str) -> str:
    """Spec §6: ``flag`` after a space at the end of the user's value, unless already among its words
    (``seedlock.frameworks.jax.with_deterministic_flag``; a test holds them together)."""
    if not current or not current.strip():
        return flag
    return current if flag in current.split() else f"{current} {flag}"


def _same_setup(data: dict[str, Any], lock_path: str, frameworks: Mapping[str, Any], registry: dict[str, Any]) -> bool:
    """The start-of-run check (spec §5.4, :func:`seedlock.runcheck.check_start`) finds nothing: the
    inputs and parameter files hash as the lock recorded them, and the stage's framework versions,
    the device kind and the platform are the lock's. Anything else -- a difference to report, a
    version only importlib.metadata can tell -- goes to the full path, which reports it."""
    from . import _machine

    provenance = data.get("provenance") or {}
    _want(type(provenance) is dict)
    files = [(key, provenance.get(key) or {}) for key in ("inputs", "params")]
    _want(all(type(locked) is dict for _, locked in files))
    if any(locked for _, locked in files):
        # Hashing the files costs what it costs on either path; the modules it needs are loaded only here.
        from .fingerprint import base_directory, hashes_now

        base = base_directory(data, lock_path)
        for key, locked in files:
            if hashes_now(locked, base, key) != locked:
                return False
    then = provenance.get("frameworks") or {}
    _want(type(then) is dict)
    entries = {fw["name"]: fw for fw in registry["frameworks"]}
    for fw in frameworks:
        if fw in then and then[fw] != version_now(fw, entries[fw]["distributions"]):
            return False
    for key, now in (("device", _machine.device_kind), ("platform", _machine.platform_tag)):
        if provenance.get(key) and provenance[key] != now():
            return False
    return True


def version_now(framework: str, distributions: Sequence[str]) -> str | None:
    """``seedlock.frameworks.<framework>.version()`` without importing the framework modules (a test
    holds the two together); declines where only importlib.metadata can tell."""
    from . import _machine

    if framework == "python":
        return _machine.python_version()
    if framework == "r":
        return _machine.rscript_version()
    if framework == "caffe":
        return None  # Caffe has no version to read without building it
    for name in distributions:
        found = _machine.quick_distribution_version(name)
        _want(found is not _machine.UNSURE)
        if found is not None:
            return found  # type: ignore[return-value]
    return None


def _read(path: str) -> Any:
    with open(path, "rb") as handle:
        raw = handle.read(_MAX_BYTES + 1)
    if len(raw) > _MAX_BYTES or raw.startswith(b"\xef\xbb\xbf"):
        raise _Decline
    return _loads(raw.decode("utf-8"))


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Decline  # a duplicate key
    return out


def _constant(name: str) -> Any:
    raise _Decline  # NaN, Infinity


_scanner: Any = None


def _loads(text: str) -> Any:
    """A user's document, when nothing in it needs the full parser's judgement."""
    if "\\u" in text or text.count("[") + text.count("{") > _MAX_DEPTH:
        raise _Decline  # escapes may hide unpaired surrogates; deep documents: the full path counts
    return _scan(text)


def _scan(text: str) -> Any:
    """One JSON document, by the C scanner ``json`` uses, without importing ``json`` (and ``re``)."""
    global _scanner
    if _scanner is None:
        from _json import make_scanner  # type: ignore[import-not-found]

        class _Context:
            strict = True
            object_hook = None
            object_pairs_hook = staticmethod(_pairs)
            parse_float = float
            parse_int = int
            parse_constant = staticmethod(_constant)
            memo: dict[str, str] = {}

        _scanner = make_scanner(_Context())  # type: ignore[arg-type]  # any object with these attributes
    start = len(text) - len(text.lstrip(" \t\n\r"))
    try:
        value, end = _scanner(text, start)
    except StopIteration:
        raise _Decline from None
    if text[end:].strip(" \t\n\r"):
        raise _Decline  # extra data
    return value


_REGISTRY: dict[str, Any] | None = None


def _registry() -> dict[str, Any]:
    """``registry.json`` where :mod:`seedlock._spec` finds it (``$SEEDLOCK_SPEC_DIR`` or the packaged copy)."""
    global _REGISTRY
    if _REGISTRY is None:
        base = os.environ.get("SEEDLOCK_SPEC_DIR") or os.path.join(os.path.dirname(__file__), "_spec")
        with open(os.path.join(base, "registry.json"), "rb") as handle:
            _REGISTRY = _scan(handle.read().decode("utf-8"))
    return _REGISTRY


def _want(ok: object) -> None:
    if not ok:
        raise _Decline


def _members(value: Any, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    _want(type(value) is dict)
    _want(all(k in value for k in required))
    _want(all(k in required or k in optional for k in value))


def _seed(value: Any) -> int:
    _want(type(value) is int and 0 <= value <= SEED_MAX)  # 42.0 and the like: the full path
    return value  # type: ignore[no-any-return]


def _resolved(value: Any, extra: tuple[str, ...]) -> tuple[int, str]:
    _members(value, ("seed", "source", *extra), ("variable",))
    seed = _seed(value["seed"])
    source = value["source"]
    _want(type(source) is str and source in _SOURCES)
    _want(("variable" in value) == (source == "env"))
    _want("variable" not in value or type(value["variable"]) is str)
    return seed, source


def _setting(spec: dict[str, Any], value: Any) -> None:
    kind = spec["type"]
    if kind == "boolean":
        _want(type(value) is bool)
    elif kind == "integer-or-null":
        _want(value is None or (type(value) is int and value >= spec.get("minimum", value)))
    elif kind == "enum":
        _want(type(value) is str and value in spec["values"])
    elif kind == "string-array":
        _want(type(value) is list and all(type(x) is str and x for x in value))
    else:
        raise _Decline  # a setting type this path does not know


def _check_lock(data: Any, registry: dict[str, Any]) -> None:
    """Spec §5, as :meth:`seedlock.lock.Lock.from_dict` checks it; declines whatever is in doubt."""
    _members(data, ("lock-version", "derivation", "root", "stages", "manifest"), ("$schema", "provenance", "rules"))
    _want("rules" not in data or (type(data["rules"]) is int and data["rules"] in RULES))  # spec §5.3
    major, _, minor = str(registry["spec_version"]).partition(".")
    version = data["lock-version"]
    _want(type(version) is str and version in {f"{major}.{m}" for m in range(int(minor) + 1)})
    _want("$schema" not in data or type(data["$schema"]) is str)
    _want("provenance" not in data or type(data["provenance"]) is dict)
    _want(data["derivation"] == DERIVATION)
    root_seed, root_source = _resolved(data["root"], ())
    _want(root_source != "derived")
    stages = data["stages"]
    _want(type(stages) is dict and stages)
    settings = {fw["name"]: {s["name"]: s for s in fw["settings"]} for fw in registry["frameworks"]
                if _minor(fw["since"]) <= _minor(version)}  # spec §2.1: `jax` is not a 1.0 framework
    for name, stage in stages.items():
        _want(is_label(name))
        seed, source = _resolved(stage, ("frameworks",))
        _want(source != "derived" or seed == derive(root_seed, name))
        frameworks = stage["frameworks"]
        _want(type(frameworks) is dict and frameworks)
        for fw, entry in frameworks.items():
            specs = settings.get(fw)
            _want(specs is not None)
            fw_seed, fw_source = _resolved(entry, ("settings",))
            _want(fw_source != "derived" or fw_seed == derive(seed, fw))
            values = entry["settings"]
            _want(type(values) is dict and set(values) == set(specs))  # type: ignore[arg-type]
            for key, spec in specs.items():  # type: ignore[union-attr]
                _setting(spec, values[key])
    manifest = data["manifest"]
    _members(manifest, ("sha256",), ("path",))
    sha = manifest["sha256"]
    _want(type(sha) is str and len(sha) == 64 and set(sha) <= _HEX)
    _want("path" not in manifest or type(manifest["path"]) is str)


def _minor(version: str) -> int:
    major, _, minor = version.partition(".")
    _want(major == "1" and minor.isdigit())  # a registry of another major version: the full path
    return int(minor)


def run(cmd: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``cmd`` in the foreground with the environment ``env``, as :func:`seedlock.launch.run_child`."""
    import _signal  # the C module: `signal` imports enum

    child_env = dict(env)
    errors_r, errors_w = os.pipe()  # close-on-exec: stays empty when exec succeeds
    from ._prctl import PR_SET_PDEATHSIG, load

    prctl = load()
    parent = os.getpid()
    forwarded = [getattr(_signal, name) for name in _FORWARDED]
    pid = 0

    def forward(signum: int, _frame: object) -> None:
        if pid:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    previous = {signum: _signal.signal(signum, forward) for signum in forwarded}
    pid = os.fork()
    if pid == 0:  # the child: nothing here may return into seedlock
        try:
            for signum in (*forwarded, _signal.SIGPIPE, _signal.SIGXFSZ):
                _signal.signal(signum, _signal.SIG_DFL)  # as subprocess's restore_signals
            if prctl is not None:
                prctl(PR_SET_PDEATHSIG, _signal.SIGTERM)  # type: ignore[operator]  # die with seedlock, even on SIGKILL
                if os.getppid() != parent:
                    os.kill(os.getpid(), _signal.SIGTERM)
            os.closerange(3, errors_w)
            os.closerange(errors_w + 1, _max_fd())
            os.execvpe(cmd[0], list(cmd), child_env)
        except OSError as exc:
            os.write(errors_w, str(exc.errno or 0).encode())
        finally:
            os._exit(255)
    os.close(errors_w)
    try:
        failure = b""
        while chunk := os.read(errors_r, 64):
            failure += chunk
        os.close(errors_r)
        _, status = os.waitpid(pid, 0)  # retried after a forwarded signal (PEP 475)
    finally:
        for signum, handler in previous.items():
            _signal.signal(signum, handler)
    if failure:
        raise _NotStarted(os.strerror(int(failure)))
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        if -code != _signal.SIGPIPE:  # `seedlock run ... | head -1`: the reader went away, as a shell says nothing
            import shlex
            import signal

            print(f"seedlock: command {shlex.join(cmd)} was killed by {signal.Signals(-code).name}", file=sys.stderr)
        return 128 - code
    return code


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (OSError, ValueError):
        return 256


def run_stage(cmd: Sequence[str], env: Mapping[str, str], view: _Stage, *, auto_seed: bool, verbose: bool) -> int:
    """:func:`seedlock.launch.run_seeded` for the fast path: the same variables, child and report. The
    report's module (json, dataclasses) is imported only when there is something to say: a failed
    step, nothing seeded, or ``verbose``."""
    status_dir = _status_dir()
    try:
        code = run(cmd, {**env, **autoseed_environment(view, status_dir, env, auto_seed=auto_seed)})
        if not verbose and _all_well(status_dir):
            return code
        from ._seedreport import read_outcome

        outcome = read_outcome(status_dir, view)  # type: ignore[arg-type]
    finally:
        _remove(status_dir)
    from .launch import report_outcome

    return report_outcome(outcome, cmd, view.name, code, auto_seed=auto_seed, strict=False, verbose=verbose)


def _status_dir() -> str:
    """A private new directory, where :func:`tempfile.mkdtemp` would put it (TMPDIR, else /tmp)."""
    base = os.environ.get("TMPDIR") or os.environ.get("TEMP") or os.environ.get("TMP") or "/tmp"
    for _ in range(8):
        path = os.path.join(os.path.abspath(base), "seedlock-status-" + os.urandom(6).hex())
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue
        except OSError:
            break
    import tempfile

    return tempfile.mkdtemp(prefix="seedlock-status-")


def _remove(directory: str) -> None:
    """The status directory holds one flat file per process."""
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
    line reads plainly; anything else goes to :func:`seedlock._seedreport.read_outcome`."""
    seeded = False
    try:
        for name in os.listdir(status_dir):
            if not name.endswith(".jsonl"):
                continue
            with open(os.path.join(status_dir, name), "rb") as handle:
                for line in handle.read().decode("utf-8").splitlines():
                    item = _scan(line)
                    if type(item) is not dict:
                        return False
                    if item.get("event") == "action":
                        status = item.get("status")
                        if status == "failed":
                            return False
                        seeded = seeded or status == "applied"
    except (OSError, ValueError, _Decline):
        return False
    return seeded


def autoseed_environment(stage: Any, status_dir: str, base: Mapping[str, str], *, auto_seed: bool) -> dict[str, str]:
    """The variables that make ``stage``'s Python and R children seed themselves and report back (a
    :class:`seedlock.lock.LockedStage` or this module's view of one; the full path's
    :func:`seedlock._seedreport.autoseed_environment` adds strict mode to these), without json and pathlib.

    With ``auto_seed`` the bootstrap directory goes first on ``PYTHONPATH`` (its ``sitecustomize``
    chains any other; the user's entries stay as they were, a nested ``seedlock run`` finds it first
    already) and ``R_PROFILE_USER`` names seedlock's R profile (which sources the user's own; a nested
    run keeps the user's, never chains ours). Seeds travel as "name=seed" words (":hash" when the python
    seed is also PYTHONHASHSEED), read at every interpreter start without json; the settings, as JSON,
    are read only when a framework is imported."""
    from _json import encode_basestring_ascii  # type: ignore[import-not-found]  # what json.dumps uses

    from . import _seedstatus as s

    env = {s.STATUS_VARIABLE: status_dir}
    if not auto_seed:
        return env
    env[s.AUTOSEED_VARIABLE] = " ".join(
        f"{name}={fw.seed}" + (":hash" if name == "python" and fw.settings["hash_seed"] else "")
        for name, fw in stage.frameworks.items())

    def dumps(value: Any) -> str:
        if value is None or type(value) is bool:
            return {None: "null", True: "true", False: "false"}[value]
        if type(value) is int:
            return str(value)
        if type(value) is str:
            return encode_basestring_ascii(value)  # type: ignore[no-any-return]
        if type(value) is list:
            return "[" + ",".join(dumps(x) for x in value) + "]"
        if type(value) is dict:
            return "{" + ",".join(f"{encode_basestring_ascii(k)}:{dumps(v)}" for k, v in value.items()) + "}"
        import json  # no setting of the registry has another type; a plug-in's might

        return json.dumps(value, separators=(",", ":"))

    env[s.AUTOSEED_SETTINGS_VARIABLE] = dumps({name: dict(fw.settings) for name, fw in stage.frameworks.items()})
    here = os.path.dirname(os.path.realpath(__file__))
    boot = os.path.join(here, "_bootstrap", "python")
    r_profile = os.path.join(here, "_bootstrap", "Rprofile.R")
    path = base.get("PYTHONPATH", "")
    if path != boot and not path.startswith(boot + os.pathsep):
        path = boot + (os.pathsep + path if path else "")
    env["PYTHONPATH"] = path
    r = stage.frameworks.get("r")
    if r is not None:
        t = r.settings
        env[s.AUTOSEED_R_VARIABLE] = f"{r.seed},{t['kind']},{t['normal_kind']},{t['sample_kind']}"
    if "R_PROFILE_USER" in base and s.R_PROFILE_VARIABLE not in base and base["R_PROFILE_USER"] != r_profile:
        env[s.R_PROFILE_VARIABLE] = base["R_PROFILE_USER"]
    env["R_PROFILE_USER"] = r_profile
    return env
