"""`seedlock init` writes a starter manifest users can resolve at once, linked to a schema their
editor can load, and never overwrites a file; on a terminal it asks."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
import seedlock
from conftest import SPEC, seedlock_cli
from seedlock.spec._files import schema_text


def _linked_schema(manifest: Path) -> dict:
    reference = json.loads(manifest.read_text())["$schema"]
    return json.loads((manifest.parent / reference).read_text())


def test_init_with_flags_writes_a_valid_manifest_linked_to_a_schema_that_accepts_it(tmp_path: Path) -> None:
    out = seedlock_cli(
        "init", "--stage", "split=r", "--stage", "train=python,numpy,torch", "--stage", "evaluate=numpy", cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == (
        "seedlock: wrote seedlock.json and .seedlock/manifest.schema.json (3 stages); "
        "next: seedlock resolve seedlock.json -o seedlock.lock.json\n"
    )
    manifest = tmp_path / "seedlock.json"
    doc = json.loads(manifest.read_text())
    assert list(doc["stages"]) == ["split", "train", "evaluate"]
    assert doc["stages"]["train"]["frameworks"] == ["python", "numpy", "torch"]
    assert doc["seed"] == "generate"
    # The relative $schema resolves from the manifest's directory, as editors resolve it, to the real schema.
    schema = _linked_schema(manifest)
    assert schema == json.loads(schema_text("manifest"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    loaded = seedlock.read(manifest)
    assert loaded.stages["split"].frameworks == ("r",)


def test_the_starter_explains_itself_with_the_schemas_own_descriptions(tmp_path: Path) -> None:
    assert seedlock_cli("init", "--stage", "train=torch", cwd=tmp_path).returncode == 0
    doc = json.loads((tmp_path / "seedlock.json").read_text())
    schema = json.loads(schema_text("manifest"))
    assert schema["properties"]["seed"]["description"] in doc["description"]
    assert "seedlock resolve seedlock.json -o seedlock.lock.json" in doc["description"]
    assert "SEEDLOCK_SEED_TRAIN overrides it" in doc["stages"]["train"]["description"]
    # Every setting of the frameworks used, at its default, so users see what they can tune.
    assert doc["settings"] == {"torch": {"deterministic": True, "warn_only": False, "num_threads": None}}


def test_the_starter_resolves_and_runs_as_written(tmp_path: Path) -> None:
    assert seedlock_cli("init", "--stage", "train=python,numpy", "--seed", "7", cwd=tmp_path).returncode == 0
    out = seedlock_cli("resolve", "seedlock.json", "-o", "seedlock.lock.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lock = seedlock.load(tmp_path / "seedlock.lock.json")
    assert (lock.root.seed, lock.root.source) == (7, "manifest")


def test_init_never_overwrites_a_file_and_leaves_it_untouched(tmp_path: Path) -> None:
    (tmp_path / "seedlock.json").write_text("mine\n")
    out = seedlock_cli("init", "--stage", "train=numpy", cwd=tmp_path)
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: error[io-error] Cannot write seedlock.json: it already exists (remove it or choose another path)\n",
    )
    assert (tmp_path / "seedlock.json").read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seedlock.json"]


def test_init_refuses_a_dangling_symlink_too(tmp_path: Path) -> None:
    (tmp_path / "seedlock.json").symlink_to("elsewhere.json")
    out = seedlock_cli("init", "--stage", "train=numpy", cwd=tmp_path)
    assert out.returncode == 2
    assert not (tmp_path / "elsewhere.json").exists()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--stage", "train=numpyy"],
            "error[unknown-framework] Unknown framework 'numpyy' (did you mean 'numpy'?) at '/stages/train/frameworks'",
        ),
        (
            ["--stage", "Train=numpy"],
            "error[invalid-label] Invalid label 'Train' (expected 1-63 of a-z 0-9 _ . - starting with a-z or 0-9) "
            "at '/stages/Train'",
        ),
        (
            ["--stage", "train=numpy", "--seed", "2147483648"],
            "error[seed-out-of-range] Seed 2147483648 is outside [0, 2147483647] at '/seed'",
        ),
        (
            [],
            "usage error: name the stages with --stage NAME=FW,FW (repeatable), "
            "or run `seedlock init` on a terminal (see `seedlock --help`)",
        ),
    ],
)
def test_bad_init_arguments_are_one_line_and_write_nothing(tmp_path: Path, args: list[str], line: str) -> None:
    out = seedlock_cli("init", *args, cwd=tmp_path, input_="")
    assert (out.returncode, out.stderr) == (2, f"seedlock: {line}\n")
    assert list(tmp_path.iterdir()) == []


def _converse(argv: list[str], cwd: Path, answers: list[tuple[str, str]]) -> tuple[int, str]:
    """Run ``argv`` on a pseudo-terminal; wait for each prompt, type its answer; return status and transcript."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, close_fds=True)
    os.close(slave)
    transcript = b""

    def read_until(text: str) -> None:
        nonlocal transcript
        deadline = time.monotonic() + 60
        while text.encode() not in transcript:
            assert time.monotonic() < deadline, f"no prompt {text!r}; got {transcript.decode(errors='replace')!r}"
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                try:
                    transcript += os.read(master, 4096)
                except OSError:
                    break

    for prompt, answer in answers:
        read_until(prompt)
        os.write(master, answer.encode() + b"\n")
        read_until(answer)  # the terminal echoes it
    code = proc.wait(timeout=60)
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        transcript += chunk
    os.close(master)
    return code, transcript.decode(errors="replace").replace("\r\n", "\n")


def test_init_on_a_terminal_asks_for_stages_frameworks_and_seed_and_re_asks_bad_answers(tmp_path: Path) -> None:
    code, transcript = _converse(
        [sys.executable, "-m", "seedlock", "init"],
        tmp_path,
        [
            ("Stage names, in pipeline order", "split train"),
            ("Frameworks for stage 'split'", "r"),
            ("Frameworks for stage 'train'", "python numpyy"),
            ("did you mean 'numpy'?", "python,numpy"),
            ("Root seed", ""),
        ],
    )
    assert code == 0, transcript
    assert "Unknown framework 'numpyy' (did you mean 'numpy'?); try again" in transcript
    assert "seedlock: wrote seedlock.json and .seedlock/manifest.schema.json (2 stages)" in transcript
    doc = json.loads((tmp_path / "seedlock.json").read_text())
    assert {name: st["frameworks"] for name, st in doc["stages"].items()} == {
        "split": ["r"],
        "train": ["python", "numpy"],
    }
    assert doc["seed"] == "generate"


def test_init_on_a_terminal_with_an_existing_file_says_so_before_asking(tmp_path: Path) -> None:
    (tmp_path / "seedlock.json").write_text("mine\n")
    code, transcript = _converse([sys.executable, "-m", "seedlock", "init"], tmp_path, [])
    assert code == 2
    assert "it already exists" in transcript and "Stage names" not in transcript


_REGISTRY = json.loads((SPEC / "registry.json").read_text(encoding="utf-8"))
_SINCE = {fw["name"]: fw["since"] for fw in _REGISTRY["frameworks"]} | {"x-faker": _REGISTRY["extensions"]["since"]}


@pytest.mark.parametrize("framework", sorted(_SINCE))
def test_init_writes_a_manifest_of_a_version_that_defines_every_framework_it_names(
    tmp_path: Path, framework: str
) -> None:
    out = seedlock_cli("init", "--stage", f"train=python,{framework}", "--seed", "7", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "seedlock.json").read_text())
    # The lowest version that defines them all: a 1.0 reader still reads starters that need no more.
    assert doc["version"] == max(_SINCE[framework], _SINCE["python"], key=lambda v: tuple(map(int, v.split("."))))
    assert doc["stages"]["train"]["frameworks"] == list(dict.fromkeys(["python", framework]))
    out = seedlock_cli("validate", "seedlock.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    out = seedlock_cli("resolve", "seedlock.json", "-o", "seedlock.lock.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lock = json.loads((tmp_path / "seedlock.lock.json").read_text())
    assert list(lock["stages"]["train"]["frameworks"]) == list(dict.fromkeys(["python", framework]))


def test_init_names_a_malformed_extension_as_the_spec_does(tmp_path: Path) -> None:
    out = seedlock_cli("init", "--stage", "train=x-Faker", cwd=tmp_path)
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: error[invalid-label] Extension name 'x-Faker' is not x- followed by a label "
        "at '/stages/train/frameworks'\n",
    )
    assert not (tmp_path / "seedlock.json").exists()


def test_init_in_a_git_repository_ignores_the_ledger_but_not_the_schema_copy(tmp_path: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("build/")  # the user's, without a final newline
    out = seedlock_cli("init", "--stage", "train=python,numpy", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / ".gitignore").read_text().startswith("build/\n")
    (tmp_path / ".seedlock").mkdir(exist_ok=True)
    (tmp_path / ".seedlock" / "ledger.sqlite").write_bytes(b"SQLite format 3\0")
    ignored = subprocess.run(
        ["git", "-C", str(tmp_path), "check-ignore", ".seedlock/ledger.sqlite", ".seedlock/manifest.schema.json"],
        capture_output=True,
        text=True,
    )
    assert ignored.stdout.split() == [".seedlock/ledger.sqlite"]  # the schema copy travels with the manifest
    again = seedlock_cli("init", "--stage", "train=python", "other.json", cwd=tmp_path)
    assert again.returncode == 0 and (tmp_path / ".gitignore").read_text().count("/.seedlock/*") == 1
