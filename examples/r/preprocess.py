"""The Python twin of preprocess.R: same lock and stage, same seeds, draws and split.

seedlock run run.lock.json --stage preprocess -- python examples/r/preprocess.py
"""

import json
import os

import seedlock
from seedlock.rcompat import portable_split, r_uniform

lock = seedlock.load_lock(os.environ["SEEDLOCK_LOCK"])
stage = lock.stage(os.environ["SEEDLOCK_STAGE"])
seed = stage.seed_of("r")
split = portable_split(10, {"train": 0.8, "test": 0.2}, seed)
print(
    json.dumps(
        {
            "seeds": stage.seeds,
            "runif": [f"{x:.17g}" for x in r_uniform(seed, 5)],  # R's set.seed(seed); runif(5), in Python
            "train": split["train"].tolist(),
            "test": split["test"].tolist(),
        }
    )
)
