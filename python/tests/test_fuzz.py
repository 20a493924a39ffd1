"""Hostile input: whatever arrives, seedlock answers with its own error and a spec code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import seedlock
from _mutations import VALID_MANIFESTS, corpus, mutate, valid_locks
from conftest import requires_r
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seedlock.spec.errors import CODES
from seedlock.spec.resolution import resolve

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(data: bytes | str) -> tuple[str, str] | None:
    """None when valid; (code, pointer) when rejected; anything else escapes and fails the test."""
    try:
        document = seedlock.parse(data)
    except seedlock.SeedlockError as err:
        assert err.code in CODES
        assert str(err).endswith(f" at '{err.pointer}'") if err.pointer else not str(err).endswith(" at ''")
        return err.code, err.pointer
    if isinstance(document, seedlock.Manifest):
        assert len(document.sha256) == 64  # hashing must not fail either
    return None


@FUZZ
@given(JSON)
def test_arbitrary_json_documents_raise_only_seedlock_errors(document: Any) -> None:
    _outcome(json.dumps(document))


@FUZZ
@given(st.sampled_from(VALID_MANIFESTS + valid_locks()), st.randoms(use_true_random=False), st.integers(1, 3))
def test_mutated_manifests_and_locks_raise_only_seedlock_errors(base: dict[str, Any], rng: Any, rounds: int) -> None:
    doc = base
    for _ in range(rounds):
        doc = mutate(doc, rng)
    _outcome(json.dumps(doc))


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_seedlock_errors(data: bytes) -> None:
    _outcome(data)


@FUZZ
@given(st.text(max_size=30))
def test_environment_values_are_seeds_or_clear_errors(value: str) -> None:
    manifest = seedlock.Manifest.from_dict(VALID_MANIFESTS[0])
    try:
        lock = resolve(manifest, {"SEEDLOCK_SEED": value}, draw=lambda: 5)
    except seedlock.SeedlockError as err:
        assert (err.code, err.pointer) == ("invalid-env-value", "/seed")
        assert "SEEDLOCK_SEED" in str(err)
        return
    if value in ("", "generate"):
        assert lock.root.source in ("manifest", "generated")
    else:
        assert value == str(int(value)) and lock.root.seed == int(value)


def test_the_shared_corpus_raises_only_seedlock_errors() -> None:
    outcomes = [_outcome(doc) for doc in corpus(3000)]
    rejected = [o for o in outcomes if o is not None]
    assert len(rejected) > 2000
    assert len({code for code, _ in rejected}) >= 12


def test_a_100_mb_file_is_refused_quickly_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.read(big)
    assert info.value.code == "invalid-json" and "larger than" in str(info.value)
    assert time.perf_counter() - start < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KiB: nothing near 100 MB


def test_the_cli_answers_hostile_files_with_one_line_and_exit_two(tmp_path: Path) -> None:
    docs = corpus(40, seed=7)
    paths = []
    for i, doc in enumerate(docs):
        path = tmp_path / f"{i}.json"
        path.write_bytes(doc if isinstance(doc, bytes) else doc.encode("utf-8", "surrogatepass"))
        paths.append(path)
    for path in paths:
        out = subprocess.run(
            [sys.executable, "-m", "seedlock", "validate", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONWARNINGS": "error"},
        )
        assert out.returncode in (0, 2), out.stderr
        if out.returncode == 2:  # one line per fault of the document
            lines = out.stderr.splitlines()
            assert 1 <= len(lines) <= 50 and all(line.startswith("seedlock: error[") for line in lines), out.stderr
        assert "Traceback" not in out.stderr


@requires_r
def test_r_rejects_exactly_what_python_rejects_with_the_same_codes(tmp_path: Path) -> None:
    docs = corpus(2000, seed=42)
    files = []
    (tmp_path / "docs").mkdir()
    for i, doc in enumerate(docs):
        path = tmp_path / "docs" / f"{i:04d}.json"
        path.write_bytes(doc if isinstance(doc, bytes) else doc.encode("utf-8", "surrogatepass"))
        files.append(path)
    script = f"""
suppressMessages(library(seedlock))
files <- sort(list.files({json.dumps(str(tmp_path / "docs"))}, full.names = TRUE))
out <- vapply(files, function(f) tryCatch({{ read_seedlock(f); "ok" }},
  seedlock_error = function(e) paste(e$code, e$pointer)), character(1))
writeLines(jsonlite::toJSON(unname(out)), {json.dumps(str(tmp_path / "r.json"))}, useBytes = TRUE)
"""
    subprocess.run(["Rscript", "--vanilla", "-e", script], check=True, capture_output=True, timeout=600)
    r_results = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    py_results = []
    for path in files:
        result = _outcome(path.read_bytes())
        py_results.append("ok" if result is None else f"{result[0]} {result[1]}")
    mismatches = [(f.name, p, r) for f, p, r in zip(files, py_results, r_results, strict=True) if p != r]
    assert not mismatches, f"{len(mismatches)} of {len(files)} differ, e.g. {mismatches[:5]}"
