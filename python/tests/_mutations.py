"""A deterministic corpus of hostile documents: mutations of valid manifests and locks, plus
text-level damage. Shared by the Python fuzz tests and the Python-vs-R comparison."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from seedlock.spec.resolution import resolve

VALID_MANIFESTS: list[dict[str, Any]] = [
    {"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["numpy", "torch"]}}},
    {
        "version": "1.0",
        "seed": "generate",
        "description": "d",
        "derivation": "sha256-v1",
        "settings": {"torch": {"num_threads": 2, "deterministic": False}, "r": {"kind": "Mersenne-Twister"}},
        "inputs": ["data"],
        "params": ["p.json"],
        "allow_external_paths": False,
        "stages": {
            "prep": {"frameworks": ["python", "numpy", "r"], "seed": 7, "seeds": {"numpy": 42}},
            "train": {"frameworks": ["tensorflow", "caffe"], "settings": {"caffe": {"solvers": ["s.prototxt"]}}},
        },
    },
]

ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    42.0,
    2**31,
    2**31 - 1,
    2**63,
    -(2**63),
    10**30,
    1e300,
    "",
    "42",
    "generate",
    "Train",
    "tr\u0430in",
    "a" * 64,
    "💥",
    [],
    [1],
    {},
    {"a": 1},
    " 5",
    "0x2a",
    "+5",
    "numpy",
    "PCG64",
    "jax",
]


def mutate(doc: Any, rng: random.Random) -> Any:
    """One structural mutation: replace, delete or add a member somewhere in the document."""
    doc = copy.deepcopy(doc)
    paths: list[list[Any]] = []

    def walk(node: Any, path: list[Any]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*path, key])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, [*path, i])

    walk(doc, [])
    path = rng.choice(paths)
    parent: Any = doc
    for part in path[:-1]:
        parent = parent[part]
    action = rng.choice(["replace", "replace", "delete", "add", "rename"])
    if not path:
        return rng.choice(ODD_VALUES) if action == "replace" else doc
    last = path[-1]
    if action == "replace":
        parent[last] = rng.choice(ODD_VALUES)
    elif action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[rng.choice(["sed", "extra", "Stage", "numpy", "seed", "z"])] = rng.choice(ODD_VALUES)
    elif action == "add" and isinstance(parent, list):
        parent.append(rng.choice(ODD_VALUES))
    elif action == "rename" and isinstance(parent, dict):
        parent[str(last).upper() + "x"] = parent.pop(last)
    return doc


def damage(text: str, rng: random.Random) -> str | bytes:
    """Text-level damage: truncation, junk, NaN, BOM, duplicate keys, bad bytes, comments."""
    kind = rng.randrange(8)
    if kind == 0:
        return text[: rng.randrange(len(text))]
    if kind == 1:
        i = rng.randrange(len(text))
        return text[:i] + rng.choice(["NaN", "Infinity", "//c\n", ",", "}", '"', "\\", "\x00"]) + text[i:]
    if kind == 2:
        return "\ufeff" + text
    if kind == 3:
        return text.replace('"seed": ', '"seed": 1, "seed": ', 1)
    if kind == 4:
        raw = text.encode("utf-8")
        i = rng.randrange(len(raw))
        return raw[:i] + bytes([rng.choice([0xFF, 0xC3, 0x80, 0xFE])]) + raw[i:]
    if kind == 5:
        return text.replace("1.0", "1.0e0", 1)
    if kind == 6:
        return text + rng.choice([" ", "\n", " x", "{}"])
    return text.replace('"version"', '"ver\\u0073ion"', 1)


def valid_locks() -> list[dict[str, Any]]:
    from seedlock.spec.manifest import Manifest

    out = []
    for m in VALID_MANIFESTS:
        lock = resolve(Manifest.from_dict(m), {"SEEDLOCK_SEED": "9"}, provenance={"created": "2026-11-26T00:00:00Z"})
        out.append(lock.to_dict())
    return out


def corpus(n: int, seed: int = 20261126) -> list[str | bytes]:
    """``n`` hostile documents as the text or bytes a binding would read."""
    rng = random.Random(seed)
    bases = VALID_MANIFESTS + valid_locks()
    out: list[str | bytes] = []
    for _ in range(n):
        doc = rng.choice(bases)
        for _ in range(rng.choice([1, 1, 1, 2])):
            doc = mutate(doc, rng)
        text = json.dumps(doc, ensure_ascii=rng.random() < 0.5)
        out.append(damage(text, rng) if rng.random() < 0.3 else text)
    return out


# Bytes worth inserting: JSON's structure, white space it allows and white space it does not (form
# feed, vertical tab, no-break space), quotes and escapes, bytes that are not UTF-8.
INTERESTING = [
    b"\x0c",
    b"\x0b",
    b"\xc2\xa0",
    b"\x00",
    b"\x1f",
    b'"',
    b"\\",
    b",",
    b":",
    b"{",
    b"}",
    b"[",
    b"]",
    b" ",
    b"\t",
    b"\r",
    b"\n",
    b"0",
    b"-",
    b".",
    b"e",
    b"+",
    b"x",
    b"n",
    b"t",
    b"\xff",
    b"\x80",
    b"\xc3",
    b"/",
    b"\\u",
    b"NaN",
    b"-Infinity",
    b"//",
]


def byte_mutation(raw: bytes, rng: random.Random) -> bytes:
    """One byte-level change of a serialised document: the damage an editor or a bad copy does."""
    i = rng.randrange(len(raw) + 1)
    kind = rng.randrange(8)
    if kind == 0:  # insert
        return raw[:i] + rng.choice(INTERESTING) + raw[i:]
    if kind == 1 and i < len(raw):  # delete
        return raw[:i] + raw[i + 1 :]
    if kind == 2 and i < len(raw):  # replace
        return raw[:i] + rng.choice(INTERESTING) + raw[i + 1 :]
    if kind == 3 and i + 1 < len(raw):  # swap neighbours
        return raw[:i] + raw[i + 1 : i + 2] + raw[i : i + 1] + raw[i + 2 :]
    if kind == 4:  # truncate
        return raw[:i]
    if kind == 5:  # something after the document
        return raw + rng.choice([b'"', b'"abc', b' "abc"', b"\x0c", b"\x0b", b" 1", b"{}", b",", b"\n\n}", b"\xc2\xa0"])
    if kind == 6 and i < len(raw):  # duplicate a span (repeats members, brackets, quotes)
        j = min(len(raw), i + rng.randrange(1, 12))
        return raw[:j] + raw[i:j] + raw[j:]
    return raw[:i] + bytes([rng.randrange(256)]) + raw[i:]  # any byte


def byte_corpus(n: int, seed: int = 20261127) -> list[bytes]:
    """``n`` valid manifests and locks, serialised in several styles, each with 1-2 byte mutations."""
    rng = random.Random(seed)
    bases = VALID_MANIFESTS + valid_locks()
    out = []
    for _ in range(n):
        doc = rng.choice(bases)
        indent = rng.choice([None, 2, "\t"])
        raw = json.dumps(doc, indent=indent, ensure_ascii=rng.random() < 0.5).encode("utf-8")
        for _ in range(rng.choice([1, 1, 1, 2])):
            raw = byte_mutation(raw, rng)
        out.append(raw)
    return out
