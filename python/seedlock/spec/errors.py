"""The one exception type seedlock raises, and the closed set of error codes (spec §7)."""

from . import _registry

#: Every code a binding may report; stable across releases (spec §7, ``spec/registry.json``).
CODES: frozenset[str] = frozenset(_registry.ERROR_CODES)


class SeedlockError(ValueError):
    """A document, value or environment that seedlock cannot accept.

    ``code`` is one of :data:`CODES`, ``pointer`` the RFC 6901 JSON pointer of the offending member
    (``""`` for the whole document) and ``problem`` the message without its location.
    ``str(err)`` reads ``"<problem> at '<pointer>'"`` (just ``"<problem>"`` for the whole document, ``""``).
    """

    def __init__(
        self, code: str, problem: str, pointer: str = "", *, line: int | None = None, column: int | None = None
    ) -> None:
        if code not in CODES:
            raise AssertionError(f"unknown error code {code!r}")
        self.code = code
        self.problem = problem
        self.pointer = pointer
        #: Where an ``invalid-json`` fault is in the text (1-based; columns count characters), if known.
        self.line = line
        self.column = column
        # The whole document (pointer "") is no place worth naming: the problem says what is wrong.
        super().__init__(f"{problem} at '{pointer}'" if pointer else problem)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled whole: an error raised in a multiprocessing worker (strict mode) reaches its parent, and a
        # Pool whose result thread cannot rebuild it from the message alone hangs.
        return type(self), (self.code, self.problem, self.pointer), self.__dict__


class SeedlockWarning(UserWarning):
    """Something seedlock could do but that is probably a mistake (``unknown-stage-variable``).

    Carries ``code`` and ``pointer`` like :class:`SeedlockError`; strict mode raises the error instead.
    """

    def __init__(self, error: "SeedlockError") -> None:
        self.code = error.code
        self.pointer = error.pointer
        self.problem = error.problem
        super().__init__(str(error))


def pointer_join(base: str, *parts: str | int) -> str:
    """Append reference tokens to a JSON pointer, escaping ``~`` and ``/`` (RFC 6901)."""
    out = base
    for part in parts:
        out += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return out
