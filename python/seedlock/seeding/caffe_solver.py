"""Writing ``random_seed`` into Caffe solver files, and checking solver files without Caffe.

Caffe's only seed is ``SolverParameter.random_seed`` (int64 field 20; -1, the default, seeds from
the clock). The writer changes nothing but that field's value — comments, order, spacing, line
endings and every other byte stay as they were — inserting the field when it is absent. Validation
parses the solver with protobuf against :mod:`seedlock.seeding._solver_proto`, so typos and wrong types
are reported with line numbers, plus the one structural rule Caffe enforces when a solver starts
(exactly one train net).

Caffe seeds rank ``r`` of a multi-GPU run with ``random_seed + r`` itself, so the file always gets
the stage's caffe seed, never a rank-derived one (spec §6).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..spec.errors import SeedlockError
from ._solver_proto import INLINE_NETS, NET_FILES, solver_class

_SPACE = b" \t\r\n\f\v"
_PUNCT = b"{}[]<>:,;"
_OPEN, _CLOSE = b"{<", b"}>"


@dataclass(frozen=True)
class _Token:
    kind: str  # "ident", "value", "string", "punct"
    start: int
    end: int
    line: int
    text: bytes


@dataclass(frozen=True, kw_only=True)
class SolverInfo:
    """What a solver file says about seeding and the nets it uses."""

    random_seed: int | None
    random_seed_lines: tuple[int, ...]
    net_files: tuple[tuple[str, str, int], ...] = field(default_factory=tuple)  # (field, path, line)
    inline_nets: tuple[tuple[str, int], ...] = field(default_factory=tuple)  # (field, line)


def _fail(problem: str, pointer: str = "") -> SeedlockError:
    return SeedlockError("invalid-solver", problem, pointer)


def _tokens(data: bytes, comments: list[tuple[int, int]] | None = None) -> list[_Token]:
    """Protobuf text-format tokens with byte offsets; comments and white space are skipped.

    The byte ranges of comments are appended to ``comments`` when it is given.
    """
    out: list[_Token] = []
    i, line, n = 0, 1, len(data)
    while i < n:
        c = data[i : i + 1]
        if c in _SPACE:
            line += c == b"\n"
            i += 1
        elif c == b"#":
            end = data.find(b"\n", i)
            end = n if end < 0 else end
            if comments is not None:
                comments.append((i, end))
            i = end
        elif c in (b'"', b"'"):
            j = i + 1
            while j < n and data[j : j + 1] != c:
                if data[j : j + 1] == b"\n":
                    raise _fail(f"Unterminated string on line {line}")
                j += 2 if data[j : j + 1] == b"\\" else 1
            if j >= n:
                raise _fail(f"Unterminated string on line {line}")
            out.append(_Token("string", i, j + 1, line, data[i : j + 1]))
            i = j + 1
        elif c in _PUNCT:
            out.append(_Token("punct", i, i + 1, line, c))
            i += 1
        else:
            j = i
            while (
                j < n
                and data[j : j + 1] not in _SPACE
                and data[j : j + 1] not in _PUNCT
                and data[j : j + 1] not in b"#\"'"
            ):
                j += 1
            word = data[i:j]
            first = word[:1]
            kind = "ident" if first.isalpha() or first == b"_" else "value"
            out.append(_Token(kind, i, j, line, word))
            i = j
    return out


def _is_field_name(tokens: list[_Token], k: int) -> bool:
    return tokens[k].kind == "ident" and (k == 0 or tokens[k - 1].text != b":")


def scan(data: bytes) -> tuple[SolverInfo, list[tuple[int, int]], list[_Token]]:
    """Top-level facts of a solver: random_seed occurrences, net files, inline nets.

    Returns the info, the byte ranges of inline nets, and the value tokens of ``random_seed``.
    """
    tokens = _tokens(data)
    depth = 0
    seeds: list[_Token] = []
    nets: list[tuple[str, str, int]] = []
    inline: list[tuple[str, int]] = []
    spans: list[tuple[int, int]] = []
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        if tok.kind == "punct" and tok.text in _OPEN:
            depth += 1
        elif tok.kind == "punct" and tok.text in _CLOSE:
            depth -= 1
            if depth < 0:
                raise _fail(f"Unbalanced '{tok.text.decode()}' on line {tok.line}")
        elif depth == 0 and _is_field_name(tokens, k):
            name = tok.text.decode("ascii", "replace")
            nxt = tokens[k + 1] if k + 1 < len(tokens) else None
            if name == "random_seed" and nxt is not None and nxt.text == b":" and k + 2 < len(tokens):
                seeds.append(tokens[k + 2])
            elif name in NET_FILES and nxt is not None and nxt.text == b":" and k + 2 < len(tokens):
                value = tokens[k + 2]
                if value.kind == "string":
                    nets.append((name, value.text[1:-1].decode("utf-8", "replace"), value.line))
            elif name in INLINE_NETS:
                j = k + 1
                if j < len(tokens) and tokens[j].text == b":":
                    j += 1
                if j < len(tokens) and tokens[j].kind == "punct" and tokens[j].text in _OPEN:
                    inner, m = 0, j
                    while m < len(tokens):
                        if tokens[m].kind == "punct" and tokens[m].text in _OPEN:
                            inner += 1
                        elif tokens[m].kind == "punct" and tokens[m].text in _CLOSE:
                            inner -= 1
                            if inner == 0:
                                break
                        m += 1
                    if m >= len(tokens):
                        raise _fail(f"Unbalanced braces in {name} starting on line {tok.line}")
                    inline.append((name, tok.line))
                    spans.append((tok.start, tokens[m].end))
                    k = m + 1
                    continue
        k += 1
    if depth != 0:
        raise _fail("Unbalanced braces: the file ends inside a message")
    seed_value = _int_value(seeds[0]) if len(seeds) == 1 else None
    info = SolverInfo(
        random_seed=seed_value,
        random_seed_lines=tuple(t.line for t in seeds),
        net_files=tuple(nets),
        inline_nets=tuple(inline),
    )
    return info, spans, seeds


def _int_value(tok: _Token) -> int:
    text = tok.text.decode("ascii", "replace")
    try:
        return int(text, 0)
    except ValueError:
        raise _fail(f"random_seed on line {tok.line} is {text!r}, not an integer", "/random_seed") from None


def validate(data: bytes) -> SolverInfo:
    """Check that ``data`` is a solver Caffe would load; raise ``invalid-solver`` with a line number."""
    info, spans, _ = scan(data)
    comments: list[tuple[int, int]] = []
    _tokens(data, comments)
    blanked = bytearray(data)
    # Inline nets are NetParameter messages this check does not describe, and comments may hold any
    # bytes (Caffe reads legacy Latin-1 solvers): blank both out, keeping line breaks so that line
    # numbers in errors stay right. The file itself is never re-encoded: every byte is kept.
    for start, end in [*spans, *comments]:
        blanked[start:end] = bytes(b if b == 0x0A else 0x20 for b in data[start:end])
    try:
        text = bytes(blanked).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(f"Not UTF-8 (byte {exc.start})") from None
    from google.protobuf import text_format

    message = solver_class()()
    try:
        text_format.Parse(text, message)
    except text_format.ParseError as exc:
        where = f"line {exc.GetLine()}, column {exc.GetColumn()}: " if exc.GetLine() else ""
        detail = str(exc).split(" : ", 1)[-1]
        raise _fail(f"Invalid solver: {where}{detail}") from None
    train_nets = [
        name
        for name in ("train_net_param", "train_net", "net_param", "net")
        if (name in INLINE_NETS and any(n == name for n, _ in info.inline_nets))
        or (name not in INLINE_NETS and message.HasField(name))
    ]
    if len(train_nets) != 1:
        found = ", ".join(train_nets) or "none"
        raise _fail(f"Caffe needs exactly one train net (train_net_param, train_net, net_param or net); found {found}")
    return info


def set_random_seed(data: bytes, seed: int) -> bytes:
    """``data`` with ``random_seed: <seed>``: the value replaced, or the line appended; nothing else changes."""
    from ..spec.derivation import check_seed

    check_seed(seed, "/seed")
    info, _, seeds = scan(data)
    if len(seeds) > 1:
        lines = ", ".join(str(n) for n in info.random_seed_lines)
        raise _fail(f"random_seed is set {len(seeds)} times (lines {lines}); keep one", "/random_seed")
    validate(data)
    value = str(seed).encode("ascii")
    if seeds:
        tok = seeds[0]
        _int_value(tok)
        out = data[: tok.start] + value + data[tok.end :]
    else:
        newline = b"\r\n" if b"\r\n" in data else b"\n"
        sep = newline if data and not data.endswith(b"\n") else b""
        out = data + sep + b"random_seed: " + value + newline
    validate(out)
    return out


def write_file(output: str | os.PathLike[str], data: bytes, *, like: str | os.PathLike[str]) -> None:
    """Write a seeded solver atomically with the permissions of ``like`` (its source); over ``like`` itself,
    replace only its content."""
    from ..spec._io import rewrite_in_place, write_atomic

    if os.path.exists(output) and os.path.exists(like) and os.path.samefile(output, like):
        rewrite_in_place(output, data)  # --in-place: the user's file keeps its owner, group, mode and links
        return
    mode = os.stat(like).st_mode & 0o777 if os.path.exists(like) else 0o644
    write_atomic(output, data, mode=mode)


def check_solver(path: str | os.PathLike[str], data: bytes, seed: int) -> tuple[bool, list[str]]:
    """Whether the solver ``data`` (read from ``path``) sets ``random_seed`` once, to ``seed``; and the
    report lines ``seedlock caffe-solver --check`` prints (the seed, then each net file it references)."""
    path = os.fspath(path)
    info = validate(data)
    lines = info.random_seed_lines
    ok = False
    if not lines:
        report = [f"{path}: random_seed absent (Caffe seeds from the clock); the lock's caffe seed is {seed}"]
    elif len(lines) > 1:
        report = [f"{path}: random_seed set {len(lines)} times (lines {lines})"]
    elif info.random_seed != seed:
        report = [
            f"{path}: random_seed {info.random_seed} on line {lines[0]} differs from the lock's caffe seed {seed}"
        ]
    else:
        ok = True
        report = [f"{path}: random_seed {seed} on line {lines[0]} matches the lock"]
    base = os.path.dirname(os.path.abspath(path))
    for name, ref, line in info.net_files:
        exists = os.path.exists(ref) or os.path.exists(os.path.join(base, ref))
        report.append(f"{path}: {name} {ref!r} on line {line} ({'found' if exists else 'NOT FOUND'}; left untouched)")
    for name, line in info.inline_nets:
        report.append(f"{path}: inline {name} on line {line} (left untouched; its layers are not validated here)")
    return ok, report
