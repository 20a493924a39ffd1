"""Shared helpers: the spec vectors, parametrised by file and case description."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from seedlock.spec._files import vectors_dir

REPO = Path(__file__).resolve().parents[2]

# R is part of the set-up (`make setup`), so in CI a missing R is a failure, never a silent skip.
requires_r = pytest.mark.skipif(
    shutil.which("Rscript") is None and not os.environ.get("CI"),
    reason="R is not installed: run `make setup` (in CI these tests run, and fail without R)",
)
SPEC = REPO / "spec"

# Frameworks print start-up noise to stderr; keep subprocess output readable.
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
os.environ.update(QUIET_ENV)


def vector_files(area: str) -> list[Path]:
    return sorted((vectors_dir() / area).glob("*.json"))


def vector_cases(area: str) -> list[Any]:
    """pytest params of (case, file name) for every case of ``area``, with readable ids."""
    params = []
    for path in vector_files(area):
        for case in json.loads(path.read_text("utf-8"))["cases"]:
            params.append(pytest.param(case, id=f"{path.stem}: {case['description']}"))
    assert params, f"no vectors found for area {area!r} under {vectors_dir()}"
    return params


# Importing rpy2 (the R bridge tests) sets LD_LIBRARY_PATH in this process to R's and the system's
# library directories; a child Python started with it can load the system's libpython instead of its
# own and fail to import C extensions (psycopg). Children get the environment the session started with.
_STARTUP_LIBRARY_PATH = os.environ.get("LD_LIBRARY_PATH")


def child_environ() -> dict[str, str]:
    """``os.environ`` for a child process, without what embedding R added to it."""
    env = dict(os.environ)
    if _STARTUP_LIBRARY_PATH is None:
        env.pop("LD_LIBRARY_PATH", None)
    else:
        env["LD_LIBRARY_PATH"] = _STARTUP_LIBRARY_PATH
    return env


def seedlock_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, input_: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI as users do: a fresh interpreter."""
    full_env = {**child_environ(), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "seedlock", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        input=input_,
        timeout=300,
    )


pytest_plugins = ["pytester"]


@pytest.fixture
def restore_global_rngs() -> Iterator[None]:
    """Put python, numpy and torch global RNG state, determinism and thread count back after a test
    that applies a stage in this process."""
    import random

    import numpy as np
    import torch

    state = (
        random.getstate(),
        np.random.get_state(),
        torch.get_rng_state(),
        torch.are_deterministic_algorithms_enabled(),
        torch.get_num_threads(),
    )
    yield
    random.setstate(state[0])
    np.random.set_state(state[1])
    torch.set_rng_state(state[2])
    torch.use_deterministic_algorithms(state[3])
    torch.set_num_threads(state[4])


_LIBRARY_PATH = os.environ.get("LD_LIBRARY_PATH")


@pytest.fixture(autouse=True)
def _no_library_path_leaks_from_embedded_r() -> Iterator[None]:
    # A test that imports rpy2 itself starts embedded R, which exports R's LD_LIBRARY_PATH into
    # os.environ; every later fresh interpreter would then load the system's libpython.
    yield
    if _LIBRARY_PATH is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = _LIBRARY_PATH


# The throwaway PostgreSQL server (session-scoped) and a fresh database per test.
from _pg import pg_server, pg_url  # noqa: E402,F401

# The throwaway single-node Slurm cluster (session-scoped): slurmctld, slurmd and munged in a temp dir.
from _slurm import slurm_cluster  # noqa: E402,F401
