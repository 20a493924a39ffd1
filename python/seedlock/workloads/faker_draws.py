"""Faker's fake data, seeded through the stage's extension ``x-faker`` (conformance workload).

Faker keeps one ``random.Random`` of its own, shared by every ``Faker()`` and seeded from the OS at
import: seedlock cannot name it, so a third-party seeder (the ``seedlock-faker`` plug-in, entry point
``x-faker`` in the group ``seedlock.seeders``) seeds it when ``apply()`` applies the stage. This
workload seeds explicitly through the binding's ``apply_from_env`` and fails when that did not call
the plug-in: the outputs then repeat only because the extension path ran, with the extension's seed
(golden), and follow it (sensitivity).
"""

from __future__ import annotations

EXTENSION = "x-faker"


def main() -> None:
    import json
    import platform
    from importlib import metadata

    import seedlock
    from seedlock.workloads._common import out_dir, report_meta

    out = out_dir()
    report = seedlock.apply_from_env().report
    seeded = [a for a in report.actions if a.framework == EXTENSION and a.status == "applied"]
    if not seeded:
        raise SystemExit(f"apply() did not apply {EXTENSION}: {[str(a) for a in report.actions]}")
    from faker import Faker

    # Two instances share Faker's generator: the second continues the first's stream.
    first, second = Faker("en_US"), Faker("en_US")
    names = [first.name() for _ in range(4)]
    emails = [second.email() for _ in range(4)]
    numbers = [first.random_int(0, 10**6) for _ in range(8)]
    uuids = [str(second.uuid4()) for _ in range(2)]
    # JSON, not .npz: the outputs are strings, compared and pinned value by value.
    values = {"name": names, "email": emails, "random_int": numbers, "uuid4": uuids}
    (out / "outputs.json").write_text(json.dumps(values, sort_keys=True))
    meta = {
        **report_meta(report),
        "python": platform.python_version(),
        "versions": {"faker": metadata.version("faker"), "seedlock-faker": metadata.version("seedlock-faker")},
    }
    (out / "outputs.meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
