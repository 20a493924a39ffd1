"""Example training job: noisy linear regression by SGD from data/train.npy, writing model.npy."""

import json

import numpy as np
import seedlock

seedlock.apply_from_env(strict=True)
with open("params.json") as f:
    params = json.load(f)
data = np.load("data/train.npy")
w = np.random.standard_normal(2)
for _ in range(params["steps"]):
    i = np.random.randint(len(data))
    x, y = np.array([data[i, 0], 1.0]), data[i, 1]
    w -= params["lr"] * 0.01 * (w @ x - y) * x + np.random.standard_normal(2) * 1e-3
np.save("model.npy", w)
