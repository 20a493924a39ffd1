"""Resolution of a manifest into a lock (spec §4): environment, generation, derivation."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from .derivation import SEED_MAX, derive
from .errors import SeedlockError
from .lock import FrameworkSeed, Lock, LockedStage, Resolved, Source
from .manifest import Manifest, SeedSpec
from .settings import merged

ROOT_VARIABLE = "SEEDLOCK_SEED"
STAGE_PREFIX = ROOT_VARIABLE + "_"
_DECIMAL = re.compile(r"0|[1-9][0-9]*")

Draw = Callable[[], int]


def draw_seed() -> int:
    """A seed drawn uniformly from [0, 2**31-1] by the operating system's CSPRNG."""
    import secrets  # only for a generated seed: its import (hmac, random) is most of a resolve otherwise

    return secrets.randbelow(SEED_MAX + 1)


def env_seed(env: Mapping[str, str], variable: str, pointer: str) -> SeedSpec | None:
    """The seed a variable sets (spec §4.4): None when unset or empty, else a seed or ``"generate"``."""
    raw = env.get(variable)
    if raw is None or raw == "":
        return None
    if raw == "generate":
        return "generate"
    if _DECIMAL.fullmatch(raw) is None or len(raw) > 10 or int(raw) > SEED_MAX:
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        raise SeedlockError(
            "invalid-env-value",
            f"Invalid value {shown!r} in {variable} (expected a decimal integer in [0, {SEED_MAX}] or 'generate')",
            pointer,
        )
    return int(raw)


def unknown_stage_variables(manifest: Manifest, env: Mapping[str, str]) -> list[SeedlockError]:
    """``unknown-stage-variable`` for each set ``SEEDLOCK_SEED_*`` variable that is no stage's (spec §4.4),
    in code-point order of variable names, with the stage it was probably meant for."""
    from ._suggest import closest

    by_suffix = {stage.variable[len(STAGE_PREFIX) :]: name for name, stage in manifest.stages.items()}
    known = {STAGE_PREFIX + suffix for suffix in by_suffix}
    out = []
    for variable in sorted(env):
        if not variable.startswith(STAGE_PREFIX) or variable in known or env[variable] == "":
            continue
        guess = closest(variable[len(STAGE_PREFIX) :], by_suffix)
        meant = (
            f" (did you mean stage {by_suffix[guess]!r}, whose variable is {STAGE_PREFIX}{guess}?)"
            if guess
            else f" (stages: {', '.join(manifest.stages)})"
        )
        out.append(
            SeedlockError("unknown-stage-variable", f"{variable} matches no stage of the manifest{meant}", "/stages")
        )
    return out


def resolve(
    manifest: Manifest,
    env: Mapping[str, str] | None = None,
    *,
    draw: Draw | None = None,
    provenance: Mapping[str, Any] | None = None,
    strict: bool = False,
) -> Lock:
    """Resolve ``manifest`` into a :class:`Lock`.

    ``env`` defaults to ``os.environ``; ``draw`` replaces the CSPRNG (for tests and vectors);
    ``provenance`` is recorded as given (see :func:`seedlock.records.provenance.collect`). A
    ``SEEDLOCK_SEED_*`` variable that matches no stage is a :class:`~seedlock.spec.errors.SeedlockWarning`
    (a misspelt ``SEEDLOCK_SEED_TRIAN`` would otherwise change nothing, silently); with ``strict``
    it is an ``unknown-stage-variable`` error.
    """
    env = os.environ if env is None else env
    draw = draw or draw_seed

    def pick(variable: str, pointer: str, declared: SeedSpec | None) -> Resolved | None:
        from_env = env_seed(env, variable, pointer)
        value, source = (from_env, "env") if from_env is not None else (declared, "manifest")
        if value is None:
            return None
        if value == "generate":
            return Resolved(seed=_checked_draw(draw), source="generated")
        src: Source = "env" if source == "env" else "manifest"
        return Resolved(seed=int(value), source=src, variable=variable if src == "env" else None)

    root = pick(ROOT_VARIABLE, "/seed", manifest.seed)
    assert root is not None  # the manifest's seed is required
    stages = {}
    # Draws happen root first, then stages in code-point order of their names (spec §4.2).
    for name in sorted(manifest.stages):
        stage = manifest.stages[name]
        chosen = pick(stage.variable, f"/stages/{name}/seed", stage.seed)
        if chosen is None:
            chosen = Resolved(seed=derive(root.seed, name), source="derived")
        fws = {}
        for fw in stage.frameworks:
            settings = MappingProxyType(merged(fw, manifest.settings, stage.settings))
            if fw in stage.seeds:
                fws[fw] = FrameworkSeed(framework=fw, seed=stage.seeds[fw], source="manifest", settings=settings)
            else:
                fws[fw] = FrameworkSeed(framework=fw, seed=derive(chosen.seed, fw), source="derived", settings=settings)
        stages[name] = LockedStage(
            name=name,
            seed=chosen.seed,
            source=chosen.source,
            variable=chosen.variable,
            frameworks=MappingProxyType(fws),
            take_over=stage.take_over,
        )
    unknown = unknown_stage_variables(manifest, env)
    if unknown and strict:
        raise unknown[0]
    if unknown:
        import warnings

        from .errors import SeedlockWarning

        for problem in unknown:
            warnings.warn(SeedlockWarning(problem), stacklevel=2)
    return Lock(
        root=root,
        stages=MappingProxyType({name: stages[name] for name in manifest.stages}),
        manifest_sha256=manifest.sha256,
        manifest_path=manifest.path,
        provenance=MappingProxyType(dict(provenance or {})),
        # The lock speaks the manifest's version (spec §2.1): a 1.0 manifest still gives a 1.0 lock.
        version=manifest.version,
    )


def _checked_draw(draw: Draw) -> int:
    value = draw()
    if type(value) is not int or not 0 <= value <= SEED_MAX:
        raise AssertionError(f"seed source returned {value!r}, outside [0, {SEED_MAX}]")
    return value
