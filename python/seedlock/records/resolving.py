"""Resolving a manifest with the provenance of its resolution: ``seedlock.resolve`` and ``seedlock.load``.

Resolution itself is lock data (:mod:`seedlock.spec.resolution`); what this adds is the record of where
and how it happened (versions, git, CI: :mod:`seedlock.records.provenance`), which is why it sits here.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..spec.lock import Lock
    from ..spec.manifest import Manifest


def load(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> Lock:
    """Read a lock as is, or read and :func:`resolve` a manifest (with ``env``, default ``os.environ``)."""
    from ..spec.documents import read
    from ..spec.lock import Lock

    document = read(path)
    if isinstance(document, Lock):
        return document
    return resolve(document, env=env)


def resolve(
    manifest: Manifest, env: Mapping[str, str] | None = None, *, provenance: bool = True, strict: bool = False
) -> Lock:
    """Resolve a manifest into a lock, recording provenance (versions, git, CI) unless disabled.

    A ``SEEDLOCK_SEED_*`` variable that matches no stage is a warning, with ``strict`` an error
    (``unknown-stage-variable``)."""
    from ..spec.resolution import resolve as _resolve

    env_map = os.environ if env is None else env
    record = None
    if provenance:  # only then: the pytest plugin resolves without it, once per session
        from . import provenance as _prov

        frameworks = {fw for stage in manifest.stages.values() for fw in stage.frameworks}
        record = _prov.collect(
            frameworks,
            manifest_path=manifest.path,
            env=env_map,
            inputs=manifest.inputs,
            params=manifest.params,
            allow_external_paths=manifest.allow_external_paths,
        )
    return _resolve(manifest, env_map, provenance=record, strict=strict)
