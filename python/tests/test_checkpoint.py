"""session.state_dict() / load_state_dict(): generator state saved with torch.save, resumed mid-epoch (spec §6.2)."""

from __future__ import annotations

import io
import random
from typing import Any

import numpy as np
import pytest
import seedlock
import torch
from seedlock.spec.resolution import resolve
from torch.utils.data import DataLoader


def _stage(seed: int = 42, bit_generator: str = "PCG64") -> seedlock.LockedStage:
    manifest = seedlock.Manifest.from_dict(
        {
            "version": "1.0",
            "seed": seed,
            "stages": {
                "train": {
                    "frameworks": ["python", "numpy", "torch"],
                    "settings": {"python": {"hash_seed": False}, "numpy": {"bit_generator": bit_generator}},
                }
            },
        }
    )
    return resolve(manifest, {}).stage("train")


def _session(**kwargs: Any) -> seedlock.Session:
    """The stage applied in this process (each call: a new lock object and session, as in a new process)."""
    return seedlock.apply_stage(_stage(**kwargs))


pytestmark = pytest.mark.usefixtures("restore_global_rngs")


def _draws(stage: seedlock.Session, streams: list[Any]) -> list[float]:
    out = [random.random(), float(np.random.random()), torch.rand(1).item()]
    for s in streams:
        out.append(float(s.random()) if hasattr(s, "random") else torch.rand(1, generator=s).item())
    return out


@pytest.mark.parametrize("bit_generator", ["PCG64", "MT19937", "Philox", "SFC64", "PCG64DXSM"])
def test_a_state_dict_survives_torch_save_with_weights_only_and_continues_every_stream(bit_generator: str) -> None:
    stage = _session(bit_generator=bit_generator)
    streams = [stage.numpy_generator("augment"), stage.torch_generator("shuffle"), stage.numpy_generator("augment")]
    stage.seed_epoch(3)
    _draws(stage, streams)
    buffer = io.BytesIO()
    torch.save(stage.state_dict(), buffer)
    expected = _draws(stage, streams)

    resumed = _session(bit_generator=bit_generator)  # a new lock object and session, as in a new process
    new_streams = [
        resumed.numpy_generator("augment"),
        resumed.torch_generator("shuffle"),
        resumed.numpy_generator("augment"),
    ]
    buffer.seek(0)
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    assert _draws(resumed, new_streams) == expected
    assert resumed.epoch == 3


def test_a_stream_handed_out_after_loading_starts_from_its_saved_state() -> None:
    stage = _session()
    shuffle = stage.torch_generator("shuffle")
    torch.rand(7, generator=shuffle)
    state = stage.state_dict()
    expected = torch.rand(3, generator=shuffle)
    resumed = _session()
    resumed.load_state_dict(state)
    assert torch.equal(torch.rand(3, generator=resumed.torch_generator("shuffle")), expected)


def test_loading_a_state_dict_of_other_seeds_is_an_error() -> None:
    state = _session(seed=1).state_dict()
    with pytest.raises(seedlock.SeedlockError) as info:
        _session(seed=2).load_state_dict(state)
    assert (info.value.code, info.value.pointer) == ("invalid-value", "/seeds")


def test_loading_a_state_dict_without_a_stream_the_stage_handed_out_is_an_error() -> None:
    state = _session().state_dict()
    stage = _session()
    stage.numpy_generator("extra")
    with pytest.raises(seedlock.SeedlockError, match="stream 'extra'") as info:
        stage.load_state_dict(state)
    assert info.value.pointer == "/streams"


class Augmented:
    def __len__(self) -> int:
        return 24

    def __getitem__(self, i: int) -> Any:
        x = torch.full((4,), i / 24.0) + torch.randn(4) * 0.1
        return x, x.sum(dim=0, keepdim=True)


def _setup(stage: seedlock.Session) -> tuple[torch.nn.Module, Any, Any, Any]:
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.3), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loader = DataLoader(Augmented(), batch_size=4, shuffle=True, generator=stage.torch_generator("shuffle"))
    return model, opt, loader, stage.numpy_generator("noise")


def _step(model: torch.nn.Module, opt: Any, batch: Any, noise: Any) -> float:
    x, y = batch
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x * float(noise.random())), y)
    loss.backward()
    opt.step()
    return loss.item()


def test_a_run_resumed_mid_epoch_from_a_checkpoint_repeats_the_uninterrupted_run() -> None:
    torch.set_num_threads(1)
    stage = _session()
    model, opt, loader, noise = _setup(stage)
    saved: dict[str, Any] = {}
    for epoch in range(3):
        stage.seed_epoch(epoch)
        for step, batch in enumerate(loader):
            _step(model, opt, batch, noise)
            if (epoch, step) == (1, 2):
                # Saved after a step, before the next batch is loaded: 3 batches of epoch 1 are done.
                buffer = io.BytesIO()
                torch.save(
                    {
                        "model": model.state_dict(),
                        "opt": opt.state_dict(),
                        "rng": stage.state_dict(),
                        "epoch": epoch,
                        "done": step + 1,
                    },
                    buffer,
                )
                saved["checkpoint"] = buffer.getvalue()
    uninterrupted = model.state_dict()

    checkpoint = torch.load(io.BytesIO(saved["checkpoint"]), weights_only=True)
    stage2 = _session()
    model2, opt2, loader2, noise2 = _setup(stage2)
    model2.load_state_dict(checkpoint["model"])
    opt2.load_state_dict(checkpoint["opt"])
    epoch, step = checkpoint["epoch"], checkpoint["done"]
    # The recipe: re-enter the epoch, rebuild its batch order, skip what was done, then restore.
    stage2.seed_epoch(epoch)
    batches = iter(loader2)
    for _ in range(step):
        next(batches)
    stage2.load_state_dict(checkpoint["rng"])
    for batch in batches:
        _step(model2, opt2, batch, noise2)
    for later in range(epoch + 1, 3):
        stage2.seed_epoch(later)
        for batch in loader2:
            _step(model2, opt2, batch, noise2)
    assert all(torch.equal(uninterrupted[k], model2.state_dict()[k]) for k in uninterrupted)
