"""Helpers shared by framework modules (every import here is paid by every lock that is loaded)."""

from __future__ import annotations

import os
from collections.abc import Iterable


def distribution_version(names: Iterable[str]) -> str | None:
    """Version of the first installed distribution of ``names``; None when none is installed."""
    from importlib import metadata  # tens of milliseconds: only when provenance is collected

    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def restore_env(name: str, value: str | None) -> None:
    """Put environment variable ``name`` back to ``value`` (None: unset)."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
