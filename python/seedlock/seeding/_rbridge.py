"""Seeding the embedded R session through rpy2, exactly as the R package's ``set.seed`` call does."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Any


class RBridgeError(RuntimeError):
    """R could not be seeded or its state could not be read through rpy2."""


_SET_SEED = """
function(seed, kind, normal.kind, sample.kind) {
  # base:: so that a set.seed the program's R profile put on the search path (seedlock's take-over watch) is not this.
  # 'Rounding' warns that it is non-uniform; the manifest asked for it explicitly.
  suppressWarnings(base::set.seed(seed, kind = kind, normal.kind = normal.kind, sample.kind = sample.kind))
  c(RNGkind(), as.character(getRversion()))
}
"""
_GET_STATE = """
function() {
  has <- exists(".Random.seed", envir = globalenv(), inherits = FALSE)
  list(kinds = RNGkind(), has = has, seed = if (has) get(".Random.seed", envir = globalenv()) else integer(0))
}
"""
_SET_STATE = """
function(kinds, has, seed) {
  suppressWarnings(RNGkind(kinds[[1]], kinds[[2]], kinds[[3]]))
  if (has) assign(".Random.seed", seed, envir = globalenv())
  else if (exists(".Random.seed", envir = globalenv(), inherits = FALSE)) rm(".Random.seed", envir = globalenv())
  invisible(NULL)
}
"""


# Starting embedded R exports R's library path (which includes /usr/lib/<arch>) into os.environ. The
# running process has loaded its libraries already; only children would see it, and a child Python
# built elsewhere (pyenv, conda) would then load the system's libpython instead of its own.
_CHILD_ONLY_VARIABLES = ("LD_LIBRARY_PATH",)


@cache
def _functions() -> tuple[Any, Any, Any]:
    saved = {name: os.environ.get(name) for name in _CHILD_ONLY_VARIABLES}
    try:
        import rpy2.robjects as ro
    except Exception as exc:  # rpy2 raises several types when R itself cannot be loaded
        raise RBridgeError(f"rpy2 could not load R: {type(exc).__name__}: {exc}") from exc
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return ro.r(_SET_SEED), ro.r(_GET_STATE), ro.r(_SET_STATE)


def set_seed(seed: int, settings: Mapping[str, str]) -> str:
    """``set.seed`` with the settings' kind triple; returns the R version. Verifies the kinds took."""
    set_fn, _, _ = _functions()
    wanted = (settings["kind"], settings["normal_kind"], settings["sample_kind"])
    try:
        result = list(set_fn(seed, *wanted))
    except Exception as exc:  # rpy2 wraps R errors in RRuntimeError; report whatever R said
        raise RBridgeError(f"R rejected set.seed: {exc}") from exc
    if tuple(result[:3]) != wanted:
        raise RBridgeError(f"RNGkind is {tuple(result[:3])} after set.seed, expected {wanted}")
    return str(result[3])


def get_state() -> tuple[Any, Any, Any]:
    """R's RNG kinds and ``.Random.seed`` (or its absence), for restoring later."""
    _, get_fn, _ = _functions()
    state = get_fn()
    return state.rx2("kinds"), state.rx2("has"), state.rx2("seed")


def set_state(state: tuple[Any, Any, Any]) -> None:
    _, _, set_fn = _functions()
    set_fn(*state)


def r_call(code: str) -> Any:
    """Evaluate R code in the embedded session (used by tests and the conformance suite)."""
    _functions()
    import rpy2.robjects as ro

    return ro.r(code)
