"""R-compatible stream and portable split against vectors produced by real R, and against R live."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import seedlock
from conftest import vector_cases
from seedlock.rcompat import portable_split, r_random_seed, r_uniform, r_words


@pytest.mark.parametrize("case", vector_cases("stream"))
def test_the_r_uniform_stream_is_bit_identical_to_r(case: dict[str, Any]) -> None:
    seed, n = case["input"]["seed"], case["input"]["n"]
    expected = np.array([float(x) for x in case["expected"]["uniform"]], dtype=np.float64)
    got = r_uniform(seed, n)
    assert got.dtype == np.float64 and got.shape == (n,)
    # Exact: 17 significant digits round-trip doubles, so equality means the same bits.
    assert got.tobytes() == expected.tobytes()
    assert r_words(seed, n).tolist() == case["expected"]["words"]


@pytest.mark.parametrize("case", vector_cases("split"))
def test_the_portable_split_matches_r(case: dict[str, Any]) -> None:
    inp = case["input"]
    parts = [tuple(p) for p in inp["parts"]]
    if "error" in case:
        with pytest.raises(seedlock.SeedlockError) as info:
            portable_split(inp["n"], parts, inp["seed"])
        assert (info.value.code, info.value.pointer) == (case["error"]["code"], case["error"]["pointer"])
        return
    got = portable_split(inp["n"], parts, inp["seed"])
    assert list(got) == [p[0] for p in parts]
    assert {k: v.tolist() for k, v in got.items()} == case["expected"]["parts"]


def test_the_parts_of_a_split_partition_the_rows() -> None:
    got = portable_split(100_003, {"train": 0.7, "val": 0.2, "test": 0.1}, 5)
    rows = np.concatenate(list(got.values()))
    assert np.array_equal(np.sort(rows), np.arange(100_003))
    assert [len(v) for v in got.values()] == [70_002, 20_001, 10_000]


def test_dot_random_seed_has_the_documented_layout() -> None:
    state = r_random_seed(42)
    assert len(state) == 626 and state[:2] == [10403, 624]
    assert all(-(2**31) <= w < 2**31 for w in state)


def test_a_mapping_of_parts_keeps_its_order() -> None:
    got = portable_split(10, {"test": 0.1, "train": 0.9}, 42)
    assert list(got) == ["test", "train"]


def test_a_bool_row_count_is_rejected() -> None:
    with pytest.raises(seedlock.SeedlockError) as info:
        portable_split(True, {"a": 1.0}, 1)  # type: ignore[arg-type]
    assert str(info.value) == "Unexpected type boolean (expected integer) at '/n'"


@pytest.mark.parametrize("case", vector_cases("parallel"))
def test_the_parallel_seed_and_lecuyer_worker_streams_match_r(case: dict[str, Any]) -> None:
    from seedlock.rcompat import lecuyer_streams, parallel_seed

    inp, expected = case["input"], case["expected"]
    p = parallel_seed(inp["seed"], rank=inp.get("rank"), epoch=inp.get("epoch"))
    assert p == expected["seed"]
    assert lecuyer_streams(p, inp["workers"], **inp.get("settings", {})) == expected["streams"]
