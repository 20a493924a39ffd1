"""libc's ``prctl`` (Linux), looked up once; shared by :mod:`seedlock.launching.launch`, the fast ``run`` path
and the interpreter ``seedlock run`` holds at the start gate (started with ``posix_spawn``, it binds
``PR_SET_PDEATHSIG`` itself: ``_bootstrap/python/sitecustomize.py``).

Looked up in the parent, never in a child between fork and exec (another thread may hold the loader's
lock at fork time; the conformance runner forks from many). ``seedlock run`` starts before every
wrapped command, and the ``ctypes`` package costs about a fifth of a bare interpreter start (struct,
its type classes) while its C core ``_ctypes`` costs nothing measurable; so the one function is bound
with ``_ctypes`` directly, falling back to ``ctypes`` should the core's interface ever differ.
"""

import sys

PR_SET_PDEATHSIG = 1

_prctl: object | None = None
_loaded = False


def load() -> object | None:
    """libc's prctl, or None where there is none (the forwarding of SIGTERM/SIGINT/SIGHUP still applies)."""
    global _prctl, _loaded
    if not _loaded:
        _loaded = True
        if sys.platform == "linux":
            try:
                _prctl = _bind_with_ctypes_core()
            except Exception:
                try:
                    import ctypes

                    _prctl = ctypes.CDLL(None, use_errno=True).prctl
                except (OSError, AttributeError):
                    _prctl = None
    return _prctl


def _bind_with_ctypes_core() -> object:
    """``ctypes.CDLL(None, use_errno=True).prctl``, built from what ``ctypes`` itself builds it from."""
    import _ctypes  # type: ignore[import-not-found]

    class _Int(_ctypes._SimpleCData):  # type: ignore[misc]  # ctypes.c_int
        _type_ = "i"

    class _Function(_ctypes.CFuncPtr):  # type: ignore[misc]  # CDLL._FuncPtr
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = _Int

    class _Library:  # what CFuncPtr reads from a CDLL: its handle
        _handle = _ctypes.dlopen(None, 0)  # type: ignore[arg-type]  # dlopen(NULL): this process

    return _Function(("prctl", _Library()))  # type: ignore[arg-type]
