"""Content hashes of inputs and parameter files (spec §5.2), as `resolve` records and `run` checks them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from seedlock.spec import fingerprint
from seedlock.spec.errors import SeedlockError


@pytest.mark.parametrize(
    "size", [0, 1, fingerprint.LARGE_FILE - 1, fingerprint.LARGE_FILE, fingerprint.LARGE_FILE + fingerprint.CHUNK + 3]
)
def test_a_file_hashes_to_its_sha256_whichever_implementation_its_size_picks(tmp_path: Path, size: int) -> None:
    content = os.urandom(size)
    (tmp_path / "f").write_bytes(content)
    assert fingerprint.file_sha256(tmp_path / "f") == hashlib.sha256(content).hexdigest()


def test_a_directory_hashes_as_sorted_sha256sum_lines_with_slash_separated_paths(tmp_path: Path) -> None:
    files = {"b.csv": b"1\n", "a/z.txt": b"z", "a/b/c.bin": bytes(range(256)), "a-b": b""}
    for rel, content in files.items():
        (tmp_path / "d" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "d" / rel).write_bytes(content)
    lines = "".join(f"{hashlib.sha256(files[rel]).hexdigest()}  {rel}\n" for rel in sorted(files))
    assert fingerprint.tree_sha256(tmp_path / "d") == hashlib.sha256(lines.encode()).hexdigest()


def test_paths_resolve_through_symlinks_and_a_loop_or_an_escape_names_its_entry(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "rows.csv").write_text("x\n")
    (root / "alias").symlink_to(root / "data")
    (root / "loop").symlink_to(root / "loop")
    (tmp_path / "outside.csv").write_text("o\n")
    found = fingerprint.fingerprint(["alias/rows.csv"], base=root, root=root, allow_external=False, pointer="/inputs")
    assert found == {"alias/rows.csv": hashlib.sha256(b"x\n").hexdigest()}
    with pytest.raises(SeedlockError) as loop:
        fingerprint.fingerprint(
            ["data/rows.csv", "loop"], base=root, root=root, allow_external=False, pointer="/inputs"
        )
    assert (loop.value.code, loop.value.pointer) == ("io-error", "/inputs/1") and "Symlink loop" in loop.value.problem
    with pytest.raises(SeedlockError) as escape:
        fingerprint.fingerprint(["../outside.csv"], base=root, root=root, allow_external=False, pointer="/params")
    assert (escape.value.code, escape.value.pointer) == ("path-outside-root", "/params/0")
    # A sibling whose name starts with the root's is outside it too.
    (tmp_path / "project2").mkdir()
    (tmp_path / "project2" / "x").write_text("")
    with pytest.raises(SeedlockError) as sibling:
        fingerprint.fingerprint(["../project2/x"], base=root, root=root, allow_external=False, pointer="/inputs")
    assert sibling.value.code == "path-outside-root"
    assert fingerprint.fingerprint(["../outside.csv"], base=root, root=root, allow_external=True, pointer="/params")


def test_the_lock_directory_then_the_working_directory_then_the_locks_parents_hold_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a" / "locks").mkdir(parents=True)
    (tmp_path / "a" / "pipeline.json").write_text("{}")
    lock = tmp_path / "a" / "locks" / "s.lock.json"
    monkeypatch.chdir(tmp_path)
    assert fingerprint.base_directory({"manifest": {"path": "../pipeline.json"}}, lock) == str(tmp_path / "a")
    assert fingerprint.base_directory({"manifest": {"path": "a/pipeline.json"}}, lock) == str(tmp_path / "a")
    assert fingerprint.base_directory({"manifest": {"path": "pipeline.json"}}, lock) == str(tmp_path / "a")
    assert fingerprint.base_directory({"manifest": {"path": "gone.json"}}, lock) == str(tmp_path / "a" / "locks")
    assert fingerprint.base_directory({}, None) == str(tmp_path)
    assert fingerprint.manifest_path_for("a/pipeline.json", "a/locks/s.lock.json") == "../pipeline.json"


def test_a_lock_reached_through_a_symlink_finds_its_manifest_beside_the_real_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # e.g. current.lock.json -> locks/2026-11-26.lock.json, run from another directory
    (tmp_path / "proj" / "locks").mkdir(parents=True)
    (tmp_path / "proj" / "pipeline.json").write_text("{}")
    real = tmp_path / "proj" / "locks" / "train.lock.json"
    real.write_text("{}")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "current.lock.json").symlink_to(real)
    monkeypatch.chdir(tmp_path / "elsewhere")
    doc = {"manifest": {"path": "../pipeline.json"}}
    assert fingerprint.base_directory(doc, "current.lock.json") == str(tmp_path / "proj")
    # A manifest beside the link (and not the real file) is still found.
    (tmp_path / "elsewhere" / "sub").mkdir()
    (tmp_path / "elsewhere" / "sub" / "link.json").symlink_to(real)
    (tmp_path / "elsewhere" / "m.json").write_text("{}")
    assert fingerprint.base_directory({"manifest": {"path": "../m.json"}}, "sub/link.json") == str(
        tmp_path / "elsewhere"
    )


def test_a_lock_written_through_a_symlink_records_the_manifest_relative_to_the_real_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locks").mkdir()
    (tmp_path / "current.lock.json").symlink_to(tmp_path / "locks" / "train.lock.json")
    monkeypatch.chdir(tmp_path)
    assert fingerprint.manifest_path_for("pipeline.json", "current.lock.json") == "../pipeline.json"
