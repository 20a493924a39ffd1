"""Shell completion scripts for ``seedlock``, generated from its argparse parser by shtab, so a new
command or flag completes without anyone editing a script by hand."""

from __future__ import annotations

from typing import Final

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

SHELLS: Final = ("bash", "zsh", "fish")

# Metavars that name files: complete them as paths (shtab completes nothing for them otherwise).
_FILE_METAVARS: Final = frozenset({"FILE", "LOCK", "MANIFEST", "SOLVER", "OUT", "PATH", "DIR"})


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for ``shell`` (one of :data:`SHELLS`)."""
    import shtab

    if shell not in SHELLS:
        raise ValueError(f"no completion for {shell!r} (choose from {', '.join(SHELLS)})")
    _mark_paths(parser, shtab.FILE)
    return str(shtab.complete(parser, shell=shell))


def _mark_paths(parser: argparse.ArgumentParser, how: object) -> None:
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _mark_paths(sub, how)
        elif action.metavar in _FILE_METAVARS and not action.choices:
            action.complete = how  # type: ignore[attr-defined]
