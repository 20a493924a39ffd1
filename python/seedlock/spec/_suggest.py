"""'Did you mean' for misspelt names (spec §7.1): one rule, so both bindings suggest the same name."""

from __future__ import annotations

from collections.abc import Iterable


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent
    transpositions each cost 1 (``trian`` → ``train`` is 1, as a person would count it)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``name`` ignoring case, if within max(1, len(candidate) // 3) edits;
    ties go to the first in code-point order."""
    best: tuple[int, str] | None = None
    for candidate in sorted(set(candidates)):
        d = distance(name.lower(), candidate.lower())
        if d <= max(1, len(candidate) // 3) and (best is None or d < best[0]):
            best = (d, candidate)
    return None if best is None else best[1]


def hint(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or an empty string."""
    match = closest(name, candidates)
    return "" if match is None or match == name else f" (did you mean {match!r}?)"
