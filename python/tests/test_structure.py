"""The conformance ``structure`` check judges relations between outputs, and fails when it judges nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from seedlock.conformance.structure import check


def _npz(tmp_path: Path, **arrays: Any) -> Path:
    path = tmp_path / "outputs.npz"
    np.savez(path, **arrays)
    return path


def test_equal_partners_distinct_streams_and_a_partition_pass(tmp_path: Path) -> None:
    path = _npz(
        tmp_path,
        final_w=np.arange(3.0),
        resumed_w=np.arange(3.0),
        aug_e0=np.array([0.1, 0.2]),
        aug_e1=np.array([0.3, 0.4]),
        shard_e0_r0=np.array([3, 0]),
        shard_e0_r1=np.array([1, 2]),
    )
    spec = {
        "equal": [{"left": "final_(.*)", "right": r"resumed_\1"}],
        "distinct": ["aug_.*"],
        "partition": [{"match": r"shard_e(\d+)_r\d+", "size": 4}],
    }
    assert check(spec, path) == ("pass", "outputs 1 equal to their partners, 2 all distinct, 2 partitioning the data")


def test_a_resumed_run_that_differs_fails(tmp_path: Path) -> None:
    path = _npz(tmp_path, final_w=np.arange(3.0), resumed_w=np.arange(1.0, 4.0))
    assert check({"equal": [{"left": "final_(.*)", "right": r"resumed_\1"}]}, path) == (
        "FAIL",
        "final_w differs from resumed_w",
    )


def test_epochs_that_repeat_their_draws_fail(tmp_path: Path) -> None:
    path = _npz(tmp_path, aug_e0_w0=np.array([0.5, 0.25]), aug_e1_w0=np.array([0.5, 0.25]))
    assert check({"distinct": ["aug_.*"]}, path) == ("FAIL", "aug_e0_w0 and aug_e1_w0 draw the same numbers")


def test_overlapping_shards_fail(tmp_path: Path) -> None:
    path = _npz(tmp_path, shard_e0_r0=np.array([0, 1]), shard_e0_r1=np.array([1, 2]))
    status, detail = check({"partition": [{"match": r"shard_e(\d+)_r\d+", "size": 3}]}, path)
    assert (status, detail) == ("FAIL", "shard_e0_r0, shard_e0_r1 overlap")


def test_a_rule_that_matches_nothing_and_an_empty_structure_fail(tmp_path: Path) -> None:
    path = _npz(tmp_path, w=np.arange(2))
    assert check({"distinct": ["aug_.*"]}, path) == ("FAIL", "fewer than two outputs match 'aug_.*'")
    assert check({}, path) == ("FAIL", "the case names no structure to check")
