"""Copy the specification into the bindings' packaged copies, or check them.

    python scripts/sync_spec.py          # copy
    python scripts/sync_spec.py --check  # exit 1 listing every difference

spec/{schema,vectors,examples,registry*.json} -> python/seedlock/_spec/ and r/seedlock/inst/extdata/spec/

The conformance data has one copy, python/seedlock/_conformance/ (the wheel ships it); nothing syncs it.
"""

from __future__ import annotations

import filecmp
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# (source directory, entries to copy, target directory)
COPIES = (
    (
        ROOT / "spec",
        ("schema", "vectors", "examples", "registry.json", "registry.schema.json"),
        ROOT / "python" / "seedlock" / "_spec",
    ),
    (
        ROOT / "spec",
        ("schema", "vectors", "examples", "registry.json", "registry.schema.json"),
        ROOT / "r" / "seedlock" / "inst" / "extdata" / "spec",
    ),
)


def _files(path: Path) -> set[Path]:
    if path.is_file():
        return {Path(".")}
    return {p.relative_to(path) for p in path.rglob("*") if p.is_file()} if path.exists() else set()


def differences(source: Path, entries: tuple[str, ...], target: Path) -> list[str]:
    out = []
    for entry in entries:
        src, dst = source / entry, target / entry
        want, have = _files(src), _files(dst)
        out += [f"missing {dst / p}" for p in sorted(want - have)]
        out += [f"extra {dst / p}" for p in sorted(have - want)]
        out += [f"differs {dst / p}" for p in sorted(want & have) if not filecmp.cmp(src / p, dst / p, shallow=False)]
    return out


def main(argv: list[str]) -> int:
    if "--check" in argv:
        # A binding directory that is missing is a difference too: a check that compared nothing
        # must not pass.
        problems = [f"missing {c[2].parent}" for c in COPIES if not c[2].parent.is_dir()]
        problems += [d for c in COPIES if c[2].parent.is_dir() for d in differences(*c)]
        for line in problems:
            print(line)
        return 1 if problems else 0
    for source, entries, target in (c for c in COPIES if c[2].parent.is_dir()):
        target.mkdir(exist_ok=True)
        for entry in entries:
            src, dst = source / entry, target / entry
            if dst.is_dir():
                shutil.rmtree(dst)
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
