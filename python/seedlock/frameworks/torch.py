"""PyTorch's generators and determinism flags (spec §6, ``torch``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..seeding.actions import Action
from . import Context
from ._common import installed_version, restore_env

NAME: Final = "torch"
CUBLAS_VARIABLE: Final = "CUBLAS_WORKSPACE_CONFIG"
CUBLAS_VALUE: Final = ":4096:8"
# The two workspace sizes cuBLAS documents as deterministic.
_CUBLAS_DETERMINISTIC: Final = (":4096:8", ":16:8")


def apply(seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    import torch

    torch.manual_seed(seed)
    out = [Action(framework=NAME, what=f"torch.manual_seed({seed})", status="applied")]
    if settings["num_threads"] is not None:
        n = settings["num_threads"]
        torch.set_num_threads(n)
        got = torch.get_num_threads()
        out.append(
            Action(
                framework=NAME,
                what=f"torch.set_num_threads({n})",
                status="applied" if got == n else "failed",
                detail="" if got == n else f"got {got}",
            )
        )
    if not settings["deterministic"]:
        return out
    warn_only = bool(settings["warn_only"])
    try:
        set_deterministic(torch, True, warn_only=warn_only)
        ok = torch.are_deterministic_algorithms_enabled()
        detail = "" if ok else "still disabled after the call"
    except RuntimeError as exc:
        ok, detail = False, str(exc)
    out.append(
        Action(
            framework=NAME,
            what=f"use_deterministic_algorithms(True, warn_only={warn_only})",
            status="applied" if ok else "failed",
            detail=detail,
        )
    )
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    out.append(Action(framework=NAME, what="cudnn.deterministic=True, cudnn.benchmark=False", status="applied"))
    out.append(_cublas(torch))
    return out


#: Inductor's configuration module: ``torch.use_deterministic_algorithms`` imports it to set its
#: ``deterministic`` flag (torch 2.13), which costs a fresh process 2-3 s when nothing compiles.
INDUCTOR_CONFIG: Final = "torch._inductor.config"
_inductor_watch: Any = None


def set_deterministic(torch: Any, mode: bool, *, warn_only: bool) -> None:
    """``torch.use_deterministic_algorithms(mode, warn_only=warn_only)`` without importing Inductor.

    In torch 2.13 that function does two things: ``torch._inductor.config.deterministic = mode`` (an
    import of Inductor, +2 s at start-up) and ``torch._C._set_deterministic_algorithms(mode, ...)``.
    Inductor reads its flag only once its config module is loaded, and everything that compiles loads
    it: so when it is not loaded yet, the global flag is set now and the config module gets the flag
    right after its first import (:func:`_watch_inductor`), before anything can compile with it.
    A torch without the private setter gets the public call (and its import)."""
    if INDUCTOR_CONFIG in sys.modules or not hasattr(torch._C, "_set_deterministic_algorithms"):
        torch.use_deterministic_algorithms(mode, warn_only=warn_only)
        return
    torch._C._set_deterministic_algorithms(mode, warn_only=warn_only)
    _watch_inductor()


def _watch_inductor() -> None:
    """Once: when ``torch._inductor.config`` is first imported, set its ``deterministic`` to the global
    flag as it is then (what ``use_deterministic_algorithms`` would have written; a later call of it by
    the program writes its own value after the import, as in torch)."""
    global _inductor_watch
    if _inductor_watch is not None and _inductor_watch in sys.meta_path:
        return
    from ..seeding._importhook import SeedOnImport

    def follow(module: str, _name: str) -> None:
        torch = sys.modules["torch"]
        config: Any = sys.modules.get(module)
        if config is not None:
            config.deterministic = bool(torch.are_deterministic_algorithms_enabled())

    _inductor_watch = SeedOnImport({INDUCTOR_CONFIG: "torch"}, follow)
    sys.meta_path.insert(0, _inductor_watch)


def _cublas(torch: Any) -> Action:
    what = f"{CUBLAS_VARIABLE}={CUBLAS_VALUE}"
    current = os.environ.get(CUBLAS_VARIABLE)
    if current in _CUBLAS_DETERMINISTIC:
        return Action(framework=NAME, what=what, status="applied", detail=f"set to {current}")
    if not torch.cuda.is_available():
        return Action(framework=NAME, what=what, status="skipped", detail="no CUDA device")
    if torch.cuda.is_initialized():
        return Action(
            framework=NAME,
            what=what,
            status="failed",
            detail="CUDA already initialised; launch with `seedlock run` or set it before using CUDA",
        )
    # cuBLAS reads the variable when its first handle is created, which has not happened yet.
    os.environ[CUBLAS_VARIABLE] = CUBLAS_VALUE
    return Action(framework=NAME, what=what, status="applied", detail="set before CUDA initialisation")


def save() -> Callable[[], None]:
    state = capture_state()
    return lambda: restore_state(state)


def capture_state() -> Any:
    """CPU (and initialised CUDA) generator states as bytes, the determinism flags, threads, cuBLAS."""
    import torch

    cuda = None
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        cuda = [bytes(s.numpy().tobytes()) for s in torch.cuda.get_rng_state_all()]
    return {
        "cpu": bytes(torch.get_rng_state().numpy().tobytes()),
        "cuda": cuda,
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "cudnn_deterministic": bool(torch.backends.cudnn.deterministic),
        "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
        "num_threads": torch.get_num_threads(),
        "cublas": os.environ.get(CUBLAS_VARIABLE),
    }


def restore_state(state: Any) -> None:
    import torch

    def tensor(data: bytes) -> Any:
        return torch.frombuffer(bytearray(data), dtype=torch.uint8)

    torch.set_rng_state(tensor(state["cpu"]))
    if state["cuda"] is not None:
        torch.cuda.set_rng_state_all([tensor(s) for s in state["cuda"]])
    set_deterministic(torch, state["deterministic"], warn_only=state["warn_only"])
    torch.backends.cudnn.deterministic = state["cudnn_deterministic"]
    torch.backends.cudnn.benchmark = state["cudnn_benchmark"]
    if torch.get_num_threads() != state["num_threads"]:
        torch.set_num_threads(state["num_threads"])
    restore_env(CUBLAS_VARIABLE, state["cublas"])


def version() -> str | None:
    return installed_version(NAME)
