"""``seedlock replicate --emit slurm|k8s``: the job description, for teams that submit themselves.

* ``slurm_script(job)``: a batch script whose array (``--array=0-(N-1)``) runs one replicate per task
  through ``seedlock run --replicate from-env`` (``SLURM_ARRAY_TASK_ID``). The Slurm engine submits
  this same script, so what a team submits by hand is what the engine runs.
* ``k8s_manifest(job, image=...)``: a Kubernetes Indexed Job (``completionMode: Indexed``,
  ``completions: N``); each pod's ``JOB_COMPLETION_INDEX`` is its replicate. A retried index runs in
  a new pod with the same seeds; its failure count (the pod annotation
  ``batch.kubernetes.io/job-index-failure-count``, through the downward API) is recorded as the attempt.

Both run the task as ``seedlock run LOCK --stage S --replicate from-env ...``: the Slurm script with
the interpreter and absolute paths of this machine (array tasks see the submitting machine's shared
file system), the manifest with ``seedlock`` from the image's ``PATH`` and the lock path relative to
the working directory (the image holds the project; set ``workingDir`` with ``--k8s-workdir``).
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Sequence
from typing import Any

from ..engines import ReplicateJob
from ..spec.errors import SeedlockError

KINDS = ("slurm", "k8s")
#: Kubernetes object names are DNS-1123 labels of at most 63 characters; a Job's pods add a suffix.
_K8S_NAME_MAX = 52


def slurm_script(job: ReplicateJob, *, python: str | None = None) -> str:
    """The array batch script for ``job`` (extra ``sbatch`` options become ``#SBATCH`` lines)."""
    task = shlex.join(job.task_command("from-env", python=python))
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name={_slurm_safe('seedlock-' + job.group)}",
        f"#SBATCH --array=0-{job.count - 1}",
    ]
    if job.cwd:
        lines.append(f"#SBATCH --chdir={_slurm_safe(job.cwd)}")
    for option in _sbatch_lines(job.engine_options):
        lines.append(f"#SBATCH {option}")
    lines += [
        f"# Written by `seedlock replicate --emit slurm`: replicates 0-{job.count - 1} of stage {job.stage!r},",
        f"# group {job.group!r}. Task i runs replicate i (SLURM_ARRAY_TASK_ID); a requeued task gets the same",
        "# seeds (its attempt, SLURM_RESTART_COUNT, is recorded with the run, never mixed into a seed).",
        "# Submit it with: sbatch <this file>",
        "set -eu",
        "export SEEDLOCK_ENGINE=slurm",
    ]
    for name, value in sorted(job.env.items()):
        lines.append(f"export {name}={shlex.quote(value)}")
    lines.append(f"exec {task}")
    return "\n".join(lines) + "\n"


def _slurm_safe(value: str) -> str:
    # #SBATCH lines are split on white space by sbatch itself, with no shell quoting.
    if any(c.isspace() for c in value):
        raise SeedlockError(
            "invalid-value", f"{value!r} contains white space, which an #SBATCH line cannot hold", "/engine_options"
        )
    return value


def _sbatch_lines(options: Sequence[str]) -> list[str]:
    """One ``#SBATCH`` line per option; a separate value (``-p debug``) stays on its option's line."""
    out: list[str] = []
    for option in options:
        if option.startswith("-") or not out:
            out.append(_slurm_safe(option))
        else:
            out[-1] += " " + _slurm_safe(option)
    for option in out:
        if option.split("=", 1)[0].split(" ", 1)[0] in ("--array", "-a"):
            raise SeedlockError(
                "invalid-value",
                "The array is seedlock's (--seeds N gives 0-(N-1)): do not pass --array to sbatch",
                "/engine_options",
            )
    return out


def k8s_name(group: str) -> str:
    """A Job name from a group name (a label, spec §1.4): lower case, ``-`` for other characters."""
    name = "".join(c if c.isalnum() and c.isascii() else "-" for c in ("seedlock-" + group).lower())
    return name[:_K8S_NAME_MAX].strip("-")


def k8s_manifest(job: ReplicateJob, *, image: str, workdir: str | None = None) -> dict[str, Any]:
    """A Kubernetes ``batch/v1`` Indexed Job running every replicate of ``job`` in ``image``."""
    if not image:
        raise SeedlockError("missing-field", "--emit k8s needs the container image (--k8s-image)", "/k8s_image")
    argv = job.task_command("from-env")
    lock = job.lock_path
    if job.cwd and os.path.isabs(lock):
        rel = os.path.relpath(lock, job.cwd)
        if not rel.startswith(".."):
            lock = rel
    # `python -m seedlock run ...` -> `seedlock run ...` with the lock as the image sees it
    command = ["seedlock", *argv[3:]]
    command[2] = lock
    name = k8s_name(job.group)
    failure_count = "metadata.annotations['batch.kubernetes.io/job-index-failure-count']"
    env: list[dict[str, Any]] = [
        {"name": "SEEDLOCK_ENGINE", "value": "kubernetes"},
        {"name": "SEEDLOCK_K8S_JOB", "value": name},
        {"name": "SEEDLOCK_K8S_RESTART", "valueFrom": {"fieldRef": {"fieldPath": failure_count}}},
        {"name": "SEEDLOCK_ATTEMPT", "valueFrom": {"fieldRef": {"fieldPath": failure_count}}},
    ]
    env += [{"name": k, "value": v} for k, v in sorted(job.env.items())]
    container: dict[str, Any] = {"name": "replicate", "image": image, "command": command, "env": env}
    if workdir:
        container["workingDir"] = workdir
    labels = {"app.kubernetes.io/managed-by": "seedlock", "seedlock.dev/group": k8s_name(job.group)[9:] or "group"}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {
                "seedlock.dev/stage": job.stage,
                "seedlock.dev/group": job.group,
                "seedlock.dev/vary": ",".join(job.vary) or "everything",
            },
        },
        "spec": {
            "completionMode": "Indexed",
            "completions": job.count,
            "parallelism": max(1, min(job.jobs, job.count)),
            # a failed index is retried on its own (same seeds); the others go on
            "backoffLimitPerIndex": 2,
            "template": {
                "metadata": {"labels": labels},
                "spec": {"restartPolicy": "Never", "containers": [container]},
            },
        },
    }


def render(job: ReplicateJob, kind: str, *, image: str | None = None, workdir: str | None = None) -> str:
    """The text ``--emit KIND`` writes."""
    if kind == "slurm":
        return slurm_script(job)
    if kind == "k8s":
        return json.dumps(k8s_manifest(job, image=image or "", workdir=workdir), indent=2) + "\n"
    raise SeedlockError("invalid-value", f"Unknown --emit kind {kind!r} (kinds: {', '.join(KINDS)})", "/emit")


def write_emitted(
    job: ReplicateJob, kind: str, output: str | None, *, image: str | None = None, workdir: str | None = None
) -> None:
    """``--emit KIND [-o FILE]``: the text on standard output, or written atomically to ``output``
    (a Slurm script is made executable)."""
    import sys

    from ..spec._io import check_writable, write_atomic

    text = render(job, kind, image=image, workdir=workdir)
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    check_writable(output)
    write_atomic(output, text, mode=0o755 if kind == "slurm" else 0o644)


__all__ = ["KINDS", "k8s_manifest", "k8s_name", "render", "slurm_script", "write_emitted"]
