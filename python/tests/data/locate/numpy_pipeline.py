"""A numpy pipeline with probes: epoch 2's augmentation draws from a generator seeded by the OS."""

import os

import numpy as np
import seedlock

rng = np.random.default_rng(1234)
data = rng.normal(size=(16, 4))
seedlock.probe("data", data)
for epoch in range(4):
    noise = rng if epoch != 2 else np.random.default_rng(int.from_bytes(os.urandom(8), "little"))
    batch = data + noise.normal(0, 0.1, size=data.shape)
    seedlock.probe("batch", batch)
    data = batch * 0.5
np.save("out.npy", data)
