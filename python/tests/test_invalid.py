"""Invalid-document vectors: the right code and pointer, and the JSON Schema agrees."""

from __future__ import annotations

import json
from typing import Any

import pytest

import seedlock
from conftest import vector_cases
from seedlock import _json, _schema

# Faults a JSON Schema cannot express: found by the parser or by cross-member rules.
NOT_SCHEMA_EXPRESSIBLE = {"invalid-json", "duplicate-key", "env-name-collision", "unlisted-framework", "lock-mismatch"}


def _document_text(inp: dict[str, Any]) -> str:
    return inp["text"] if "text" in inp else json.dumps(inp["document"])


@pytest.mark.parametrize("case", vector_cases("invalid"))
def test_invalid_vector_is_rejected_with_its_code_and_pointer(case: dict[str, Any]) -> None:
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.parse(_document_text(case["input"]), schema=False)
    assert (info.value.code, info.value.pointer) == (case["error"]["code"], case["error"]["pointer"])
    assert str(info.value).endswith(f" at '{case['error']['pointer']}'")


@pytest.mark.parametrize(
    "case", [c for c in vector_cases("invalid") if c.values[0]["error"]["code"] not in NOT_SCHEMA_EXPRESSIBLE]
)
def test_the_json_schema_rejects_the_same_documents(case: dict[str, Any]) -> None:
    document = _json.loads(_document_text(case["input"]))
    with pytest.raises(seedlock.SeedlockError):
        _schema.check(case["input"]["kind"], document)


@pytest.mark.parametrize("case", vector_cases("resolve") + vector_cases("lock"))
def test_the_json_schema_accepts_every_valid_manifest_in_the_vectors(case: dict[str, Any]) -> None:
    _schema.check("manifest", case["input"]["manifest"])


@pytest.mark.parametrize("case", vector_cases("lock"))
def test_the_json_schema_accepts_every_lock_in_the_vectors(case: dict[str, Any]) -> None:
    _schema.check("lock", case["expected"]["lock"])


@pytest.mark.parametrize(
    "document,message",
    [
        ({"version": "1.0", "seed": True, "stages": {"t": {"frameworks": ["numpy"]}}},
         "Unexpected type boolean (expected integer or \"generate\") at '/seed'"),
        ({"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"], "seed": -7}}},
         "Seed -7 is outside [0, 2147483647] at '/stages/t/seed'"),
        ({"version": "1.0", "seed": 42, "sed": 1, "stages": {"t": {"frameworks": ["numpy"]}}}, "Unknown field 'sed' at '/sed'"),
        ({"version": "1.0", "seed": 42, "stages": {"t": {}}}, "Missing required field 'frameworks' at '/stages/t/frameworks'"),
        ({"version": "2.0", "seed": 42, "stages": {}}, "Unsupported version '2.0' (this seedlock reads 1.0 to 1.0) at '/version'"),
        ({"version": "1.0", "seed": "42", "stages": {"t": {"frameworks": ["numpy"]}}},
         "Unexpected string '42' (expected integer or \"generate\") at '/seed'"),
        ({"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["jax"]}}},
         "Unknown framework 'jax' (expected one of caffe, numpy, python, r, tensorflow, torch) at '/stages/t/frameworks/0'"),
        ({"version": "1.0", "seed": 42.5, "stages": {"t": {"frameworks": ["numpy"]}}},
         "Unexpected non-integral number 42.5 (expected integer) at '/seed'"),
    ],
)
def test_error_messages_read_as_problem_at_pointer(document: dict[str, Any], message: str) -> None:
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.from_data(document)
    assert str(info.value) == message


def test_a_duplicate_key_names_the_second_occurrence() -> None:
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.parse('{"version": "1.0", "seed": 1, "seed": 2, "stages": {}}')
    assert str(info.value) == "Duplicate key 'seed' at '/seed'"


def test_a_utf8_byte_order_mark_is_ignored() -> None:
    text = b'\xef\xbb\xbf{"version": "1.0", "seed": 1, "stages": {"s": {"frameworks": ["numpy"]}}}'
    assert isinstance(seedlock.parse(text), seedlock.Manifest)


def test_invalid_utf8_is_rejected_with_its_byte_offset() -> None:
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.parse(b'{"version": "1.0", "description": "\xff"}')
    assert (info.value.code, str(info.value)) == ("invalid-json", "Invalid UTF-8 at byte 35 at ''")
