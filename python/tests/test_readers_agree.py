"""The Python and R readers agree on what a manifest is, byte by byte (spec §1.1, §7).

Generated JSON values only ever reach the validators; the damage people do is to bytes: a form feed
pasted from a terminal, a quote left after the closing brace, a truncated copy. Each document here
is a valid manifest or lock with one or two byte-level mutations, read by both bindings in fresh
processes; the code, the pointer and (for syntax errors) the line and column must be the same.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import seedlock
from _mutations import byte_corpus
from conftest import requires_r


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
    differ = [(f.name, docs[i][:200], p, q) for i, (f, p, q) in enumerate(zip(files, python, r)) if p != q]
    assert not differ, f"{len(differ)} of {len(docs)} differ, e.g. {differ[:4]}"
    # The corpus must exercise the reader, not just the validators: most mutations break the JSON.
    syntax = [p for p in python if p.startswith("invalid-json")]
    assert len(syntax) > 1000 and sum(" 1:" in p or ":" in p.split()[-1] for p in syntax) > 800
    assert sum(p == "ok" for p in python) > 50
