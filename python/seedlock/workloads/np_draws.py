"""numpy legacy and Generator draws, and a permutation-based split (conformance workload)."""

from __future__ import annotations


def main() -> None:
    import numpy as np

    import seedlock
    from seedlock.workloads._common import out_dir, report_meta, save

    out = out_dir()
    session = seedlock.apply_from_env()
    stage = session.stage
    gen = session.numpy_generator()
    legacy = np.random.random_sample(16)
    legacy_ints = np.random.randint(0, 1000, size=16)
    normal = np.random.standard_normal(8)
    perm = gen.permutation(1000)
    split = {"train": perm[:800], "val": perm[800:900], "test": perm[900:]}
    draws = {
        "numpy.legacy_42": np.random.RandomState(42).random_sample(5).tolist(),
        f"numpy.{stage.frameworks['numpy'].settings['bit_generator']}_42": np.random.Generator(
            getattr(np.random, stage.frameworks["numpy"].settings["bit_generator"])(42)
        )
        .random(5)
        .tolist(),
    }
    save(
        out,
        {
            "legacy": legacy,
            "legacy_ints": legacy_ints,
            "normal": normal,
            "generator": gen.random(16),
            **{f"split_{k}": v for k, v in split.items()},
        },
        {**report_meta(session.report), "framework_draws": draws, "versions": {"numpy": np.__version__}},
    )


if __name__ == "__main__":
    main()
