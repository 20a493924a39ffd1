"""Derivation sha256-v1 against the spec vectors and against coreutils' sha256sum."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest

import seedlock
from conftest import vector_cases
from seedlock.derivation import derive_many, message


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
@pytest.mark.parametrize("seed,labels", [(42, ["train"]), (0, ["numpy"]), (2147483647, ["rank", "3", "worker", "2"])])
def test_a_seed_can_be_audited_with_sha256sum(seed: int, labels: list[str]) -> None:
    text = f"seedlock/v1:{seed}:{'/'.join(labels)}"
    digest = subprocess.run(["sha256sum"], input=text.encode(), capture_output=True, check=True).stdout.split()[0]
    assert int(digest[:8], 16) & 0x7FFFFFFF == seedlock.derive(seed, *labels)


def test_booleans_are_not_seeds() -> None:
    with pytest.raises(seedlock.SeedlockError, match="Unexpected type bool"):
        seedlock.derive(True, "train")  # type: ignore[arg-type]
