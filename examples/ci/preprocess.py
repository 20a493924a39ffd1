"""Example preprocessing job: a seeded train/test split of raw.csv, written to data/."""

import os

import numpy as np
import seedlock

seedlock.apply_from_env(strict=True)
rows = np.loadtxt("raw.csv", delimiter=",", skiprows=1)
order = np.random.permutation(len(rows))
os.makedirs("data", exist_ok=True)
np.save("data/train.npy", rows[order[:2]])
np.save("data/test.npy", rows[order[2:]])
