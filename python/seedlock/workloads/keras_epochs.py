"""Keras ``model.fit`` over several epochs with seedlock's epoch callback (conformance workload).

A model with dropout is fitted on shuffled data for ``SEEDLOCK_KERAS_EPOCHS`` epochs (default 4) with
``stage.keras_callback()``. With ``--resume K`` the process instead loads the weights and optimiser
state that a previous run saved at the end of epoch ``K - 1`` (``--save-at K`` in that run) and
fits epochs ``K ...`` only: the final weights must equal the uninterrupted run's.

    seedlock run LOCK --stage tensorflow -- python -m seedlock.workloads.keras_epochs OUTDIR [--save-at 2 | --resume 2]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--save-at", type=int, help="also save the model when epoch K starts")
    parser.add_argument("--resume", type=int, help="load the model saved at epoch K and fit from there")
    parser.add_argument("--checkpoint", help="where the model is saved / loaded (default OUT/../keras-checkpoint.npz)")
    args = parser.parse_args(argv)

    import numpy as np

    import seedlock
    from seedlock.workloads._common import env_int, out_dir, report_meta, save

    out = out_dir()
    import tensorflow as tf

    # Thread counts can only be set before TensorFlow initialises (which applying the stage does).
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    stage = seedlock.load_lock(os.environ[seedlock.LOCK_VARIABLE]).stage(os.environ[seedlock.STAGE_VARIABLE])
    report = stage.apply()
    data = np.random.RandomState(7).random_sample((256, 8)).astype("float32")
    labels = (data.sum(axis=1) > 4).astype("float32")
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(8,)),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dropout(0.3),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="binary_crossentropy")
    epochs = env_int("SEEDLOCK_KERAS_EPOCHS", 4)
    checkpoint = args.checkpoint or os.path.join(os.path.dirname(os.path.abspath(args.out)), "keras-checkpoint.weights.h5")
    callbacks = [stage.keras_callback()]
    initial = 0
    if args.resume is not None:
        model.build((None, 8))
        model.optimizer.build(model.trainable_variables)
        model.load_weights(checkpoint)
        initial = args.resume
    if args.save_at is not None:
        save_at = args.save_at

        class Saver(tf.keras.callbacks.Callback):  # type: ignore[misc]
            def on_epoch_end(self, epoch: int, logs: object = None) -> None:
                if epoch + 1 == save_at:
                    model.save_weights(checkpoint)

        callbacks.append(Saver())
    history = model.fit(data, labels, epochs=epochs, initial_epoch=initial, batch_size=32, shuffle=True, verbose=0,
                        callbacks=callbacks)
    weights = {f"weight_{i}": w for i, w in enumerate(model.get_weights())}
    save(out, {**weights, "loss": np.array(history.history["loss"])},
         {**report_meta(report), "initial_epoch": initial, "versions": {"tensorflow": tf.__version__}})


if __name__ == "__main__":
    main()
