"""Seed derivation ``sha256-v1`` (spec §3) and the worker/rank label paths (spec §4.3).

Imports nothing but a SHA-256 so that ``seedlock derive`` starts as fast as bare Python.
"""

from __future__ import annotations

from .errors import SeedlockError

try:
    # CPython's built-in SHA-256 starts without loading OpenSSL (about 2 ms): for small inputs on start-up
    # paths (seeds here, small input files in fingerprint); bulk paths use hashlib.
    from _sha256 import sha256 as small_sha256  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - other interpreters, or Python 3.12+ (_sha2)
    try:
        from _sha2 import sha256 as small_sha256  # type: ignore[import-not-found,no-redef]
    except ImportError:
        from hashlib import sha256 as small_sha256  # type: ignore[assignment]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

SEED_MAX = 2**31 - 1
DERIVATION = "sha256-v1"
_PREFIX = b"seedlock/v1:"
_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
# str.translate deletes every allowed character; a label is valid when nothing is left.
_DELETE_ALLOWED = dict.fromkeys(map(ord, "abcdefghijklmnopqrstuvwxyz0123456789_.-"))


def is_label(value: object) -> bool:
    """True for a string matching ``^[a-z0-9][a-z0-9_.-]{0,62}$``."""
    return (
        isinstance(value, str) and 0 < len(value) <= 63 and value[0] in _FIRST and not value.translate(_DELETE_ALLOWED)
    )


def check_seed(value: object, pointer: str = "") -> int:
    """Return ``value`` if it is a seed, else raise ``invalid-type``/``seed-out-of-range``."""
    if type(value) is not int:
        raise SeedlockError("invalid-type", f"Unexpected type {type(value).__name__} (expected int)", pointer)
    if not 0 <= value <= SEED_MAX:
        raise SeedlockError("seed-out-of-range", f"Seed {value} is outside [0, {SEED_MAX}]", pointer)
    return value


def check_label(label: object, pointer: str = "") -> str:
    """Return ``label`` if it matches ``^[a-z0-9][a-z0-9_.-]{0,62}$``, else raise ``invalid-label``."""
    if not is_label(label):
        raise SeedlockError(
            "invalid-label",
            f"Invalid label {label!r} (expected 1-63 of a-z 0-9 _ . - starting with a-z or 0-9)",
            pointer,
        )
    return label  # type: ignore[return-value]


def message(seed: int, labels: Sequence[str]) -> bytes:
    """The exact bytes hashed for ``derive(seed, labels)``, e.g. ``b"seedlock/v1:42:train"``."""
    check_seed(seed)
    if not labels:
        raise SeedlockError("invalid-label", "Derivation needs at least one label")
    for i, label in enumerate(labels):
        check_label(label, f"/labels/{i}")
    return _PREFIX + str(seed).encode("ascii") + b":" + "/".join(labels).encode("ascii")


def derive(seed: int, *labels: str) -> int:
    """Derive a seed from ``seed`` and a label path: ``derive(42, "train") == 1677747947``.

    The result depends only on the seed and the labels (by name, never by order of registration).
    """
    digest = small_sha256(message(seed, labels)).digest()
    return int.from_bytes(digest[:4], "big") & SEED_MAX


def derive_many(seed: int, label_paths: Iterable[str | Sequence[str]]) -> list[int]:
    """Derive one seed per label path (a label, or a sequence of labels) from the same parent seed.

    Equal to ``[derive(seed, *path) for path in label_paths]``, but validated in bulk and hashed in a
    tight loop (about 2 M seeds/s on one core).
    """
    check_seed(seed)
    paths = label_paths if isinstance(label_paths, list) else list(label_paths)
    if not paths:
        return []
    try:
        text = "\n".join(paths)  # type: ignore[arg-type]
    except TypeError:  # some paths are sequences of labels
        text = "\n".join(p if isinstance(p, str) else "/".join(p) for p in paths)
    data = text.encode("ascii") if text.isascii() else b""
    parts = data.split(b"\n") if data else []
    if len(parts) != len(paths) or not _valid_paths(data):
        for path in paths:
            message(seed, [path] if isinstance(path, str) else list(path))  # raises for the first bad path
        raise SeedlockError("invalid-label", "Invalid label path")
    import hashlib

    # Hashing the common prefix once and copying the state is faster than hashing prefix + path.
    copy = hashlib.sha256(_PREFIX + str(seed).encode("ascii") + b":").copy
    digests = bytearray()
    for part in parts:
        h = copy()
        h.update(part)
        digests += h.digest()
    # The first 4 bytes of every 32-byte digest, top bit cleared, gathered by strided slicing.
    words = bytearray(4 * len(parts))
    words[0::4] = digests[0::32].translate(_CLEAR_TOP_BIT)
    for k in (1, 2, 3):
        words[k::4] = digests[k::32]
    from array import array

    out = array("I" if array("I").itemsize == 4 else "L")
    out.frombytes(words)
    if _LITTLE_ENDIAN:
        out.byteswap()
    return out.tolist()


_LITTLE_ENDIAN = __import__("sys").byteorder == "little"
_CLEAR_TOP_BIT = bytes(b & 0x7F for b in range(256))
# Byte classes for bulk validation: label characters -> "a", "_.-" -> "_", separators -> "/",
# anything else -> "!". Then every rule is a substring test on the translated bytes.
_CLASSES = bytes(
    ord("a")
    if chr(b) in "abcdefghijklmnopqrstuvwxyz0123456789"
    else ord("_")
    if chr(b) in "_.-"
    else ord("/")
    if chr(b) in "/\n"
    else ord("!")
    for b in range(256)
)
_UNDERSCORE_AS_A = bytes.maketrans(b"_", b"a")


def _valid_paths(data: bytes) -> bool:
    """Every part is labels joined by '/': allowed bytes only, no empty label, no label starting
    with '_', '.' or '-', none longer than 63 bytes. A few C-speed scans, no per-label Python."""
    t = data.translate(_CLASSES)
    if b"!" in t or t[:1] in (b"_", b"/") or t[-1:] == b"/" or b"//" in t or b"/_" in t:
        return False
    return b"a" * 64 not in t.translate(_UNDERSCORE_AS_A)


def rank_seed(framework_seed: int, rank: int) -> int:
    """Seed of rank ``rank`` of a distributed run (spec §4.3): ``derive(F, "rank", r)``."""
    return derive(framework_seed, "rank", _index(rank, "rank"))


def worker_seed(framework_seed: int, worker: int, rank: int = 0) -> int:
    """Seed of data-loader worker ``worker`` in the process of rank ``rank`` (0 when not distributed)."""
    return derive(framework_seed, "rank", _index(rank, "rank"), "worker", _index(worker, "worker"))


#: Versions of the label paths below framework seeds (spec §5.3); locks without ``rules`` are 1.
RULES = (1, 2)
CURRENT_RULES = 2
_LOADER_SEED_LIMIT = 2**64


def check_rules(value: object, pointer: str = "/rules") -> int:
    """Return ``value`` if it is a rules version this binding implements (spec §5.3)."""
    if type(value) is not int:
        raise SeedlockError("invalid-type", f"Unexpected type {type(value).__name__} (expected int)", pointer)
    if value not in RULES:
        raise SeedlockError("unsupported-version", f"Rules {value} are not implemented (known: 1, 2)", pointer)
    return value


def process_seed(framework_seed: int, rank: int | None = None) -> int:
    """``P`` of spec §4.3: the framework seed, or its rank seed in a distributed run."""
    return framework_seed if rank is None else rank_seed(framework_seed, rank)


def epoch_seed(framework_seed: int, epoch: int, rank: int | None = None) -> int:
    """Seed of epoch ``epoch`` (spec §4.3): ``derive(P, "epoch", e)``, ``P`` rank-adjusted first."""
    return derive(process_seed(framework_seed, rank), "epoch", _index(epoch, "epoch"))


def stream_seed(base: int, name: str, replicate: int = 0) -> int:
    """Seed of the stream named ``name`` below ``base`` (spec §4.3): ``derive(B, "stream", name)``;
    in replicate ``k >= 1`` of a varied stream (spec §13) ``derive(B, "stream", name, "replicate", k)``."""
    check_label(name)
    if replicate:
        return derive(base, "stream", name, "replicate", _index(replicate, "replicate"))
    return derive(base, "stream", name)


def replicate_seed(seed: int, replicate: int) -> int:
    """A varied framework seed in replicate ``k`` (spec §13): ``seed`` itself for ``k = 0``, else
    ``derive(F, "replicate", k)``."""
    index = _index(replicate, "replicate")
    return seed if replicate == 0 else derive(seed, "replicate", index)


def loader_worker_seed(framework_seed: int, worker: int, loader_seed: int, rank: int | None = None) -> int:
    """Seed of data-loader worker ``worker`` of an iterator with loader seed ``loader_seed`` (rules 2):
    ``derive(P, "worker", w, "loader", b)``. For PyTorch ``b`` is the iterator's ``base_seed``."""
    if type(loader_seed) is not int or not 0 <= loader_seed < _LOADER_SEED_LIMIT:
        raise SeedlockError("invalid-value", f"`loader_seed` must be an int in [0, 2**64), not {loader_seed!r}")
    return derive(process_seed(framework_seed, rank), "worker", _index(worker, "worker"), "loader", str(loader_seed))


#: The phases of a test (spec §4.3); the call phase keeps the test's own seed.
TEST_PHASES = ("setup", "call", "teardown")


def test_seed(framework_seed: int, test_id: str, phase: str = "call") -> int:
    """Seed of one test (spec §4.3): ``T = derive(F, "pytest", <first 16 hex digits of SHA-256(test_id)>)``
    for its body (``phase="call"``); its setup and teardown get ``derive(T, "phase", phase)``, so a fixture's
    draws never repeat the body's (pytest-randomly offsets the phases likewise)."""
    if not isinstance(test_id, str):
        raise SeedlockError("invalid-value", f"`test_id` must be a string, not {test_id!r}")
    if phase not in TEST_PHASES:
        raise SeedlockError("invalid-value", f"`phase` must be one of {', '.join(TEST_PHASES)}, not {phase!r}")
    seed = derive(framework_seed, "pytest", small_sha256(test_id.encode("utf-8")).hexdigest()[:16])
    return seed if phase == "call" else derive(seed, "phase", phase)


test_seed.__test__ = False  # type: ignore[attr-defined]  # a seed for tests, not a test


def _index(value: int, name: str) -> str:
    if type(value) is not int or value < 0:
        raise SeedlockError("invalid-value", f"`{name}` must be a non-negative int, not {value!r}")
    return str(value)
