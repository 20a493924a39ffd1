"""The Python and R readers agree on what a manifest is, byte by byte (spec §1.1, §7).

Generated JSON values only ever reach the validators; the damage people do is to bytes: a form feed
pasted from a terminal, a quote left after the closing brace, a truncated copy. Each document here
is a valid manifest or lock with one or two byte-level mutations, read by both bindings in fresh
processes; the code, the pointer and (for syntax errors) the line and column must be the same. For
documents with several faults, both must list the same faults in the same order (spec §7.1).
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import seedlock
from _mutations import VALID_MANIFESTS, byte_corpus, mutate, valid_locks
from conftest import requires_r
from seedlock.spec import _diagnostics


def _python_outcome(data: bytes) -> str:
    try:
        seedlock.parse(data)
    except seedlock.SeedlockError as err:
        where = f" {err.line}:{err.column}" if err.line is not None else ""
        return f"{err.code} {err.pointer}{where}"
    return "ok"


def _r_outcomes(files: list[Path], out: Path) -> list[str]:
    script = f"""
suppressMessages(library(seedlock))
files <- sort(list.files({json.dumps(str(files[0].parent))}, full.names = TRUE))
res <- vapply(files, function(f) tryCatch({{ read_seedlock(f); "ok" }}, seedlock_error = function(e) {{
  where <- if (is.null(e$line)) "" else sprintf(" %d:%d", e$line, e$column)
  paste0(e$code, " ", e$pointer, where)
}}), character(1))
writeLines(jsonlite::toJSON(unname(res)), {json.dumps(str(out))}, useBytes = TRUE)
"""
    subprocess.run(["Rscript", "--vanilla", "-e", script], check=True, capture_output=True, timeout=900)
    return list(json.loads(out.read_text(encoding="utf-8")))


@requires_r
def test_python_and_r_read_byte_mutated_manifests_alike(tmp_path: Path) -> None:
    docs = byte_corpus(3000)
    (tmp_path / "docs").mkdir()
    files = []
    for i, doc in enumerate(docs):
        path = tmp_path / "docs" / f"{i:04d}.json"
        path.write_bytes(doc)
        files.append(path)
    python = [_python_outcome(doc) for doc in docs]
    r = _r_outcomes(files, tmp_path / "r.json")
    differ = [
        (f.name, docs[i][:200], p, q) for i, (f, p, q) in enumerate(zip(files, python, r, strict=False)) if p != q
    ]
    assert not differ, f"{len(differ)} of {len(docs)} differ, e.g. {differ[:4]}"
    # The corpus must exercise the reader, not just the validators: most mutations break the JSON.
    syntax = [p for p in python if p.startswith("invalid-json")]
    assert len(syntax) > 1000 and sum(" 1:" in p or ":" in p.split()[-1] for p in syntax) > 800
    assert sum(p == "ok" for p in python) > 50


@requires_r
def test_python_and_r_list_the_same_faults_of_documents_with_several(tmp_path: Path) -> None:
    rng = random.Random(20261128)
    bases = VALID_MANIFESTS + valid_locks()
    docs = []
    for _ in range(1500):
        doc = rng.choice(bases)
        for _ in range(rng.choice([2, 3, 4, 6])):
            doc = mutate(doc, rng)
        docs.append(json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode("utf-8"))
    (tmp_path / "docs").mkdir()
    for i, doc in enumerate(docs):
        (tmp_path / "docs" / f"{i:04d}.json").write_bytes(doc)
    out = tmp_path / "r.json"
    script = f"""
suppressMessages(library(seedlock))
files <- sort(list.files({json.dumps(str(tmp_path / "docs"))}, full.names = TRUE))
res <- lapply(files, function(f) {{
  p <- seedlock_problems(text = readBin(f, "raw", file.size(f))); paste(p$code, p$pointer) }})
writeLines(jsonlite::toJSON(res), {json.dumps(str(out))}, useBytes = TRUE)
"""
    subprocess.run(["Rscript", "--vanilla", "-e", script], check=True, capture_output=True, timeout=900)
    r = json.loads(out.read_text(encoding="utf-8"))
    python = [[f"{p.code} {p.pointer}" for p in _diagnostics.problems(doc)] for doc in docs]
    differ = [(docs[i][:300], p, q) for i, (p, q) in enumerate(zip(python, r, strict=False)) if p != q]
    assert not differ, f"{len(differ)} of {len(docs)} differ, e.g. {differ[:3]}"
    assert sum(len(p) > 1 for p in python) > 700  # most documents really have several faults
