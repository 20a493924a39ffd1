"""A tiny MLP trained with manual SGD in JAX on CPU, keyed from the stage (conformance workload).

JAX has no global RNG, so everything random flows from ``session.jax_key()``: the initial weights,
per-step dropout masks and per-step batch order. The weights therefore depend on the lock's jax seed
only. It also writes the first draws of the keys of 2 ranks x 2 workers, which must all differ.
"""

from __future__ import annotations

import os
from typing import Any

#: XLA's CPU backend may split reductions over threads; one thread keeps float sums in one order.
_CPU_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _pin_cpu() -> None:
    """Before JAX starts its backend: CPU only, one thread (XLA reads these flags once, at start)."""
    os.environ["JAX_PLATFORMS"] = "cpu"
    current = os.environ.get("XLA_FLAGS", "")
    os.environ["XLA_FLAGS"] = f"{current} {_CPU_FLAGS}".strip()


def _train(key: Any, steps: int) -> tuple[dict[str, Any], list[float]]:
    import jax
    import jax.numpy as jnp

    data_key = jax.random.key(0)  # fixed data: only the stage key may change the result
    x = jax.random.normal(data_key, (256, 16))
    y = (x.sum(axis=1) > 0).astype(jnp.float32)
    k1, k2, key = jax.random.split(key, 3)
    params = {
        "w1": jax.random.normal(k1, (16, 32)) * 0.25,
        "b1": jnp.zeros(32),
        "w2": jax.random.normal(k2, (32,)) * 0.25,
        "b2": jnp.zeros(()),
    }

    def loss(p: dict[str, Any], xb: Any, yb: Any, drop_key: Any) -> Any:
        h = jax.nn.relu(xb @ p["w1"] + p["b1"])
        keep = jax.random.bernoulli(drop_key, 0.8, h.shape)
        h = jnp.where(keep, h / 0.8, 0.0)
        logits = h @ p["w2"] + p["b2"]
        return jnp.mean(jnp.logaddexp(0.0, logits) - yb * logits)

    @jax.jit
    def step(p: dict[str, Any], step_key: Any) -> tuple[dict[str, Any], Any]:
        order_key, drop_key = jax.random.split(step_key)
        idx = jax.random.permutation(order_key, x.shape[0])[:32]
        value, grads = jax.value_and_grad(loss)(p, x[idx], y[idx], drop_key)
        return jax.tree_util.tree_map(lambda w, g: w - 0.1 * g, p, grads), value

    losses = []
    for i in range(steps):
        params, value = step(params, jax.random.fold_in(key, i))
        losses.append(float(value))
    return params, losses


def main() -> None:
    _pin_cpu()
    import jax
    import numpy as np

    import seedlock
    from seedlock.workloads._common import env_int, out_dir, report_meta, save, vector_isa

    out = out_dir()
    session = seedlock.apply_from_env()
    params, losses = _train(session.jax_key(), env_int("SEEDLOCK_JAX_STEPS", 100))
    # Keys of ranks and their workers: what each process of a distributed job would draw first.
    streams = {
        f"stream_r{r}_w{w}": np.asarray(jax.random.uniform(session.jax_key(rank=r, worker=w), (16,)))
        for r in (0, 1)
        for w in (0, 1)
    }
    weights = {f"w_{name}": np.asarray(value) for name, value in sorted(params.items())}
    save(
        out,
        {**weights, "losses": np.array(losses), **streams},
        {
            **report_meta(session.report),
            "versions": {"jax": jax.__version__, "cpu": vector_isa()},
            "device": "cpu",
            "xla_flags": os.environ.get("XLA_FLAGS", ""),
        },
    )


if __name__ == "__main__":
    main()
