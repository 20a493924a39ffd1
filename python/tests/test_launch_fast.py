"""The fast path of `seedlock run`: it accepts only locks the full path accepts, gives the child the
same environment, and imports nothing heavy. Whatever it declines, the full path reports exactly."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seedlock
from _mutations import ODD_VALUES, corpus, mutate, valid_locks
from conftest import SPEC, seedlock_cli, vector_cases
from seedlock import _json, _launch_fast
from seedlock.launch import stage_environment

CLASSIC = SPEC / "examples" / "classic.json"


def _full(path: Path, stage: str) -> dict[str, str] | None:
    """What the full path gives the child, or None where it refuses the lock or the stage."""
    try:
        document = seedlock.read(path)
        if not isinstance(document, seedlock.Lock):
            return None
        return stage_environment(document, document.stage(stage), path)
    except seedlock.SeedlockError:
        return None


def _agrees(tmp_path: Path, text: str | bytes, stages: list[str]) -> bool:
    """The fast path accepts only what the full path accepts, with the same environment; True when
    the fast path accepted for at least one stage."""
    path = tmp_path / "lock.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    accepted = False
    for stage in stages:
        fast = _launch_fast.stage_environment(str(path), stage)
        if fast is not None:
            assert fast == _full(path, stage), (stage, text)
            accepted = True
    return accepted


def _stages(document: Any) -> list[str]:
    stages = document.get("stages") if isinstance(document, dict) else None
    return [s for s in stages if isinstance(s, str)][:4] + ["no-such-stage"] if isinstance(stages, dict) else ["train"]


@pytest.mark.parametrize("case", vector_cases("lock"))
def test_every_lock_vector_takes_the_fast_path_with_the_full_paths_environment(case: dict[str, Any], tmp_path: Path) -> None:
    lock = case["expected"]["lock"]
    for stage in lock["stages"]:
        path = tmp_path / "l.json"
        path.write_text(json.dumps(lock))
        fast = _launch_fast.stage_environment(str(path), stage)
        appends = any(fw in ("jax",) for fw in lock["stages"][stage]["frameworks"]) or _has_extensions(lock)
        to_check = any((lock.get("provenance") or {}).get(k) for k in ("inputs", "params", "frameworks", "device", "platform"))
        # A variable appended to the user's own value (XLA_FLAGS), and provenance to compare with this
        # machine before the child starts, are left to the full path.
        assert fast == (None if appends or to_check else _full(path, stage))


@pytest.mark.parametrize("case", vector_cases("lock"))
def test_the_stage_view_gives_the_same_auto_seeding_variables(case: dict[str, Any], tmp_path: Path) -> None:
    from seedlock._seedreport import autoseed_environment

    path = tmp_path / "l.json"
    path.write_text(json.dumps(case["expected"]["lock"]))
    lock = seedlock.load_lock(path)
    for name in lock.stages:
        found = _launch_fast.stage(str(path), name)
        doc = case["expected"]["lock"]
        to_check = any((doc.get("provenance") or {}).get(k) for k in ("inputs", "params", "frameworks", "device", "platform"))
        if "jax" in doc["stages"][name]["frameworks"] or to_check or _has_extensions(doc):  # the full path's job
            assert found is None
            continue
        assert found is not None
        env, view = found
        assert list(view.frameworks) == list(lock.stage(name).frameworks)
        boot = str(Path(seedlock.__file__).resolve().parent / "_bootstrap" / "python")
        bases: list[dict[str, str]] = [{}, {"PYTHONPATH": "x"}, {"PYTHONPATH": boot}, {"PYTHONPATH": boot + os.pathsep + "y"},
                                       {"R_PROFILE_USER": "mine.R"}, {"R_PROFILE_USER": "a", "SEEDLOCK_R_PROFILE_USER": "b"}]
        for base in bases:
            for auto_seed in (True, False):
                full = autoseed_environment(lock.stage(name), "/s", base, auto_seed=auto_seed, strict=False)
                assert _launch_fast.autoseed_environment(view, "/s", base, auto_seed=auto_seed) == full
                assert autoseed_environment(view, "/s", base, auto_seed=auto_seed, strict=False) == full  # type: ignore[arg-type]


@pytest.mark.parametrize("case", vector_cases("invalid"))
def test_no_invalid_vector_is_accepted(case: dict[str, Any], tmp_path: Path) -> None:
    inp = case["input"]
    text = inp["text"] if "text" in inp else json.dumps(inp["document"])
    path = tmp_path / "l.json"
    path.write_text(text)
    for stage in ("train", "t", "a", "s", "prep"):
        assert _launch_fast.stage_environment(str(path), stage) is None


def test_across_the_hostile_corpus_it_accepts_nothing_the_full_path_refuses(tmp_path: Path) -> None:
    accepted = valid = 0
    for text in corpus(4000, seed=5):
        try:
            document = _json.loads(text)
        except seedlock.SeedlockError:
            document = None
        accepted += _agrees(tmp_path, text, _stages(document))
        valid += isinstance(document, dict) and "lock-version" in document and _full(tmp_path / "lock.json", "train") is not None
    # Not vacuous: many (mutated) locks are still valid, and the fast path takes nearly all of them.
    assert accepted > 50 and accepted >= 0.9 * valid, (accepted, valid)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from(valid_locks()), st.randoms(use_true_random=False), st.integers(1, 3), st.sampled_from(ODD_VALUES))
def test_fuzzed_locks_are_accepted_only_when_the_full_path_accepts_them(
        tmp_path: Path, base: dict[str, Any], rng: random.Random, rounds: int, odd: Any) -> None:
    doc = base
    for _ in range(rounds):
        doc = mutate(doc, rng)
    _agrees(tmp_path, json.dumps(doc), _stages(doc))
    # Each framework entry and setting of a stage replaced by an odd value, one at a time.
    if isinstance(doc, dict) and isinstance(doc.get("stages"), dict):
        for name, stage in list(doc["stages"].items())[:1]:
            for fw in list(stage.get("frameworks", {}) if isinstance(stage, dict) and isinstance(stage.get("frameworks"), dict) else [])[:2]:
                entry = stage["frameworks"][fw]
                for key in list(entry.get("settings", {}) if isinstance(entry, dict) and isinstance(entry.get("settings"), dict) else []):
                    bad = json.loads(json.dumps(doc))
                    bad["stages"][name]["frameworks"][fw]["settings"][key] = odd
                    _agrees(tmp_path, json.dumps(bad), [name])


def test_text_the_strict_parser_refuses_is_left_to_it(tmp_path: Path) -> None:
    lock = json.dumps(valid_locks()[0])
    for text in (lock.replace('"seed": ', '"seed": 1, "seed": ', 1), "\ufeff" + lock, lock + " x",
                 lock.replace('"lock-version"', '"lock-\\u0076ersion"'), lock.replace("9", "NaN", 1)):
        path = tmp_path / "l.json"
        path.write_text(text)
        assert _launch_fast.stage_environment(str(path), "train") is None


def test_the_limits_it_copies_are_the_parsers() -> None:
    assert (_launch_fast._MAX_BYTES, _launch_fast._MAX_DEPTH) == (_json.MAX_DOCUMENT_BYTES, _json.MAX_DEPTH)


def _has_extensions(lock: dict[str, Any]) -> bool:
    # Third-party seeders (x-…) are looked up through entry points: the full path's job.
    return any(fw.startswith("x-") for stage in lock["stages"].values() for fw in stage["frameworks"])


def _resolved(tmp_path: Path, *, provenance: bool = False) -> Path:
    # Without provenance there is nothing to check before the child starts: the fast path's case.
    lock = tmp_path / "l.json"
    flags = [] if provenance else ["--no-provenance"]
    assert seedlock_cli("resolve", str(CLASSIC), "-o", str(lock), *flags).returncode == 0
    return lock


def test_seedlock_run_imports_no_argparse_lock_classes_or_subprocess(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "seedlock", "run", str(lock), "--stage", "train",
                          "--", sys.executable, "-c", "pass"], capture_output=True, text=True, check=True)
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "seedlock._launch_fast" in imported
    # The auto-seeding report (seedlock._seedreport, shared with the full path) brings json and dataclasses;
    # what the fast path saves is argparse, the lock and framework modules, subprocess and ctypes.
    heavy = {"argparse", "subprocess", "ctypes", "jsonschema", "seedlock.lock", "seedlock.manifest",
             "seedlock.frameworks", "seedlock.settings"}
    assert not imported & heavy, imported & heavy


def test_checking_a_locks_small_inputs_loads_neither_pathlib_nor_openssl(tmp_path: Path) -> None:
    # Every stage of a pipeline lists inputs: hashing them must not cost half an interpreter start.
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n")
    (tmp_path / "m.json").write_text(json.dumps({"version": "1.0", "seed": 1, "inputs": ["rows.csv"],
                                                 "stages": {"train": {"frameworks": ["python"]}}}))
    lock = tmp_path / "l.json"
    assert seedlock_cli("resolve", str(tmp_path / "m.json"), "-o", str(lock)).returncode == 0
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "seedlock", "run", str(lock), "--stage", "train",
                          "--", sys.executable, "-c", "import os; print(os.environ['SEEDLOCK_RUN_CHECKED'])"],
                         capture_output=True, text=True, check=True)
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert out.stdout == "1\n" and "seedlock.fingerprint" in imported
    assert not imported & {"pathlib", "hashlib", "_hashlib", "dataclasses"}, imported & {"pathlib", "hashlib", "_hashlib", "dataclasses"}


def test_options_the_fast_path_does_not_know_take_the_full_path(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    ledger = tmp_path / "ledger.sqlite"
    out = seedlock_cli("run", str(lock), "--stage", "train", "--record", "--ledger", str(ledger), "--",
                       sys.executable, "-c", "import os; print(os.environ['SEEDLOCK_STAGE'])")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "train\n" and "recorded as run " in out.stderr


@pytest.mark.parametrize("stage_args", [["--stage", "preprocess"], ["--stage=preprocess"]])
@pytest.mark.parametrize("lock_first", [True, False])
def test_both_paths_give_the_child_the_same_environment(tmp_path: Path, stage_args: list[str], lock_first: bool) -> None:
    lock = _resolved(tmp_path)
    show = [sys.executable, "-c", "import os, json; print(json.dumps(dict(os.environ), sort_keys=True))"]
    args = [str(lock), *stage_args] if lock_first else [*stage_args, str(lock)]
    fast = seedlock_cli("run", *args, "--", *show)
    full = seedlock_cli("run", *args, "--ledger", str(tmp_path / "unused.sqlite"), "--", *show)  # argparse path
    assert fast.returncode == full.returncode == 0, fast.stderr + full.stderr
    per_run = {"SEEDLOCK_STATUS"}  # each run's private status directory
    assert {k: v for k, v in json.loads(fast.stdout).items() if k not in per_run} == \
        {k: v for k, v in json.loads(full.stdout).items() if k not in per_run}
    assert json.loads(fast.stdout)["PYTHONHASHSEED"] == str(
        json.loads(lock.read_text())["stages"]["preprocess"]["frameworks"]["python"]["seed"])


def test_the_report_is_the_full_paths_when_there_is_something_to_say(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    nothing = ["--no-auto-seed", "--", sys.executable, "-c", "pass"]  # nothing seeded: a warning
    fast = seedlock_cli("run", str(lock), "--stage", "train", *nothing)
    full = seedlock_cli("run", str(lock), "--stage", "train", "--ledger", "unused.sqlite", *nothing, cwd=tmp_path)
    assert (fast.returncode, fast.stderr) == (full.returncode, full.stderr) == (
        0, f"seedlock: warning: nothing in `{sys.executable} -c pass` was seeded by seedlock: with --no-auto-seed the "
           "program must call seedlock.apply_from_env() (R: seedlock_from_env())\n")
    verbose = ["-v", "--", sys.executable, "-c", "pass"]
    fast = seedlock_cli("run", str(lock), "--stage", "train", *verbose)
    full = seedlock_cli("run", str(lock), "--stage", "train", "--ledger", "unused.sqlite", *verbose, cwd=tmp_path)
    assert "random.seed(" in fast.stderr
    assert [line.split("(pid")[0] for line in fast.stderr.splitlines()] == \
        [line.split("(pid")[0] for line in full.stderr.splitlines()]
    quiet = seedlock_cli("run", str(lock), "--stage", "train", "--", sys.executable, "-c", "pass")
    assert (quiet.returncode, quiet.stderr) == (0, "")
    assert not [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("seedlock-status-*")
                if p.stat().st_mtime > lock.stat().st_mtime]  # status directories are removed


def test_errors_are_the_full_paths(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    out = seedlock_cli("run", str(lock), "--stage", "nope", "--", "true")
    assert (out.returncode, out.stderr) == (
        2, "seedlock: error[unknown-stage] No stage 'nope' (stages: preprocess, train) at '/stages/nope'\n")
    bad = tmp_path / "bad.json"
    bad.write_text(lock.read_text().replace('"seed": 42', '"seed": -1', 1))
    out = seedlock_cli("run", str(bad), "--stage", "train", "--", "true")
    assert out.returncode == 2 and out.stderr.startswith(f"seedlock: error[seed-out-of-range] {bad}: Seed -1 is outside")
    out = seedlock_cli("run", str(tmp_path / "missing.json"), "--stage", "train", "--", "true")
    assert out.returncode == 2 and "error[io-error]" in out.stderr
    os.chmod(tmp_path, 0o755)
    script = tmp_path / "not-executable.sh"
    script.write_text("#!/bin/sh\n")
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", str(script))
    assert (out.returncode, out.stderr) == (2, f"seedlock: error[io-error] Cannot run {str(script)!r}: Permission denied\n")


def test_a_lock_resolved_on_this_machine_takes_the_fast_path_which_has_checked_it(tmp_path: Path) -> None:
    # Resolving records versions, device and platform (spec §5.4); they match here, so the start-of-run
    # check has nothing to say and the child is told it ran (SEEDLOCK_RUN_CHECKED).
    lock = _resolved(tmp_path, provenance=True)
    assert json.loads(lock.read_text())["provenance"]["frameworks"]
    assert _launch_fast.stage_environment(str(lock), "train") is not None
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "seedlock", "run", str(lock), "--stage", "train", "--",
                          sys.executable, "-c", "import os; print(os.environ.get('SEEDLOCK_RUN_CHECKED'))"],
                         capture_output=True, text=True, check=True)
    assert out.stdout == "1\n"
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "seedlock._machine" in imported
    assert not imported & {"seedlock.cli", "seedlock.runcheck", "seedlock.provenance", "importlib.metadata",
                           "platform", "argparse", "subprocess"}


def _lock_with(lock: Path, change: str) -> dict[str, Any]:
    """The lock with its provenance changed as a lock made elsewhere (or with inputs) would have it."""
    doc = json.loads(lock.read_text())
    prov = doc["provenance"]
    if change == "numpy version":
        prov["frameworks"]["numpy"] = "1.0.0"
    elif change == "numpy missing here":
        prov["frameworks"]["numpy"] = None  # recorded where numpy was not installed
    elif change == "python version":
        prov["frameworks"]["python"] = "3.0.0"
    elif change == "device":
        prov["device"] = "gpu-nvidia" if prov["device"] == "cpu" else "cpu"
    elif change == "platform":
        prov["platform"] = "Plan9-1-mips"
    elif change == "inputs":
        (lock.parent / "data.csv").write_text("a,b\n")
        doc["manifest"].pop("path")  # inputs are relative to the lock's directory now
        prov["inputs"] = {"data.csv": "0" * 64}
    return doc


@pytest.mark.parametrize("change", ["numpy version", "numpy missing here", "python version", "device", "platform", "inputs"])
def test_a_lock_that_differs_from_this_machine_is_checked_and_reported_before_the_child_starts(tmp_path: Path, change: str) -> None:
    lock = _resolved(tmp_path, provenance=True)
    lock.write_text(json.dumps(_lock_with(lock, change)))
    assert _launch_fast.stage_environment(str(lock), "train") is None
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", sys.executable, "-c", "print('child ran')", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "child ran\n"
    expected = "warning: input data.csv changed since the lock was resolved" if change == "inputs" else "runs on another setup than the lock was made on"
    assert expected in out.stderr
    strict = seedlock_cli("run", str(lock), "--stage", "train", "--strict", "--", sys.executable, "-c", "print('child ran')",
                          cwd=tmp_path)
    assert strict.returncode == 2 and strict.stdout == "" and "error[lock-mismatch]" in strict.stderr


def test_inputs_and_parameter_files_that_hash_as_locked_take_the_fast_path_and_a_changed_one_does_not(tmp_path: Path) -> None:
    import hashlib

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("a,b\n1,2\n")
    (tmp_path / "params.yaml").write_text("lr: 0.1\n")
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": 1, "inputs": ["data"], "params": ["params.yaml"],
                                    "stages": {"train": {"frameworks": ["python", "numpy"]}}}))
    lock = tmp_path / "l.json"
    assert seedlock_cli("resolve", str(manifest), "-o", str(lock), cwd=tmp_path).returncode == 0
    prov = json.loads(lock.read_text())["provenance"]
    assert prov["params"] == {"params.yaml": hashlib.sha256(b"lr: 0.1\n").hexdigest()} and prov["inputs"]["data"]
    assert _launch_fast.stage_environment(str(lock), "train") is not None
    show = ["--", sys.executable, "-c", "import os; print(os.environ['SEEDLOCK_RUN_CHECKED'])"]
    assert seedlock_cli("run", str(lock), "--stage", "train", *show, cwd=tmp_path).stdout == "1\n"
    for changed in (tmp_path / "params.yaml", tmp_path / "data" / "rows.csv"):
        original = changed.read_text()
        changed.write_text(original + "# edited\n")
        assert _launch_fast.stage_environment(str(lock), "train") is None
        out = seedlock_cli("run", str(lock), "--stage", "train", *show, cwd=tmp_path)
        assert out.stdout == "1\n" and "changed since the lock was resolved (not a repeat of the locked run)" in out.stderr
        changed.write_text(original)
    (tmp_path / "data" / "rows.csv").unlink()
    assert _launch_fast.stage_environment(str(lock), "train") is None
    out = seedlock_cli("run", str(lock), "--stage", "train", *show, cwd=tmp_path)
    assert "input data changed since the lock was resolved" in out.stderr  # the directory lost a file
    (tmp_path / "params.yaml").unlink()
    out = seedlock_cli("run", str(lock), "--stage", "train", *show, cwd=tmp_path)
    assert "parameter file params.yaml is missing or unreadable" in out.stderr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_fast_path_takes_a_lock_exactly_when_the_start_of_run_check_finds_nothing(tmp_path: Path, data: st.DataObject) -> None:
    from seedlock.runcheck import check_start

    lock = tmp_path / "base.json"
    if not lock.exists():
        _resolved(tmp_path, provenance=True).rename(lock)
    doc = json.loads(lock.read_text())
    prov = doc["provenance"]
    stage = data.draw(st.sampled_from(["preprocess", "train"]))
    for fw in data.draw(st.lists(st.sampled_from(["python", "numpy", "tensorflow", "torch"]), unique=True)):
        prov["frameworks"][fw] = data.draw(st.sampled_from([None, "0.1", prov["frameworks"].get(fw, "0.2")]))
    for key in data.draw(st.lists(st.sampled_from(["frameworks", "device", "platform"]), unique=True)):
        prov[key] = data.draw(st.sampled_from([None, "", "cpu", "other"] if key != "frameworks" else [None, {}]))
    path = tmp_path / "l.json"
    path.write_text(json.dumps(doc))
    found = check_start(doc, stage, base=tmp_path).differences
    assert (_launch_fast.stage_environment(str(path), stage) is not None) == (not found), (prov, found)


@pytest.mark.parametrize("current", [None, "", "  ", "--xla_cpu_foo=1", "--xla_gpu_deterministic_ops=true",
                                     "--a --xla_gpu_deterministic_ops=true --b"])
def test_appended_launcher_variables_are_the_full_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        current: str | None) -> None:
    from seedlock.frameworks import jax

    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"version": "1.1", "seed": 3, "stages": {"train": {"frameworks": ["jax", "numpy"]}}}))
    lock = tmp_path / "l.json"
    assert seedlock_cli("resolve", str(manifest), "-o", str(lock)).returncode == 0
    if current is None:
        monkeypatch.delenv("XLA_FLAGS", raising=False)
    else:
        monkeypatch.setenv("XLA_FLAGS", current)
    fast = _launch_fast.stage_environment(str(lock), "train")
    assert fast is not None and fast == _full(lock, "train")
    assert fast["XLA_FLAGS"] == jax.with_deterministic_flag(current)


def test_the_command_and_python_m_seedlock_dispatch_alike() -> None:
    # Both try the fast path for `run` before importing the CLI; the two files must not drift apart.
    script = (Path(seedlock.__file__).parents[1] / "bin" / "seedlock").read_text().splitlines()
    module = (Path(seedlock.__file__).parent / "__main__.py").read_text().splitlines()

    def body(lines: list[str]) -> list[str]:
        start = next(i for i, line in enumerate(lines) if line.startswith("if sys.argv[1:2]"))
        return [line.replace("from seedlock.", "from .") for line in lines[start:]]

    assert body(script) == body(module)
