"""Invalid-document vectors: the right code and pointer, and the JSON Schema agrees."""

from __future__ import annotations

import json
from typing import Any

import pytest
import seedlock
from conftest import vector_cases
from seedlock.spec import _diagnostics, _json, _schema

# Faults a JSON Schema cannot express: found by the parser or by cross-member rules.
NOT_SCHEMA_EXPRESSIBLE = {"invalid-json", "duplicate-key", "env-name-collision", "unlisted-framework", "lock-mismatch"}


def _document_text(inp: dict[str, Any]) -> str:
    return inp["text"] if "text" in inp else json.dumps(inp["document"])


SINGLE = [c for c in vector_cases("invalid") if "error" in c.values[0]]
SEVERAL = [c for c in vector_cases("invalid") if "errors" in c.values[0]]


@pytest.mark.parametrize("case", SINGLE)
def test_invalid_vector_is_rejected_with_its_code_and_pointer(case: dict[str, Any]) -> None:
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.parse(_document_text(case["input"]), schema=False)
    assert (info.value.code, info.value.pointer) == (case["error"]["code"], case["error"]["pointer"])
    pointer = case["error"]["pointer"]
    # The pointer ends the message; the whole document ("") is not named (no message ends in "at ''").
    assert str(info.value).endswith(f" at '{pointer}'") if pointer else " at ''" not in str(info.value)
    if "line" in case["error"]:
        assert (info.value.line, info.value.column) == (case["error"]["line"], case["error"]["column"])
        assert f"(line {case['error']['line']}, column {case['error']['column']})" in str(info.value)


@pytest.mark.parametrize("case", SINGLE)
def test_a_document_with_one_fault_lists_exactly_that_fault(case: dict[str, Any]) -> None:
    found = _diagnostics.problems(_document_text(case["input"]))
    assert [(p.code, p.pointer) for p in found] == [(case["error"]["code"], case["error"]["pointer"])]


@pytest.mark.parametrize("case", SEVERAL)
def test_every_fault_of_a_document_is_listed_in_document_order(case: dict[str, Any]) -> None:
    found = _diagnostics.problems(_document_text(case["input"]))
    assert [{"code": p.code, "pointer": p.pointer} for p in found] == case["errors"]
    with pytest.raises(seedlock.SeedlockError) as info:  # a reader still stops at one of them
        seedlock.parse(_document_text(case["input"]), schema=False)
    assert {"code": info.value.code, "pointer": info.value.pointer} in case["errors"]


def test_the_list_of_faults_is_bounded() -> None:
    document = {
        "version": "1.0",
        "seed": 1,
        "stages": {f"s{i}": {"frameworks": ["numpy"], "sed": i} for i in range(80)},
    }
    found = _diagnostics.document_problems(document)
    assert len(found) == _diagnostics.MAX_PROBLEMS
    assert [p.pointer for p in found[:2]] == ["/stages/s0/sed", "/stages/s1/sed"]


def _fault_only_in_the_text(case: Any) -> bool:
    """A number whose written value is not an integer though its double is (``1e-400``): a JSON Schema
    validator sees only the double, so only the readers can refuse it (spec §1.2)."""

    def inexact(value: Any) -> bool:
        if isinstance(value, dict):
            return any(inexact(v) for v in value.values())
        if isinstance(value, list):
            return any(inexact(v) for v in value)
        return isinstance(value, _json.Inexact)

    return inexact(_json.loads(_document_text(case.values[0]["input"])))


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in SINGLE
        if c.values[0]["error"]["code"] not in NOT_SCHEMA_EXPRESSIBLE and not _fault_only_in_the_text(c)
    ],
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
    ("document", "message"),
    [
        (
            {"version": "1.0", "seed": True, "stages": {"t": {"frameworks": ["numpy"]}}},
            "Unexpected type boolean (expected integer or \"generate\") at '/seed'",
        ),
        (
            {"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"], "seed": -7}}},
            "Seed -7 is outside [0, 2147483647] at '/stages/t/seed'",
        ),
        (
            {"version": "1.0", "seed": 42, "sed": 1, "stages": {"t": {"frameworks": ["numpy"]}}},
            "Unknown field 'sed' at '/sed'",
        ),
        (
            {"version": "1.0", "seed": 42, "stages": {"t": {}}},
            "Missing required field 'frameworks' at '/stages/t/frameworks'",
        ),
        (
            {"version": "2.0", "seed": 42, "stages": {}},
            "Unsupported version '2.0' (this seedlock reads 1.0 to 1.2) at '/version'",
        ),
        (
            {"version": "1.0", "seed": "42", "stages": {"t": {"frameworks": ["numpy"]}}},
            "Unexpected string '42' (expected integer or \"generate\") at '/seed'",
        ),
        (
            {"version": "1.1", "seed": 42, "stages": {"t": {"frameworks": ["flax"]}}},
            "Unknown framework 'flax' (expected one of caffe, jax, numpy, python, r, tensorflow, torch, "
            "or an extension x-<name>)"
            " at '/stages/t/frameworks/0'",
        ),
        (
            {"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["jax"]}}},
            "Framework 'jax' is defined from version 1.1; this document is version 1.0 at '/stages/t/frameworks/0'",
        ),
        (
            {"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["x-faker"]}}},
            "Extension 'x-faker' is defined from version 1.1; this document is version 1.0 at '/stages/t/frameworks/0'",
        ),
        (
            {"version": "1.0", "seed": 42.5, "stages": {"t": {"frameworks": ["numpy"]}}},
            "Unexpected non-integral number 42.5 (expected integer) at '/seed'",
        ),
        (
            {"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["nunpy"]}}},
            "Unknown framework 'nunpy' (did you mean 'numpy'?) at '/stages/t/frameworks/0'",
        ),
        (
            {"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["NumPy"]}}},
            "Unknown framework 'NumPy' (did you mean 'numpy'?) at '/stages/t/frameworks/0'",
        ),
        (
            {"version": "1.0", "sed": 42, "stages": {"t": {"frameworks": ["numpy"]}}},
            "Unknown field 'sed' (did you mean 'seed'?) at '/sed'",
        ),
        (
            {"version": "1.0", "seed": 42, "stages": {"t": {"framework": ["numpy"]}}},
            "Unknown field 'framework' (did you mean 'frameworks'?) at '/stages/t/framework'",
        ),
        (
            {
                "version": "1.0",
                "seed": 42,
                "settings": {"torch": {"determinstic": True}},
                "stages": {"t": {"frameworks": ["torch"]}},
            },
            "Unknown field 'determinstic' (did you mean 'deterministic'?) at '/settings/torch/determinstic'",
        ),
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
    assert (info.value.code, str(info.value)) == ("invalid-json", "Invalid UTF-8 at byte 35")


def test_a_trailing_comma_is_reported_with_its_line_and_column_not_as_a_missing_name() -> None:
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.parse('{\n  "version": "1.0",\n  "seed": 42,\n}')
    assert str(info.value) == "Invalid JSON: trailing comma before '}' (line 3, column 13)"


def test_a_misspelt_stage_is_answered_with_the_stage_meant() -> None:
    lock = seedlock.resolve(
        seedlock.Manifest.from_dict(
            {
                "version": "1.0",
                "seed": 1,
                "stages": {"train": {"frameworks": ["numpy"]}, "eval": {"frameworks": ["numpy"]}},
            }
        ),
        env={},
        provenance=False,
    )
    with pytest.raises(seedlock.SeedlockError) as info:
        lock.stage("trian")
    assert str(info.value) == "No stage 'trian' (did you mean 'train'?) (stages: train, eval) at '/stages/trian'"
