"""Seeds handed to CI systems: GitLab dotenv reports, ``$GITHUB_OUTPUT`` and ``$GITHUB_ENV``."""

from __future__ import annotations

import os

from .errors import SeedlockError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .lock import Lock


def seed_variables(lock: Lock) -> dict[str, str]:
    """``SEEDLOCK_SEED`` and ``SEEDLOCK_SEED_<STAGE>`` for every stage: what a later job needs to repeat the run."""
    from .manifest import stage_variable

    values = {"SEEDLOCK_SEED": str(lock.root.seed)}
    values.update({stage_variable(name): str(st.seed) for name, st in lock.stages.items()})
    return values


def write_outputs(lock: Lock, *, dotenv: str | os.PathLike[str] | None = None, github_output: bool = False,
                  github_env: bool = False, environ: Mapping[str, str] | None = None) -> None:
    """Write the seed variables as a dotenv file (atomically) and/or append them to the files GitHub
    Actions names in ``$GITHUB_OUTPUT`` / ``$GITHUB_ENV``; ``missing-field`` when such a variable is unset."""
    from ._io import write_atomic

    environ = os.environ if environ is None else environ
    lines = "".join(f"{k}={v}\n" for k, v in seed_variables(lock).items())
    appends = []
    for wanted, variable, flag in ((github_output, "GITHUB_OUTPUT", "--github-output"),
                                   (github_env, "GITHUB_ENV", "--github-env")):
        if wanted:
            path = environ.get(variable)
            if not path:
                raise SeedlockError("missing-field", f"{flag} needs ${variable} (set by GitHub Actions)")
            appends.append(path)
    if dotenv:
        write_atomic(dotenv, lines)
    for path in appends:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(lines)
        except OSError as exc:
            raise SeedlockError("io-error", f"Cannot write {path}: {exc.strerror or exc}") from None
