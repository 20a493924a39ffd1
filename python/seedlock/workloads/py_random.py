"""Python `random` and string hashing, seeded from the stage (conformance workload)."""

from __future__ import annotations

import random


def main() -> None:
    import seedlock
    from seedlock.workloads._common import out_dir, report_meta, save

    out = out_dir()
    report = seedlock.apply_from_env().report
    draws = [random.random() for _ in range(8)]
    ints = [random.randint(0, 10**6) for _ in range(8)]
    deck = list(range(20))
    random.shuffle(deck)
    # String hashes depend on PYTHONHASHSEED, which only `seedlock run` can set.
    hashes = [hash(f"key{i}") for i in range(4)]
    # The framework-drift check: Python's own stream at a fixed seed (not the stage's outputs).
    fixed = random.Random(42)
    save(
        out,
        {"random": draws, "randint": ints, "shuffle": deck, "str_hash": hashes},
        {**report_meta(report), "framework_draws": {"python.random_42": [fixed.random() for _ in range(3)]}},
    )


if __name__ == "__main__":
    main()
