"""What ``seedlock verify`` may ignore when it compares two runs' outputs, and saying so.

Two kinds of noise differ between runs of a perfectly seeded program:

* fields the user names with ``--ignore 'FILE#/json/pointer'`` (timings such as
  ``all_results.json#/*_per_second``): FILE is a glob matched against the output's path below the
  working directory (without ``/`` it matches the file name in any folder, as in ``.gitignore``);
  the pointer is RFC 6901, and ``*`` in a segment matches any run of characters in a key or an
  array index;
* fields that common formats stamp with the time, ignored by built-in rules: a PDF's
  ``/CreationDate``, ``/ModDate`` and ``/ID`` (and the cross-reference offsets they shift), and a
  TensorBoard event file's wall times and the time stamp, host and process id in its name.

Everything ignored that differed is reported (:class:`Ignored`), and anything else that differs is
still a difference: an ignored field never hides its neighbours.
"""

from __future__ import annotations

import fnmatch
import os
import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..spec.errors import SeedlockError
from .compare import Difference, compare_paths, compare_values


@dataclass(frozen=True)
class IgnoreRule:
    """One ``--ignore 'FILE#/json/pointer'``."""

    text: str  # as the user gave it
    file: str  # a glob over the file's path below the working directory
    pointer: tuple[str, ...]  # unescaped segments; ``*`` matches any run of characters

    def matches_file(self, path: str) -> bool:
        name = path if "/" in self.file else PurePosixPath(path).name
        return fnmatch.fnmatchcase(name, self.file)


@dataclass(frozen=True)
class Ignored:
    """A difference between two runs that a rule ignored: where, which rule, and what differed."""

    where: str
    rule: str
    what: str

    def __str__(self) -> str:
        return f"ignored {self.where} ({self.rule}): {self.what}"


@dataclass
class Comparison:
    """What comparing one output of two runs found."""

    differences: list[Difference] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # the --ignore rules whose FILE matched a file

    def add(self, other: Comparison) -> None:
        self.differences += other.differences
        self.ignored += other.ignored
        self.used |= other.used


def parse_ignore(text: str) -> IgnoreRule:
    """``FILE#/json/pointer`` as a rule; a malformed one is ``invalid-value``."""
    file, sep, pointer = text.partition("#")
    usage = "expected FILE#/json/pointer, e.g. 'all_results.json#/train_runtime'"
    if not sep or not file:
        raise SeedlockError("invalid-value", f"--ignore {text!r}: {usage}")
    if not pointer.startswith("/"):
        raise SeedlockError(
            "invalid-value",
            f"--ignore {text!r}: the JSON pointer after '#' must start with '/' "
            "(to ignore a whole file, leave it out of --output)",
        )
    segments = []
    for raw in pointer[1:].split("/"):
        if re.search(r"~(?![01])", raw):
            raise SeedlockError("invalid-value", f"--ignore {text!r}: '~' in a JSON pointer must be '~0' or '~1'")
        segments.append(raw.replace("~1", "/").replace("~0", "~"))
    return IgnoreRule(text=text, file=file, pointer=tuple(segments))


def compare_output(
    a: Path, b: Path, label: str, rules: Sequence[IgnoreRule] = (), *, runs: tuple[int, int] = (1, 2)
) -> Comparison:
    """Compare one output (file or directory) of run ``runs[0]`` at ``a`` with run ``runs[1]`` at ``b``."""
    found = Comparison()
    missing = [n for n, p in zip(runs, (a, b), strict=False) if not os.path.lexists(p)]
    if missing:
        found.differences.append(Difference(label, " and ".join(f"missing in run {n}" for n in missing)))
    elif a.is_dir() and b.is_dir():
        found.add(_compare_directories(a, b, label, rules, runs))
    elif a.is_dir() or b.is_dir():
        kinds = {n: "a directory" if p.is_dir() else "a file" for n, p in zip(runs, (a, b), strict=False)}
        found.differences.append(
            Difference(label, f"{kinds[runs[0]]} in run {runs[0]}, {kinds[runs[1]]} in run {runs[1]}")
        )
    else:
        found.add(_compare_files(a, b, label, rules))
    return found


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


_EVENT_FILE = re.compile(r"^events\.out\.tfevents\.")


def _compare_directories(
    a: Path, b: Path, label: str, rules: Sequence[IgnoreRule], runs: tuple[int, int]
) -> Comparison:
    found = Comparison()
    files_a, files_b = _files(a), _files(b)
    events_a = {n for n in files_a if _EVENT_FILE.match(PurePosixPath(n).name)}
    events_b = {n for n in files_b if _EVENT_FILE.match(PurePosixPath(n).name)}
    plain_a, plain_b = set(files_a) - events_a, set(files_b) - events_b
    found.differences += [Difference(f"{label}/{n}", f"only in run {runs[0]}") for n in sorted(plain_a - plain_b)]
    found.differences += [Difference(f"{label}/{n}", f"only in run {runs[1]}") for n in sorted(plain_b - plain_a)]
    for name in sorted(plain_a & plain_b):
        found.add(_compare_files(files_a[name], files_b[name], f"{label}/{name}", rules))
    # Event files are named after the time, host and process that wrote them: pair them by folder and order.
    for folder in sorted({str(PurePosixPath(n).parent) for n in events_a | events_b}):
        here_a = sorted(n for n in events_a if str(PurePosixPath(n).parent) == folder)
        here_b = sorted(n for n in events_b if str(PurePosixPath(n).parent) == folder)
        where = f"{label}/{folder}" if folder != "." else label
        if len(here_a) != len(here_b):
            found.differences.append(
                Difference(
                    where, f"{len(here_a)} TensorBoard event files in run {runs[0]}, {len(here_b)} in run {runs[1]}"
                )
            )
            continue
        for name_a, name_b in zip(here_a, here_b, strict=False):
            shown = f"{label}/{name_a}"
            if name_a != name_b:
                found.ignored.append(
                    Ignored(
                        shown,
                        "TensorBoard rule",
                        f"file name {PurePosixPath(name_b).name} in run {runs[1]} (time stamp, host, process id)",
                    )
                )
            found.add(_compare_events(files_a[name_a], files_b[name_b], shown))
    return found


def _compare_files(a: Path, b: Path, label: str, rules: Sequence[IgnoreRule]) -> Comparison:
    found = Comparison()
    mine = [r for r in rules if r.matches_file(label)]
    found.used = {r.text for r in mine}
    bytes_a, bytes_b = a.read_bytes(), b.read_bytes()
    if bytes_a == bytes_b:
        return found
    if mine:
        found.add(_compare_json(bytes_a, bytes_b, label, mine))
    elif a.suffix.lower() == ".pdf":
        found.add(_compare_pdf(bytes_a, bytes_b, label))
    elif _EVENT_FILE.match(a.name):
        found.add(_compare_events(a, b, label))
    else:
        found.differences += compare_paths(a, b, label)
    return found


# --- JSON: --ignore ------------------------------------------------------------------------------------

_GONE = object()


def _compare_json(bytes_a: bytes, bytes_b: bytes, label: str, rules: Sequence[IgnoreRule]) -> Comparison:
    import json

    found = Comparison()
    try:
        doc_a, doc_b = json.loads(bytes_a), json.loads(bytes_b)
    except ValueError as exc:
        names = ", ".join(repr(r.text) for r in rules)
        found.differences.append(Difference(label, f"bytes differ; --ignore {names} needs JSON, and it is not ({exc})"))
        return found
    for rule in rules:
        paths = list(dict.fromkeys([*_expand(doc_a, rule.pointer), *_expand(doc_b, rule.pointer)]))
        for path in paths:
            value_a, value_b = _take(doc_a, path), _take(doc_b, path)
            if value_a is _GONE or value_b is _GONE or compare_values(value_a, value_b, ""):
                what = f"{_shown(value_a)} != {_shown(value_b)}"
                found.ignored.append(Ignored(f"{label}#{_pointer(path)}", f"--ignore {rule.text!r}", what))
    found.differences += compare_values(doc_a, doc_b, label)
    return found


def _segment_matches(pattern: str, key: str) -> bool:
    if "*" not in pattern:
        return pattern == key
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), key, re.DOTALL) is not None


def _expand(doc: Any, segments: tuple[str, ...], path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if not segments:
        yield path
        return
    head, rest = segments[0], segments[1:]
    if isinstance(doc, dict):
        for key in [k for k in doc if _segment_matches(head, k)]:
            yield from _expand(doc[key], rest, (*path, key))
    elif isinstance(doc, list):
        for index in [i for i in range(len(doc)) if _segment_matches(head, str(i))]:
            yield from _expand(doc[index], rest, (*path, index))


def _take(doc: Any, path: tuple[str | int, ...]) -> Any:
    """Remove the value at ``path`` (a list item becomes a marker, so the indices after it stay)."""
    for step in path[:-1]:
        try:
            doc = doc[step]
        except (KeyError, IndexError, TypeError):
            return _GONE
    last = path[-1] if path else None
    if isinstance(doc, dict) and last in doc:
        return doc.pop(last)
    if isinstance(doc, list) and isinstance(last, int) and last < len(doc):
        value, doc[last] = doc[last], "<ignored>"
        return value
    return _GONE


def _pointer(path: tuple[str | int, ...]) -> str:
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)


def _shown(value: Any) -> str:
    if value is _GONE:
        return "(absent)"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- PDF ---------------------------------------------------------------------------------------------

# Literal strings may hold escaped parentheses; /ID is two hex strings.
_PDF_STAMP = re.compile(
    rb"/(CreationDate|ModDate)\s*(\((?:\\.|[^\\)])*\))|/(ID)\s*(\[\s*<[0-9A-Fa-f]*>\s*<[0-9A-Fa-f]*>\s*\])"
)
_PDF_OFFSETS = re.compile(rb"(?m)^\d{10} \d{5} ([nf])(?=\s)|(startxref\s+)\d+")


def _pdf_stamps(data: bytes) -> tuple[bytes, dict[str, list[bytes]]]:
    stamps: dict[str, list[bytes]] = {}

    def blank(match: re.Match[bytes]) -> bytes:
        key = (match.group(1) or match.group(3)).decode()
        stamps.setdefault(key, []).append(match.group(2) or match.group(4))
        return b"/" + key.encode() + b" <ignored>"

    normal = _PDF_STAMP.sub(blank, data)
    # Cross-reference offsets move with the stamps' lengths; the objects they point at are compared.
    normal = _PDF_OFFSETS.sub(lambda m: b"0000000000 00000 " + m.group(1) if m.group(1) else m.group(2) + b"0", normal)
    return normal, stamps


def _compare_pdf(bytes_a: bytes, bytes_b: bytes, label: str) -> Comparison:
    found = Comparison()
    normal_a, stamps_a = _pdf_stamps(bytes_a)
    normal_b, stamps_b = _pdf_stamps(bytes_b)
    for key in sorted(set(stamps_a) | set(stamps_b)):
        if stamps_a.get(key) != stamps_b.get(key):
            what = (
                " ".join(v.decode("latin-1") for v in stamps_a.get(key, []))
                + " != "
                + " ".join(v.decode("latin-1") for v in stamps_b.get(key, []))
            )
            found.ignored.append(Ignored(f"{label} /{key}", "PDF rule", what))
    if normal_a != normal_b:
        beyond = (
            f" beyond {', '.join('/' + k for k in sorted(set(stamps_a) | set(stamps_b)))}"
            if stamps_a or stamps_b
            else ""
        )
        found.differences.append(Difference(label, f"bytes differ{beyond} ({len(bytes_a)} vs {len(bytes_b)} bytes)"))
    return found


# --- TensorBoard event files ---------------------------------------------------------------------------


def _records(data: bytes) -> list[bytes]:
    """The payloads of a TFRecord file (length, its CRC, payload, its CRC); ValueError if cut short."""
    out, at = [], 0
    while at < len(data):
        if at + 12 > len(data):
            raise ValueError(f"a record header cut short at byte {at}")
        (length,) = struct.unpack_from("<Q", data, at)
        start = at + 12
        if start + length + 4 > len(data):
            raise ValueError(f"a record cut short at byte {at}")
        out.append(data[start : start + length])
        at = start + length + 4
    return out


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if at >= len(data):
            raise ValueError("a varint cut short")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7


def _fields(message: bytes) -> list[tuple[int, int, bytes | int]]:
    """(field number, wire type, value) of a protobuf message, in order."""
    out: list[tuple[int, int, bytes | int]] = []
    at = 0
    while at < len(message):
        key, at = _varint(message, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(message, at)
            out.append((number, wire, value))
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            out.append((number, wire, message[at : at + size]))
            at += size
        elif wire == 2:
            size, at = _varint(message, at)
            out.append((number, wire, message[at : at + size]))
            at += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


def _event(payload: bytes) -> tuple[float | None, int, list[str], bytes]:
    """An ``Event``'s wall time (field 1), step (2; absent means 0), summary tags (5 → 1 → 1) and every
    other byte."""
    wall, step, tags, rest = None, 0, [], b""
    for number, wire, value in _fields(payload):
        if number == 1 and wire == 1 and isinstance(value, bytes):
            (wall,) = struct.unpack("<d", value)
            continue
        if number == 2 and wire == 0 and isinstance(value, int):
            step = value
        if number == 5 and wire == 2 and isinstance(value, bytes):
            for n, w, item in _fields(value):
                if n == 1 and w == 2 and isinstance(item, bytes):
                    tags += [
                        t.decode("utf-8", "replace")
                        for tn, tw, t in _fields(item)
                        if tn == 1 and tw == 2 and isinstance(t, bytes)
                    ]
        rest += f"{number}:{wire}:".encode() + (value if isinstance(value, bytes) else str(value).encode()) + b";"
    return wall, step, tags, rest


def _compare_events(a: Path, b: Path, label: str) -> Comparison:
    found = Comparison()
    try:
        events_a = [_event(p) for p in _records(a.read_bytes())]
        events_b = [_event(p) for p in _records(b.read_bytes())]
    except ValueError as exc:
        found.differences += compare_paths(a, b, label)
        found.differences.append(Difference(label, f"not a readable TensorBoard event file ({exc})"))
        return found
    if len(events_a) != len(events_b):
        found.differences.append(Difference(label, f"{len(events_a)} events != {len(events_b)} events"))
    differing = [(i, x, y) for i, (x, y) in enumerate(zip(events_a, events_b, strict=False)) if x[3] != y[3]]
    for i, x, _ in differing[:5]:
        about = ", ".join([f"step {x[1]}"] + [f"tag {t!r}" for t in x[2]])
        found.differences.append(Difference(label, f"event {i} ({about}) differs beyond its wall time"))
    if len(differing) > 5:
        found.differences.append(Difference(label, f"... and {len(differing) - 5} more events differ"))
    walls = sum(1 for x, y in zip(events_a, events_b, strict=False) if x[0] != y[0])
    if walls:
        found.ignored.append(Ignored(label, "TensorBoard rule", f"wall times of {walls} of {len(events_a)} events"))
    return found
