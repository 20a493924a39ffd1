"""apply(): real numpy, torch and Python; reports, strict mode, state restoration, worker seeds."""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import pytest
import torch

import seedlock
from seedlock.resolution import resolve

ALL = ["python", "numpy", "torch"]


def _stage(frameworks: list[str] = ALL, **stage: Any) -> seedlock.LockedStage:
    manifest = seedlock.Manifest.from_dict(
        {"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": frameworks, **stage}}}
    )
    return resolve(manifest, {}).stage("train")


pytestmark = pytest.mark.usefixtures("restore_global_rngs")


def test_numpy_legacy_draws_equal_a_randomstate_with_the_stage_seed() -> None:
    stage = _stage()
    stage.apply()
    expected = np.random.RandomState(stage.seed_of("numpy")).random_sample(10)
    np.testing.assert_array_equal(np.random.random(10), expected)


def test_torch_draws_equal_a_generator_with_the_stage_seed() -> None:
    stage = _stage()
    stage.apply()
    expected = torch.rand(8, generator=torch.Generator().manual_seed(stage.seed_of("torch")))
    assert torch.equal(torch.rand(8), expected)


def test_python_random_is_seeded_with_the_python_seed() -> None:
    stage = _stage()
    stage.apply()
    assert random.random() == random.Random(stage.seed_of("python")).random()


def test_frameworks_get_distinct_seeds_so_numpy_and_torch_streams_differ() -> None:
    stage = _stage()
    assert len(set(stage.seeds.values())) == 3
    stage.apply()
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
    report = stage.apply()
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
    report = stage.apply()
    assert not report.ok
    assert report.failures[0].what == f"PYTHONHASHSEED={stage.seed_of('python')}"
    with pytest.raises(seedlock.SeedlockError) as info:
        stage.apply(strict=True)
    assert info.value.code == "not-applied"
    assert info.value.pointer == "/stages/train/frameworks/python"


def test_a_matching_pythonhashseed_counts_as_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    stage = _stage(["python"])
    monkeypatch.setenv("PYTHONHASHSEED", str(stage.seed_of("python")))
    assert stage.apply(strict=True).ok


def test_hash_seed_false_does_not_check_pythonhashseed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    stage = _stage(["python"], settings={"python": {"hash_seed": False}})
    assert stage.apply(strict=True).ok


def test_the_cublas_variable_is_skipped_with_a_reason_without_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the skip path is for CPU-only machines")
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    report = _stage(["torch"]).apply()
    (cublas,) = [a for a in report.actions if a.what.startswith("CUBLAS_WORKSPACE_CONFIG")]
    assert (cublas.status, cublas.detail) == ("skipped", "no CUDA device")
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ


def test_a_cublas_variable_set_by_the_launcher_is_reported_as_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    report = _stage(["torch"]).apply(strict=True)
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
    with _stage().seeded():
        random.random(), np.random.random(), torch.rand(1)
        assert torch.are_deterministic_algorithms_enabled()
    assert not torch.are_deterministic_algorithms_enabled()
    assert (random.random(), np.random.random(), torch.rand(1).item()) == before


def test_numpy_generator_uses_the_configured_bit_generator() -> None:
    stage = _stage(["numpy"], settings={"numpy": {"bit_generator": "Philox"}})
    gen = stage.numpy_generator("boot")
    assert isinstance(gen.bit_generator, np.random.Philox)
    expected = seedlock.derive(stage.seed_of("numpy"), "stream", "boot")
    assert gen.random() == np.random.Generator(np.random.Philox(expected)).random()
    stage.seed_epoch(1)  # reseeding keeps the bit generator
    assert isinstance(gen.bit_generator, np.random.Philox)


def test_rank_seeds_follow_the_rank_derivation() -> None:
    stage = _stage()
    report = stage.apply(rank=3)
    assert report.seeds["numpy"] == seedlock.derive(stage.seed_of("numpy"), "rank", "3")
    assert np.random.random() == np.random.RandomState(report.seeds["numpy"]).random_sample()


def _rules1(stage: seedlock.LockedStage) -> seedlock.LockedStage:
    import dataclasses

    return dataclasses.replace(stage, rules=1, _runtime=None)


def test_under_rules_1_the_torch_generator_is_seeded_with_the_torch_seed() -> None:
    stage = _rules1(_stage())
    assert torch.equal(torch.rand(4, generator=stage.torch_generator()),
                       torch.rand(4, generator=torch.Generator().manual_seed(stage.seed_of("torch"))))


def test_under_rules_1_worker_init_fn_seeds_each_worker_from_constants() -> None:
    from torch.utils.data import DataLoader, Dataset

    class Draws(Dataset[Any]):
        def __len__(self) -> int:
            return 8

        def __getitem__(self, i: int) -> Any:
            return torch.tensor([np.random.random(), random.random(), torch.rand(1).item()])

    stage = _rules1(_stage())

    def run() -> torch.Tensor:
        loader = DataLoader(Draws(), batch_size=2, num_workers=2, worker_init_fn=stage.worker_init_fn(),
                            generator=stage.torch_generator())
        return torch.cat(list(loader))

    first, second = run(), run()
    assert torch.equal(first, second)
    # Batches 0 and 1 come from workers 0 and 1: their numpy draws must differ.
    assert first[0, 0] != first[2, 0]
    worker0 = seedlock.worker_seed(stage.seed_of("numpy"), 0)
    assert first[0, 0].item() == pytest.approx(np.random.RandomState(worker0).random_sample(), abs=1e-6)


def test_asking_for_a_framework_the_stage_does_not_list_is_an_error() -> None:
    with pytest.raises(seedlock.SeedlockError) as info:
        _stage(["numpy"]).torch_generator()
    assert info.value.code == "framework-not-in-stage"
    assert str(info.value) == "Stage 'train' does not list framework 'torch' (it lists numpy) at '/stages/train/frameworks'"


def test_apply_from_env_reads_the_lock_and_stage(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stage_lock = resolve(seedlock.Manifest.from_dict({"version": "1.0", "seed": 5, "stages": {"s": {"frameworks": ["numpy"]}}}), {})
    path = tmp_path / "x.lock.json"
    path.write_text(seedlock._json.pretty(stage_lock.to_dict()))
    monkeypatch.setenv("SEEDLOCK_LOCK", str(path))
    monkeypatch.setenv("SEEDLOCK_STAGE", "s")
    report = seedlock.apply_from_env()
    assert report.seeds == {"numpy": stage_lock.stage("s").seed_of("numpy")}
    monkeypatch.delenv("SEEDLOCK_STAGE")
    with pytest.raises(seedlock.SeedlockError, match="SEEDLOCK_STAGE is not set: run this program with `seedlock run LOCK --stage STAGE -- COMMAND`") as err:
        seedlock.apply_from_env()
    assert err.value.code == "missing-environment"




def _stage_s_in_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, manifest: dict[str, Any]) -> seedlock.LockedStage:
    """Stage ``s`` of ``manifest``, resolved, its lock written and named in the environment as `seedlock run` does."""
    lock = resolve(seedlock.Manifest.from_dict(manifest), {})
    path = tmp_path / "x.lock.json"
    path.write_text(seedlock._json.pretty(lock.to_dict()))
    monkeypatch.setenv("SEEDLOCK_LOCK", str(path))
    monkeypatch.setenv("SEEDLOCK_STAGE", "s")
    monkeypatch.delenv("SEEDLOCK_STATUS", raising=False)
    return lock.stage("s")


def test_what_apply_from_env_returns_does_everything_a_stage_does(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # A script follows the README with `stage = seedlock.apply_from_env()`; every public attribute of a
    # LockedStage must be there (jax_key was missing: the JAX recipe crashed with AttributeError).
    import copy
    import pickle

    stage = _stage_s_in_env(tmp_path, monkeypatch, {"version": "1.1", "seed": 5, "stages": {"s": {"frameworks": ["python", "numpy", "jax"]}}})
    with stage.seeded():
        applied = seedlock.apply_from_env(rank=1)
        missing = [n for n in dir(seedlock.LockedStage) if not n.startswith("_") and not hasattr(applied, n)]
        assert missing == []
        assert applied.jax_seed("dropout") == stage.jax_seed("dropout")  # no rank asked: the same in every process
        assert applied.jax_seed("dropout", rank=1) == stage.jax_seed("dropout", rank=1) != applied.jax_seed("dropout")
        assert applied.process_seed("numpy", rank=1) == stage.rank_seed("numpy", 1)
        before = applied.jax_seed("dropout")
        applied.seed_epoch(2)
        assert applied.jax_seed("dropout") == applied.stage.jax_seed("dropout") != before  # its stage, in epoch 2
        assert copy.copy(applied) == applied and pickle.loads(pickle.dumps(applied.report)) == applied.report
        with pytest.raises(AttributeError):
            applied.no_such_attribute  # noqa: B018


def test_apply_from_env_returns_the_stage_with_its_report_and_reads_like_the_report(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stage = _stage_s_in_env(tmp_path, monkeypatch, {"version": "1.0", "seed": 5, "stages": {"s": {"frameworks": ["python", "numpy", "torch"]}}})
    with stage.seeded():
        applied = seedlock.apply_from_env(rank=2)
        # What code written against the report keeps using ...
        assert applied.seeds == {fw: stage.rank_seed(fw, 2) for fw in ("python", "numpy", "torch")}
        assert applied.ok is (not applied.failures)
        assert applied.actions == applied.report.actions
        assert str(applied) == str(applied.report) and str(applied).startswith("seedlock: stage 's': python=")
        # ... and the stage, for the same rank, without loading the lock again.
        assert applied.stage == stage and applied.name == "s" and applied.rank == 2
        assert applied.seed_of("numpy") == stage.rank_seed("numpy", 2)
        assert applied.worker_init_fn() == stage.worker_init_fn(rank=2)
        assert applied.numpy_generator().random() == stage.numpy_generator(rank=2).random()
        # Rules 2: the unnamed stream of rank 2 is its "default" stream, not the rank's global generator.
        assert applied.torch_generator().initial_seed() == seedlock.stream_seed(stage.rank_seed("torch", 2), "default")
        unpacked_stage, report = applied
        assert (unpacked_stage, report) == (stage, applied.report)
        assert applied == seedlock.AppliedStage(stage=stage, report=report, rank=2)


def test_apply_from_env_outside_seedlock_run_says_how_to_run_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEEDLOCK_LOCK", raising=False)
    monkeypatch.delenv("SEEDLOCK_STAGE", raising=False)
    with pytest.raises(seedlock.SeedlockError) as err:
        seedlock.apply_from_env()
    assert str(err.value) == ("SEEDLOCK_LOCK and SEEDLOCK_STAGE are not set: run this program with "
                              "`seedlock run LOCK --stage STAGE -- COMMAND`")
    # An unset variable is not an absent member of a document (`missing-field`): its own code.
    assert err.value.code == "missing-environment"


def test_auto_seeding_reports_python_exactly_as_apply_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from seedlock import _autoseed
    from seedlock.frameworks import Context, python

    with seedlock.resolve(seedlock.Manifest.from_dict(
            {"version": "1.0", "seed": 5, "stages": {"s": {"frameworks": ["python"]}}}), {}).stage("s").seeded():
        for hash_env in ("17", "3", None):
            if hash_env is None:
                monkeypatch.delenv("PYTHONHASHSEED", raising=False)
            else:
                monkeypatch.setenv("PYTHONHASHSEED", hash_env)
            for hash_seed in (True, False):
                expected = [(a.framework, a.status, a.what, a.detail)
                            for a in python.apply(17, {"hash_seed": hash_seed}, Context(stage="s", framework_seed=17))]
                assert _autoseed.python_rows(17, hash_seed) == expected
