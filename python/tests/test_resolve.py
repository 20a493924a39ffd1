"""Resolution and lock vectors: precedence, environment, generation, the whole lock."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import seedlock
from conftest import vector_cases
from seedlock.spec.errors import SeedlockWarning
from seedlock.spec.resolution import resolve as resolve_with


def _resolve(inp: dict[str, Any]) -> seedlock.Lock:
    draws = list(inp.get("draws", []))

    def draw() -> int:
        assert draws, "the binding drew more seeds than the vector supplies"
        return draws.pop(0)

    manifest = seedlock.Manifest.from_dict(inp["manifest"])
    lock = resolve_with(manifest, inp["env"], draw=draw, strict=inp.get("strict", False))
    assert not draws, f"the binding drew fewer seeds than the vector supplies: {draws} left"
    return lock


def _without_settings(stages: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {
            **{k: v for k, v in st.items() if k != "frameworks"},
            "frameworks": {fw: {k: v for k, v in e.items() if k != "settings"} for fw, e in st["frameworks"].items()},
        }
        for name, st in stages.items()
    }


@pytest.mark.parametrize("case", vector_cases("resolve"))
def test_resolve_vector(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(seedlock.SeedlockError) as info:
            _resolve(case["input"])
        assert (info.value.code, info.value.pointer) == (case["error"]["code"], case["error"]["pointer"])
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = _resolve(case["input"]).to_dict()
    assert got["root"] == case["expected"]["root"]
    assert _without_settings(got["stages"]) == case["expected"]["stages"]
    reported = [w.message for w in caught if isinstance(w.message, SeedlockWarning)]
    assert [(w.code, w.pointer) for w in reported] == [
        (e["code"], e["pointer"]) for e in case["expected"].get("warnings", [])
    ]
    for warning, expected in zip(reported, case["expected"].get("warnings", []), strict=True):
        assert str(warning).startswith(f"{expected['variable']} matches no stage")
        meant = expected["suggestion"]
        assert (f"did you mean stage {meant!r}" in str(warning)) if meant else ("did you mean" not in str(warning))


@pytest.mark.parametrize("case", vector_cases("lock"))
def test_lock_vector(case: dict[str, Any]) -> None:
    got = _resolve(case["input"]).to_dict(provenance=False)
    got["manifest"].pop("path", None)
    assert got == case["expected"]["lock"]


@pytest.mark.parametrize("case", vector_cases("lock"))
def test_a_written_lock_loads_back_unchanged(case: dict[str, Any]) -> None:
    lock = _resolve(case["input"])
    again = seedlock.parse(seedlock.spec._json.pretty(lock.to_dict()))
    assert isinstance(again, seedlock.Lock)
    assert again.to_dict() == lock.to_dict()


def test_loading_a_lock_never_reads_the_environment(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = seedlock.Manifest.from_dict({"version": "1.0", "seed": 1, "stages": {"s": {"frameworks": ["numpy"]}}})
    path = tmp_path / "s.lock.json"
    path.write_text(seedlock.spec._json.pretty(resolve_with(manifest, {}).to_dict()))
    monkeypatch.setenv("SEEDLOCK_SEED", "99")
    monkeypatch.setenv("SEEDLOCK_SEED_S", "not a number")
    lock = seedlock.load(path)
    assert lock.root.seed == 1
    assert lock.stage("s").seed == seedlock.derive(1, "s")


def test_generate_uses_the_operating_system_and_stays_in_the_domain() -> None:
    manifest = seedlock.Manifest.from_dict(
        {"version": "1.0", "seed": "generate", "stages": {"s": {"frameworks": ["numpy"]}}}
    )
    seeds = {resolve_with(manifest, {}).root.seed for _ in range(20)}
    assert len(seeds) > 15
    assert all(0 <= s <= 2**31 - 1 for s in seeds)


def test_an_unknown_stage_is_reported_with_its_pointer() -> None:
    manifest = seedlock.Manifest.from_dict({"version": "1.0", "seed": 1, "stages": {"s": {"frameworks": ["numpy"]}}})
    with pytest.raises(seedlock.SeedlockError) as info:
        resolve_with(manifest, {}).stage("train")
    assert info.value.code == "unknown-stage"
    assert str(info.value) == "No stage 'train' (stages: s) at '/stages/train'"


def test_a_framework_the_stage_does_not_list_is_framework_not_in_stage_not_unknown_stage() -> None:
    manifest = seedlock.Manifest.from_dict({"version": "1.0", "seed": 1, "stages": {"s": {"frameworks": ["numpy"]}}})
    stage = resolve_with(manifest, {}).stage("s")
    for call in (
        lambda: stage.seed_of("torch"),
        lambda: stage.rank_seed("r", 1),
        lambda: stage.worker_seed("python", 0),
    ):
        with pytest.raises(seedlock.SeedlockError) as info:
            call()
        assert (info.value.code, info.value.pointer) == ("framework-not-in-stage", "/stages/s/frameworks")


def test_load_lock_refuses_a_manifest_and_load_manifest_a_lock(tmp_path: Any) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text('{"version": "1.0", "seed": 1, "stages": {"s": {"frameworks": ["numpy"]}}}')
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.load_lock(manifest)
    assert info.value.code == "not-a-lock"
    assert str(info.value) == f"{manifest} is a manifest, not a lock at '/lock-version'"
    lock = tmp_path / "l.json"
    lock.write_text(seedlock.spec._json.pretty(seedlock.load(manifest).to_dict()))
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.load_manifest(lock)
    assert info.value.code == "not-a-manifest"
    assert str(info.value) == f"{lock} is a lock, not a manifest at '/lock-version'"


def test_a_replaced_manifest_locks_the_hash_of_its_new_fields() -> None:
    import dataclasses
    import hashlib

    manifest = seedlock.Manifest.from_dict(
        {"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["numpy"]}}}
    )
    changed = dataclasses.replace(manifest, seed=7)
    assert changed.to_dict()["seed"] == 7
    lock = resolve_with(changed, {})
    assert lock.root.seed == 7
    expected = hashlib.sha256(seedlock.spec._json.canonical(changed.to_dict()).encode("utf-8")).hexdigest()
    assert lock.manifest_sha256 == expected != manifest.sha256
    assert lock.manifest_sha256 == seedlock.Manifest.from_dict(changed.to_dict()).sha256


def test_a_replaced_stage_changes_the_manifest_dict_and_hash() -> None:
    import dataclasses

    manifest = seedlock.Manifest.from_dict(
        {"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["numpy"]}}}
    )
    stage = dataclasses.replace(manifest.stages["train"], frameworks=("numpy", "torch"), description="more")
    changed = dataclasses.replace(manifest, stages={"train": stage})
    assert changed.to_dict()["stages"] == {"train": {"frameworks": ["numpy", "torch"], "description": "more"}}
    assert changed.sha256 == seedlock.Manifest.from_dict(changed.to_dict()).sha256 != manifest.sha256


@pytest.mark.parametrize("case", list(vector_cases("lock")) + [c for c in vector_cases("resolve") if "error" not in c])
def test_a_manifest_rebuilt_from_its_dict_is_equal_and_hashes_alike(case: dict[str, Any]) -> None:
    manifest = seedlock.Manifest.from_dict(case["input"]["manifest"])
    again = seedlock.Manifest.from_dict(manifest.to_dict())
    assert again == manifest and again.sha256 == manifest.sha256 and again.to_dict() == manifest.to_dict()


@pytest.mark.parametrize("case", vector_cases("query"))
def test_query_vector(case: dict[str, Any]) -> None:
    inp = case["input"]
    lock = resolve_with(seedlock.Manifest.from_dict(inp["manifest"]), inp["env"])
    keyed = "epoch" in inp or "stream" in inp  # a jax key after seed_epoch and/or with a name (spec §6 jax)
    if "error" in case:
        with pytest.raises(seedlock.SeedlockError) as info:  # noqa: PT012 (the stage lookup may be what fails)
            if keyed:
                _jax_key_seed(lock.stage(inp["stage"]), inp)
            else:
                lock.stage(inp["stage"]).seed_of(inp["framework"])
        assert (info.value.code, info.value.pointer) == (case["error"]["code"], case["error"]["pointer"])
        return
    stage = lock.stage(inp["stage"])
    where = {key: inp[key] for key in ("rank", "worker") if key in inp}
    if keyed:
        assert _jax_key_seed(stage, inp) == case["expected"]["seed"]
    else:
        assert stage.process_seed(inp["framework"], **where) == case["expected"]["seed"]
    if not where and not keyed:
        assert stage.seed_of(inp["framework"]) == case["expected"]["seed"]
    if "key_data" in case["expected"]:
        import jax

        fresh = resolve_with(seedlock.Manifest.from_dict(inp["manifest"]), inp["env"]).stage(inp["stage"])
        with seedlock.seeded(fresh) as session:
            if "epoch" in inp:
                session.seed_epoch(inp["epoch"])
            key = session.jax_key(inp.get("stream"), rank=inp.get("rank"), worker=inp.get("worker"))
            raw = session.jax_seed(inp.get("stream"), rank=inp.get("rank"), worker=inp.get("worker"))
            unranked = session.jax_seed(inp.get("stream"), worker=inp.get("worker"))
        assert jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)  # a new-style typed key
        assert jax.random.key_data(key).tolist() == case["expected"]["key_data"]
        assert jax.random.PRNGKey(raw).tolist() == case["expected"]["key_data"]
        if "rank" in inp:
            # Applying the stage with the rank leaves a key asked for without one the same in every process.
            with seedlock.seeded(fresh, rank=inp["rank"]) as session:
                if "epoch" in inp:
                    session.seed_epoch(inp["epoch"])
                assert session.jax_seed(inp.get("stream"), worker=inp.get("worker")) == unranked
        if not keyed:
            assert jax.random.PRNGKey(stage.process_seed("jax", **where)).tolist() == case["expected"]["key_data"]


def _jax_key_seed(stage: seedlock.LockedStage, inp: dict[str, Any]) -> int:
    """The key seed of a query case with an epoch and/or a key name, the way a program gets it."""
    with seedlock.seeded(stage) as session:
        if "epoch" in inp:
            session.seed_epoch(inp["epoch"])
        return session.jax_seed(inp.get("stream"), rank=inp.get("rank"), worker=inp.get("worker"))


def test_a_misspelt_stage_variable_warns_naming_the_stage_meant_and_fails_when_strict() -> None:
    manifest = seedlock.Manifest.from_dict(
        {"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["numpy"]}}}
    )
    with pytest.warns(SeedlockWarning) as record:
        lock = seedlock.resolve(manifest, env={"SEEDLOCK_SEED_TRIAN": "5"}, provenance=False)
    assert str(record[0].message) == (
        "SEEDLOCK_SEED_TRIAN matches no stage of the manifest (did you mean stage 'train', "
        "whose variable is SEEDLOCK_SEED_TRAIN?) at '/stages'"
    )
    assert lock.stage("train").source == "derived"  # the misspelt variable changed nothing, and now says so
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.resolve(manifest, env={"SEEDLOCK_SEED_TRIAN": "5"}, provenance=False, strict=True)
    assert (info.value.code, info.value.pointer) == ("unknown-stage-variable", "/stages")
