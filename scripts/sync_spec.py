"""Copy spec/schema and spec/vectors into each binding's packaged copy, or check they are equal.

    python scripts/sync_spec.py          # copy
    python scripts/sync_spec.py --check  # exit 1 listing every difference
"""

from __future__ import annotations

import filecmp
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("schema", "vectors", "examples")
TARGETS = (ROOT / "python" / "seedlock" / "_spec", ROOT / "r" / "seedlock" / "inst" / "extdata" / "spec")


def differences(target: Path) -> list[str]:
    out = []
    for part in SOURCES:
        src, dst = ROOT / "spec" / part, target / part
        want = {p.relative_to(src) for p in src.rglob("*") if p.is_file()}
        have = {p.relative_to(dst) for p in dst.rglob("*") if p.is_file()} if dst.exists() else set()
        out += [f"missing {dst / p}" for p in sorted(want - have)]
        out += [f"extra {dst / p}" for p in sorted(have - want)]
        out += [f"differs {dst / p}" for p in sorted(want & have) if not filecmp.cmp(src / p, dst / p, shallow=False)]
    return out


def main(argv: list[str]) -> int:
    targets = [t for t in TARGETS if t.parent.exists()]
    if "--check" in argv:
        problems = [d for t in targets for d in differences(t)]
        for line in problems:
            print(line)
        return 1 if problems else 0
    for target in targets:
        for part in SOURCES:
            if (target / part).exists():
                shutil.rmtree(target / part)
            shutil.copytree(ROOT / "spec" / part, target / part)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
