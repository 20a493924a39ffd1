"""A Keras model trained with fit whose 'noisy' layer draws from a seed generator seeded by the OS."""

import os

import keras
import numpy as np


class Noisy(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seeds = keras.random.SeedGenerator(int.from_bytes(os.urandom(4), "little"))

    def call(self, x):
        return x + 0.1 * keras.random.normal(keras.ops.shape(x), seed=self.seeds)


x = np.random.default_rng(1).normal(size=(64, 8)).astype("float32")
y = (x[:, 0] > 0).astype("int32")
model = keras.Sequential(
    [
        keras.Input((8,)),
        keras.layers.Dense(16, activation="relu", name="dense_in"),
        Noisy(name="noisy"),
        keras.layers.Dense(2, name="head"),
    ]
)
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
model.save_weights("out.weights.h5")
