"""Randomness identical to R's: the R-compatible uniform stream (spec §9) and the portable split (spec §10).

``r_uniform(s, n)`` equals R's ``set.seed(s, "Mersenne-Twister", "Inversion", "Rejection"); runif(n)``
bit for bit, and ``portable_split`` returns the same index sets as the R package's
``portable_split()`` (0-based here, 1-based there). Requires numpy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .spec import _validate as v
from .spec.derivation import SEED_MAX, check_label
from .spec.errors import SeedlockError, pointer_join

_MASK = 0xFFFFFFFF
_LCG = 69069
_TWO_M32 = 2.0**-32  # R's 2.3283064365386963e-10 is exactly this double
_FIXUP = 0.5 / (2.0**32 - 1)  # R's 0.5 * i2_32m1
_CHUNK = 1 << 16


def r_state_words(seed: int) -> list[int]:
    """The 624 Mersenne-Twister words R's ``set.seed(seed)`` stores (spec §9 steps 1-2), unsigned."""
    v.seed(seed, "/seed")
    x = seed & _MASK
    for _ in range(50):
        x = (_LCG * x + 1) & _MASK
    words = []
    for _ in range(625):
        x = (_LCG * x + 1) & _MASK
        words.append(x)
    return words[1:]


def r_random_seed(seed: int) -> list[int]:
    """R's ``.Random.seed`` right after ``set.seed(seed)`` with the default kinds (626 signed ints)."""
    return [10403, 624] + [w - 2**32 if w >= 2**31 else w for w in r_state_words(seed)]


def _bit_generator(seed: int) -> Any:
    import numpy as np

    bg = np.random.MT19937()
    bg.state = {
        "bit_generator": "MT19937",
        "state": {"key": np.array(r_state_words(seed), dtype=np.uint32), "pos": 624},
    }
    return bg


def r_words(seed: int, n: int) -> Any:
    """The tempered 32-bit outputs ``y_1 … y_n`` behind R's ``runif(n)`` (uint32 array)."""
    import numpy as np

    _count(n, "/n")
    return _bit_generator(seed).random_raw(n).astype(np.uint32)


def r_uniform(seed: int, n: int) -> Any:
    """R's ``runif(n)`` after ``set.seed(seed)`` with the default kinds, bit for bit (float64 array)."""
    import numpy as np

    _count(n, "/n")
    bg = _bit_generator(seed)
    u = np.empty(n, dtype=np.float64)
    # In cache-sized chunks: the raw words never make a full-size temporary array (80 MB at 10 M).
    for start in range(0, n, _CHUNK):
        part = u[start : start + _CHUNK]
        np.multiply(bg.random_raw(len(part)), _TWO_M32, out=part)
        # R's fixup: 0 becomes 0.5/(2**32-1); every other draw is at least 2**-32, so max() does it.
        # (1 cannot occur: the largest word gives 1 - 2**-32.)
        np.maximum(part, _FIXUP, out=part)
    return u


def r_permutation(seed: int, n: int) -> Any:
    """Rows ``0 … n-1`` by ascending R uniform, ties by row index (spec §10 step 2)."""
    import numpy as np

    words = r_words(seed, n)
    # Ordering by the words equals ordering by u. Packing (word, row) into one uint64 makes every key
    # unique, so an unstable sort gives exactly the stable order, at about a third of the cost of a
    # stable argsort of 32-bit keys (10 M rows).
    keys = words.astype(np.uint64) << np.uint64(32)
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort()
    return (keys & np.uint64(_MASK)).astype(np.int64)


def split_bounds(n: int, fractions: Sequence[float]) -> list[int]:
    """Part boundaries ``b_0 … b_K`` of spec §10 step 3."""
    bounds = [0]
    total = 0.0
    for fraction in fractions[:-1]:
        total += fraction
        bounds.append(min(n, math.floor(n * total + 0.5)))
    bounds.append(n)
    return bounds


def check_parts(parts: Any) -> tuple[list[str], list[float]]:
    """Validate ``parts`` (a mapping name → fraction, or a sequence of (name, fraction))."""
    items = list(parts.items()) if isinstance(parts, Mapping) else list(parts)
    if not items:
        raise SeedlockError("invalid-value", "A split needs at least one part", "/parts")
    names: list[str] = []
    fractions: list[float] = []
    for k, item in enumerate(items):
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise SeedlockError("invalid-type", "Expected a [name, fraction] pair", pointer_join("/parts", k))
        name, fraction = item
        check_label(name, pointer_join("/parts", k, 0))
        if name in names:
            raise SeedlockError("invalid-value", f"Part {name!r} is named twice", pointer_join("/parts", k, 0))
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
            raise v.wrong_type(fraction, "number", pointer_join("/parts", k, 1))
        if not math.isfinite(fraction) or fraction <= 0:
            raise SeedlockError(
                "invalid-value", f"Fraction {fraction!r} is not a positive number", pointer_join("/parts", k, 1)
            )
        names.append(name)
        fractions.append(float(fraction))
    total = 0.0
    for fraction in fractions:  # left to right, as R's cumsum() and spec §10
        total += fraction
    if abs(total - 1.0) > 1e-9:
        raise SeedlockError("invalid-value", f"Fractions sum to {total!r}, not 1", "/parts")
    return names, fractions


def portable_split(n: int, parts: Any, seed: int) -> dict[str, Any]:
    """Split rows ``0 … n-1`` into named parts by fractions (spec §10); identical to the R package.

    ``parts`` is ``{"train": 0.8, "val": 0.1, "test": 0.1}`` or a list of pairs; the result maps each
    name to an int64 array of row indices in permutation order.
    """
    _count(n, "/n")
    v.seed(seed, "/seed")
    names, fractions = check_parts(parts)
    perm = r_permutation(seed, n)
    bounds = split_bounds(n, fractions)
    return {name: perm[bounds[k] : bounds[k + 1]].astype("int64") for k, name in enumerate(names)}


def _count(n: Any, pointer: str) -> int:
    if type(n) is not int:
        raise v.wrong_type(n, "integer", pointer)
    if not 0 <= n <= SEED_MAX:
        raise SeedlockError("invalid-value", f"Row count {n} is outside [0, {SEED_MAX}]", pointer)
    return n


# --- R parallel streams (spec §11) ---------------------------------------------------------------

_M1, _M2 = 4294967087, 4294944443  # MRG32k3a moduli
_A1P127 = (
    (2427906178, 3580155704, 949770784),
    (226153695, 1230515664, 3580155704),
    (1988835001, 986791581, 1230515664),
)
_A2P127 = ((1464411153, 277697599, 1610723613), (32183930, 1464411153, 1022607788), (2824425944, 32183930, 2093834863))
_NORMAL_CODES = {"Ahrens-Dieter": 1, "Box-Muller": 2, "Inversion": 4, "Kinderman-Ramage": 5}
_SAMPLE_CODES = {"Rounding": 0, "Rejection": 1}


def parallel_seed(seed: int, *, rank: int | None = None, epoch: int | None = None) -> int:
    """``P = derive(G, "parallel")``: the seed of R's parallel streams for ``r`` framework seed ``seed`` (spec §11).

    ``G`` is ``seed``, then its rank seed for ``rank``, then ``derive(·, "epoch", e)`` for ``epoch``.
    """
    from .spec.derivation import derive

    g = seed if rank is None else derive(seed, "rank", _index(rank, "rank"))
    if epoch is not None:
        g = derive(g, "epoch", _index(epoch, "epoch"))
    return derive(g, "parallel")


def _index(value: int, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SeedlockError("invalid-value", f"{name} must be a non-negative integer, not {value!r}")
    return str(value)


def lecuyer_streams(
    seed: int, n: int, *, normal_kind: str = "Inversion", sample_kind: str = "Rejection"
) -> list[list[int]]:
    """R's ``.Random.seed`` for ``set.seed(seed, kind = "L'Ecuyer-CMRG", ...)`` (``S₁``) and the next
    ``n - 1`` streams by ``parallel::nextRNGStream``: what worker ``w`` of ``clusterSetRNGStream(cl, seed)``
    gets (spec §11). Seven signed 32-bit integers each."""
    v.seed(seed, "/seed")
    if normal_kind not in _NORMAL_CODES or sample_kind not in _SAMPLE_CODES:
        raise SeedlockError("invalid-value", f"Unsupported kinds {normal_kind!r}, {sample_kind!r} for L'Ecuyer-CMRG")
    x = seed & _MASK
    for _ in range(50):
        x = (_LCG * x + 1) & _MASK
    state = []
    for _ in range(6):
        x = (_LCG * x + 1) & _MASK
        while x >= _M2:
            x = (_LCG * x + 1) & _MASK
        state.append(x)
    code = 7 + 100 * _NORMAL_CODES[normal_kind] + 10000 * _SAMPLE_CODES[sample_kind]
    out = []
    for _ in range(n):
        out.append([code] + [z - 2**32 if z >= 2**31 else z for z in state])
        first = [sum(a * z for a, z in zip(row, state[:3], strict=False)) % _M1 for row in _A1P127]
        second = [sum(a * z for a, z in zip(row, state[3:], strict=False)) % _M2 for row in _A2P127]
        state = first + second
    return out
