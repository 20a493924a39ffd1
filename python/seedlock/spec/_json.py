"""Strict JSON reading and canonical writing (spec §1.1, §5)."""

from __future__ import annotations

from ._validate import Inexact
from .errors import SeedlockError, pointer_join

# `seedlock run` hashes the manifest beside a lock (canonical) before every job: json and typing are
# imported where a document is parsed or pretty-printed, not with this module.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import json
    from typing import Any

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
_STRING = None  # compiled on first use: the CLI's fast paths never parse JSON
_BOM = b"\xef\xbb\xbf"


def _number(text: str) -> float:
    value = float(text)
    if value.is_integer():
        from decimal import Decimal

        exact = Decimal(text)
        if exact != exact.to_integral_value():
            return Inexact(text)
    return value


def _integer(text: str) -> int | float:
    """An integer token; one beyond Python's digit limit for int() (4300 digits) is out of every range
    seedlock has, so it becomes the infinity of its sign, as R's reader makes it (spec §1.3: it is
    ``seed-out-of-range``, never ``invalid-json``)."""
    try:
        return int(text)
    except ValueError:
        return float("-inf") if text.startswith("-") else float("inf")


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _find_duplicate(text: str) -> str:
    """Return the JSON pointer of the first duplicated member.

    json's object hook does not know where it is, so walk the document again with a small
    recursive reader that tracks the path; only runs on the error path.
    """
    import json

    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    pos = 0

    def skip_ws(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    def value(i: int, path: str) -> int:
        i = skip_ws(i)
        if text[i] == "{":
            i = skip_ws(i + 1)
            seen: set[str] = set()
            if text[i] == "}":
                return i + 1
            while True:
                key, i = decoder.raw_decode(text, i)
                child = pointer_join(path, key)
                if key in seen:
                    raise _Found(child)
                seen.add(key)
                i = skip_ws(i)
                i = value(i + 1, child)  # past ':'
                i = skip_ws(i)
                if text[i] == "}":
                    return i + 1
                i = skip_ws(i + 1)
        if text[i] == "[":
            i = skip_ws(i + 1)
            if text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = skip_ws(value(i, pointer_join(path, n)))
                n += 1
                if text[i] == "]":
                    return i + 1
                i += 1
        _, end = decoder.raw_decode(text, i)
        return int(end)

    class _Found(Exception):
        def __init__(self, where: str) -> None:
            self.where = where

    try:
        value(pos, "")
    except _Found as found:
        return found.where
    return ""


def loads(data: bytes | str) -> Any:
    """Parse one JSON document with seedlock's rules: UTF-8, optional BOM, no NaN/Infinity,
    no duplicate member names. Raises :class:`SeedlockError` (``invalid-json``/``duplicate-key``)."""
    import json

    if isinstance(data, bytes):
        if len(data) > MAX_DOCUMENT_BYTES:
            raise SeedlockError("invalid-json", f"Document larger than {MAX_DOCUMENT_BYTES} bytes")
        if data.startswith(_BOM):
            data = data[len(_BOM) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SeedlockError("invalid-json", f"Invalid UTF-8 at byte {exc.start}") from None
    else:
        text = data[1:] if data.startswith("\ufeff") else data
    if not text.strip():
        raise SeedlockError("invalid-json", "Empty document")
    if _depth(text) > MAX_DEPTH:
        raise SeedlockError("invalid-json", f"Document nested more than {MAX_DEPTH} levels deep")
    try:
        document = json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_reject_constant, parse_float=_number, parse_int=_integer
        )
    except _DuplicateKey as dup:
        try:
            where = _find_duplicate(text)
        except RecursionError:
            raise SeedlockError("invalid-json", "Document nested too deeply") from None
        raise SeedlockError("duplicate-key", f"Duplicate key {dup.key!r}", where) from None
    except RecursionError:
        raise SeedlockError("invalid-json", "Document nested too deeply") from None
    except json.JSONDecodeError as exc:
        line, column = _fault_position(exc)
        raise SeedlockError(
            "invalid-json",
            f"Invalid JSON: {_syntax_problem(exc)} (line {line}, column {column})",
            line=line,
            column=column,
        ) from None
    except ValueError as exc:  # NaN/Infinity, from parse_constant, which json does not tell where
        line, column = _constant_position(text)
        raise SeedlockError(
            "invalid-json", f"Invalid JSON: {exc} (line {line}, column {column})", line=line, column=column
        ) from None
    if "\\u" in text:
        _check_unicode(document)
    return document


def _fault_position(exc: json.JSONDecodeError) -> tuple[int, int]:
    """Where the fault is (1-based line and column, in characters): json's position, except that a
    trailing comma is the fault, not the bracket json stopped at."""
    before = exc.doc[: exc.pos].rstrip(" \t\r\n")
    if before.endswith(",") and exc.doc[exc.pos : exc.pos + 1] in ("}", "]"):
        pos = len(before) - 1
        line = exc.doc.count("\n", 0, pos) + 1
        return line, pos - exc.doc.rfind("\n", 0, pos)
    return exc.lineno, exc.colno


def _syntax_problem(exc: json.JSONDecodeError) -> str:
    """json's message, reworded where it misleads: a trailing comma is not a missing member name."""
    before = exc.doc[: exc.pos].rstrip(" \t\r\n")
    if before.endswith(",") and exc.doc[exc.pos : exc.pos + 1] in ("}", "]"):
        return f"trailing comma before {exc.doc[exc.pos]!r}"
    if exc.msg == "Extra data":
        return "extra data after the document"
    return exc.msg


def _constant_position(text: str) -> tuple[int, int]:
    """Line and column of the first NaN/Infinity outside strings: json rejects the first it reaches,
    and any syntax error before it would have been reported instead."""
    import re

    global _STRING
    if _STRING is None:
        _STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
    blanked = _STRING.sub(lambda m: "_" * len(m.group()), text)  # same length: positions stay
    found = re.search(r"-?Infinity|NaN", blanked)
    pos = found.start() if found else 0
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


def _depth(text: str) -> int:
    """Deepest nesting of arrays and objects (spec §1.1), counted outside strings, without recursion."""
    global _STRING
    import re
    from itertools import accumulate

    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0  # cannot be too deep: skip the scan for ordinary documents
    if _STRING is None:
        _STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
    brackets = re.sub(r"[^\[\]{}]", "", _STRING.sub('""', text))
    steps = {"[": 1, "{": 1, "]": -1, "}": -1}
    return max(accumulate(map(steps.__getitem__, brackets)), default=0)


def _check_unicode(value: Any) -> None:
    """Reject strings with unpaired surrogates (from escapes like \\ud800): they are not Unicode text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise SeedlockError("invalid-json", "Invalid JSON: unpaired surrogate escape in a string") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def locate(text: str, pointer: str) -> tuple[int, int] | None:
    """Line and column (1-based, characters) of what ``pointer`` names in the JSON ``text``: a member's
    name, an element's value, or -- for a member that is missing -- the object that lacks it (the nearest
    ancestor there is). None when ``text`` is not JSON. For editors and CI annotations."""
    places = _places(text)
    if places is None:
        return None
    while pointer not in places and pointer:
        pointer = pointer[: pointer.rfind("/")]
    pos = places.get(pointer, 0)
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


def _places(text: str) -> dict[str, int] | None:
    """Pointer -> offset of every member name and element value in ``text`` (and "" -> the document)."""
    import json
    from json.decoder import scanstring  # type: ignore[attr-defined]  # public, but not in typeshed

    decoder = json.JSONDecoder()
    places: dict[str, int] = {}
    ws = " \t\r\n"

    def skip(i: int) -> int:
        while i < len(text) and text[i] in ws:
            i += 1
        return i

    def value(i: int, pointer: str) -> int:
        i = skip(i)
        places.setdefault(pointer, i)
        if text.startswith("{", i):
            i = skip(i + 1)
            while not text.startswith("}", i):
                name, end = scanstring(text, i + 1)
                member = pointer + "/" + name.replace("~", "~0").replace("/", "~1")
                places[member] = i
                i = skip(end)
                i = value(i + 1, member)  # past ':'
                i = skip(i)
                if text.startswith(",", i):
                    i = skip(i + 1)
            return i + 1
        if text.startswith("[", i):
            i = skip(i + 1)
            index = 0
            while not text.startswith("]", i):
                i = skip(value(i, f"{pointer}/{index}"))
                index += 1
                if text.startswith(",", i):
                    i = skip(i + 1)
            return i + 1
        return decoder.raw_decode(text, i)[1]

    try:
        value(1 if text.startswith("\ufeff") else 0, "")
    except (ValueError, IndexError, RecursionError):
        return None
    return places


def canonical(value: Any) -> str:
    """The canonical form of spec §5: sorted members, no white space, minimal escaping (what
    ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` writes), without
    importing ``json``."""
    from _json import encode_basestring  # type: ignore[import-not-found]  # json's own escaping, in C

    out: list[str] = []

    def put(item: Any) -> None:
        if item is None or item is True or item is False:
            out.append("null" if item is None else "true" if item else "false")
        elif isinstance(item, str):
            out.append(encode_basestring(item))
        elif isinstance(item, int):
            out.append(int.__repr__(item))
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise ValueError(f"{item} is not JSON")
            out.append(float.__repr__(item))
        elif isinstance(item, (list, tuple)):
            out.append("[")
            for i, element in enumerate(item):
                if i:
                    out.append(",")
                put(element)
            out.append("]")
        elif isinstance(item, dict):
            out.append("{")
            for i, key in enumerate(sorted(item)):
                if i:
                    out.append(",")
                out.append(encode_basestring(key))
                out.append(":")
                put(item[key])
            out.append("}")
        else:
            raise TypeError(f"{type(item).__name__} is not JSON")

    put(value)
    return "".join(out)


def pretty(value: Any) -> str:
    """How seedlock writes documents for people: two-space indent, trailing newline."""
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
