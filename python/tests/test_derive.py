"""Derivation sha256-v1 against the spec vectors and against coreutils' sha256sum."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import seedlock
from conftest import vector_cases
from hypothesis import given, settings
from hypothesis import strategies as st
from seedlock.spec.derivation import derive_many, message, test_seed


def _seed(value: Any) -> int:
    return int(value) if isinstance(value, str) else value


@pytest.mark.parametrize("case", vector_cases("derive"))
def test_derive_vector(case: dict[str, Any]) -> None:
    seed, labels = _seed(case["input"]["seed"]), case["input"]["labels"]
    if "error" in case:
        with pytest.raises(seedlock.SeedlockError) as info:
            seedlock.derive(seed, *labels)
        assert info.value.code == case["error"]["code"]
        assert info.value.pointer == case["error"]["pointer"]
    else:
        assert message(seed, labels).decode() == case["expected"]["message"]
        assert seedlock.derive(seed, *labels) == case["expected"]["seed"]
        assert derive_many(seed, [labels]) == [case["expected"]["seed"]]


@pytest.mark.parametrize("case", vector_cases("workers"))
def test_worker_and_rank_vector(case: dict[str, Any]) -> None:
    inp = case["input"]

    def compute() -> int:
        if "test_id" in inp:
            return test_seed(inp["seed"], inp["test_id"], inp.get("phase", "call"))
        if "worker" in inp:
            return seedlock.worker_seed(inp["seed"], inp["worker"], inp.get("rank", 0))
        if "rank" in inp:
            return seedlock.rank_seed(inp["seed"], inp["rank"])
        return int(inp["seed"])

    if "error" in case:
        with pytest.raises(seedlock.SeedlockError) as info:
            compute()
        assert info.value.code == case["error"]["code"]
    else:
        assert compute() == case["expected"]["seed"]


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum is not installed")
@pytest.mark.parametrize(
    ("seed", "labels"), [(42, ["train"]), (0, ["numpy"]), (2147483647, ["rank", "3", "worker", "2"])]
)
def test_a_seed_can_be_audited_with_sha256sum(seed: int, labels: list[str]) -> None:
    text = f"seedlock/v1:{seed}:{'/'.join(labels)}"
    digest = subprocess.run(["sha256sum"], input=text.encode(), capture_output=True, check=True).stdout.split()[0]
    assert int(digest[:8], 16) & 0x7FFFFFFF == seedlock.derive(seed, *labels)


def test_booleans_are_not_seeds() -> None:
    with pytest.raises(seedlock.SeedlockError, match="Unexpected type bool"):
        seedlock.derive(True, "train")  # type: ignore[arg-type]


LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_.-/A \n\u0430"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**31 - 1), st.lists(st.text(LABEL_CHARS, max_size=70), min_size=1, max_size=6))
def test_bulk_derivation_equals_one_at_a_time_and_rejects_the_same_paths(seed: int, paths: list[str]) -> None:
    def single(path: str) -> int:
        return seedlock.derive(seed, *path.split("/"))

    try:
        expected = [single(p) for p in paths]
    except seedlock.SeedlockError as err:
        assert err.code == "invalid-label"
        with pytest.raises(seedlock.SeedlockError) as info:
            derive_many(seed, paths)
        assert info.value.code == "invalid-label"
        return
    assert derive_many(seed, paths) == expected
