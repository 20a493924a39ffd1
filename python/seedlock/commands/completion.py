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


#: ``--stage`` completes to the stages of the document already on the command line; each shell hands
#: its words to ``seedlock completion --stages-of`` its own way.
_STAGES: Final = {
    "bash": "_seedlock_compgen_stages",
    "zsh": "($(seedlock completion --stages-of ${words} 2>/dev/null))",
    "fish": "(seedlock completion --stages-of (commandline -opc) 2>/dev/null)",
    "preamble": {
        "bash": "_seedlock_compgen_stages() {\n"
        '  compgen -W "$(seedlock completion --stages-of "${COMP_WORDS[@]}" 2>/dev/null)" -- "$1"\n}\n'
    },
}


def stage_names(words: list[str]) -> list[str]:
    """The stages of the first word on a command line that names a manifest or lock file ([] if none)."""
    import os

    from .. import read
    from ..spec.errors import SeedlockError

    for word in words[1:]:
        if word.startswith("-") or not os.path.isfile(word):
            continue
        try:
            return list(read(word).stages)
        except SeedlockError:
            continue
    return []


def _mark_paths(parser: argparse.ArgumentParser, how: object) -> None:
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _mark_paths(sub, how)
        elif "--stage" in action.option_strings:
            action.complete = _STAGES  # type: ignore[attr-defined]
        elif action.metavar in _FILE_METAVARS and not action.choices:
            action.complete = how  # type: ignore[attr-defined]
