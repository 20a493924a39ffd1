"""Seeds handed to CI systems: GitLab dotenv reports, ``$GITHUB_OUTPUT`` and ``$GITHUB_ENV``."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..spec.errors import SeedlockError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..spec.lock import Lock


def seed_variables(lock: Lock) -> dict[str, str]:
    """``SEEDLOCK_SEED`` and ``SEEDLOCK_SEED_<STAGE>`` for every stage: what a later job needs to repeat the run."""
    from ..spec.manifest import stage_variable

    values = {"SEEDLOCK_SEED": str(lock.root.seed)}
    values.update({stage_variable(name): str(st.seed) for name, st in lock.stages.items()})
    return values


@dataclass(frozen=True, kw_only=True)
class Targets:
    """Where the seed variables go: a dotenv file (replaced atomically) and files to append to."""

    dotenv: str | None = None
    appends: tuple[str, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        return ((self.dotenv,) if self.dotenv else ()) + self.appends


def targets(
    *,
    dotenv: str | os.PathLike[str] | None = None,
    github_output: bool = False,
    github_env: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Targets:
    """The files the flags name, each checked to be writable, before anything is written:
    ``missing-environment`` when ``$GITHUB_OUTPUT``/``$GITHUB_ENV`` is unset, ``io-error`` for a target
    that cannot be written."""
    from ..spec._io import check_writable

    environ = os.environ if environ is None else environ
    appends = []
    for wanted, variable, flag in (
        (github_output, "GITHUB_OUTPUT", "--github-output"),
        (github_env, "GITHUB_ENV", "--github-env"),
    ):
        if wanted:
            path = environ.get(variable)
            if not path:
                raise SeedlockError("missing-environment", f"{flag} needs ${variable} (set by GitHub Actions)")
            appends.append(path)
    chosen = Targets(dotenv=os.fspath(dotenv) if dotenv else None, appends=tuple(appends))
    for path in chosen.paths:
        check_writable(path)
    return chosen


def write_outputs(lock: Lock, chosen: Targets) -> None:
    """Write the seed variables as a dotenv file (atomically) and append them to the GitHub files."""
    from ..spec._io import write_atomic

    lines = "".join(f"{k}={v}\n" for k, v in seed_variables(lock).items())
    if chosen.dotenv:
        write_atomic(chosen.dotenv, lines)
    for path in chosen.appends:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(lines)
        except OSError as exc:
            raise SeedlockError("io-error", f"Cannot write {path}: {exc.strerror or exc}") from None
