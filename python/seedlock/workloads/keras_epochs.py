"""Keras ``model.fit`` over several epochs with seedlock's epoch callback (conformance workload).

A model with dropout is fitted on shuffled data for ``EPOCHS`` epochs with ``session.keras_callback()``,
saving its weights at the end of epoch ``RESUME - 1``. The workload then starts a **fresh process**
of itself (``--resume``) that loads those weights and fits epochs ``RESUME ...`` only. Outputs:

* ``final_<i>``: the full run's weights; ``resumed_<i>``: the resumed run's (must be equal);
* ``dropout_e<e>``: the state of the model's dropout seed generator when epoch ``e`` starts (must all
  differ: every epoch draws its own masks);
* ``loss``: the full run's loss per epoch.

    seedlock run LOCK --stage tensorflow -- python -m seedlock.workloads.keras_epochs OUTDIR
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

EPOCHS = 3
RESUME = 2


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument(
        "--resume", action="store_true", help="load the weights saved before epoch RESUME and fit from there"
    )
    args = parser.parse_args(argv)

    import numpy as np

    import seedlock
    from seedlock.seeding.keras_callback import layer_seed_generators
    from seedlock.workloads._common import report_meta, save, vector_isa

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import tensorflow as tf

    # Thread counts can only be set before TensorFlow initialises (which applying the stage does).
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    session = seedlock.apply_stage(seedlock.stage_from_env())
    data = np.random.RandomState(7).random_sample((256, 8)).astype("float32")
    labels = (data.sum(axis=1) > 4).astype("float32")
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(8,)),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dropout(0.3),
            tf.keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="binary_crossentropy")
    checkpoint = out / "checkpoint.weights.h5"
    dropout: dict[str, Any] = {}

    class Record(tf.keras.callbacks.Callback):  # type: ignore[misc]
        def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
            dropout[f"dropout_e{epoch}"] = np.concatenate([g.state.numpy() for g in layer_seed_generators(model)])

        def on_epoch_end(self, epoch: int, logs: object = None) -> None:
            if epoch + 1 == RESUME and not args.resume:
                model.save_weights(checkpoint)

    initial = 0
    if args.resume:
        model.load_weights(checkpoint)
        initial = RESUME
    # The seedlock callback first: the recorder sees each epoch's reseeded generators.
    history = model.fit(
        data,
        labels,
        epochs=EPOCHS,
        initial_epoch=initial,
        batch_size=32,
        shuffle=True,
        verbose=0,
        callbacks=[session.keras_callback(), Record()],
    )
    weights = model.get_weights()
    if args.resume:
        np.savez(out / "resumed.npz", **{f"resumed_{i}": w for i, w in enumerate(weights)})
        return
    # A fresh process: nothing carries over but the lock (from the environment) and the saved weights.
    subprocess.run([sys.executable, "-m", "seedlock.workloads.keras_epochs", str(out), "--resume"], check=True)
    with np.load(out / "resumed.npz") as resumed:
        arrays = {k: resumed[k] for k in resumed.files}
    for name in ("resumed.npz", checkpoint.name):
        (out / name).unlink()
    save(
        out,
        {
            **{f"final_{i}": w for i, w in enumerate(weights)},
            **arrays,
            **dropout,
            "loss": np.array(history.history["loss"]),
        },
        {**report_meta(session.report), "versions": {"tensorflow": tf.__version__, "cpu": vector_isa()}},
    )


if __name__ == "__main__":
    main()
