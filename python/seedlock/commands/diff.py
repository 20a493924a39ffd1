"""``seedlock diff A B``: what differs between two locks, or between a manifest and a lock.

Differences are reported field by field, each in one area: ``seeds``, ``sources`` (where a seed
came from, and its variable), ``settings``, ``stages`` (a stage or framework on one side only),
``manifest`` (hash and path) and ``provenance``. A lock's ``provenance.id`` and ``created`` name the
resolve itself and differ for every lock, so they are not compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from ..spec.errors import SeedlockError, pointer_join

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from ..spec.lock import Lock
    from ..spec.manifest import Manifest

AREAS: Final = ("seeds", "sources", "stages", "settings", "manifest", "provenance")
_IDENTITY: Final = frozenset({"/provenance/id", "/provenance/created"})
ABSENT: Final = object()


@dataclass(frozen=True, kw_only=True)
class Difference:
    area: str
    pointer: str
    a: Any  # ABSENT when only B has it
    b: Any  # ABSENT when only A has it

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"area": self.area, "pointer": self.pointer}
        if self.a is not ABSENT:
            out["a"] = self.a
        if self.b is not ABSENT:
            out["b"] = self.b
        return out

    def line(self) -> str:
        return f"{self.area:<10}  {self.pointer}: {_shown(self.a)} -> {_shown(self.b)}"


def _shown(value: Any) -> str:
    return "(absent)" if value is ABSENT else json.dumps(value, sort_keys=True)


def lock_diff(a: Lock, b: Lock, *, ignore: Sequence[str] = ()) -> list[Difference]:
    """Every difference between two locks, in document order, leaving out the areas in ``ignore``."""
    unknown = [x for x in ignore if x not in AREAS]
    if unknown:
        raise ValueError(f"unknown area {unknown[0]!r} (areas: {', '.join(AREAS)})")
    found = _walk(a.to_dict(), b.to_dict(), "")
    return [d for d in found if d.area not in ignore and d.pointer not in _IDENTITY]


def manifest_diff(
    manifest: Manifest, lock: Lock, *, ignore: Sequence[str] = (), manifest_first: bool = True
) -> list[Difference]:
    """How ``lock`` departs from what ``manifest`` says: the manifest is resolved with no environment
    overrides, and its ``"generate"`` seeds take the values the lock drew, so only real departures
    show (an override from the environment, another manifest, other settings). Provenance is not compared."""
    import dataclasses

    from ..spec.resolution import resolve

    expected = resolve(manifest, {}, draw=_replay(manifest, lock), provenance=None)
    # How the lock names its manifest (relative to the lock's directory, spec §5) is no departure from it.
    expected = dataclasses.replace(expected, manifest_path=lock.manifest_path)
    pair = (expected, lock) if manifest_first else (lock, expected)
    return lock_diff(*pair, ignore=(*tuple(ignore), "provenance"))


def _replay(manifest: Manifest, lock: Lock) -> Any:
    """The lock's generated seeds in the order resolution draws (spec §4.2: root, then stages by
    code point), so a manifest's ``"generate"`` matches the value the lock recorded."""
    values: list[int] = []
    if manifest.seed == "generate":
        values.append(lock.root.seed)
    for name in sorted(manifest.stages):
        if manifest.stages[name].seed == "generate":
            values.append(lock.stages[name].seed if name in lock.stages else 0)
    queue: Iterator[int] = iter(values)
    return lambda: next(queue)


def _area(pointer: str) -> str:
    parts = pointer.split("/")[1:]
    if parts[0] in ("provenance", "manifest"):
        return parts[0]
    if "settings" in parts:
        return "settings"
    if parts[-1] == "seed":
        return "seeds"
    if parts[-1] in ("source", "variable"):
        return "sources"
    if parts[0] == "stages" and (len(parts) == 2 or (len(parts) == 4 and parts[2] == "frameworks")):
        return "stages"
    return "seeds" if parts[0] == "root" else "stages"


def _walk(a: Any, b: Any, pointer: str) -> list[Difference]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[Difference] = []
        for key in [*a, *(k for k in b if k not in a)]:
            here = pointer_join(pointer, key)
            if key not in b:
                out.append(Difference(area=_area(here), pointer=here, a=a[key], b=ABSENT))
            elif key not in a:
                out.append(Difference(area=_area(here), pointer=here, a=ABSENT, b=b[key]))
            else:
                out += _walk(a[key], b[key], here)
        return out
    if a == b and type(a) is type(b):
        return []
    return [Difference(area=_area(pointer), pointer=pointer or "/", a=a, b=b)]


def diff_documents(a: Manifest | Lock, b: Manifest | Lock, *, ignore: Sequence[str] = ()) -> list[Difference]:
    """Two locks, or a manifest and a lock in either order; two manifests are ``not-a-lock``."""
    from ..spec.lock import Lock

    if isinstance(a, Lock) and isinstance(b, Lock):
        return lock_diff(a, b, ignore=ignore)
    if isinstance(b, Lock):
        return manifest_diff(a, b, ignore=ignore, manifest_first=True)  # type: ignore[arg-type]
    if isinstance(a, Lock):
        return manifest_diff(b, a, ignore=ignore, manifest_first=False)
    raise SeedlockError(
        "not-a-lock",
        "diff compares two locks, or a manifest with a lock (resolve one of the manifests first)",
        "/lock-version",
    )


def render(differences: Sequence[Difference], a_name: str, b_name: str) -> str:
    """The text report: one line per difference and a count by area; "identical" when there are none."""
    if not differences:
        return f"{a_name} and {b_name}: no differences\n"
    counts = {area: sum(d.area == area for d in differences) for area in AREAS}
    summary = ", ".join(f"{area} {n}" for area, n in counts.items() if n)
    lines = [
        f"--- {a_name}",
        f"+++ {b_name}",
        *(d.line() for d in differences),
        f"{len(differences)} difference{'s' if len(differences) != 1 else ''} ({summary})",
    ]
    return "\n".join(lines) + "\n"


def render_json(differences: Sequence[Difference]) -> str:
    return json.dumps([d.to_dict() for d in differences], indent=1) + "\n"
