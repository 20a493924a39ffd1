"""How the processes of a ``seedlock run`` tell the launcher what they seeded (the writing side).

``seedlock run`` gives its command a private directory in ``$SEEDLOCK_STATUS``. Every process of the
run that seedlock seeds -- auto-seeding (at interpreter start and on a framework's first import),
``apply()``/``apply_from_env()``, and in R the start-up profile, ``set_seedlock()`` and
``seedlock_from_env()`` -- appends JSON lines to ``<dir>/<binding>-<pid>.jsonl``, one per action as
``apply()`` reports it. A line per event rather than one write at exit keeps what a process did even
when it is killed. :mod:`seedlock.launching._seedreport` reads them in the launcher.

This module runs at the start of every auto-seeded interpreter, so it imports nothing (not even
``json``: a few milliseconds on every Python process of a pipeline).
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

STATUS_VARIABLE = "SEEDLOCK_STATUS"
STRICT_VARIABLE = "SEEDLOCK_STRICT"
AUTOSEED_VARIABLE = "SEEDLOCK_AUTOSEED"
AUTOSEED_SETTINGS_VARIABLE = "SEEDLOCK_AUTOSEED_SETTINGS"
AUTOSEED_R_VARIABLE = "SEEDLOCK_AUTOSEED_R"
R_PROFILE_VARIABLE = "SEEDLOCK_R_PROFILE_USER"
#: "<fd>:<inode>": the read end of a pipe ``seedlock run`` closes once the start-of-run check's warnings
#: are out; each auto-seeded interpreter waits for that after seeding, before its program runs
#: (``_bootstrap/python/sitecustomize.py`` reads it, and takes it out of the environment).
GATE_VARIABLE = "SEEDLOCK_START_GATE"

#: (framework, status, what, detail): one step of seeding, as ``apply.Action`` has it.
Row = tuple[str, str, str, str]

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def json_string(text: str) -> str:
    """``text`` as a JSON string (what ``json.dumps`` gives with ``ensure_ascii=False``)."""
    out = []
    for ch in text:
        escaped = _ESCAPES.get(ch)
        if escaped is None and ord(ch) < 0x20:
            escaped = f"\\u{ord(ch):04x}"
        out.append(escaped or ch)
    return '"' + "".join(out) + '"'


def _append(lines: list[str]) -> None:
    directory = os.environ.get(STATUS_VARIABLE)
    if not directory or not lines:
        return
    try:
        # One write of whole lines in append mode: lines from other threads never interleave mid-line.
        fd = os.open(
            os.path.join(directory, f"python-{os.getpid()}.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600
        )
        try:
            os.write(fd, "".join(line + "\n" for line in lines).encode("utf-8", "backslashreplace"))
        finally:
            os.close(fd)
    except OSError:
        # The launcher is gone or removed its directory: nobody is left to read the report, and a
        # launcher that is still there reports this process as not seeded.
        pass


def record_start(stage: str, via: str, rows: "Iterable[Row]" = ()) -> None:
    """Say that this process started with the stage, and the steps ``rows`` it took at once (one write)."""
    argv = ",".join(json_string(a) for a in getattr(sys, "orig_argv", sys.argv))
    _append(
        [
            f'{{"event":"start","via":{json_string(via)},"stage":{json_string(stage)},"argv":[{argv}]}}',
            *_action_lines(via, stage, rows),
        ]
    )


def record(via: str, stage: str, rows: "Iterable[Row]") -> None:
    """Append seeding steps to this process's status, when run by ``seedlock run``."""
    if not os.environ.get(STATUS_VARIABLE):
        return
    _append(_action_lines(via, stage, rows))


def _action_lines(via: str, stage: str, rows: "Iterable[Row]") -> list[str]:
    head = f'{{"event":"action","via":{json_string(via)},"stage":{json_string(stage)}'
    return [
        f'{head},"framework":{json_string(fw)},"status":{json_string(status)},"what":{json_string(what)},'
        f'"detail":{json_string(detail)}}}'
        for fw, status, what, detail in rows
    ]


#: The kinds of finding a process reports about randomness seedlock does not control (spec §6.1):
#: ``reseeded`` (the program seeded a framework itself, after seedlock), ``taken-over`` (such a call was
#: replaced by a seed derived from the lock), ``seedless-generator`` (a generator made without a seed,
#: seeded by the creation-order rule), ``unlisted-framework`` (imported, but the stage does not list it),
#: ``unseeded-worker`` (a worker process drawing from generators nobody seeded), ``unseeded-generator``
#: (a generator the program seeded from the OS on purpose: ``torch.seed()``,
#: ``tf.random.Generator.from_non_deterministic_state()``).
FINDING_KINDS = (
    "reseeded",
    "taken-over",
    "seedless-generator",
    "unlisted-framework",
    "unseeded-worker",
    "unseeded-generator",
)
#: The kinds whose randomness the lock controls after all (reported with -v); every other kind is not
#: controlled: a warning, and an error with --strict.
CONTROLLED_KINDS = ("taken-over", "seedless-generator")


def record_finding(
    via: str, stage: str, kind: str, framework: str, where: str, detail: str, *, count: int | None = None
) -> None:
    """Append one finding: ``where`` is ``file:line`` of the program's call (or ``""``), ``detail`` one
    human sentence, ``count`` how many times it happened so far where that is counted (the last line of
    a kind and framework holds the total). The launcher prints each finding the lock does not control
    as a warning (an error with ``--strict``)."""
    if not os.environ.get(STATUS_VARIABLE):
        return
    tail = "" if count is None else f',"count":{int(count)}'
    _append(
        [
            f'{{"event":"finding","via":{json_string(via)},"stage":{json_string(stage)},"kind":{json_string(kind)},'
            f'"framework":{json_string(framework)},"where":{json_string(where)},"detail":{json_string(detail)}{tail}}}'
        ]
    )


def frame_line(frame: "Any") -> str:
    """``file:line`` of a program's frame (the file relative to the working directory when below it), as
    findings name where they happened."""
    path = frame.f_code.co_filename
    try:
        relative = os.path.relpath(path)
        path = relative if not relative.startswith("..") else path
    except ValueError:  # another drive (no relative path)
        pass
    return f"{path}:{frame.f_lineno}"
