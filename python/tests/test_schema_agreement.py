"""Loading a document runs the hand-written validator only; `seedlock validate` adds the JSON Schema.

That is safe only if the hand-written validator rejects every document the schema rejects. These
tests prove it over every invalid vector, every valid vector, the shared hostile corpus and fuzzed
mutations: whenever the hand-written validator accepts a document, the schema accepts it too.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import seedlock
from _mutations import ODD_VALUES, VALID_MANIFESTS, corpus, mutate, valid_locks
from conftest import vector_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seedlock.spec import _json, _schema


def _hand_accepts(document: Any) -> bool:
    try:
        seedlock.from_data(document)
    except seedlock.SeedlockError:
        return False
    return True


def _schema_accepts(document: Any) -> bool:
    kind = "lock" if isinstance(document, dict) and "lock-version" in document else "manifest"
    try:
        _schema.check(kind, document)
    except seedlock.SeedlockError:
        return False
    return True


def _agree(document: Any) -> bool:
    """False only for a document the hand-written validator accepts and the schema rejects."""
    return not _hand_accepts(document) or _schema_accepts(document)


def test_loading_does_not_run_the_schema_but_validate_does() -> None:
    # A document only the schema refuses does not exist (that is what this file proves); so show the
    # switch itself: `schema=True` consults jsonschema, the default does not.
    doc = {"version": "1.0", "seed": 1, "stages": {"s": {"frameworks": ["numpy"]}}}
    calls: list[str] = []
    original = _schema.check
    try:
        _schema.check = lambda kind, d: calls.append(kind)  # type: ignore[assignment]
        seedlock.from_data(doc)
        assert calls == []
        seedlock.from_data(doc, schema=True)
        assert calls == ["manifest"]
    finally:
        _schema.check = original  # type: ignore[assignment]


@pytest.mark.parametrize("case", vector_cases("invalid"))
def test_every_invalid_vector_the_schema_rejects_is_rejected_by_hand(case: dict[str, Any]) -> None:
    inp = case["input"]
    try:
        document = _json.loads(inp["text"] if "text" in inp else json.dumps(inp["document"]))
    except seedlock.SeedlockError:
        return  # refused by the parser, before either validator
    assert not _hand_accepts(document)


@pytest.mark.parametrize("case", vector_cases("lock"))
def test_every_valid_lock_and_manifest_vector_is_accepted_by_both(case: dict[str, Any]) -> None:
    for document in (case["input"]["manifest"], case["expected"]["lock"]):
        assert _hand_accepts(document) and _schema_accepts(document)


def test_across_the_hostile_corpus_the_schema_never_rejects_what_the_hand_written_validator_accepts() -> None:
    accepted = rejected_by_schema = 0
    disagreements = []
    for text in corpus(6000, seed=12):
        try:
            document = _json.loads(text)
        except seedlock.SeedlockError:
            continue
        hand, schema = _hand_accepts(document), _schema_accepts(document)
        accepted += hand
        rejected_by_schema += not schema
        if hand and not schema:
            disagreements.append(document)
    assert not disagreements, json.dumps(disagreements[:3])[:2000]
    # Not vacuous: both kinds of outcome occur in numbers.
    assert accepted > 300 and rejected_by_schema > 2000


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(VALID_MANIFESTS + valid_locks()),
    st.randoms(use_true_random=False),
    st.integers(1, 3),
    st.sampled_from(ODD_VALUES),
)
def test_fuzzed_documents_the_hand_written_validator_accepts_pass_the_schema(
    base: dict[str, Any], rng: random.Random, rounds: int, odd: Any
) -> None:
    doc = base
    for _ in range(rounds):
        doc = mutate(doc, rng)
    assert _agree(doc), json.dumps(doc)[:500]
    # Also every value slot of a valid document replaced by an odd value, one at a time.
    if isinstance(doc, dict) and _hand_accepts(doc):
        for key in list(doc):
            assert _agree({**doc, key: odd})
