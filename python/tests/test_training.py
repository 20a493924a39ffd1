"""Training loops with a real torch DataLoader (2 workers): workers, named streams, epochs (issue 11).

Every test takes the user's path (several epochs, workers, ranks) and checks that the draws repeat
*and* keep the variation PyTorch intends: epochs differ, workers differ, ranks differ.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import seedlock
import torch
from conftest import vector_cases
from seedlock.spec.derivation import epoch_seed, loader_worker_seed, process_seed, stream_seed
from seedlock.spec.resolution import resolve
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

EPOCHS = 3


def _stage(frameworks: tuple[str, ...] = ("python", "numpy", "torch"), seed: int = 42) -> seedlock.LockedStage:
    manifest = seedlock.Manifest.from_dict(
        {
            "version": "1.0",
            "seed": seed,
            "stages": {"train": {"frameworks": list(frameworks), "settings": {"python": {"hash_seed": False}}}},
        }
    )
    return resolve(manifest, {}).stage("train")


def _session(
    frameworks: tuple[str, ...] = ("python", "numpy", "torch"), seed: int = 42, rank: int | None = None
) -> seedlock.Session:
    """The stage applied in this process, as the README's training loop starts."""
    return seedlock.apply_stage(_stage(frameworks, seed), rank=rank)


pytestmark = pytest.mark.usefixtures("restore_global_rngs")


class GlobalDraws:
    """Each item: (numpy, random, torch) draws made inside the worker, and the worker id."""

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> Any:
        info = get_worker_info()
        return torch.tensor(
            [
                float(np.random.random()),
                random.random(),
                torch.rand(1).item(),
                -1.0 if info is None else float(info.id),
            ],
            dtype=torch.float64,
        )


def _epochs(loader: Any, epochs: int = EPOCHS, stage: seedlock.Session | None = None) -> list[torch.Tensor]:
    out = []
    for epoch in range(epochs):
        if stage is not None:
            stage.seed_epoch(epoch)
        out.append(torch.cat(list(loader)))
    return out


def _by_worker(batch: torch.Tensor) -> dict[int, torch.Tensor]:
    return {int(w): batch[batch[:, -1] == w, :-1] for w in batch[:, -1].unique()}


def _readme_loader(stage: seedlock.Session, dataset: Any, **kwargs: Any) -> DataLoader[Any]:
    """The pattern the README recommends (after applying the stage)."""
    return DataLoader(
        dataset,
        batch_size=2,
        shuffle=True,
        num_workers=2,
        worker_init_fn=stage.worker_init_fn(),
        generator=stage.torch_generator("shuffle"),
        **kwargs,
    )


def test_dataloader_workers_draw_different_numbers_in_every_epoch() -> None:
    # Defect 1: a worker_init_fn seeded from constants froze worker draws across epochs.
    epochs = _epochs(_readme_loader(_session(), GlobalDraws()))
    for a in range(EPOCHS):
        for b in range(a + 1, EPOCHS):
            for column, framework in enumerate(("numpy", "python", "torch")):
                assert set(epochs[a][:, column].tolist()).isdisjoint(epochs[b][:, column].tolist()), (framework, a, b)


def test_dataloader_worker_draws_repeat_in_every_epoch_given_the_same_lock() -> None:
    first = _epochs(_readme_loader(_session(), GlobalDraws()))
    again = _epochs(_readme_loader(_session(), GlobalDraws()))
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=False))
    other = _epochs(_readme_loader(_session(seed=43), GlobalDraws()))
    assert not torch.equal(first[0], other[0])


def test_the_two_workers_of_an_epoch_draw_different_numbers_in_every_framework() -> None:
    for batch in _epochs(_readme_loader(_session(), GlobalDraws())):
        workers = _by_worker(batch)
        assert sorted(workers) == [0, 1]
        for column in range(3):
            assert set(workers[0][:, column].tolist()).isdisjoint(workers[1][:, column].tolist())


def test_worker_seeds_follow_the_loader_seed_derivation_of_the_spec() -> None:
    stage = _session()
    loader = _readme_loader(stage, GlobalDraws())
    batch = torch.cat(list(loader))
    # Replay the loader's base_seed draw: the first number the shuffle generator gives the iterator.
    fresh = torch.Generator().manual_seed(stream_seed(stage.seed_of("torch"), "shuffle"))
    base = int(torch.empty((), dtype=torch.int64).random_(generator=fresh).item())
    w1 = loader_worker_seed(stage.seed_of("numpy"), 1, base)
    first_of_worker1 = _by_worker(batch)[1][0, 0].item()
    assert first_of_worker1 == np.random.RandomState(w1).random_sample()


def test_ranks_seed_their_workers_differently() -> None:
    stage = _stage()

    def rank_draws(rank: int) -> torch.Tensor:
        session = seedlock.apply_stage(stage, rank=rank)
        # The same shuffle generator in both ranks: only the rank may tell their workers apart.
        loader = DataLoader(
            GlobalDraws(),
            batch_size=2,
            num_workers=2,
            worker_init_fn=session.worker_init_fn(),
            generator=torch.Generator().manual_seed(5),
        )
        return torch.cat(list(loader))

    r0, r1, r0_again = rank_draws(0), rank_draws(1), rank_draws(0)
    assert torch.equal(r0, r0_again)
    assert set(r0[:, 0].tolist()).isdisjoint(r1[:, 0].tolist())


def test_persistent_workers_draw_different_numbers_in_every_epoch_and_repeat() -> None:
    first = _epochs(_readme_loader(_session(), GlobalDraws(), persistent_workers=True))
    again = _epochs(_readme_loader(_session(), GlobalDraws(), persistent_workers=True))
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=False))
    assert set(first[0][:, 0].tolist()).isdisjoint(first[1][:, 0].tolist())
    assert set(_by_worker(first[1])[0][:, 0].tolist()).isdisjoint(_by_worker(first[1])[1][:, 0].tolist())


class IterableDraws(IterableDataset[Any]):
    def __iter__(self) -> Any:
        info = get_worker_info()
        wid = -1 if info is None else info.id
        for _ in range(4):
            yield torch.tensor(
                [float(np.random.random()), random.random(), torch.rand(1).item(), float(wid)], dtype=torch.float64
            )


def test_iterable_dataset_workers_differ_per_worker_and_epoch_and_repeat() -> None:
    def run() -> list[torch.Tensor]:
        stage = _session()
        loader = DataLoader(
            IterableDraws(),
            batch_size=2,
            num_workers=2,
            worker_init_fn=stage.worker_init_fn(),
            generator=stage.torch_generator("loader"),
        )
        return _epochs(loader)

    first, again = run(), run()
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=False))
    assert set(first[0][:, 0].tolist()).isdisjoint(first[1][:, 0].tolist())
    workers = _by_worker(first[0])
    assert set(workers[0][:, 0].tolist()).isdisjoint(workers[1][:, 0].tolist())


class GeneratorDraws:
    """A dataset holding generators the stage handed out (defect 5)."""

    def __init__(self, stage: seedlock.Session) -> None:
        self.rng = stage.numpy_generator("augment")
        self.trng = stage.torch_generator("augment")

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> Any:
        info = get_worker_info()
        return torch.tensor(
            [
                float(self.rng.random()),
                torch.rand(1, generator=self.trng).item(),
                0.0,
                -1.0 if info is None else float(info.id),
            ],
            dtype=torch.float64,
        )


def test_a_generator_held_by_a_dataset_draws_differently_in_each_worker_and_epoch() -> None:
    # Defect 5: every worker held an identical copy of the dataset's numpy Generator.
    def run() -> list[torch.Tensor]:
        stage = _session()
        return _epochs(_readme_loader(stage, GeneratorDraws(stage)))

    first = run()
    for batch in first:
        workers = _by_worker(batch)
        for column in (0, 1):
            assert set(workers[0][:, column].tolist()).isdisjoint(workers[1][:, column].tolist())
    assert set(first[0][:, 0].tolist()).isdisjoint(first[1][:, 0].tolist())
    assert all(torch.equal(a, b) for a, b in zip(first, run(), strict=False))


def test_code_inside_a_worker_gets_that_workers_stream() -> None:
    stage = _session()

    class WorkerStream:
        def __len__(self) -> int:
            return 4

        def __getitem__(self, i: int) -> Any:
            info = get_worker_info()
            rng = stage.numpy_generator("crop", worker=info)
            return rng.random(), info.id, info.seed - info.id  # the base seed needs all 64 bits

    dataset: Any = WorkerStream()
    loader = DataLoader(dataset, batch_size=1, num_workers=2, generator=stage.torch_generator("shuffle"))
    rows = [
        (float(v), int(w), int(b)) for value, wid, base in loader for v, w, b in zip(value, wid, base, strict=False)
    ]
    for value, wid, base in rows:
        worker = loader_worker_seed(stage.seed_of("numpy"), wid, base)
        assert value == np.random.Generator(np.random.PCG64(stream_seed(worker, "crop"))).random()
    assert rows[0][1] != rows[1][1] and rows[0][0] != rows[1][0]


def test_the_torch_generator_is_not_the_global_generators_stream() -> None:
    # Defect 7: torch_generator() used the stage's torch seed, so the shuffle order was drawn from
    # the same numbers as weight initialisation and dropout.
    stage = _session()
    generator = stage.torch_generator()
    assert not torch.equal(torch.rand(5), torch.rand(5, generator=generator))


def test_named_streams_are_distinct_and_follow_the_spec() -> None:
    stage = _session()
    draws = {name: stage.numpy_generator(name).random(3).tolist() for name in ("bootstrap", "dropout", None)}
    assert len({tuple(d) for d in draws.values()}) == 3
    numpy_seed = stage.seed_of("numpy")
    assert (
        draws["bootstrap"]
        == np.random.Generator(np.random.PCG64(stream_seed(numpy_seed, "bootstrap"))).random(3).tolist()
    )
    assert draws[None] == np.random.Generator(np.random.PCG64(stream_seed(numpy_seed, "default"))).random(3).tolist()
    torch_seed = stage.seed_of("torch")
    assert torch.equal(
        torch.rand(3, generator=stage.torch_generator("shuffle")),
        torch.rand(3, generator=torch.Generator().manual_seed(stream_seed(torch_seed, "shuffle"))),
    )
    with pytest.raises(seedlock.SeedlockError) as info:
        stage.numpy_generator("Bootstrap")
    assert info.value.code == "invalid-label"


def test_streams_of_a_rank_use_the_rank_applied() -> None:
    stage = _session(rank=3)
    expected = stream_seed(process_seed(stage.stage.seed_of("torch"), 3), "shuffle")
    assert torch.equal(
        torch.rand(2, generator=stage.torch_generator("shuffle")),
        torch.rand(2, generator=torch.Generator().manual_seed(expected)),
    )


def test_seed_epoch_reseeds_the_frameworks_and_every_stream_handed_out() -> None:
    stage = _session()
    shuffle = stage.torch_generator("shuffle")
    rng = stage.numpy_generator("augment")
    torch.rand(10, generator=shuffle)
    rng.random(10)
    report = stage.seed_epoch(2)
    assert report.seeds["torch"] == epoch_seed(stage.seed_of("torch"), 2)
    torch_epoch = epoch_seed(stage.seed_of("torch"), 2)
    assert torch.equal(torch.rand(3), torch.rand(3, generator=torch.Generator().manual_seed(torch_epoch)))
    assert np.random.random() == np.random.RandomState(epoch_seed(stage.seed_of("numpy"), 2)).random_sample()
    assert random.random() == random.Random(epoch_seed(stage.seed_of("python"), 2)).random()
    assert torch.equal(
        torch.rand(3, generator=shuffle),
        torch.rand(3, generator=torch.Generator().manual_seed(stream_seed(torch_epoch, "shuffle"))),
    )
    numpy_epoch = epoch_seed(stage.seed_of("numpy"), 2)
    assert rng.random() == np.random.Generator(np.random.PCG64(stream_seed(numpy_epoch, "augment"))).random()
    # A stream handed out during the epoch starts where a reseeded one does.
    assert (
        stage.numpy_generator("late").random()
        == np.random.Generator(np.random.PCG64(stream_seed(numpy_epoch, "late"))).random()
    )


def test_seed_epoch_uses_the_rank_applied() -> None:
    stage = _session(rank=1)
    assert stage.seed_epoch(4).seeds["numpy"] == epoch_seed(stage.stage.seed_of("numpy"), 4, 1)


def test_seed_epoch_keeps_epochs_and_workers_distinct_and_repeatable() -> None:
    def run() -> list[torch.Tensor]:
        stage = _session()
        return _epochs(_readme_loader(stage, GlobalDraws()), stage=stage)

    first = run()
    assert all(torch.equal(a, b) for a, b in zip(first, run(), strict=False))
    assert set(first[0][:, 0].tolist()).isdisjoint(first[1][:, 0].tolist())
    workers = _by_worker(first[2])
    assert set(workers[0][:, 0].tolist()).isdisjoint(workers[1][:, 0].tolist())


def _train(stage: seedlock.Session, epochs: range, model: torch.nn.Module, opt: Any) -> list[float]:
    loader = DataLoader(
        NoisyPairs(),
        batch_size=8,
        shuffle=True,
        num_workers=2,
        worker_init_fn=stage.worker_init_fn(),
        generator=stage.torch_generator("shuffle"),
    )
    losses = []
    for epoch in epochs:
        stage.seed_epoch(epoch)
        for x, y in loader:
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


class NoisyPairs:
    def __len__(self) -> int:
        return 32

    def __getitem__(self, i: int) -> Any:
        x = torch.full((4,), float(i) / 32) + torch.randn(4) * 0.1  # augmentation inside the worker
        return x, x.sum(dim=0, keepdim=True)


def _model() -> tuple[torch.nn.Module, Any]:
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.3), torch.nn.Linear(8, 1))
    return model, torch.optim.SGD(model.parameters(), lr=0.05)


def test_training_resumed_at_an_epoch_boundary_repeats_the_uninterrupted_run() -> None:
    torch.set_num_threads(1)
    stage = _session()
    model, opt = _model()
    losses = _train(stage, range(2), model, opt)
    checkpoint = ({k: v.clone() for k, v in model.state_dict().items()}, opt.state_dict())
    losses += _train(stage, range(2, 4), model, opt)
    uninterrupted = model.state_dict()

    resumed_stage = _session()  # a new lock object and session: nothing carried over but the checkpoint
    resumed, resumed_opt = _model()
    resumed.load_state_dict(checkpoint[0])
    resumed_opt.load_state_dict(checkpoint[1])
    resumed_losses = _train(resumed_stage, range(2, 4), resumed, resumed_opt)
    assert resumed_losses == losses[len(losses) // 2 :]
    assert all(torch.equal(uninterrupted[k], resumed.state_dict()[k]) for k in uninterrupted)


def test_a_negative_epoch_is_rejected() -> None:
    with pytest.raises(seedlock.SeedlockError) as info:
        _session().seed_epoch(-1)
    assert info.value.code == "invalid-value"


# Generators made without a seed (training/unseeded-generators.json) are test_seedless.py's.
@pytest.mark.parametrize("case", [c for c in vector_cases("training") if "unseeded" not in c.values[0]["input"]])
def test_training_vector(case: dict[str, Any]) -> None:
    from seedlock.seeding.streams import stream_seed_for, worker_base
    from seedlock.spec.derivation import check_rules

    inp = case["input"]

    def compute() -> int:
        rules = check_rules(inp.get("rules", 2))
        rank = inp.get("rank")
        if "worker" in inp:
            base = worker_base(inp["seed"], inp["worker"], inp["loader_seed"], rules=rules, rank=rank)
        elif "epoch" in inp:
            base = epoch_seed(inp["seed"], inp["epoch"], rank)
        else:
            base = process_seed(inp["seed"], rank)
        if "stream" not in inp:
            return base
        if "worker" in inp:
            from seedlock.seeding.streams import _below

            return _below(base, inp["stream"], rules)
        return stream_seed_for(inp["seed"], inp["stream"], rules=rules, rank=rank, epoch=inp.get("epoch"))

    if "error" in case:
        with pytest.raises(seedlock.SeedlockError) as info:
            compute()
        assert (info.value.code, info.value.pointer) == (case["error"]["code"], case["error"]["pointer"])
    else:
        assert compute() == case["expected"]["seed"]


class NumpyStreamDraws:
    """A dataset holding a numpy stream of the stage (importable, for spawned workers)."""

    def __init__(self, stage: seedlock.Session) -> None:
        self.rng = stage.numpy_generator("augment")

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> Any:
        info = get_worker_info()
        return torch.tensor(
            [
                float(self.rng.random()),
                float(np.random.random()),
                torch.rand(1).item(),
                -1.0 if info is None else float(info.id),
            ],
            dtype=torch.float64,
        )


def test_spawned_workers_draw_exactly_what_forked_workers_draw() -> None:
    # Under the spawn start method the dataset and worker_init_fn are pickled into each worker: the
    # dataset's stream must still be the one the initialiser reseeds, and no seed may depend on fork.
    def run(context: str) -> list[torch.Tensor]:
        stage = _session()
        return _epochs(_readme_loader(stage, NumpyStreamDraws(stage), multiprocessing_context=context), epochs=2)

    forked, spawned = run("fork"), run("spawn")
    assert all(torch.equal(a, b) for a, b in zip(forked, spawned, strict=False))
    workers = _by_worker(spawned[0])
    assert set(workers[0][:, 0].tolist()).isdisjoint(workers[1][:, 0].tolist())
    assert set(spawned[0][:, 0].tolist()).isdisjoint(spawned[1][:, 0].tolist())
