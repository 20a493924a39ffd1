"""The seed document's TensorFlow example, seeded by seedlock instead of hard-coded 42s.

Data (2000 x 32 inputs, 2000 x 10 labels) come from numpy's legacy generator with the *preprocess*
stage's numpy seed; the Dense 64-64-10 model is built and fitted (with validation data) in the
*train* stage applied from the environment that ``seedlock run`` prepares. Prints JSON with the
weights' digest, the history, and the seeds used.

    seedlock run pipeline.lock.json --stage train -- python -m seedlock.workloads.keras_classic
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-stage", default="preprocess", help="stage whose numpy seed makes the data")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--save", metavar="PATH", help="also save the weights as .npz")
    parser.add_argument("--out", metavar="DIR", help="write outputs.npz and outputs.meta.json here (conformance)")
    args = parser.parse_args(argv)

    import numpy as np

    import seedlock
    from seedlock.workloads._digest import arrays_sha256

    lock = seedlock.load_lock(os.environ[seedlock.LOCK_VARIABLE])
    # Equivalent to the document's np.random.seed(<seed>) twice, without touching global state.
    data_seed = lock.stage(args.data_stage).seed_of("numpy")
    data = np.random.RandomState(data_seed).random_sample((2000, 32))
    labels = np.random.RandomState(data_seed).random_sample((2000, 10))

    report = seedlock.apply_from_env().report
    import tensorflow as tf

    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(32,)),
            tf.keras.layers.Dense(64, activation="relu"),
            tf.keras.layers.Dense(64, activation="relu"),
            tf.keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=tf.keras.optimizers.Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        data[:1000],
        labels[:1000],
        epochs=args.epochs,
        batch_size=32,
        validation_data=(data[1000:], labels[1000:]),
        verbose=0,
    )
    weights = model.get_weights()
    if args.save:
        np.savez(args.save, *weights)
    if args.out:
        from pathlib import Path

        from seedlock.workloads._common import report_meta, save, vector_isa

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        draws = {"tensorflow.stateless_uniform_42": tf.random.stateless_uniform([5], seed=[42, 0]).numpy().tolist()}
        save(
            out,
            {
                **{f"weight_{i}": w for i, w in enumerate(weights)},
                **{f"history_{k}": np.array(v) for k, v in history.history.items()},
            },
            {
                **report_meta(report),
                "framework_draws": draws,
                "versions": {"tensorflow": tf.__version__, "cpu": vector_isa()},
            },
        )
    print(
        json.dumps(
            {
                "weights_sha256": arrays_sha256(weights),
                "data_sha256": arrays_sha256([data, labels]),
                "history": {k: [float(x) for x in v] for k, v in history.history.items()},
                "seeds": report.seeds,
                "applied": report.ok,
                "problems": [str(a) for a in report.failures],
            },
            sort_keys=True,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
