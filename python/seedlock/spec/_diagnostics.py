"""Every fault of a document, not just the first (spec §7.1), and how the CLI shows them.

Validation stops at the first fault, which is the error §7 defines. To find the others without a
second validator that could drift from the first, validate again and again: after each fault,
*repair* the document where the fault is (drop the member, or put a neutral value where one is
required) and validate the repaired copy. The R binding runs the same loop with the same repairs,
so both bindings list the same faults.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import _registry
from .errors import SeedlockError, SeedlockWarning

#: A document with more faults than this is reported as its first this many (spec §7.1).
MAX_PROBLEMS = 50
#: Frameworks a repaired document's placeholders are taken from, in the order readers meet them.
FRAMEWORK_ORDER = _registry.DISPLAY_ORDER
# Neutral values for required members, so that the rest of the document can still be checked.
# A repaired version is the latest (spec §7.1): it names everything earlier versions do (jax, extensions).
_PLACEHOLDERS: dict[str, Any] = {
    "version": "1.2",
    "lock-version": "1.2",
    "derivation": "sha256-v1",
    "source": "manifest",
}
# After these, later checks would guess: a version this binding does not know may define other members.
_FINAL = {"invalid-json", "duplicate-key", "unsupported-version"}


@dataclass(frozen=True)
class Problem:
    """One fault: the spec code, its JSON pointer, and the message without the location."""

    code: str
    pointer: str
    problem: str
    line: int | None = None
    column: int | None = None

    @classmethod
    def of(cls, err: SeedlockError) -> Problem:
        return cls(err.code, err.pointer, err.problem, err.line, err.column)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "pointer": self.pointer, "message": self.problem}
        if self.line is not None:
            out.update(line=self.line, column=self.column)
        return out


def problems(data: bytes | str, *, limit: int = MAX_PROBLEMS) -> list[Problem]:
    """Every fault of a manifest or lock given as JSON text, in document order (at most ``limit``)."""
    from . import _json

    try:
        document = _json.loads(data)
    except SeedlockError as err:
        return [Problem.of(err)]  # not JSON: there is no document to look further into
    return document_problems(document, limit=limit)


def document_problems(document: Any, *, limit: int = MAX_PROBLEMS) -> list[Problem]:
    """Every fault of parsed JSON data, in document order (at most ``limit``); empty when valid."""
    from .lock import Lock
    from .manifest import Manifest

    # The kind is the original document's: a repair of `lock-version` must not turn a lock into a manifest.
    kind = Lock if isinstance(document, dict) and "lock-version" in document else Manifest
    work = copy.deepcopy(document)
    found: list[SeedlockError] = []
    required: set[str] = set()  # pointers whose member was dropped: a missing-field there is ours
    for _ in range(4 * limit):  # every round records a fault or shrinks the document
        if len(found) >= limit:
            break
        try:
            kind.from_dict(work)
            break
        except SeedlockError as err:
            if err.code == "missing-field" and err.pointer in required:
                if not _put_placeholder(work, err.pointer):
                    break
                continue
            if _explained(err.pointer, found):
                break  # a consequence of an earlier repair, not a fault of its own
            found.append(err)
            if err.code in _FINAL or not _repair(work, err, required):
                break
    if not found:
        from . import _schema

        try:  # the schema is the same contract; it only speaks when the checks above missed something
            _schema.check("lock" if isinstance(document, dict) and "lock-version" in document else "manifest", document)
        except SeedlockError as err:
            found.append(err)
    order = {id(err): _position(document, err.pointer) for err in found}
    return [Problem.of(err) for err in sorted(found, key=lambda e: order[id(e)])]


def _explained(pointer: str, found: list[SeedlockError]) -> bool:
    """True when ``pointer`` is a fault already found or contains one (its container)."""
    return any(err.pointer == pointer or err.pointer.startswith(pointer + "/") for err in found)


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _parent(document: Any, tokens: list[str]) -> Any:
    node = document
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _repair(document: Any, err: SeedlockError, required: set[str]) -> bool:
    """Change ``document`` so that ``err`` is gone; False when nothing sensible can be changed."""
    tokens = _tokens(err.pointer)
    if not tokens:
        return False
    try:
        parent = _parent(document, tokens)
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    last = tokens[-1]
    if err.code == "missing-field" or (isinstance(parent, dict) and _neutral(document, tokens) is not None):
        return _put_placeholder(document, err.pointer)
    if err.code == "lock-mismatch" and last == "seed" and isinstance(parent, dict):
        return _rederive(document, tokens)
    if isinstance(parent, list):
        index = int(last)
        if len(tokens) >= 2 and tokens[-2] == "frameworks":
            unused = [fw for fw in FRAMEWORK_ORDER if fw not in parent]
            if unused:  # keep the array's length, so later pointers into it stay right
                parent[index] = unused[0]
                return True
            del parent[index]
            return True
        parent[index] = "placeholder"  # a path: any non-empty string
        return True
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        required.add(err.pointer)
        return True
    return False


def _neutral(document: Any, tokens: list[str]) -> Any:
    """The value a member gets in place of a faulty or missing one, if it has one."""
    if tokens[-1] in _PLACEHOLDERS:
        return _PLACEHOLDERS[tokens[-1]]
    if tokens == ["seed"] and "lock-version" not in document:
        return "generate"
    return None


def _rederive(document: Any, tokens: list[str]) -> bool:
    """Set a lock's mismatched derived seed to its derivation, so seeds derived from it check out."""
    from .derivation import derive

    try:
        above = document["root"]["seed"] if len(tokens) == 3 else document["stages"][tokens[1]]["seed"]
        _parent(document, tokens)["seed"] = derive(int(above), tokens[-2])
    except (KeyError, TypeError, ValueError, SeedlockError):
        return False
    return True


def _put_placeholder(document: Any, pointer: str) -> bool:
    """Give a required member a neutral value, or drop its container when it has none."""
    tokens = _tokens(pointer)
    parent = _parent(document, tokens)
    neutral = _neutral(document, tokens)
    if neutral is not None:
        parent[tokens[-1]] = neutral
        return True
    if len(tokens) < 2:
        return False
    grand = _parent(document, tokens[:-1])
    if isinstance(grand, dict):
        del grand[tokens[-2]]  # the container cannot be checked without this member
        return True
    return False


def _position(document: Any, pointer: str) -> tuple[int, ...]:
    """Where a pointer is in the document: member positions in their objects, array indices; a
    member the document lacks sorts after its object's members (spec §7.1)."""
    out: list[int] = []
    node = document
    for token in _tokens(pointer):
        if isinstance(node, dict):
            keys = list(node)
            if token not in node:
                out.append(len(keys))
                break
            out.append(keys.index(token))
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            out.append(int(token))
            node = node[int(token)]
        else:
            out.append(len(node) if isinstance(node, list) else 0)
            break
    return tuple(out)


def file_problems(path: str, *, manifest: Any = None, inputs: bool = True, data: bytes | None = None) -> list[Problem]:
    """Every fault of the file at ``path``: its text, then (when the document is valid) every path of
    its ``inputs`` and ``params`` that does not exist or escapes the project root (§5.2, the check
    ``resolve`` makes) or, given the manifest it came from, whether a lock matches it. ``data``: the
    file's bytes when the caller has read them (a pipe cannot be read twice)."""
    from . import _io, _json
    from .documents import from_data
    from .lock import Lock
    from .manifest import Manifest

    if data is None:
        try:
            data = _io.read_bytes(path, limit=_json.MAX_DOCUMENT_BYTES)
        except SeedlockError as err:
            return [Problem.of(err)]
    found = problems(data)
    if found:
        return _placed(data, found)
    document = from_data(_json.loads(data), path=os.fspath(path), schema=False)
    if isinstance(document, Manifest) and inputs:
        from .fingerprint import path_problems

        return [
            Problem.of(err)
            for err in path_problems(
                document.path, document.inputs, document.params, allow_external=document.allow_external_paths
            )
        ]
    if isinstance(document, Lock) and manifest is not None:
        try:
            document.check_against(manifest)
        except SeedlockError as err:
            return [Problem.of(err)]
    return []


def _placed(data: bytes, found: list[Problem]) -> list[Problem]:
    """Each fault with the line and column of its pointer in the file (syntax errors carry their own)."""
    from dataclasses import replace

    from . import _json

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return found
    out = []
    for p in found:
        where = _json.locate(text, p.pointer) if p.line is None else None
        out.append(p if where is None else replace(p, line=where[0], column=where[1]))
    return out


def render_text(path: str, found: list[Problem]) -> list[str]:
    """One line per fault: ``error[<code>] <path>: <problem> at '<pointer>'``."""
    return [f"error[{p.code}] {path}: {p.problem}" + (f" at '{p.pointer}'" if p.pointer else "") for p in found]


def render_json(results: dict[str, list[Problem]]) -> str:
    """The report of ``seedlock validate --format json``: one entry per file, in the order given."""
    files = [
        {"path": path, "valid": not found, "problems": [p.to_dict() for p in found]} for path, found in results.items()
    ]
    return json.dumps({"valid": all(f["valid"] for f in files), "files": files}, indent=2, ensure_ascii=False)


@contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Show :class:`SeedlockWarning` as ``seedlock: warning[<code>] ...`` lines, not Python's format."""
    import warnings

    shown = warnings.showwarning

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if isinstance(message, SeedlockWarning):
            print(f"seedlock: warning[{message.code}] {message}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", SeedlockWarning)
        warnings.showwarning = show
        yield
