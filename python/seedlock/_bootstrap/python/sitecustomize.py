"""seedlock auto-seeding: `seedlock run` puts this directory first on PYTHONPATH.

Python imports the first ``sitecustomize`` on ``sys.path`` at start-up. This one seeds the program
(``seedlock.seeding._autoseed.start``), then runs the ``sitecustomize`` it shadows, if any, as if Python had
imported that one. Written for any Python 3 so that an interpreter too old for seedlock reports that
instead of failing to parse this file.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _report_failure(message):
    # No seedlock to report through: write the status lines `seedlock run` reads, by hand.
    directory = os.environ.get("SEEDLOCK_STATUS")
    try:
        import json

        stage = json.dumps(os.environ.get("SEEDLOCK_STAGE", ""))
        text = (
            '{{"event":"start","via":"auto","stage":{},"argv":{}}}\n'
            '{{"event":"action","via":"auto","stage":{},"framework":"python","status":"failed",'
            '"what":"auto-seeding","detail":{}}}\n'.format(
                stage, json.dumps(list(getattr(sys, "orig_argv", sys.argv))), stage, json.dumps(message)
            )
        )
        if directory:
            with open(os.path.join(directory, f"python-{os.getpid()}.jsonl"), "a") as f:
                f.write(text)
            return
    except Exception:
        pass
    sys.stderr.write(f"seedlock: warning: {message}\n")


def _import_seedlock():
    try:
        import seedlock  # noqa: F401
    except ImportError as exc:
        if getattr(exc, "name", None) != "seedlock":
            raise
    else:
        # The program's own seedlock, even one too old to auto-seed (reported, never swapped).
        from seedlock.seeding import _autoseed

        return _autoseed
    # This interpreter has no seedlock (e.g. the CLI is installed with pipx, the program runs in its
    # own venv): load the launcher's copy of the package, and only that package, from beside us.
    import importlib.util

    package = os.path.dirname(os.path.dirname(_HERE))
    spec = importlib.util.spec_from_file_location(
        "seedlock", os.path.join(package, "__init__.py"), submodule_search_locations=[package]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["seedlock"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["seedlock"]
        raise
    from seedlock.seeding import _autoseed

    return _autoseed


def _start():
    seeding, locating = os.environ.get("SEEDLOCK_AUTOSEED"), os.environ.get("SEEDLOCK_LOCATE")
    if not (seeding or locating):
        return
    try:
        autoseed = _import_seedlock()
    except Exception as exc:
        _report_failure(
            f"cannot load seedlock in {sys.executable} (Python {sys.version.split()[0]}): {type(exc).__name__}: {exc}"
        )
        return
    if seeding:
        try:
            autoseed.start()
        except Exception as exc:
            _report_failure(f"auto-seeding failed: {type(exc).__name__}: {exc}")
    if locating:  # `seedlock verify --locate`: only then is the locator loaded
        try:
            from seedlock.locate import _boot
        except ImportError as exc:
            sys.stderr.write(f"seedlock: warning: this seedlock cannot locate divergences: {exc}\n")
        else:
            _boot.start()


def _wait_for_launcher():
    """`seedlock run` checks the lock and the start of the run while this interpreter starts up: wait at
    the start gate (a pipe) until it says "open", so that its warnings come before the program's first
    line and a refusal ends this interpreter before its program runs. Usually it is done already. Before
    "open" come what the launcher found meanwhile, "NAME=VALUE" items of seedlock's own variables
    (``SEEDLOCK_SEEDERS``: the extensions' seeders), set here for seeding and for the program's children;
    every item ends with a NUL byte. The pipe ending without "open" means the launcher is gone (killed,
    or it refused and kills this interpreter): the program does not run, and nothing is printed. Ctrl-C
    here ends this interpreter as it ends an interrupted program. The gate variable goes (a child of the
    program never waits); a descriptor of that number that is not the launcher's pipe (another program in
    between reused the number) is left alone."""
    gate = os.environ.pop("SEEDLOCK_START_GATE", None)  # _seedstatus.GATE_VARIABLE
    if not gate:
        return
    try:
        fd, _, rest = gate.partition(":")
        inode, _, launcher = rest.partition(":")
        fd = int(fd)
        st = os.fstat(fd)
        if st.st_ino != int(inode) or st.st_mode & 0o170000 != 0o010000:  # a FIFO (stat.S_IFIFO)
            return
        if launcher:
            _die_with_launcher()
        sent = b""
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            sent += chunk
        os.close(fd)
    except (OSError, ValueError):
        return
    except KeyboardInterrupt:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_DFL)  # as Python ends on an uncaught KeyboardInterrupt
        os.kill(os.getpid(), signal.SIGINT)
        os._exit(130)
    items = sent.split(b"\0")[:-1]  # an item cut short (the launcher's write did not fit) is dropped
    if not items or items[-1] != b"open":
        # The launcher is gone (its own end is what the user sees, as when it dies before starting a
        # command; PR_SET_PDEATHSIG races this read) or refused and is killing this interpreter: quietly.
        os._exit(1)
    for item in items[:-1]:
        name, _, value = item.decode("utf-8", "surrogateescape").partition("=")
        if name.startswith("SEEDLOCK_") and name != "SEEDLOCK_START_GATE":
            os.environ[name] = value


def _die_with_launcher():
    """`seedlock run` started this interpreter with posix_spawn, which cannot set PR_SET_PDEATHSIG: bind
    it here, before waiting at the gate, so that the program dies with the launcher even on SIGKILL. A
    launcher gone before this leaves the gate without "open": the program does not run."""
    try:
        _import_seedlock()
    except Exception:
        return  # no seedlock at all: _start tries again and reports why
    try:
        from seedlock.launching import _prctl
    except ImportError as exc:  # the program's own seedlock, older than the launcher
        sys.stderr.write(
            f"seedlock: warning: cannot bind this program to seedlock run's end ({exc}): it may outlive it\n"
        )
        return
    prctl = _prctl.load()
    if prctl is not None:
        prctl(_prctl.PR_SET_PDEATHSIG, 15)  # SIGTERM


def _chain():
    """Import the sitecustomize this file shadows, under the same name, as site.py would have."""
    me = sys.modules.pop("sitecustomize", None)
    try:
        __import__("sitecustomize")  # this directory is off sys.path by now: finds the next one, if any
    except ImportError as exc:
        if getattr(exc, "name", None) != "sitecustomize" or "sitecustomize" in sys.modules:
            raise
        sys.modules["sitecustomize"] = me  # none to chain: site.py finishes importing this one


# The program should not find this directory on its path; its children still get it from PYTHONPATH.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
try:
    # The launcher's warnings first, and what it found for seeding (its check is done long before this
    # interpreter gets here: the wait is rarely a wait).
    _wait_for_launcher()
    _start()
finally:
    _chain()
