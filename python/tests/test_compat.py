"""Locks keep replaying what they recorded (spec §5.3): rules 1 for locks made by seedlock 0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import seedlock

DATA = Path(__file__).resolve().parent / "data" / "rules1"


def _record() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("rules1_record", DATA / "record.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pytestmark = pytest.mark.usefixtures("restore_global_rngs")


def test_a_lock_written_by_seedlock_0_1_replays_its_recorded_outputs() -> None:
    lock = seedlock.load_lock(DATA / "lock.json")
    assert lock.rules == 1 and "rules" not in json.loads((DATA / "lock.json").read_text())
    recorded = json.loads((DATA / "outputs.json").read_text())
    assert _record().outputs(lock.stage("train")) == recorded


def test_the_same_seeds_under_rules_2_give_the_corrected_streams() -> None:
    document = json.loads((DATA / "lock.json").read_text())
    document["rules"] = 2
    stage = seedlock.from_data(document).stage("train")
    assert isinstance(stage, seedlock.LockedStage)
    got = _record().outputs(stage)
    recorded = json.loads((DATA / "outputs.json").read_text())
    # What apply seeds is unchanged; the unnamed generators and the workers follow rules 2.
    assert [got[k] for k in ("random", "numpy", "torch")] == [recorded[k] for k in ("random", "numpy", "torch")]
    assert got["torch_generator"] != got["torch"]
    assert got["epochs"][0] != got["epochs"][1] and recorded["epochs"][0] == recorded["epochs"][1]


def test_new_locks_record_rules_2_and_old_locks_keep_their_shape() -> None:
    manifest = seedlock.Manifest.from_dict({"version": "1.0", "seed": 1, "stages": {"s": {"frameworks": ["numpy"]}}})
    new = seedlock.resolve(manifest, {}, provenance=False)
    assert new.to_dict()["rules"] == 2
    assert seedlock.from_data(new.to_dict()).stage("s").rules == 2
    old = seedlock.load_lock(DATA / "lock.json")
    assert "rules" not in old.to_dict()


@pytest.mark.parametrize(("value", "code"), [("2", "invalid-type"), (3, "unsupported-version"), (True, "invalid-type")])
def test_a_bad_rules_member_is_rejected_at_its_pointer(value: Any, code: str) -> None:
    document = json.loads((DATA / "lock.json").read_text())
    document["rules"] = value
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.from_data(document)
    assert (info.value.code, info.value.pointer) == (code, "/rules")


def test_an_integral_float_rules_is_accepted() -> None:
    document = json.loads((DATA / "lock.json").read_text())
    document["rules"] = 2.0
    assert seedlock.from_data(document).rules == 2
