"""Provenance recorded in a lock (spec §5): when, where, with which versions. Informative only."""

from __future__ import annotations

import datetime as _dt
import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..seeding._machine import device_kind, platform_tag, python_version
from ..spec._version import __version__


def collect(
    frameworks: Iterable[str],
    *,
    manifest_path: str | None = None,
    env: Mapping[str, str] | None = None,
    inputs: Iterable[str] = (),
    params: Iterable[str] = (),
    allow_external_paths: bool = False,
) -> dict[str, Any]:
    """Provenance for a lock resolved now for stages using ``frameworks``; hashes inputs and params."""
    env = os.environ if env is None else env
    import uuid

    # Two resolves in the same second must still be two records: the id tells them apart.
    out: dict[str, Any] = {"id": uuid.uuid4().hex, **_setup(frameworks)}
    if manifest_path is not None:
        git = git_state(Path(manifest_path).resolve().parent)
        if git:
            out["git"] = git
    ci = ci_state(env)
    if ci:
        out["ci"] = ci
    inputs, params = list(inputs), list(params)
    if inputs or params:
        from ..spec.fingerprint import fingerprint, project_root

        base = Path(manifest_path).resolve().parent if manifest_path else Path.cwd()
        root = project_root(base)
        for key, paths in (("inputs", inputs), ("params", params)):
            if paths:
                out[key] = fingerprint(
                    paths, base=base, root=root, allow_external=allow_external_paths, pointer=f"/{key}"
                )
    return out


def now_utc() -> str:
    """The current UTC time, RFC 3339, to the second."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _setup(frameworks: Iterable[str]) -> dict[str, Any]:
    """What a lock's and a run's provenance both record about now and this machine."""
    return {
        "created": now_utc(),
        "seedlock": __version__,
        "binding": "python",
        "python": python_version(),
        "platform": platform_tag(),
        "frameworks": framework_versions(frameworks),
        "device": device_kind(),
    }


def run_state(
    frameworks: Iterable[str],
    *,
    git_dir: Path,
    env: Mapping[str, str] | None = None,
    inputs: Mapping[str, str | None] | None = None,
    params: Mapping[str, str | None] | None = None,
    git_exclude: Iterable[Path] = (),
) -> dict[str, Any]:
    """Provenance of a run starting now (the record's, not the lock's): time, versions, platform,
    device, git state of ``git_dir``, CI identifiers and the input/params hashes measured now."""
    env = os.environ if env is None else env
    out = _setup(frameworks)
    git = git_state(git_dir, exclude=git_exclude)
    if git:
        out["git"] = git
    ci = ci_state(env)
    if ci:
        out["ci"] = ci
    if inputs:
        out["inputs"] = dict(inputs)
    if params:
        out["params"] = dict(params)
    return out


def framework_versions(frameworks: Iterable[str]) -> dict[str, str | None]:
    """Installed version of each framework (``None`` when not installed); ``python`` is the interpreter.

    Each framework module says how (``seedlock.frameworks.<name>.version``), without importing it.
    """
    from .. import frameworks as _frameworks
    from ..seeding import extensions

    return {
        fw: _frameworks.get(fw).version() if fw in _frameworks.NAMES else extensions.version(fw)
        for fw in sorted(set(frameworks))
    }


#: Seedlock's own directory at the project root (ledger, spool): never part of the code's state.
SEEDLOCK_DIR = ".seedlock"


def git_state(directory: Path, *, exclude: Iterable[Path] = ()) -> dict[str, Any] | None:
    """``{"commit", "dirty"}`` when ``directory`` is inside a git work tree, else None. Files in
    ``exclude`` (the lock a run reads: its seeds are compared on their own) do not make it dirty."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=30, check=False
        )

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return None
        # Untracked files count (a new module changes what runs); ignored files and seedlock's own
        # ledger and spool directory do not.
        status = git(
            "status",
            "--porcelain",
            "--untracked-files=normal",
            "--",
            ".",
            f":(top,exclude){SEEDLOCK_DIR}",
            *(f":(exclude){Path(p).resolve()}" for p in exclude),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if status.returncode != 0:
        return {"commit": head.stdout.strip(), "dirty": True}  # unknown state: never claim a clean tree
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


_CI_FIELDS: Mapping[str, Mapping[str, str]] = {
    "gitlab": {
        "project": "CI_PROJECT_PATH",
        "pipeline_id": "CI_PIPELINE_ID",
        "pipeline_url": "CI_PIPELINE_URL",
        "job_id": "CI_JOB_ID",
        "job_name": "CI_JOB_NAME",
        "job_url": "CI_JOB_URL",
        "commit": "CI_COMMIT_SHA",
        "ref": "CI_COMMIT_REF_NAME",
    },
    "github": {
        "repository": "GITHUB_REPOSITORY",
        "workflow": "GITHUB_WORKFLOW",
        "run_id": "GITHUB_RUN_ID",
        "run_attempt": "GITHUB_RUN_ATTEMPT",
        "job": "GITHUB_JOB",
        "commit": "GITHUB_SHA",
        "ref": "GITHUB_REF",
    },
}


def ci_state(env: Mapping[str, str]) -> dict[str, Any] | None:
    """CI system and identifiers from the standard variables of GitLab CI and GitHub Actions."""
    if env.get("GITLAB_CI") == "true":
        system = "gitlab"
    elif env.get("GITHUB_ACTIONS") == "true":
        system = "github"
    elif env.get("CI"):
        return {"system": "unknown"}
    else:
        return None
    out: dict[str, Any] = {"system": system}
    for key, variable in _CI_FIELDS[system].items():
        if env.get(variable):
            out[key] = env[variable]
    if (
        system == "github"
        and env.get("GITHUB_SERVER_URL")
        and env.get("GITHUB_REPOSITORY")
        and env.get("GITHUB_RUN_ID")
    ):
        out["run_url"] = f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return out


__all__ = ["ci_state", "collect", "device_kind", "framework_versions", "git_state", "now_utc", "run_state"]
