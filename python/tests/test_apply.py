"""apply(): real numpy, torch and Python; reports, strict mode, state restoration, worker seeds."""

from __future__ import annotations

import dataclasses
import os
import random
from typing import Any

import numpy as np
import pytest
import seedlock
import torch
from seedlock.spec.resolution import resolve

ALL = ["python", "numpy", "torch"]


def _stage(frameworks: list[str] = ALL, **stage: Any) -> seedlock.LockedStage:
    manifest = seedlock.Manifest.from_dict(
        {"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": frameworks, **stage}}}
    )
    return resolve(manifest, {}).stage("train")


pytestmark = pytest.mark.usefixtures("restore_global_rngs")


def test_numpy_legacy_draws_equal_a_randomstate_with_the_stage_seed() -> None:
    stage = _stage()
    stage = seedlock.apply_stage(stage)
    expected = np.random.RandomState(stage.seed_of("numpy")).random_sample(10)
    np.testing.assert_array_equal(np.random.random(10), expected)


def test_torch_draws_equal_a_generator_with_the_stage_seed() -> None:
    stage = _stage()
    stage = seedlock.apply_stage(stage)
    expected = torch.rand(8, generator=torch.Generator().manual_seed(stage.seed_of("torch")))
    assert torch.equal(torch.rand(8), expected)


def test_python_random_is_seeded_with_the_python_seed() -> None:
    stage = _stage()
    stage = seedlock.apply_stage(stage)
    assert random.random() == random.Random(stage.seed_of("python")).random()


def test_frameworks_get_distinct_seeds_so_numpy_and_torch_streams_differ() -> None:
    stage = _stage()
    assert len(set(stage.seeds.values())) == 3
    stage = seedlock.apply_stage(stage)
    numpy_words = np.random.randint(0, 2**31, size=6)
    torch_words = torch.empty(6, dtype=torch.int64).random_(0, 2**31).numpy()
    assert not np.array_equal(numpy_words, torch_words)


def test_the_same_integer_gives_numpy_and_torch_the_same_raw_stream() -> None:
    # Why frameworks need distinct seeds (shared/facts.md): both are MT19937 with the same
    # initialisation, and torch's 31-bit draws are the odd words of numpy's raw stream.
    words = np.random.RandomState(42).randint(0, 2**32, size=6, dtype=np.uint32).astype(np.int64) % 2**31
    torch.manual_seed(42)
    torch_words = torch.empty(3, dtype=torch.int64).random_(0, 2**31).numpy()
    np.testing.assert_array_equal(torch_words, words[1::2])


def test_apply_reports_every_framework_and_the_seeds() -> None:
    stage = _stage(settings={"torch": {"num_threads": 1}})
    report = seedlock.apply_stage(stage).report
    assert report.seeds == stage.seeds
    frameworks = {a.framework for a in report.actions}
    assert frameworks == {"python", "numpy", "torch"}
    assert any(a.what == "torch.set_num_threads(1)" and a.status == "applied" for a in report.actions)
    assert torch.get_num_threads() == 1
    assert torch.are_deterministic_algorithms_enabled()
    assert str(report).startswith("seedlock: stage 'train': python=")


def test_a_missing_pythonhashseed_is_reported_and_strict_mode_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    stage = _stage(["python"])
    report = seedlock.apply_stage(stage).report
    assert not report.ok
    assert report.failures[0].what == f"PYTHONHASHSEED={stage.seed_of('python')}"
    with pytest.raises(seedlock.SeedlockError) as info:
        stage = seedlock.apply_stage(stage, strict=True)
    assert info.value.code == "not-applied"
    assert info.value.pointer == "/stages/train/frameworks/python"


def test_a_matching_pythonhashseed_counts_as_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    stage = _stage(["python"])
    monkeypatch.setenv("PYTHONHASHSEED", str(stage.seed_of("python")))
    assert seedlock.apply_stage(stage, strict=True).report.ok


def test_hash_seed_false_does_not_check_pythonhashseed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    stage = _stage(["python"], settings={"python": {"hash_seed": False}})
    assert seedlock.apply_stage(stage, strict=True).report.ok


def test_the_cublas_variable_is_skipped_with_a_reason_without_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the skip path is for CPU-only machines")
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    report = seedlock.apply_stage(_stage(["torch"])).report
    (cublas,) = [a for a in report.actions if a.what.startswith("CUBLAS_WORKSPACE_CONFIG")]
    assert (cublas.status, cublas.detail) == ("skipped", "no CUDA device")
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ


def test_a_cublas_variable_set_by_the_launcher_is_reported_as_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    report = seedlock.apply_stage(_stage(["torch"]), strict=True).report
    (cublas,) = [a for a in report.actions if a.what.startswith("CUBLAS_WORKSPACE_CONFIG")]
    assert (cublas.status, cublas.detail) == ("applied", "set to :16:8")


def test_seeded_restores_every_state_it_touched() -> None:
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    torch.use_deterministic_algorithms(False)
    before = (random.random(), np.random.random(), torch.rand(1).item())
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    with seedlock.seeded(_stage()):
        random.random(), np.random.random(), torch.rand(1)
        assert torch.are_deterministic_algorithms_enabled()
    assert not torch.are_deterministic_algorithms_enabled()
    assert (random.random(), np.random.random(), torch.rand(1).item()) == before


def test_numpy_generator_uses_the_configured_bit_generator() -> None:
    stage = seedlock.apply_stage(_stage(["numpy"], settings={"numpy": {"bit_generator": "Philox"}}))
    gen = stage.numpy_generator("boot")
    assert isinstance(gen.bit_generator, np.random.Philox)
    expected = seedlock.derive(stage.seed_of("numpy"), "stream", "boot")
    assert gen.random() == np.random.Generator(np.random.Philox(expected)).random()
    stage.seed_epoch(1)  # reseeding keeps the bit generator
    assert isinstance(gen.bit_generator, np.random.Philox)


def test_rank_seeds_follow_the_rank_derivation() -> None:
    stage = _stage()
    report = seedlock.apply_stage(stage, rank=3).report
    assert report.seeds["numpy"] == seedlock.derive(stage.seed_of("numpy"), "rank", "3")
    assert np.random.random() == np.random.RandomState(report.seeds["numpy"]).random_sample()


def _rules1(stage: seedlock.LockedStage) -> seedlock.LockedStage:
    import dataclasses

    return dataclasses.replace(stage, rules=1)


def test_under_rules_1_the_torch_generator_is_seeded_with_the_torch_seed() -> None:
    stage = seedlock.apply_stage(_rules1(_stage()))
    assert torch.equal(
        torch.rand(4, generator=stage.torch_generator()),
        torch.rand(4, generator=torch.Generator().manual_seed(stage.seed_of("torch"))),
    )


def test_under_rules_1_worker_init_fn_seeds_each_worker_from_constants() -> None:
    from torch.utils.data import DataLoader, Dataset

    class Draws(Dataset[Any]):
        def __len__(self) -> int:
            return 8

        def __getitem__(self, i: int) -> Any:
            return torch.tensor([np.random.random(), random.random(), torch.rand(1).item()])

    stage = seedlock.apply_stage(_rules1(_stage()))

    def run() -> torch.Tensor:
        loader = DataLoader(
            Draws(),
            batch_size=2,
            num_workers=2,
            worker_init_fn=stage.worker_init_fn(),
            generator=stage.torch_generator(),
        )
        return torch.cat(list(loader))

    first, second = run(), run()
    assert torch.equal(first, second)
    # Batches 0 and 1 come from workers 0 and 1: their numpy draws must differ.
    assert first[0, 0] != first[2, 0]
    worker0 = seedlock.worker_seed(stage.seed_of("numpy"), 0)
    assert first[0, 0].item() == pytest.approx(np.random.RandomState(worker0).random_sample(), abs=1e-6)


def test_asking_for_a_framework_the_stage_does_not_list_is_an_error() -> None:
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.apply_stage(_stage(["numpy"])).torch_generator()
    assert info.value.code == "framework-not-in-stage"
    assert (
        str(info.value)
        == "Stage 'train' does not list framework 'torch' (it lists numpy) at '/stages/train/frameworks'"
    )


def test_apply_from_env_reads_the_lock_and_stage(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stage_lock = resolve(
        seedlock.Manifest.from_dict({"version": "1.0", "seed": 5, "stages": {"s": {"frameworks": ["numpy"]}}}), {}
    )
    path = tmp_path / "x.lock.json"
    path.write_text(seedlock.spec._json.pretty(stage_lock.to_dict()))
    monkeypatch.setenv("SEEDLOCK_LOCK", str(path))
    monkeypatch.setenv("SEEDLOCK_STAGE", "s")
    report = seedlock.apply_from_env()
    assert report.seeds == {"numpy": stage_lock.stage("s").seed_of("numpy")}
    monkeypatch.delenv("SEEDLOCK_STAGE")
    with pytest.raises(
        seedlock.SeedlockError,
        match="SEEDLOCK_STAGE is not set: run this program with `seedlock run LOCK --stage STAGE -- COMMAND`",
    ) as err:
        seedlock.apply_from_env()
    assert err.value.code == "missing-environment"


def _stage_s_in_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, manifest: dict[str, Any]) -> seedlock.LockedStage:
    """Stage ``s`` of ``manifest``, resolved, its lock written and named in the environment as `seedlock run` does."""
    lock = resolve(seedlock.Manifest.from_dict(manifest), {})
    path = tmp_path / "x.lock.json"
    path.write_text(seedlock.spec._json.pretty(lock.to_dict()))
    monkeypatch.setenv("SEEDLOCK_LOCK", str(path))
    monkeypatch.setenv("SEEDLOCK_STAGE", "s")
    monkeypatch.delenv("SEEDLOCK_STATUS", raising=False)
    return lock.stage("s")


def test_apply_from_env_returns_one_session_whose_state_is_that_of_the_rank_applied(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A script follows the README with `session = seedlock.apply_from_env(rank=r)`: seeds, streams, workers
    # and JAX keys are the session's, for that rank (jax_key was missing once: the JAX recipe crashed).
    stage = _stage_s_in_env(
        tmp_path,
        monkeypatch,
        {
            "version": "1.1",
            "seed": 5,
            "stages": {
                "s": {"frameworks": ["python", "numpy", "torch", "jax"], "settings": {"python": {"hash_seed": False}}}
            },
        },
    )
    with seedlock.seeded(stage):
        session = seedlock.apply_from_env(rank=2)
        assert session.stage == stage and session.rank == 2 and session.epoch is None
        assert session.report.seeds == session.seeds == {fw: stage.rank_seed(fw, 2) for fw in stage.frameworks}
        assert session.seed_of("numpy") == stage.rank_seed("numpy", 2) != stage.seed_of("numpy")
        assert session.report.ok and [a.framework for a in session.report.failures] == []
        assert np.random.random() == np.random.RandomState(stage.rank_seed("numpy", 2)).random_sample()
        # Rules 2: the unnamed stream of rank 2 is its "default" stream, not the rank's global generator.
        assert session.torch_generator().initial_seed() == seedlock.stream_seed(stage.rank_seed("torch", 2), "default")
        assert session.worker_init_fn().rank == 2 and session.worker_init_fn(rank=0).rank == 0
        # JAX keys without rank= are the same in every process; with it, that rank's.
        assert session.jax_seed("dropout") != session.jax_seed("dropout", rank=2)
        assert session.jax_seed("dropout") == seedlock.stream_seed(stage.seed_of("jax"), "dropout")
        before = session.jax_seed("dropout")
        session.seed_epoch(2)
        assert session.epoch == 2 and session.jax_seed("dropout") != before


def test_a_failed_step_is_in_the_report_of_the_session_apply_from_env_returns(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = _stage_s_in_env(
        tmp_path, monkeypatch, {"version": "1.0", "seed": 5, "stages": {"s": {"frameworks": ["python"]}}}
    )
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)  # fixed at interpreter start: apply cannot set it
    with seedlock.seeded(stage):
        failed = seedlock.apply_from_env().report
        monkeypatch.setenv("PYTHONHASHSEED", str(stage.seed_of("python")))
        fine = seedlock.apply_from_env().report
    assert [(a.framework, a.what.split("=")[0]) for a in failed.failures] == [("python", "PYTHONHASHSEED")]
    assert not failed.ok and fine.ok and fine.failures == ()


def test_a_session_changes_no_lock_data_and_two_sessions_share_no_state() -> None:
    stage = _stage(["numpy", "torch"])
    as_locked = stage.to_dict()
    first = seedlock.apply_stage(stage, rank=1)
    shuffle = first.torch_generator("shuffle")
    first.seed_epoch(3)
    second = seedlock.apply_stage(stage)
    assert (first.rank, first.epoch) == (1, 3) and (second.rank, second.epoch) == (None, None)
    assert [s["name"] for s in first.state_dict()["streams"]] == ["shuffle"] and second.state_dict()["streams"] == []
    assert shuffle.initial_seed() == seedlock.stream_seed(seedlock.epoch_seed(stage.seed_of("torch"), 3, 1), "shuffle")
    assert stage.to_dict() == as_locked and stage == _stage(["numpy", "torch"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        stage.rules = 1  # type: ignore[misc]


def test_apply_from_env_outside_seedlock_run_says_how_to_run_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEEDLOCK_LOCK", raising=False)
    monkeypatch.delenv("SEEDLOCK_STAGE", raising=False)
    with pytest.raises(seedlock.SeedlockError) as err:
        seedlock.apply_from_env()
    assert str(err.value) == (
        "SEEDLOCK_LOCK and SEEDLOCK_STAGE are not set: run this program with "
        "`seedlock run LOCK --stage STAGE -- COMMAND`"
    )
    # An unset variable is not an absent member of a document (`missing-field`): its own code.
    assert err.value.code == "missing-environment"


def test_auto_seeding_reports_python_exactly_as_apply_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from seedlock.frameworks import Context, python
    from seedlock.seeding import _autoseed

    with seedlock.seeded(
        seedlock.resolve(
            seedlock.Manifest.from_dict({"version": "1.0", "seed": 5, "stages": {"s": {"frameworks": ["python"]}}}), {}
        ).stage("s")
    ):
        for hash_env in ("17", "3", None):
            if hash_env is None:
                monkeypatch.delenv("PYTHONHASHSEED", raising=False)
            else:
                monkeypatch.setenv("PYTHONHASHSEED", hash_env)
            for hash_seed in (True, False):
                expected = [
                    (a.framework, a.status, a.what, a.detail)
                    for a in python.apply(17, {"hash_seed": hash_seed}, Context(stage="s", framework_seed=17))
                ]
                assert _autoseed.python_rows(17, hash_seed) == expected
