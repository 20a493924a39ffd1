"""'Did you mean': the rule of spec §7.1, which the R binding applies too (test-suggest.R has the same table)."""

from __future__ import annotations

import pytest
from seedlock.spec._suggest import closest, distance

FRAMEWORKS = ["python", "numpy", "torch", "tensorflow", "r", "caffe"]


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        ("trian", "train", 1),
        ("train", "train", 0),
        ("", "abc", 3),
        ("ca", "abc", 3),
        ("sed", "seed", 1),
        ("tensroflow", "tensorflow", 1),
        ("abcd", "badc", 2),
    ],
)
def test_distance_counts_a_transposition_as_one_edit(a: str, b: str, d: int) -> None:
    assert distance(a, b) == d == distance(b, a)


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("nunpy", "numpy"),
        ("NumPy", "numpy"),
        ("torc", "torch"),
        ("pyhton", "python"),
        ("tensorflwo", "tensorflow"),
        ("R", "r"),
        ("jax", None),
        ("tf", None),
        ("numpyyy", None),
        ("caffe2", "caffe"),
    ],
)
def test_a_name_within_a_third_of_its_length_is_suggested(name: str, meant: str | None) -> None:
    assert closest(name, FRAMEWORKS) == meant


def test_ties_go_to_the_first_candidate_in_code_point_order() -> None:
    assert closest("cat", ["cut", "bat", "cot"]) == "bat"
