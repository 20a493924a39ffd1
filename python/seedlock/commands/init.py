"""``seedlock init``: a starter manifest for the stages and frameworks a user names.

JSON has no comments, so the starter explains itself the way the schema allows: its ``description``
fields, written from the schema's own descriptions (they cannot drift from what the schema says),
and a ``$schema`` link to a copy of the schema next to it, so an editor shows every field's help.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ..spec.errors import SeedlockError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

#: Where the schema copy goes, relative to the manifest's directory (next to the default ledger).
SCHEMA_REFERENCE: Final = ".seedlock/manifest.schema.json"
DEFAULT_PATH: Final = "seedlock.json"
DEFAULT_FRAMEWORKS: Final = ("python", "numpy")


@dataclass(frozen=True, kw_only=True)
class StarterStage:
    name: str
    frameworks: tuple[str, ...]


def known_frameworks() -> tuple[str, ...]:
    from ..spec.settings import FRAMEWORKS

    return tuple(FRAMEWORKS)


def parse_stage(text: str) -> StarterStage:
    """``NAME=FW,FW`` (or ``NAME`` alone for the default frameworks), as ``--stage`` takes it."""
    name, _, rest = text.partition("=")
    return make_stage(name.strip(), rest.replace(",", " ").split() if rest.strip() else DEFAULT_FRAMEWORKS)


def make_stage(name: str, frameworks: Sequence[str]) -> StarterStage:
    """A stage whose name is a valid label and whose frameworks are built-in or extension names
    (``x-<label>``, spec §2.2), checked by the rule validation uses: ``invalid-label`` /
    ``unknown-framework`` (with "did you mean") / ``invalid-value`` otherwise."""
    from ..spec.derivation import check_label
    from ..spec.settings import framework

    check_label(name, f"/stages/{name}")
    for fw in frameworks:
        framework(fw, f"/stages/{name}/frameworks")
    if not frameworks:
        raise SeedlockError("invalid-value", "A stage needs at least one framework", f"/stages/{name}/frameworks")
    return StarterStage(name=name, frameworks=tuple(dict.fromkeys(frameworks)))


def parse_seed(text: str) -> int | str:
    """``generate`` or an integer in [0, 2147483647]."""
    from ..spec.derivation import SEED_MAX

    value = text.strip()
    if value == "generate":
        return value
    if not value.isascii() or not value.isdigit() or (len(value) > 1 and value[0] == "0"):
        raise SeedlockError("invalid-seed", f'Invalid seed {value!r} (expected an integer or "generate")', "/seed")
    if int(value) > SEED_MAX:
        raise SeedlockError("seed-out-of-range", f"Seed {value} is outside [0, {SEED_MAX}]", "/seed")
    return int(value)


def lowest_version(frameworks: Sequence[str]) -> str:
    """The lowest specification version that defines every one of ``frameworks`` (spec §2.1): a
    starter that needs nothing newer stays readable by bindings of older versions."""
    from ..spec._validate import version_tuple
    from ..spec.settings import EXTENSIONS_SINCE, SINCE, is_extension

    needed = [EXTENSIONS_SINCE if is_extension(fw) else SINCE[fw] for fw in frameworks]
    first = min(SINCE.values(), key=version_tuple)  # the version the original frameworks came in
    return max([first, *needed], key=version_tuple)


def lock_name(manifest: str | os.PathLike[str]) -> str:
    """``seedlock.json`` -> ``seedlock.lock.json``: the lock's conventional name next to its manifest."""
    text = os.fspath(manifest)
    return text[:-5] + ".lock.json" if text.endswith(".json") else text + ".lock.json"


def _schema() -> dict[str, Any]:
    from ..spec._files import schema_text

    return dict(json.loads(schema_text("manifest")))


def starter_document(
    stages: Sequence[StarterStage],
    *,
    seed: int | str = "generate",
    schema_reference: str = SCHEMA_REFERENCE,
    manifest_name: str = DEFAULT_PATH,
) -> dict[str, Any]:
    """The starter manifest as JSON data: ``$schema``, descriptions from the schema, the stages, and
    every setting of the frameworks used, at its default, so a user sees what can be tuned."""
    from ..spec.manifest import stage_variable
    from ..spec.settings import DEFAULTS

    if not stages:
        raise SeedlockError("invalid-value", "A manifest needs at least one stage", "/stages")
    schema = _schema()
    defs, props = schema["$defs"], schema["properties"]
    stage_props = defs["stage"]["properties"]
    lock = lock_name(manifest_name)
    first = stages[0].name
    description = (
        f"Written by `seedlock init`. seed: {props['seed']['description']} "
        f"Next: `seedlock resolve {manifest_name} -o {lock}`, then "
        f"`seedlock run {lock} --stage {first} -- CMD`."
    )
    used = [fw for fw in known_frameworks() if any(fw in st.frameworks for st in stages)]
    settings = {
        fw: {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in DEFAULTS[fw].items()}
        for fw in sorted(used, key=[fw for st in stages for fw in st.frameworks].index)
    }
    document: dict[str, Any] = {
        "$schema": schema_reference,
        "version": lowest_version([fw for st in stages for fw in st.frameworks]),
        "description": description,
        "seed": seed,
    }
    if any(settings.values()):
        document["settings"] = {fw: values for fw, values in settings.items() if values}
    document["stages"] = {
        st.name: {
            "description": (
                f"Seeds {', '.join(st.frameworks)}. seed: "
                + stage_props["seed"]["description"].replace("SEEDLOCK_SEED_<STAGE>", stage_variable(st.name))
                + f" seeds: {stage_props['seeds']['description']}"
            ),
            "frameworks": list(st.frameworks),
        }
        for st in stages
    }
    return document


def starter_text(stages: Sequence[StarterStage], **how: Any) -> str:
    from ..spec import _json

    return _json.pretty(starter_document(stages, **how))


@dataclass(frozen=True, kw_only=True)
class Written:
    manifest: Path
    schema: Path | None  # None when the schema copy was already up to date, or not wanted


def write_starter(
    path: str | os.PathLike[str],
    stages: Sequence[StarterStage],
    *,
    seed: int | str = "generate",
    schema_reference: str | None = None,
) -> Written:
    """Write the starter manifest at ``path``, never over an existing file (``io-error``), and the
    schema copy it links to (``schema_reference`` None: :data:`SCHEMA_REFERENCE`, kept current)."""
    from ..spec._files import schema_text
    from ..spec._io import create_new, write_atomic

    target = Path(path)
    own_schema = schema_reference is None
    reference = SCHEMA_REFERENCE if schema_reference is None else schema_reference
    text = starter_text(stages, seed=seed, schema_reference=reference, manifest_name=target.name)
    create_new(target, text)
    if not own_schema:
        return Written(manifest=target, schema=None)
    schema_file = target.parent / SCHEMA_REFERENCE
    current = schema_text("manifest")
    if schema_file.is_file() and schema_file.read_text("utf-8") == current:
        return Written(manifest=target, schema=None)
    try:
        schema_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot create {schema_file.parent}: {exc.strerror or exc}") from None
    write_atomic(schema_file, current)  # seedlock's own file: refreshed when this seedlock's schema differs
    return Written(manifest=target, schema=schema_file)


#: What ``init`` adds to the git work tree's ``.gitignore``: the run ledger (a binary SQLite file) and
#: its spool are local; the schema copy the manifest links to is shared with the manifest.
GITIGNORE_LINES = ("/.seedlock/*", "!/.seedlock/manifest.schema.json")


def ignore_ledger(directory: str | os.PathLike[str]) -> Path | None:
    """Add :data:`GITIGNORE_LINES` to the ``.gitignore`` at the root of the git work tree holding
    ``directory`` (where the ledger goes by default); the path written, or None when outside git or
    when the lines are there already. The user's lines are kept as they were, the file written atomically."""
    from ..spec._io import write_atomic

    start = Path(directory).resolve()
    root = next((d for d in (start, *start.parents) if (d / ".git").exists()), None)
    if root is None:
        return None
    target = root / ".gitignore"
    try:
        old = target.read_text("utf-8") if target.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedlockError("io-error", f"Cannot read {target}: {exc}") from None
    present = {line.strip() for line in old.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if not missing:
        return None
    head = old if not old or old.endswith("\n") else old + "\n"
    write_atomic(
        target, head + "# seedlock: the run ledger is a local binary file\n" + "".join(f"{x}\n" for x in missing)
    )
    return target


def interview(ask: Callable[[str], str], tell: Callable[[str], None]) -> tuple[list[StarterStage], int | str]:
    """Ask for the stages, each stage's frameworks and the root seed; a bad answer is explained and
    asked again. ``ask`` raises EOFError when the user ends input."""
    known = known_frameworks()

    def until_valid(question: str, default: str, parse: Callable[[str], Any]) -> Any:
        while True:
            answer = ask(f"{question} [{default}]: ").strip() or default
            try:
                return parse(answer)
            except SeedlockError as err:
                tell(f"  {err.problem}; try again")

    def stage_names(answer: str) -> list[str]:
        from ..spec.derivation import check_label

        names = answer.replace(",", " ").split()
        for name in names:
            check_label(name, f"/stages/{name}")
        if len(set(names)) != len(names):
            raise SeedlockError("invalid-value", "A stage name is given twice", "/stages")
        return names

    names = until_valid("Stage names, in pipeline order (e.g. split train evaluate)", "train", stage_names)

    def frameworks_of(name: str) -> Callable[[str], StarterStage]:
        return lambda answer: make_stage(name, answer.replace(",", " ").split())

    stages = [
        until_valid(
            f"Frameworks for stage {name!r} ({' '.join(known)}, or an extension x-<name>)",
            " ".join(DEFAULT_FRAMEWORKS),
            frameworks_of(name),
        )
        for name in names
    ]
    seed = until_valid("Root seed: an integer, or 'generate' for a fresh one at every resolve", "generate", parse_seed)
    return stages, seed
