"""Write spec/vectors/ from the hand-authored cases below.

Expected seeds are computed here straight from the formula of SPEC.md §3 (hashlib, no seedlock
import), so the vectors never depend on a binding's implementation. Run from the repository root:

    python3 spec/tools/generate_vectors.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "vectors"
MAX = 2**31 - 1


def d(seed: int, *labels: str) -> int:
    message = f"seedlock/v1:{seed}:{'/'.join(labels)}".encode("ascii")
    return int.from_bytes(hashlib.sha256(message).digest()[:4], "big") & MAX


def canonical_sha(doc: Any) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write(area: str, concept: str, description: str, cases: list[dict[str, Any]]) -> None:
    descriptions = [c["description"] for c in cases]
    assert len(set(descriptions)) == len(descriptions), f"duplicate descriptions in {area}/{concept}"
    doc = {"$schema": "../vectors.schema.json", "area": area, "concept": concept, "description": description, "cases": cases}
    path = OUT / area / f"{concept}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def ok(description: str, seed: int, *labels: str) -> dict[str, Any]:
    return {
        "description": description,
        "input": {"seed": seed, "labels": list(labels)},
        "expected": {"seed": d(seed, *labels), "message": f"seedlock/v1:{seed}:{'/'.join(labels)}"},
    }


def err(description: str, input_: dict[str, Any], code: str, pointer: str = "") -> dict[str, Any]:
    return {"description": description, "input": input_, "error": {"code": code, "pointer": pointer}}


# ---------------------------------------------------------------- derive
basic = [ok(f"seed {s} with label {lab}", s, lab) for s in (42, 1234) for lab in
         ("train", "preprocess", "evaluate", "split", "python", "numpy", "torch", "tensorflow", "r", "caffe")]
basic += [ok("seed 7 with a two-label path", 7, "train", "numpy"), ok("label order matters", 7, "numpy", "train")]
write("derive", "basic", "derive(seed, labels) for everyday stage and framework names", basic)

edge = [ok(f"seed {s} is derived", s, "train") for s in (0, 1, 9, 10, 99, 100, 65535, 65536, 1000000000,
                                                          2147483646, 2147483647)]
edge += [ok("seed 0 with framework label", 0, "numpy"), ok("largest seed with framework label", MAX, "torch")]
write("derive", "edge-seeds", "derive at the edges of the seed domain; decimal has no sign or leading zeros", edge)

long = [
    ok("a label of 63 characters", 42, "a" * 63),
    ok("labels with dot, dash and underscore", 42, "pre-process.v2_final"),
    ok("a numeric label", 42, "0"),
    ok("a label starting with a digit", 42, "9lives"),
    ok("a three-label path", 42, "train", "torch", "rank"),
    ok("the worker path of rank 3 worker 2", 42, "rank", "3", "worker", "2"),
    ok("a path of twenty labels", 42, *[f"l{i}" for i in range(20)]),
    ok("a path of sixty-three-character labels", 2147483647, *["z" * 63] * 4),
    ok("a path of single characters", 5, *"abcdefghij"),
    ok("a path with a repeated label", 5, "train", "train"),
]
write("derive", "long-paths", "derive with long labels and long label paths", long)

errors = [
    err("an empty label list is rejected", {"seed": 42, "labels": []}, "invalid-label"),
    err("an upper-case label is rejected", {"seed": 42, "labels": ["Train"]}, "invalid-label", "/labels/0"),
    err("a label with a space is rejected", {"seed": 42, "labels": ["my stage"]}, "invalid-label", "/labels/0"),
    err("a label starting with a dash is rejected", {"seed": 42, "labels": ["-x"]}, "invalid-label", "/labels/0"),
    err("a label starting with a dot is rejected", {"seed": 42, "labels": [".x"]}, "invalid-label", "/labels/0"),
    err("a label of 64 characters is rejected", {"seed": 42, "labels": ["a" * 64]}, "invalid-label", "/labels/0"),
    err("an empty label is rejected", {"seed": 42, "labels": ["train", ""]}, "invalid-label", "/labels/1"),
    err("a label with a slash is rejected", {"seed": 42, "labels": ["a/b"]}, "invalid-label", "/labels/0"),
    err("a Cyrillic look-alike label is rejected", {"seed": 42, "labels": ["tr\u0430in"]}, "invalid-label", "/labels/0"),
    err("a negative seed is rejected", {"seed": -1, "labels": ["train"]}, "seed-out-of-range"),
    err("seed 2**31 is rejected", {"seed": 2147483648, "labels": ["train"]}, "seed-out-of-range"),
    err("seed 2**32-1 is rejected", {"seed": 4294967295, "labels": ["train"]}, "seed-out-of-range"),
    err("seed 2**64 is rejected", {"seed": "18446744073709551616", "labels": ["train"]}, "seed-out-of-range"),
]
write("derive", "errors", "derive rejects bad labels and seeds outside the domain (big seeds as strings)", errors)

# ---------------------------------------------------------------- workers
F = 1677747947
workers = [
    {"description": "a non-distributed process uses the framework seed", "input": {"seed": F}, "expected": {"seed": F}},
    {"description": "rank 0 of a distributed run", "input": {"seed": F, "rank": 0}, "expected": {"seed": d(F, "rank", "0")}},
    {"description": "rank 3 of a distributed run", "input": {"seed": F, "rank": 3}, "expected": {"seed": d(F, "rank", "3")}},
    {"description": "worker 0 of a non-distributed process", "input": {"seed": F, "worker": 0},
     "expected": {"seed": d(F, "rank", "0", "worker", "0")}},
    {"description": "worker 2 of a non-distributed process", "input": {"seed": F, "worker": 2},
     "expected": {"seed": d(F, "rank", "0", "worker", "2")}},
    {"description": "worker 2 of rank 3", "input": {"seed": F, "rank": 3, "worker": 2},
     "expected": {"seed": d(F, "rank", "3", "worker", "2")}},
    {"description": "worker 1 of rank 1 from seed 0", "input": {"seed": 0, "rank": 1, "worker": 1},
     "expected": {"seed": d(0, "rank", "1", "worker", "1")}},
    {"description": "rank 12 from the largest seed", "input": {"seed": MAX, "rank": 12}, "expected": {"seed": d(MAX, "rank", "12")}},
    err("a negative rank is rejected", {"seed": F, "rank": -1}, "invalid-value"),
    err("a negative worker is rejected", {"seed": F, "worker": -2}, "invalid-value"),
]
def h16(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


test_ids = [
    {"description": f"test id {tid!r}", "input": {"seed": s, "test_id": tid}, "expected": {"seed": d(s, "pytest", h16(tid))}}
    for s, tid in ((F, "tests/test_model.py::test_fit"), (F, "tests/test_model.py::test_fit[cpu-2]"), (0, "test_x.R::split works"),
                   (MAX, "t.py::Test::test_ünïcode"), (7, ""))
]
test_ids += [
    {"description": f"the {phase} phase of {tid!r}", "input": {"seed": s, "test_id": tid, "phase": phase},
     "expected": {"seed": d(s, "pytest", h16(tid)) if phase == "call" else d(d(s, "pytest", h16(tid)), "phase", phase)}}
    for s, tid, phase in ((F, "tests/test_model.py::test_fit", "setup"), (F, "tests/test_model.py::test_fit", "call"),
                          (F, "tests/test_model.py::test_fit", "teardown"), (0, "test_x.R::split works", "setup"),
                          (MAX, "t.py::Test::test_ünïcode", "teardown"))
]
test_ids.append(err("an unknown test phase is rejected", {"seed": F, "test_id": "t.py::test_a", "phase": "collect"},
                    "invalid-value"))
write("workers", "test-ids", "per-test seeds: T = derive(F, pytest, h16(test id)); setup, teardown: derive(T, phase, p)", test_ids)
write("workers", "ranks-and-workers", "seeds of distributed ranks and data-loader workers under a framework seed", workers)


# ---------------------------------------------------------------- resolve
def stage_exp(seed: int, source: str, fws: dict[str, tuple[int, str]], variable: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"seed": seed, "source": source}
    if variable:
        out["variable"] = variable
    out["frameworks"] = {fw: {"seed": s, "source": src} for fw, (s, src) in fws.items()}
    return out


def derived_fws(stage_seed: int, *fws: str) -> dict[str, tuple[int, str]]:
    return {fw: (d(stage_seed, fw), "derived") for fw in fws}


def case(description: str, manifest: dict[str, Any], expected: dict[str, Any], env: dict[str, str] | None = None,
         draws: list[int] | None = None) -> dict[str, Any]:
    inp: dict[str, Any] = {"manifest": manifest, "env": env or {}}
    if draws is not None:
        inp["draws"] = draws
    return {"description": description, "input": inp, "expected": expected}


def unknown_var(variable: str, suggestion: str | None) -> dict[str, Any]:
    return {"code": "unknown-stage-variable", "pointer": "/stages", "variable": variable, "suggestion": suggestion}


def m(seed: Any, stages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"version": "1.0", "seed": seed, "stages": stages, **extra}


S1 = {"train": {"frameworks": ["numpy", "torch"]}}
precedence = [
    case("stage and framework seeds derive from the root", m(42, S1),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(d(42, "train"), "derived", derived_fws(d(42, "train"), "numpy", "torch"))}}),
    case("an explicit stage seed replaces the derived one", m(42, {"train": {"seed": 7, "frameworks": ["numpy"]}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(7, "manifest", derived_fws(7, "numpy"))}}),
    case("an explicit framework seed replaces the derived one",
         m(42, {"train": {"frameworks": ["numpy", "tensorflow"], "seeds": {"tensorflow": 1234}}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(d(42, "train"), "derived",
                                        {"numpy": (d(d(42, "train"), "numpy"), "derived"), "tensorflow": (1234, "manifest")})}}),
    case("frameworks of one stage get distinct seeds", m(0, {"s": {"frameworks": ["python", "numpy", "torch", "tensorflow", "r", "caffe"]}}),
         {"root": {"seed": 0, "source": "manifest"},
          "stages": {"s": stage_exp(d(0, "s"), "derived", derived_fws(d(0, "s"), "python", "numpy", "torch", "tensorflow", "r", "caffe"))}}),
    case("adding a stage does not change another stage's seed",
         m(42, {"alpha": {"frameworks": ["numpy"]}, "train": {"frameworks": ["numpy", "torch"]}, "zeta": {"frameworks": ["numpy"]}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"alpha": stage_exp(d(42, "alpha"), "derived", derived_fws(d(42, "alpha"), "numpy")),
                     "train": stage_exp(d(42, "train"), "derived", derived_fws(d(42, "train"), "numpy", "torch")),
                     "zeta": stage_exp(d(42, "zeta"), "derived", derived_fws(d(42, "zeta"), "numpy"))}}),
    case("an integral float seed is the integer", m(42.0, {"train": {"seed": 7.0, "frameworks": ["numpy"], "seeds": {"numpy": 4.2e1}}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(7, "manifest", {"numpy": (42, "manifest")})}}),
    case("inputs and params do not change seeds",
         m(42, S1, inputs=["data"], params=["params.yaml"], allow_external_paths=False),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(d(42, "train"), "derived", derived_fws(d(42, "train"), "numpy", "torch"))}}),
    case("the seed document's classic pipeline",
         m(42, {"preprocess": {"frameworks": ["numpy"], "seeds": {"numpy": 42}},
                "train": {"frameworks": ["numpy", "tensorflow"], "seeds": {"numpy": 42, "tensorflow": 1234}}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"preprocess": stage_exp(d(42, "preprocess"), "derived", {"numpy": (42, "manifest")}),
                     "train": stage_exp(d(42, "train"), "derived", {"numpy": (42, "manifest"), "tensorflow": (1234, "manifest")})}}),
]
write("resolve", "precedence", "manifest seeds over derived ones; derivation by name", precedence)

env_cases = [
    case("SEEDLOCK_SEED overrides the manifest root seed", m(42, S1),
         {"root": {"seed": 5, "source": "env", "variable": "SEEDLOCK_SEED"},
          "stages": {"train": stage_exp(d(5, "train"), "derived", derived_fws(d(5, "train"), "numpy", "torch"))}},
         env={"SEEDLOCK_SEED": "5"}),
    case("a stage variable overrides the stage seed", m(42, {"train": {"seed": 7, "frameworks": ["numpy"]}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(99, "env", derived_fws(99, "numpy"), variable="SEEDLOCK_SEED_TRAIN")}},
         env={"SEEDLOCK_SEED_TRAIN": "99"}),
    case("a stage variable overrides a derived stage seed", m(42, S1),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(0, "env", derived_fws(0, "numpy", "torch"), variable="SEEDLOCK_SEED_TRAIN")}},
         env={"SEEDLOCK_SEED_TRAIN": "0"}),
    case("dash and dot in a stage name become underscores", m(42, {"pre-process.v2": {"frameworks": ["numpy"]}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"pre-process.v2": stage_exp(11, "env", derived_fws(11, "numpy"), variable="SEEDLOCK_SEED_PRE_PROCESS_V2")}},
         env={"SEEDLOCK_SEED_PRE_PROCESS_V2": "11"}),
    case("an empty variable is treated as unset", m(42, S1),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(d(42, "train"), "derived", derived_fws(d(42, "train"), "numpy", "torch"))}},
         env={"SEEDLOCK_SEED": "", "SEEDLOCK_SEED_TRAIN": ""}),
    case("the largest seed from a variable", m(42, S1),
         {"root": {"seed": MAX, "source": "env", "variable": "SEEDLOCK_SEED"},
          "stages": {"train": stage_exp(d(MAX, "train"), "derived", derived_fws(d(MAX, "train"), "numpy", "torch"))}},
         env={"SEEDLOCK_SEED": "2147483647"}),
    case("unrelated variables are ignored", m(42, {"train": {"frameworks": ["numpy"]}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(d(42, "train"), "derived", derived_fws(d(42, "train"), "numpy"))}},
         env={"SEEDLOCK_SEEDS": "x", "PATH": "/bin", "SEEDLOCK_SEED_": ""}),
    case("a variable of no stage is reported with the stage meant", m(42, {"train": {"frameworks": ["numpy"]}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(d(42, "train"), "derived", derived_fws(d(42, "train"), "numpy"))},
          "warnings": [unknown_var("SEEDLOCK_SEED_TRIAN", "train")]},
         env={"SEEDLOCK_SEED_TRIAN": "5"}),
    case("variables of no stage are reported in name order",
         m(42, {"train": {"frameworks": ["numpy"]}, "pre-process": {"frameworks": ["numpy"]}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(d(42, "train"), "derived", derived_fws(d(42, "train"), "numpy")),
                     "pre-process": stage_exp(3, "env", derived_fws(3, "numpy"), variable="SEEDLOCK_SEED_PRE_PROCESS")},
          "warnings": [unknown_var("SEEDLOCK_SEED_OTHER", None), unknown_var("SEEDLOCK_SEED_PREPROCESS", "pre-process"),
                       unknown_var("SEEDLOCK_SEED_train", "train")]},
         env={"SEEDLOCK_SEED_train": "1", "SEEDLOCK_SEED_PRE_PROCESS": "3", "SEEDLOCK_SEED_PREPROCESS": "2",
              "SEEDLOCK_SEED_OTHER": "generate"}),
    case("an empty variable of no stage is not reported", m(42, {"train": {"frameworks": ["numpy"]}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"train": stage_exp(d(42, "train"), "derived", derived_fws(d(42, "train"), "numpy"))}},
         env={"SEEDLOCK_SEED_TRIAN": ""}),
    err("a variable of no stage is an error in strict mode",
        {"manifest": m(42, S1), "env": {"SEEDLOCK_SEED_TRIAN": "5", "SEEDLOCK_SEED_EVAL": "1"}, "strict": True},
        "unknown-stage-variable", "/stages"),
    err("a variable with a sign is rejected", {"manifest": m(42, S1), "env": {"SEEDLOCK_SEED": "+5"}}, "invalid-env-value", "/seed"),
    err("a negative variable is rejected", {"manifest": m(42, S1), "env": {"SEEDLOCK_SEED": "-5"}}, "invalid-env-value", "/seed"),
    err("a variable with spaces is rejected", {"manifest": m(42, S1), "env": {"SEEDLOCK_SEED": " 5"}}, "invalid-env-value", "/seed"),
    err("a hexadecimal variable is rejected", {"manifest": m(42, S1), "env": {"SEEDLOCK_SEED": "0x2a"}}, "invalid-env-value", "/seed"),
    err("a variable above 2**31-1 is rejected", {"manifest": m(42, S1), "env": {"SEEDLOCK_SEED": "2147483648"}}, "invalid-env-value", "/seed"),
    err("a variable with leading zeros is rejected", {"manifest": m(42, S1), "env": {"SEEDLOCK_SEED": "042"}}, "invalid-env-value", "/seed"),
    err("a variable with an exponent is rejected", {"manifest": m(42, S1), "env": {"SEEDLOCK_SEED": "4e1"}}, "invalid-env-value", "/seed"),
    err("a malformed stage variable is rejected", {"manifest": m(42, S1), "env": {"SEEDLOCK_SEED_TRAIN": "seven"}},
        "invalid-env-value", "/stages/train/seed"),
    err("a huge stage variable is rejected", {"manifest": m(42, S1), "env": {"SEEDLOCK_SEED_TRAIN": "99999999999999999999999"}},
        "invalid-env-value", "/stages/train/seed"),
]
write("resolve", "env", "environment variables override the values they shadow; malformed values are errors", env_cases)

generate = [
    case("a generated root seed comes from the CSPRNG", m("generate", S1),
         {"root": {"seed": 123456, "source": "generated"},
          "stages": {"train": stage_exp(d(123456, "train"), "derived", derived_fws(d(123456, "train"), "numpy", "torch"))}},
         draws=[123456]),
    case("SEEDLOCK_SEED=generate replaces a manifest seed", m(42, S1),
         {"root": {"seed": 77, "source": "generated"},
          "stages": {"train": stage_exp(d(77, "train"), "derived", derived_fws(d(77, "train"), "numpy", "torch"))}},
         env={"SEEDLOCK_SEED": "generate"}, draws=[77]),
    case("a generated stage seed", m(42, {"a": {"seed": "generate", "frameworks": ["numpy"]}, "b": {"frameworks": ["numpy"]}}),
         {"root": {"seed": 42, "source": "manifest"},
          "stages": {"a": stage_exp(2147483647, "generated", derived_fws(2147483647, "numpy")),
                     "b": stage_exp(d(42, "b"), "derived", derived_fws(d(42, "b"), "numpy"))}},
         draws=[2147483647]),
    case("an environment seed replaces a generate in the manifest", m("generate", S1),
         {"root": {"seed": 3, "source": "env", "variable": "SEEDLOCK_SEED"},
          "stages": {"train": stage_exp(d(3, "train"), "derived", derived_fws(d(3, "train"), "numpy", "torch"))}},
         env={"SEEDLOCK_SEED": "3"}, draws=[]),
    case("root and stage draws happen in order root then stages by name",
         m("generate", {"b": {"seed": "generate", "frameworks": ["numpy"]}, "a": {"seed": "generate", "frameworks": ["numpy"]}}),
         {"root": {"seed": 1, "source": "generated"},
          "stages": {"a": stage_exp(2, "generated", derived_fws(2, "numpy")),
                     "b": stage_exp(3, "generated", derived_fws(3, "numpy"))}},
         draws=[1, 2, 3]),
]
write("resolve", "generate", "\"generate\" draws from the OS CSPRNG at resolve time; draws lists what it returns", generate)


# ---------------------------------------------------------------- lock
def full_lock(manifest: dict[str, Any], root: dict[str, Any], stages: dict[str, Any]) -> dict[str, Any]:
    return {"lock-version": "1.0", "derivation": "sha256-v1", "root": root, "stages": stages,
            "manifest": {"sha256": canonical_sha(manifest)}, "rules": 2}


DEFAULTS = {
    "python": {"hash_seed": True}, "numpy": {"bit_generator": "PCG64"},
    "torch": {"deterministic": True, "warn_only": False, "num_threads": None},
    "tensorflow": {"op_determinism": True},
    "r": {"kind": "Mersenne-Twister", "normal_kind": "Inversion", "sample_kind": "Rejection"}, "caffe": {"solvers": []},
    "jax": {"prng_impl": "threefry2x32", "threefry_partitionable": True, "deterministic_ops": True},
}


def fw_entry(seed: int, source: str, fw: str, **settings: Any) -> dict[str, Any]:
    return {"seed": seed, "source": source, "settings": {**DEFAULTS[fw], **settings}}


classic = m(42, {"preprocess": {"frameworks": ["numpy"], "seeds": {"numpy": 42}},
                 "train": {"frameworks": ["numpy", "tensorflow"], "seeds": {"numpy": 42, "tensorflow": 1234}}})
T = d(42, "train")
settings_manifest = m(7, {"train": {"frameworks": ["torch", "numpy", "r"], "settings": {"torch": {"num_threads": 1}}}},
                      settings={"torch": {"deterministic": False}, "numpy": {"bit_generator": "MT19937"},
                                "r": {"sample_kind": "Rounding"}, "python": {"hash_seed": False}})
T7 = d(7, "train")
reordered = json.loads('{"stages": {"b": {"frameworks": ["numpy"]}, "a": {"frameworks": ["numpy"]}}, "seed": 1, "version": "1.0"}')
lock_cases = [
    {"description": "the classic pipeline locks with explicit seeds and defaults", "input": {"manifest": classic, "env": {}},
     "expected": {"lock": full_lock(classic, {"seed": 42, "source": "manifest"}, {
         "preprocess": {"seed": d(42, "preprocess"), "source": "derived", "frameworks": {"numpy": fw_entry(42, "manifest", "numpy")}},
         "train": {"seed": T, "source": "derived", "frameworks": {
             "numpy": fw_entry(42, "manifest", "numpy"), "tensorflow": fw_entry(1234, "manifest", "tensorflow")}}})}},
    {"description": "settings merge defaults, top level and stage", "input": {"manifest": settings_manifest, "env": {}},
     "expected": {"lock": full_lock(settings_manifest, {"seed": 7, "source": "manifest"}, {
         "train": {"seed": T7, "source": "derived", "frameworks": {
             "torch": fw_entry(d(T7, "torch"), "derived", "torch", deterministic=False, num_threads=1),
             "numpy": fw_entry(d(T7, "numpy"), "derived", "numpy", bit_generator="MT19937"),
             "r": fw_entry(d(T7, "r"), "derived", "r", sample_kind="Rounding")}}})}},
    {"description": "member order does not change the manifest hash", "input": {"manifest": reordered, "env": {}},
     "expected": {"lock": full_lock(reordered, {"seed": 1, "source": "manifest"}, {
         "b": {"seed": d(1, "b"), "source": "derived", "frameworks": {"numpy": fw_entry(d(d(1, "b"), "numpy"), "derived", "numpy")}},
         "a": {"seed": d(1, "a"), "source": "derived", "frameworks": {"numpy": fw_entry(d(d(1, "a"), "numpy"), "derived", "numpy")}}})}},
    {"description": "an environment seed is recorded with its variable", "input": {"manifest": m(42, S1), "env": {"SEEDLOCK_SEED_TRAIN": "8"}},
     "expected": {"lock": full_lock(m(42, S1), {"seed": 42, "source": "manifest"}, {
         "train": {"seed": 8, "source": "env", "variable": "SEEDLOCK_SEED_TRAIN", "frameworks": {
             "numpy": fw_entry(d(8, "numpy"), "derived", "numpy"), "torch": fw_entry(d(8, "torch"), "derived", "torch")}}})}},
    {"description": "unicode in a description is hashed as UTF-8",
     "input": {"manifest": m(3, {"s": {"frameworks": ["python"], "description": "Zürich \u2192 δ \"q\"\n"}}), "env": {}},
     "expected": {"lock": full_lock(m(3, {"s": {"frameworks": ["python"], "description": "Zürich \u2192 δ \"q\"\n"}}),
                                    {"seed": 3, "source": "manifest"}, {
         "s": {"seed": d(3, "s"), "source": "derived", "frameworks": {"python": fw_entry(d(d(3, "s"), "python"), "derived", "python")}}})}},
]
# An integral float hashes as the integer it denotes.
lock_cases.append({"description": "an integral float seed hashes as the integer", "input": {"manifest": m(42.0, S1), "env": {}},
                   "expected": {"lock": full_lock(m(42, S1), {"seed": 42, "source": "manifest"}, {
                       "train": {"seed": T, "source": "derived", "frameworks": {
                           "numpy": fw_entry(d(T, "numpy"), "derived", "numpy"), "torch": fw_entry(d(T, "torch"), "derived", "torch")}}})}})
write("lock", "manifest-to-lock", "a manifest resolves to this lock (provenance and manifest path left out)", lock_cases)


# ---------------------------------------------------------------- query
# Asking a resolved lock for one framework's seed in one stage: the seed, or which error.
query_manifest = m(42, {"train": {"frameworks": ["numpy", "torch"], "seeds": {"torch": 5}}, "eval": {"frameworks": ["r"]}})
QT = d(42, "train")
queries = [
    {"description": "a derived framework seed is answered",
     "input": {"manifest": query_manifest, "env": {}, "stage": "train", "framework": "numpy"}, "expected": {"seed": d(QT, "numpy")}},
    {"description": "an explicit framework seed is answered",
     "input": {"manifest": query_manifest, "env": {}, "stage": "train", "framework": "torch"}, "expected": {"seed": 5}},
    {"description": "the r seed of another stage is answered",
     "input": {"manifest": query_manifest, "env": {}, "stage": "eval", "framework": "r"}, "expected": {"seed": d(d(42, "eval"), "r")}},
    err("a stage the lock does not have is unknown-stage",
        {"manifest": query_manifest, "env": {}, "stage": "deploy", "framework": "numpy"}, "unknown-stage", "/stages/deploy"),
    err("a framework the stage does not list is framework-not-in-stage",
        {"manifest": query_manifest, "env": {}, "stage": "eval", "framework": "numpy"}, "framework-not-in-stage", "/stages/eval/frameworks"),
    err("a framework of another stage is framework-not-in-stage",
        {"manifest": query_manifest, "env": {}, "stage": "train", "framework": "r"}, "framework-not-in-stage", "/stages/train/frameworks"),
]
write("query", "stage-seeds", "one framework's seed in one stage of a lock, or why there is none", queries)


# ---------------------------------------------------------------- invalid
def bad(description: str, document: Any, code: str, pointer: str = "", kind: str = "manifest") -> dict[str, Any]:
    return err(description, {"kind": kind, "document": document}, code, pointer)


def bad_text(description: str, text: str, code: str, pointer: str = "", kind: str = "manifest") -> dict[str, Any]:
    return err(description, {"kind": kind, "text": text}, code, pointer)


def at(case_: dict[str, Any], line: int, column: int) -> dict[str, Any]:
    case_["error"].update(line=line, column=column)
    return case_


def several(description: str, document: Any, faults: list[tuple[str, str]], kind: str = "manifest") -> dict[str, Any]:
    return {"description": description, "input": {"kind": kind, "document": document},
            "errors": [{"code": code, "pointer": pointer} for code, pointer in faults]}


def good(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["numpy"]}}}
    doc.update(changes)
    return doc


def stage(**fields: Any) -> dict[str, Any]:
    return good(stages={"train": {"frameworks": ["numpy"], **fields}})


syntax = [
    bad_text("an empty file is rejected", "", "invalid-json"),
    bad_text("white space only is rejected", "  \n", "invalid-json"),
    bad_text("truncated JSON is rejected", '{"version": "1.0", "seed": 4', "invalid-json"),
    at(bad_text("a trailing comma is rejected", '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}},}',
                "invalid-json"), 1, 74),
    at(bad_text("a trailing comma is placed at the comma",
                '{\n  "version": "1.0",\n  "seed": 42,\n  "stages": {"t": {"frameworks": ["numpy",]}}\n}', "invalid-json"), 4, 42),
    at(bad_text("a missing comma is placed at the next member",
                '{\n  "version": "1.0"\n  "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}', "invalid-json"), 3, 3),
    at(bad_text("a truncated document is placed one past its end", '{"version": "1.0",\n "seed": 4', "invalid-json"), 2, 11),
    at(bad_text("columns count characters not bytes",
                '{"description": "ééé", "version": "1.0" "seed": 1, "stages": {"t": {"frameworks": ["r"]}}}',
                "invalid-json"), 1, 41),
    at(bad_text("an unterminated string is placed at its quote",
                '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy]}}}', "invalid-json"), 1, 64),
    at(bad_text("a form feed is not white space",
                '{\f"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}', "invalid-json"), 1, 2),
    at(bad_text("a vertical tab is not white space",
                '{"version": "1.0",\u000b "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}', "invalid-json"), 1, 19),
    at(bad_text("a no-break space is not white space",
                '{"version": "1.0",\u00a0"seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}', "invalid-json"), 1, 19),
    at(bad_text("a stray quote after the document is rejected",
                '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}"', "invalid-json"), 1, 75),
    at(bad_text("an unterminated string after the document is rejected",
                '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}\n"abc', "invalid-json"), 2, 1),
    at(bad_text("a string after the document is rejected",
                '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}} "abc"', "invalid-json"), 1, 76),
    at(bad_text("a raw tab inside a string is rejected",
                '{"version": "1.0", "description": "a\tb", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json"), 1, 37),
    bad_text("a comment is rejected", '// seeds\n{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}', "invalid-json"),
    at(bad_text("a NaN seed is rejected", '{"version": "1.0", "seed": NaN, "stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json"), 1, 28),
    at(bad_text("an Infinity seed is rejected", '{"version": "1.0", "seed": Infinity, "stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json"), 1, 28),
    at(bad_text("a negative Infinity is placed at its sign",
                '{"version": "1.0", "description": "NaN",\n "seed": -Infinity, "stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json"), 2, 10),
    bad_text("text after the document is rejected", '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}} x', "invalid-json"),
    bad_text("a duplicate seed key is rejected", '{"version": "1.0", "seed": 1, "seed": 2, "stages": {"t": {"frameworks": ["numpy"]}}}',
             "duplicate-key", "/seed"),
    bad_text("a duplicate stage name is rejected",
             '{"version": "1.0", "seed": 1, "stages": {"t": {"frameworks": ["numpy"]}, "t": {"frameworks": ["torch"]}}}',
             "duplicate-key", "/stages/t"),
    bad_text("a duplicate key deep inside is rejected",
             '{"version": "1.0", "seed": 1, "stages": {"t": {"frameworks": ["numpy"], "seeds": {"numpy": 1, "numpy": 2}}}}',
             "duplicate-key", "/stages/t/seeds/numpy"),
    bad_text("nesting deeper than 64 levels is rejected",
             '{"version": "1.0", "seed": ' + "[" * 64 + "]" * 64 + ', "stages": {"t": {"frameworks": ["numpy"]}}}', "invalid-json"),
    bad_text("nesting of 64 levels is parsed and then typed",
             '{"version": "1.0", "seed": ' + "[" * 63 + "]" * 63 + ', "stages": {"t": {"frameworks": ["numpy"]}}}',
             "invalid-type", "/seed"),
    bad_text("brackets inside strings do not count as nesting",
             '{"version": "1.0", "seed": 42.5, "description": "' + "[" * 100 + '", "stages": {"t": {"frameworks": ["numpy"]}}}',
             "invalid-type", "/seed"),
    bad_text("an unpaired surrogate escape is rejected",
             '{"version": "1.0", "seed": 1, "description": "\\ud800", "stages": {"t": {"frameworks": ["numpy"]}}}', "invalid-json"),
    bad_text("a lone low surrogate escape is rejected",
             '{"version": "1.0", "seed": 1, "description": "x\\udc00", "stages": {"t": {"frameworks": ["numpy"]}}}', "invalid-json"),
    bad_text("an escaped backslash before u is not an escape",
             '{"version": "1.0", "seed": true, "description": "\\\\ud800", "stages": {"t": {"frameworks": ["numpy"]}}}',
             "invalid-type", "/seed"),
    bad("a top-level array is rejected", [1, 2], "invalid-type"),
    bad("a top-level number is rejected", 42, "invalid-type"),
]
write("invalid", "json-syntax", "JSON-level faults: syntax, non-standard literals, duplicate keys", syntax)

top = [
    bad("a missing version is rejected", {"seed": 42, "stages": {"train": {"frameworks": ["numpy"]}}}, "missing-field", "/version"),
    bad("a missing seed is rejected", {"version": "1.0", "stages": {"train": {"frameworks": ["numpy"]}}}, "missing-field", "/seed"),
    bad("missing stages are rejected", {"version": "1.0", "seed": 42}, "missing-field", "/stages"),
    bad("a misspelt top-level field is rejected", good(sed=1), "unknown-field", "/sed"),
    bad("a numeric version is rejected", good(version=1.0), "invalid-type", "/version"),
    bad("a malformed version is rejected", good(version="one"), "invalid-value", "/version"),
    bad("a version without a minor part is rejected", good(version="1"), "invalid-value", "/version"),
    bad("major version 2 is unsupported", good(version="2.0"), "unsupported-version", "/version"),
    bad("a later minor version is unsupported", good(version="1.3"), "unsupported-version", "/version"),
    bad("a version with a leading zero is rejected", good(version="01.0"), "invalid-value", "/version"),
    bad("a minor version with a leading zero is rejected", good(version="1.00"), "invalid-value", "/version"),
    bad("a version with a sign is rejected", good(version="+1.0"), "invalid-value", "/version"),
    bad("a version with white space is rejected", good(version="1.0 "), "invalid-value", "/version"),
    bad("an unknown derivation is rejected", good(derivation="md5-v1"), "unknown-derivation", "/derivation"),
    bad("a numeric derivation is rejected", good(derivation=1), "invalid-type", "/derivation"),
    bad("an empty stages object is rejected", good(stages={}), "invalid-value", "/stages"),
    bad("stages as an array is rejected", good(stages=[{"frameworks": ["numpy"]}]), "invalid-type", "/stages"),
    bad("a numeric description is rejected", good(description=5), "invalid-type", "/description"),
    bad("inputs as a string are rejected", good(inputs="data.csv"), "invalid-type", "/inputs"),
    bad("an empty params path is rejected", good(params=["p.yaml", ""]), "invalid-value", "/params/1"),
    bad("a numeric input path is rejected", good(inputs=[3]), "invalid-type", "/inputs/0"),
    bad("a string allow_external_paths is rejected", good(allow_external_paths="yes"), "invalid-type", "/allow_external_paths"),
]
write("invalid", "manifest-structure", "a manifest's top-level members: required, known, well typed", top)

seeds = [
    bad("a boolean seed is rejected", good(seed=True), "invalid-type", "/seed"),
    bad("a null seed is rejected", good(seed=None), "invalid-type", "/seed"),
    bad("a negative seed is rejected", good(seed=-1), "seed-out-of-range", "/seed"),
    bad("seed 2**31 is rejected", good(seed=2147483648), "seed-out-of-range", "/seed"),
    bad("seed 2**32 is rejected", good(seed=4294967296), "seed-out-of-range", "/seed"),
    bad("a non-integral seed is rejected", good(seed=42.5), "invalid-type", "/seed"),
    bad("a quoted number seed is rejected", good(seed="42"), "invalid-seed", "/seed"),
    bad("a misspelt generate is rejected", good(seed="Generate"), "invalid-seed", "/seed"),
    bad("an object seed is rejected", good(seed={"value": 42}), "invalid-type", "/seed"),
    bad("a negative stage seed is rejected", stage(seed=-7), "seed-out-of-range", "/stages/train/seed"),
    bad("a boolean stage seed is rejected", stage(seed=False), "invalid-type", "/stages/train/seed"),
    bad("a framework seed of generate is rejected", stage(seeds={"numpy": "generate"}), "invalid-seed", "/stages/train/seeds/numpy"),
    bad("a framework seed above the domain is rejected", stage(seeds={"numpy": 2147483648}), "seed-out-of-range",
        "/stages/train/seeds/numpy"),
    bad("a non-integral framework seed is rejected", stage(seeds={"numpy": 0.5}), "invalid-type", "/stages/train/seeds/numpy"),
    bad_text("a seed of 1e400 is out of range", '{"version": "1.0", "seed": 1e400, "stages": {"t": {"frameworks": ["numpy"]}}}',
             "seed-out-of-range", "/seed"),
    bad_text("a seed of 4301 digits is out of range", '{"version": "1.0", "seed": 1' + "0" * 4300
             + ', "stages": {"t": {"frameworks": ["numpy"]}}}', "seed-out-of-range", "/seed"),
    bad_text("a negative seed of 5000 digits is out of range", '{"version": "1.0", "seed": -' + "9" * 5000
             + ', "stages": {"t": {"frameworks": ["numpy"]}}}', "seed-out-of-range", "/seed"),
    bad_text("a seed of 400 digits is out of range", '{"version": "1.0", "seed": ' + "7" * 400
             + ', "stages": {"t": {"frameworks": ["numpy"]}}}', "seed-out-of-range", "/seed"),
    bad_text("a seed of 1e-400 is not an integer", '{"version": "1.0", "seed": 1e-400, "stages": {"t": {"frameworks": ["numpy"]}}}',
             "invalid-type", "/seed"),
    bad_text("a framework seed of 1.0000000000000000001 is not an integer",
             '{"version": "1.0", "seed": 1, "stages": {"t": {"frameworks": ["numpy"], "seeds": {"numpy": 1.0000000000000000001}}}}',
             "invalid-type", "/stages/t/seeds/numpy"),
    bad_text("a seed of 5e-1 is not an integer", '{"version": "1.0", "seed": 5e-1, "stages": {"t": {"frameworks": ["numpy"]}}}',
             "invalid-type", "/seed"),
]
write("invalid", "seeds", "seeds must be integers in [0, 2147483647] (or \"generate\" where allowed)", seeds)

stages = [
    bad("an upper-case stage name is rejected", good(stages={"Train": {"frameworks": ["numpy"]}}), "invalid-label", "/stages/Train"),
    bad("a stage name with a space is rejected", good(stages={"my stage": {"frameworks": ["numpy"]}}), "invalid-label", "/stages/my stage"),
    bad("a stage name with a slash is rejected", good(stages={"a/b": {"frameworks": ["numpy"]}}), "invalid-label", "/stages/a~1b"),
    bad("a stage that is not an object is rejected", good(stages={"train": ["numpy"]}), "invalid-type", "/stages/train"),
    bad("a stage without frameworks is rejected", good(stages={"train": {"seed": 1}}), "missing-field", "/stages/train/frameworks"),
    bad("an empty framework list is rejected", stage(frameworks=[]), "invalid-value", "/stages/train/frameworks"),
    bad("frameworks as a string is rejected", stage(frameworks="numpy"), "invalid-type", "/stages/train/frameworks"),
    bad("an unknown framework is rejected", stage(frameworks=["numpy", "jax"]), "unknown-framework", "/stages/train/frameworks/1"),
    bad("a capitalised framework is rejected", stage(frameworks=["NumPy"]), "unknown-framework", "/stages/train/frameworks/0"),
    bad("a repeated framework is rejected", stage(frameworks=["numpy", "torch", "numpy"]), "duplicate-framework",
        "/stages/train/frameworks/2"),
    bad("a seed for an unlisted framework is rejected", stage(seeds={"torch": 1}), "unlisted-framework", "/stages/train/seeds/torch"),
    bad("a seed for an unknown framework is rejected", stage(seeds={"jax": 1}), "unknown-framework", "/stages/train/seeds/jax"),
    bad("a misspelt stage field is rejected", stage(seeeds={"numpy": 1}), "unknown-field", "/stages/train/seeeds"),
    bad("seeds as an array is rejected", stage(seeds=[1]), "invalid-type", "/stages/train/seeds"),
    bad("two stages with one variable are rejected",
        good(stages={"pre-process": {"frameworks": ["numpy"]}, "pre_process": {"frameworks": ["numpy"]}}),
        "env-name-collision", "/stages/pre_process"),
    bad("dot and dash stage names that collide are rejected",
        good(stages={"a.b": {"frameworks": ["numpy"]}, "a-b": {"frameworks": ["numpy"]}}), "env-name-collision", "/stages/a.b"),
]
write("invalid", "stages", "stage names, framework lists and explicit framework seeds", stages)

settings_bad = [
    bad("settings for an unknown framework are rejected", good(settings={"jax": {}}), "unknown-framework", "/settings/jax"),
    bad("an unknown settings member is rejected", good(settings={"torch": {"determinstic": True}}), "unknown-field",
        "/settings/torch/determinstic"),
    bad("a string boolean setting is rejected", good(settings={"torch": {"deterministic": "yes"}}), "invalid-type",
        "/settings/torch/deterministic"),
    bad("an unknown bit generator is rejected", good(settings={"numpy": {"bit_generator": "pcg64"}}), "invalid-value",
        "/settings/numpy/bit_generator"),
    bad("zero threads are rejected", good(settings={"torch": {"num_threads": 0}}), "invalid-value", "/settings/torch/num_threads"),
    bad("fractional threads are rejected", good(settings={"torch": {"num_threads": 1.5}}), "invalid-type", "/settings/torch/num_threads"),
    bad("an unknown R kind is rejected", good(settings={"r": {"kind": "Mersenne Twister"}}), "invalid-value", "/settings/r/kind"),
    bad("an unknown R sample kind is rejected", good(settings={"r": {"sample_kind": "rejection"}}), "invalid-value",
        "/settings/r/sample_kind"),
    bad("stage settings for an unlisted framework are rejected", stage(settings={"torch": {"num_threads": 1}}),
        "unlisted-framework", "/stages/train/settings/torch"),
    bad("settings that are not an object are rejected", good(settings={"numpy": "PCG64"}), "invalid-type", "/settings/numpy"),
    bad("caffe solvers as a string are rejected", good(settings={"caffe": {"solvers": "solver.prototxt"}}), "invalid-type",
        "/settings/caffe/solvers"),
    bad("an empty caffe solver path is rejected", good(settings={"caffe": {"solvers": ["a.prototxt", ""]}}), "invalid-value",
        "/settings/caffe/solvers/1"),
]
write("invalid", "settings", "framework settings: known frameworks, known members, typed values", settings_bad)

N = d(42, "train")
valid_lock = {
    "lock-version": "1.0", "derivation": "sha256-v1", "root": {"seed": 42, "source": "manifest"},
    "stages": {"train": {"seed": N, "source": "derived", "frameworks": {
        "numpy": {"seed": d(N, "numpy"), "source": "derived", "settings": {"bit_generator": "PCG64"}}}}},
    "manifest": {"sha256": "0" * 64},
}


def lock_with(path: list[str], value: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(valid_lock))
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DELETE = object()
locks = [
    bad("a lock with a wrong derived stage seed is rejected", lock_with(["stages", "train", "seed"], N + 1), "lock-mismatch",
        "/stages/train/seed", kind="lock"),
    bad("a lock with a wrong derived framework seed is rejected",
        lock_with(["stages", "train", "frameworks", "numpy", "seed"], 5), "lock-mismatch", "/stages/train/frameworks/numpy/seed", kind="lock"),
    bad("a lock without a manifest hash is rejected", lock_with(["manifest", "sha256"], _DELETE), "missing-field", "/manifest/sha256",
        kind="lock"),
    bad("a lock with a short manifest hash is rejected", lock_with(["manifest", "sha256"], "abc"), "invalid-value", "/manifest/sha256",
        kind="lock"),
    bad("a lock of an unsupported version is rejected", lock_with(["lock-version"], "2.0"), "unsupported-version", "/lock-version",
        kind="lock"),
    bad("a lock version with a leading zero is rejected", lock_with(["lock-version"], "1.00"), "invalid-value", "/lock-version",
        kind="lock"),
    bad("a lock with an unknown source is rejected", lock_with(["root", "source"], "guessed"), "invalid-value", "/root/source", kind="lock"),
    bad("a lock env seed without its variable is rejected", lock_with(["root", "source"], "env"), "missing-field", "/root/variable",
        kind="lock"),
    bad("a lock with a derived root is rejected", lock_with(["root", "source"], "derived"), "invalid-value", "/root/source", kind="lock"),
    bad("a lock missing framework settings is rejected", lock_with(["stages", "train", "frameworks", "numpy", "settings"], {}),
        "missing-field", "/stages/train/frameworks/numpy/settings/bit_generator", kind="lock"),
    bad("a lock with an out-of-range seed is rejected", lock_with(["root", "seed"], -3), "seed-out-of-range", "/root/seed", kind="lock"),
    bad("a lock with generate as a seed is rejected", lock_with(["root", "seed"], "generate"), "invalid-seed", "/root/seed", kind="lock"),
    bad("a lock with an unknown member is rejected", lock_with(["seeds"], {}), "unknown-field", "/seeds", kind="lock"),
    bad("a lock with rules as a string is rejected", lock_with(["rules"], "2"), "invalid-type", "/rules", kind="lock"),
    bad("a lock with rules 3 is rejected", lock_with(["rules"], 3), "unsupported-version", "/rules", kind="lock"),
    bad("a lock with rules 0 is rejected", lock_with(["rules"], 0), "unsupported-version", "/rules", kind="lock"),
    bad("a lock with an unknown framework is rejected",
        lock_with(["stages", "train", "frameworks", "jax"], {"seed": 1, "source": "manifest", "settings": {}}),
        "unknown-framework", "/stages/train/frameworks/jax", kind="lock"),
]
write("invalid", "locks", "locks are validated like manifests and checked for integrity", locks)

faults = [
    several("faults are listed in document order",
            {"version": "1.0", "sed": 4, "seed": "x",
             "stages": {"train": {"frameworks": ["nunpy", "torch"], "seeds": {"torch": -1}}, "Eval": {"frameworks": ["r"]}}},
            [("unknown-field", "/sed"), ("invalid-seed", "/seed"), ("unknown-framework", "/stages/train/frameworks/0"),
             ("seed-out-of-range", "/stages/train/seeds/torch"), ("invalid-label", "/stages/Eval")]),
    several("a missing member sorts after its object's members",
            {"stages": {"b": {"seed": 1}, "a": {"frameworks": ["numpy"], "sed": 2}}, "seed": 1.5},
            [("missing-field", "/stages/b/frameworks"), ("unknown-field", "/stages/a/sed"), ("invalid-type", "/seed"),
             ("missing-field", "/version")]),
    several("later array elements keep their pointers",
            good(stages={"train": {"frameworks": ["jax", "numpy", "numpy", "flax"]}}, inputs=["", "a", 3]),
            [("unknown-framework", "/stages/train/frameworks/0"), ("duplicate-framework", "/stages/train/frameworks/2"),
             ("unknown-framework", "/stages/train/frameworks/3"), ("invalid-value", "/inputs/0"), ("invalid-type", "/inputs/2")]),
    several("a misspelt settings member and value are both listed",
            good(settings={"torch": {"determinstic": True, "num_threads": 0}, "numpy": {"bit_generator": "pcg64"}}),
            [("unknown-field", "/settings/torch/determinstic"), ("invalid-value", "/settings/torch/num_threads"),
             ("invalid-value", "/settings/numpy/bit_generator")]),
    several("an unsupported version ends the list", {"version": "2.0", "sed": 1, "seed": -1, "stages": {}},
            [("unsupported-version", "/version")]),
    several("a lock's mismatched seeds are each listed",
            lock_with(["stages", "train", "frameworks", "numpy", "seed"], 5) | {"root": {"seed": 42, "source": "manifest"},
                                                                                 "extra": 1},
            [("lock-mismatch", "/stages/train/frameworks/numpy/seed"), ("unknown-field", "/extra")], kind="lock"),
    several("a lock's wrong stage seed does not make its frameworks wrong",
            lock_with(["stages", "train", "seed"], 7) | {"lock-version": "01.0"},
            [("invalid-value", "/lock-version"), ("lock-mismatch", "/stages/train/seed")], kind="lock"),
]
faults.append(several("a repaired version is the latest, so jax and extensions add no fault",
                      {"version": "01.1", "seed": 42, "stages": {"train": {"frameworks": ["jax", "x-faker"]}}},
                      [("invalid-value", "/version")]))
faults.append(several("jax in a 1.0 manifest is listed with the other faults",
                      {"version": "1.0", "seed": -1, "stages": {"train": {"frameworks": ["jax", "numpy"], "sed": 1}}},
                      [("seed-out-of-range", "/seed"), ("unknown-framework", "/stages/train/frameworks/0"),
                       ("unknown-field", "/stages/train/sed")]))
write("invalid", "several-faults", "every fault of a document, in document order (SPEC.md 7.1)", faults)

caffe_manifest = m(5, {"train": {"frameworks": ["caffe", "numpy"],
                                 "settings": {"caffe": {"solvers": ["caffe/solver.prototxt"]}}}})
T5 = d(5, "train")
lock_cases_caffe = [
    {"description": "caffe solvers are recorded in the lock", "input": {"manifest": caffe_manifest, "env": {}},
     "expected": {"lock": full_lock(caffe_manifest, {"seed": 5, "source": "manifest"}, {
         "train": {"seed": T5, "source": "derived", "frameworks": {
             "caffe": fw_entry(d(T5, "caffe"), "derived", "caffe", solvers=["caffe/solver.prototxt"]),
             "numpy": fw_entry(d(T5, "numpy"), "derived", "numpy")}}})}},
]
write("lock", "caffe-settings", "caffe solver paths pass from the manifest into the lock", lock_cases_caffe)

# ---------------------------------------------------------------- caffe solver writer (golden texts)
BASE = 'net: "net.prototxt"\nbase_lr: 0.01\nmax_iter: 100\nsolver_mode: CPU\n'


def solver(description: str, text: str, seed: int, expected: str) -> dict[str, Any]:
    return {"description": description, "input": {"solver": text, "seed": seed}, "expected": {"solver": expected}}


def solver_error(description: str, text: str, pointer: str = "") -> dict[str, Any]:
    return err(description, {"solver": text, "seed": 7}, "invalid-solver", pointer)


caffe = [
    solver("an absent random_seed is appended", BASE, 7, BASE + "random_seed: 7\n"),
    solver("a present random_seed is replaced in place", 'net: "n.prototxt"\nrandom_seed: 1\nbase_lr: 0.1\n', 42,
           'net: "n.prototxt"\nrandom_seed: 42\nbase_lr: 0.1\n'),
    solver("the clock default of -1 is replaced", 'net: "n.prototxt"\nrandom_seed: -1\n', 3, 'net: "n.prototxt"\nrandom_seed: 3\n'),
    solver("a hexadecimal random_seed is replaced", 'net: "n.prototxt"\nrandom_seed: 0x10 # old\n', 3,
           'net: "n.prototxt"\nrandom_seed: 3 # old\n'),
    solver("spacing around the value is kept", 'net: "n.prototxt"\n  random_seed :   9   \n', 2147483647,
           'net: "n.prototxt"\n  random_seed :   2147483647   \n'),
    solver("CRLF line endings are kept and used for the new line", 'net: "n.prototxt"\r\nbase_lr: 0.1\r\n', 5,
           'net: "n.prototxt"\r\nbase_lr: 0.1\r\nrandom_seed: 5\r\n'),
    solver("a file without a final newline gets one before the new line", 'net: "n.prototxt"\nbase_lr: 0.1', 5,
           'net: "n.prototxt"\nbase_lr: 0.1\nrandom_seed: 5\n'),
    solver("a commented-out random_seed is not touched", '# random_seed: 1\nnet: "n.prototxt"\n', 8,
           '# random_seed: 1\nnet: "n.prototxt"\nrandom_seed: 8\n'),
    solver("random_seed inside a string is not touched", 'net: "random_seed: 1.prototxt"\n', 8,
           'net: "random_seed: 1.prototxt"\nrandom_seed: 8\n'),
    solver("unicode comments are kept byte for byte", '# Gewichte für Zürich — δ\nnet: "n.prototxt"\nrandom_seed: 1\n', 0,
           '# Gewichte für Zürich — δ\nnet: "n.prototxt"\nrandom_seed: 0\n'),
    solver("a random_seed inside an inline net is not the solver's",
           'net_param {\n  name: "x"\n  random_seed: 4\n}\nbase_lr: 0.1\n', 6,
           'net_param {\n  name: "x"\n  random_seed: 4\n}\nbase_lr: 0.1\nrandom_seed: 6\n'),
    solver("train and test state blocks are kept",
           'train_net: "t.prototxt"\ntest_net: "v.prototxt"\ntest_iter: 10\ntest_state { phase: TEST stage: "val" }\n'
           'random_seed: 1\n', 11,
           'train_net: "t.prototxt"\ntest_net: "v.prototxt"\ntest_iter: 10\ntest_state { phase: TEST stage: "val" }\n'
           'random_seed: 11\n'),
    solver("a field order with random_seed first is kept", 'random_seed:5\nnet: "n.prototxt"\n', 12,
           'random_seed:12\nnet: "n.prototxt"\n'),
    solver_error("random_seed set twice is rejected", 'net: "n.prototxt"\nrandom_seed: 1\nrandom_seed: 2\n', "/random_seed"),
    solver_error("a misspelt field is rejected", 'net: "n.prototxt"\nbse_lr: 0.1\n'),
    solver_error("a string where a number belongs is rejected", 'net: "n.prototxt"\nbase_lr: "fast"\n'),
    solver_error("an unknown solver mode is rejected", 'net: "n.prototxt"\nsolver_mode: TPU\n'),
    solver_error("a solver without a train net is rejected", 'base_lr: 0.1\n'),
    solver_error("a solver with two train nets is rejected", 'net: "a.prototxt"\ntrain_net: "b.prototxt"\n'),
    solver_error("an unterminated string is rejected", 'net: "n.prototxt\n'),
    solver_error("an unbalanced brace is rejected", 'net: "n.prototxt"\ntrain_state { phase: TRAIN\n'),
    solver_error("a non-integer random_seed is rejected", 'net: "n.prototxt"\nrandom_seed: 1.5\n', "/random_seed"),
]
write("caffe", "solver-writer", "random_seed written into solver text; every other byte kept", caffe)


# ---------------------------------------------------------------- training (SPEC §4.3 rules 2, and rules 1)
def process(seed: int, rank: int | None) -> int:
    return seed if rank is None else d(seed, "rank", str(rank))


def training(description: str, seed: int, *, rank: int | None = None, epoch: int | None = None,
             worker: int | None = None, loader_seed: int | None = None, stream: Any = "absent", rules: int | None = None) -> dict[str, Any]:
    """One case, computed straight from the label paths of SPEC §4.3."""
    inp: dict[str, Any] = {"seed": seed}
    for key, value in (("rank", rank), ("epoch", epoch), ("worker", worker), ("loader_seed", loader_seed), ("rules", rules)):
        if value is not None:
            inp[key] = value
    if stream != "absent":
        inp["stream"] = stream
    version = rules or 2
    p = process(seed, rank)
    if worker is not None:
        if version == 1:
            base = d(seed, "rank", str(rank or 0), "worker", str(worker))
        else:
            base = d(p, "worker", str(worker), "loader", str(loader_seed))
    elif epoch is not None:
        base = d(p, "epoch", str(epoch))
    else:
        base = p
    if stream == "absent":
        out = base
    elif stream is None:
        out = base if version == 1 else d(base, "stream", "default")
    else:
        out = d(base, "stream", stream)
    return {"description": description, "input": inp, "expected": {"seed": out}}


epochs = [
    training("epoch 0 of a single process", F, epoch=0),
    training("epoch 1 of a single process", F, epoch=1),
    training("epoch 2 of a single process", F, epoch=2),
    training("epoch 1 of rank 0", F, epoch=1, rank=0),
    training("epoch 1 of rank 1", F, epoch=1, rank=1),
    training("epoch 1000000 from seed 0", 0, epoch=1000000),
    training("epoch 7 from the largest seed", MAX, epoch=7),
    training("epoch 3 under rules 1 is the same as under rules 2", F, epoch=3, rules=1),
    err("a negative epoch is rejected", {"seed": F, "epoch": -1}, "invalid-value"),
]
write("training", "epochs", "epoch seeds: derive(P, epoch, e) of the process seed P (rank-adjusted first)", epochs)

BASE = 9223372036854775807  # the largest base_seed PyTorch draws (int64 random_)
streams = [
    training("the shuffle stream of a single process", F, stream="shuffle"),
    training("the bootstrap stream of a single process", F, stream="bootstrap"),
    training("a stream requested without a name is default", F, stream=None),
    training("the default stream by name", F, stream="default"),
    training("the shuffle stream of rank 2", F, rank=2, stream="shuffle"),
    training("the shuffle stream in epoch 4", F, epoch=4, stream="shuffle"),
    training("the shuffle stream of rank 1 in epoch 4", F, rank=1, epoch=4, stream="shuffle"),
    training("the tensorflow global generator stream", F, stream="global"),
    training("an unnamed stream under rules 1 is the process seed", F, stream=None, rules=1),
    training("an unnamed stream of rank 3 under rules 1", F, rank=3, stream=None, rules=1),
    training("a named stream under rules 1 is as under rules 2", F, stream="shuffle", rules=1),
    err("an upper-case stream name is rejected", {"seed": F, "stream": "Shuffle"}, "invalid-label"),
    err("an empty stream name is rejected", {"seed": F, "stream": ""}, "invalid-label"),
]
write("training", "streams", "named streams: derive(B, stream, name) of the current base B", streams)

loader = [
    training("worker 0 with loader seed 0", F, worker=0, loader_seed=0),
    training("worker 1 with loader seed 0", F, worker=1, loader_seed=0),
    training("worker 0 with another loader seed", F, worker=0, loader_seed=8424871924171063237),
    training("worker 1 with the largest PyTorch base seed", F, worker=1, loader_seed=BASE),
    training("worker 1 with loader seed 2**64-1", F, worker=1, loader_seed=2**64 - 1),
    training("worker 1 of rank 1", F, rank=1, worker=1, loader_seed=12345),
    training("worker 1 of rank 0 differs from a single process", F, rank=0, worker=1, loader_seed=12345),
    training("the bootstrap stream in worker 1", F, worker=1, loader_seed=12345, stream="bootstrap"),
    training("the default stream in worker 0 of rank 1", F, rank=1, worker=0, loader_seed=77, stream=None),
    training("worker 1 under rules 1 ignores the loader seed", F, worker=1, loader_seed=12345, rules=1),
    training("worker 2 of rank 3 under rules 1", F, rank=3, worker=2, loader_seed=5, rules=1),
    err("a negative worker is rejected", {"seed": F, "worker": -1, "loader_seed": 0}, "invalid-value"),
    err("a negative loader seed is rejected", {"seed": F, "worker": 0, "loader_seed": -1}, "invalid-value"),
    err("a loader seed of 2**64 is rejected", {"seed": F, "worker": 0, "loader_seed": 2**64}, "invalid-value"),
    err("rules 3 is rejected", {"seed": F, "worker": 0, "loader_seed": 0, "rules": 3}, "unsupported-version", "/rules"),
]
write("training", "loader-workers", "data-loader worker seeds derive(P, worker, w, loader, b), per iterator", loader)


# ---------------------------------------------------------------- generators made without a seed (SPEC §6.3)
def unseeded(description: str, seed: int, n: int, *, rank: int | None = None, test_id: str | None = None) -> dict[str, Any]:
    """The n-th generator made without a seed: derive(B, unseeded, n), B the process seed or the test's seed."""
    inp: dict[str, Any] = {"seed": seed, "unseeded": n}
    if rank is not None:
        inp["rank"] = rank
    if test_id is not None:
        inp["test_id"] = test_id
        base = d(seed, "pytest", h16(test_id))
    else:
        base = process(seed, rank)
    return {"description": description, "input": inp, "expected": {"seed": d(base, "unseeded", str(n))}}


seedless = [
    unseeded("the first generator made without a seed", F, 0),
    unseeded("the second generator made without a seed", F, 1),
    unseeded("the thousandth generator made without a seed", F, 999),
    unseeded("the first one below seed 0", 0, 0),
    unseeded("the first one below the largest seed", MAX, 0),
    unseeded("the first one in rank 1", F, 0, rank=1),
    unseeded("the first one in a test", F, 0, test_id="tests/test_a.py::test_x"),
    unseeded("the third one in a parametrized test", F, 2, test_id="tests/test_a.py::test_x[1-b]"),
    err("a negative index is rejected", {"seed": F, "unseeded": -1}, "invalid-value"),
]
write("training", "unseeded-generators", "generators made without a seed: derive(B, unseeded, n) in creation order", seedless)


# ---------------------------------------------------------------- spec 1.1: jax and extensions
def m11(seed: Any, stages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"version": "1.1", "seed": seed, "stages": stages, **extra}


def fw_ext(seed: int, source: str) -> dict[str, Any]:
    return {"seed": seed, "source": source, "settings": {}}


def full_lock11(manifest: dict[str, Any], root: dict[str, Any], stages: dict[str, Any]) -> dict[str, Any]:
    return {**full_lock(manifest, root, stages), "lock-version": "1.1"}


jax_manifest = m11(42, {"train": {"frameworks": ["jax", "numpy", "x-faker"], "settings": {"jax": {"prng_impl": "rbg"}}},
                        "augment": {"frameworks": ["x-faker", "x-cv2.rng"], "seeds": {"x-faker": 7}}},
                   settings={"jax": {"deterministic_ops": False}})
J = d(42, "train")
A = d(42, "augment")
lock_cases_11 = [
    {"description": "a 1.1 manifest with jax and extensions locks as 1.1", "input": {"manifest": jax_manifest, "env": {}},
     "expected": {"lock": full_lock11(jax_manifest, {"seed": 42, "source": "manifest"}, {
         "train": {"seed": J, "source": "derived", "frameworks": {
             "jax": fw_entry(d(J, "jax"), "derived", "jax", prng_impl="rbg", deterministic_ops=False),
             "numpy": fw_entry(d(J, "numpy"), "derived", "numpy"),
             "x-faker": fw_ext(d(J, "x-faker"), "derived")}},
         "augment": {"seed": A, "source": "derived", "frameworks": {
             "x-faker": fw_ext(7, "manifest"), "x-cv2.rng": fw_ext(d(A, "x-cv2.rng"), "derived")}}})}},
    {"description": "a 1.0 manifest still locks as 1.0 under a 1.1 binding", "input": {"manifest": m(5, {"t": {"frameworks": ["numpy"]}}), "env": {}},
     "expected": {"lock": full_lock(m(5, {"t": {"frameworks": ["numpy"]}}), {"seed": 5, "source": "manifest"}, {
         "t": {"seed": d(5, "t"), "source": "derived", "frameworks": {"numpy": fw_entry(d(d(5, "t"), "numpy"), "derived", "numpy")}}})}},
]
write("lock", "jax-and-extensions", "spec 1.1: jax settings and extension seeds pass into a 1.1 lock", lock_cases_11)

key_manifest = m11(42, {"train": {"frameworks": ["jax", "x-faker"]}, "eval": {"frameworks": ["numpy"]}})
KJ = d(J, "jax")


def key_case(description: str, framework: str, expected: int, **where: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"seed": expected}
    if framework == "jax":
        out["key_data"] = [0, expected]  # threefry2x32: the raw key of seed S < 2**32 is [0, S]
    return {"description": description, "input": {"manifest": key_manifest, "env": {}, "stage": "train",
                                                  "framework": framework, **where}, "expected": out}


def jax_key_seed(seed: int, *, rank: int | None = None, worker: int | None = None, epoch: int | None = None,
                 stream: str | None = None) -> int:
    """The key seed S of SPEC §6 jax: process seed K0, base K (epoch), then the key's name."""
    if worker is not None:
        k = d(seed, "rank", str(rank or 0), "worker", str(worker))
    else:
        k = process(seed, rank)
    if epoch is not None:
        k = d(k, "epoch", str(epoch))
    return k if stream is None else d(k, "stream", stream)


jax_named_and_epoch_keys: list[tuple[str, dict[str, Any]]] = [
    ("the dropout key of a single process", {"stream": "dropout"}),
    ("the init key differs from the dropout key", {"stream": "init"}),
    ("the key named default is not the unnamed key", {"stream": "default"}),
    ("the unnamed jax key in epoch 0 is the epoch seed", {"epoch": 0}),
    ("the unnamed jax key in epoch 2", {"epoch": 2}),
    ("the dropout key in epoch 0", {"epoch": 0, "stream": "dropout"}),
    ("the dropout key in epoch 1", {"epoch": 1, "stream": "dropout"}),
    ("the dropout key in epoch 2", {"epoch": 2, "stream": "dropout"}),
    ("the dropout key of rank 1", {"rank": 1, "stream": "dropout"}),
    ("the dropout key of rank 1 in epoch 2", {"rank": 1, "epoch": 2, "stream": "dropout"}),
    ("the unnamed jax key of rank 0 in epoch 2", {"rank": 0, "epoch": 2}),
    ("the augment key of worker 1 of rank 0", {"worker": 1, "stream": "augment"}),
    ("the jax key of worker 1 of rank 2 in epoch 3", {"rank": 2, "worker": 1, "epoch": 3}),
    ("the augment key of worker 1 of rank 2 in epoch 3", {"rank": 2, "worker": 1, "epoch": 3, "stream": "augment"}),
]

key_cases = [
    key_case("the jax key of a single process comes from the jax seed", "jax", KJ),
    key_case("the jax key of rank 2 comes from its rank seed", "jax", d(KJ, "rank", "2"), rank=2),
    key_case("the jax key of worker 1 of rank 0", "jax", d(KJ, "rank", "0", "worker", "1"), worker=1),
    key_case("the jax key of worker 3 of rank 2", "jax", d(KJ, "rank", "2", "worker", "3"), rank=2, worker=3),
    *[key_case(description, "jax", jax_key_seed(KJ, **where), **where) for description, where in jax_named_and_epoch_keys],
    key_case("an extension seed is derived by its name", "x-faker", d(J, "x-faker")),
    key_case("an extension rank seed follows the rank rule", "x-faker", d(d(J, "x-faker"), "rank", "1"), rank=1),
    err("a jax key from a stage without jax is framework-not-in-stage",
        {"manifest": key_manifest, "env": {}, "stage": "eval", "framework": "jax"}, "framework-not-in-stage", "/stages/eval/frameworks"),
    err("an upper-case key name is rejected",
        {"manifest": key_manifest, "env": {}, "stage": "train", "framework": "jax", "stream": "Dropout"}, "invalid-label"),
    err("a negative epoch of a key is rejected",
        {"manifest": key_manifest, "env": {}, "stage": "train", "framework": "jax", "epoch": -1}, "invalid-value"),
]
write("query", "jax-keys", "spec 1.1: the seed and raw key of jax per process, key name and epoch, and extension seeds", key_cases)


def good11(**changes: Any) -> dict[str, Any]:
    return {**good(**changes), "version": "1.1"} if "version" not in changes else good(**changes)


def stage11(**fields: Any) -> dict[str, Any]:
    return {**stage(**fields), "version": "1.1"}


lock11 = {**valid_lock, "lock-version": "1.1"}


def lock11_with(path: list[str], value: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(lock11))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


versions = [
    bad("jax in a 1.0 stage is unknown-framework", stage(frameworks=["numpy", "jax"]), "unknown-framework", "/stages/train/frameworks/1"),
    bad("a jax seed in a 1.0 stage is unknown-framework", stage(seeds={"jax": 1}), "unknown-framework", "/stages/train/seeds/jax"),
    bad("jax settings in a 1.0 manifest are unknown-framework", good(settings={"jax": {"prng_impl": "rbg"}}), "unknown-framework",
        "/settings/jax"),
    bad("an extension in a 1.0 stage is unknown-framework", stage(frameworks=["x-faker"]), "unknown-framework",
        "/stages/train/frameworks/0"),
    bad("jax in a 1.0 lock is unknown-framework",
        lock_with(["stages", "train", "frameworks", "jax"], {"seed": 1, "source": "manifest", "settings": DEFAULTS["jax"]}),
        "unknown-framework", "/stages/train/frameworks/jax", kind="lock"),
    bad("an unknown framework in a 1.1 stage is rejected", stage11(frameworks=["numpy", "flax"]), "unknown-framework",
        "/stages/train/frameworks/1"),
    bad("an upper-case extension name is an invalid label", stage11(frameworks=["x-Faker"]), "invalid-label", "/stages/train/frameworks/0"),
    bad("a bare x- is an invalid label", stage11(frameworks=["numpy", "x-"]), "invalid-label", "/stages/train/frameworks/1"),
    bad("an extension seed named badly is an invalid label", stage11(frameworks=["numpy"], seeds={"x-_a": 1}), "invalid-label",
        "/stages/train/seeds/x-_a"),
    bad("settings for an extension are unknown-field", {**good11(settings={"x-faker": {}}), "version": "1.1"}, "unknown-field",
        "/settings/x-faker"),
    bad("a seed for an unlisted extension is rejected", stage11(seeds={"x-faker": 1}), "unlisted-framework", "/stages/train/seeds/x-faker"),
    bad("an unknown jax PRNG implementation is rejected", {**good(settings={"jax": {"prng_impl": "philox"}}), "version": "1.1"},
        "invalid-value", "/settings/jax/prng_impl"),
    bad("a string jax deterministic_ops is rejected", {**good(settings={"jax": {"deterministic_ops": "yes"}}), "version": "1.1"},
        "invalid-type", "/settings/jax/deterministic_ops"),
    bad("a 1.1 lock extension with settings is rejected",
        lock11_with(["stages", "train", "frameworks", "x-faker"], {"seed": 1, "source": "manifest", "settings": {"locale": "de"}}),
        "unknown-field", "/stages/train/frameworks/x-faker/settings/locale", kind="lock"),
    bad("a 1.1 lock without complete jax settings is rejected",
        lock11_with(["stages", "train", "frameworks", "jax"], {"seed": 1, "source": "manifest", "settings": {"prng_impl": "rbg"}}),
        "missing-field", "/stages/train/frameworks/jax/settings/threefry_partitionable", kind="lock"),
    bad("a 1.3 lock is unsupported", lock_with(["lock-version"], "1.3"), "unsupported-version", "/lock-version", kind="lock"),
]
write("invalid", "versions", "spec 1.1: what a 1.0 document cannot name, and extension names and settings", versions)


# ---------------------------------------------------------------- takeover (SPEC §6.3)
def takeover_label(value: Any) -> str | None:
    if value is None:
        return "none"
    if type(value) is not int:
        return None
    text = str(value) if value >= 0 else "n" + str(-value)
    return text if len(text) <= 63 else None


def takeover(description: str, framework_seed: int, value: Any) -> dict[str, Any]:
    label = takeover_label(value)
    return {"description": description, "input": {"framework_seed": framework_seed, "value": value},
            "expected": {"label": label, "seed": None if label is None else d(framework_seed, "takeover", label)}}


write("takeover", "takeover", "a program's own seed value v taken over: derive(F, takeover/label(v)), SPEC 6.3", [
    takeover("the seed document's magic 42", 1668514852, 42),
    takeover("the next epoch's 43 differs from 42", 1668514852, 43),
    takeover("zero is a value like any other", 1668514852, 0),
    takeover("a negative value is labelled n and its magnitude", 1668514852, -5),
    takeover("reseeding from the OS is labelled none", 1668514852, None),
    takeover("another framework seed gives another seed", 2005593084, 42),
    takeover("a value above the seed domain is taken over", 7, 2**64 - 1),
    takeover("the smallest framework seed", 0, 42),
    takeover("the largest framework seed", MAX, 42),
    takeover("a value of 63 digits is the longest label", 7, 10**62),
    takeover("a value of 64 digits is not taken over", 7, 10**63),
    takeover("a negative value of 63 characters is taken over", 7, -(10**61)),
    takeover("a string value is not taken over", 7, "42"),
])


# ---------------------------------------------------------------- spec 1.2: a stage's take_over (§6.3)
m12 = {"version": "1.2", "seed": 42, "stages": {"train": {"frameworks": ["numpy", "torch"], "take_over": True},
                                                  "eval": {"frameworks": ["numpy"], "take_over": False},
                                                  "plot": {"frameworks": ["python"]}}}
T, E, P = d(42, "train"), d(42, "eval"), d(42, "plot")
write("lock", "take-over", "spec 1.2: a stage's take_over passes into its lock entry as written", [
    {"description": "take_over true and false are copied, an absent one stays absent", "input": {"manifest": m12, "env": {}},
     "expected": {"lock": {**full_lock(m12, {"seed": 42, "source": "manifest"}, {
         "train": {"seed": T, "source": "derived", "take_over": True, "frameworks": {
             "numpy": fw_entry(d(T, "numpy"), "derived", "numpy"), "torch": fw_entry(d(T, "torch"), "derived", "torch")}},
         "eval": {"seed": E, "source": "derived", "take_over": False, "frameworks": {
             "numpy": fw_entry(d(E, "numpy"), "derived", "numpy")}},
         "plot": {"seed": P, "source": "derived", "frameworks": {"python": fw_entry(d(P, "python"), "derived", "python")}}}),
         "lock-version": "1.2"}}},
])


def stage12(**fields: Any) -> dict[str, Any]:
    return {**stage(**fields), "version": "1.2"}


write("invalid", "take-over", "spec 1.2: a stage's take_over is a boolean, and unknown before 1.2", [
    bad("take_over in a 1.1 stage is unknown-field", {**stage(take_over=True), "version": "1.1"}, "unknown-field",
        "/stages/train/take_over"),
    bad("take_over in a 1.0 stage is unknown-field", stage(take_over=False), "unknown-field", "/stages/train/take_over"),
    bad("a string take_over is rejected", stage12(take_over="yes"), "invalid-type", "/stages/train/take_over"),
    bad("a numeric take_over is rejected", stage12(take_over=1), "invalid-type", "/stages/train/take_over"),
    bad("take_over at the top level is unknown-field", {**good(take_over=True), "version": "1.2"}, "unknown-field",
        "/take_over"),
    bad("take_over in a 1.1 lock stage is unknown-field", lock11_with(["stages", "train", "take_over"], True),
        "unknown-field", "/stages/train/take_over", kind="lock"),
    bad("a string take_over in a 1.2 lock is rejected",
        {**lock11_with(["stages", "train", "take_over"], "yes"), "lock-version": "1.2"}, "invalid-type",
        "/stages/train/take_over", kind="lock"),
])


# ---------------------------------------------------------------- locate (SPEC §12): probe records
def probe_case(description: str, shape: list[int], values: list[Any], *, calls: int = 1) -> dict[str, Any]:
    return {"description": description, "input": {"name": "x", "shape": shape, "values": values, "calls": calls},
            "expected": {"type": "probe", "kind": "probe", "name": "x", "step": calls - 1, "shape": shape, "values": values}}


write("locate", "probe-records", "what a probe writes: shape, row-major values, NaN and infinities spelt, the default step", [
    probe_case("a vector is written as it is", [3], [0.5, -2.0, 0.1]),
    probe_case("a 2 by 3 matrix is written row by row", [2, 3], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    probe_case("a 2 by 2 by 2 array is written in row-major order", [2, 2, 2], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
    probe_case("NaN and infinities are spelt as strings", [3], ["nan", "inf", "-inf"]),
    probe_case("doubles keep every bit", [2], [0.1 + 0.2, 1e-300]),
    probe_case("the third probe of a name has step 2", [1], [7.0], calls=3),
])
# ---------------------------------------------------------------- replicate (spec §13)
STREAM_FWS = ("tensorflow", "torch", "numpy", "jax")


def rep_case(description: str, manifest: dict[str, Any], replicate: int, vary: list[str] | None = None,
             streams: list[dict[str, Any]] | None = None, stage_name: str = "train") -> dict[str, Any]:
    """Replicate `replicate` of `stage_name`, computed from §13 with d() only."""
    root = manifest["seed"]
    declared = manifest["stages"][stage_name]
    stage_seed = declared.get("seed", d(root, stage_name))
    fws = {fw: (declared.get("seeds", {}).get(fw), fw) for fw in declared["frameworks"]}
    locked = {fw: (pinned if pinned is not None else d(stage_seed, fw), pinned is not None) for fw, (pinned, _) in fws.items()}
    names = vary or []
    if not names:
        varied_fws = {fw for fw, (_s, pinned) in locked.items() if not pinned}
        varied_streams: dict[str, set[str]] = {}
    else:
        varied_fws = {n for n in names if n in locked}
        varied_streams = {}
        for n in names:
            if ":" in n:
                fw, _, s = n.partition(":")
                varied_streams.setdefault(fw, set()).add(s)
            elif n not in locked:
                for fw in locked:
                    if fw in STREAM_FWS:
                        varied_streams.setdefault(fw, set()).add(n)
    seeds = {}
    for fw, (seed, _pinned) in locked.items():
        seeds[fw] = d(seed, "replicate", str(replicate)) if replicate and fw in varied_fws else seed
    input_: dict[str, Any] = {"manifest": manifest, "stage": stage_name, "replicate": replicate}
    if vary is not None:
        input_["vary"] = vary
    expected: dict[str, Any] = {"frameworks": seeds}
    if streams:
        input_["streams"] = streams
        out = []
        for q in streams:
            fw, name = q["framework"], q["name"]
            base = seeds[fw]
            if "epoch" in q:
                base = d(base, "epoch", str(q["epoch"]))
            labels = ["stream", name]
            if replicate and fw not in varied_fws and name in varied_streams.get(fw, set()):
                labels += ["replicate", str(replicate)]
            out.append(d(base, *labels))
        expected["streams"] = out
    return {"description": description, "input": input_, "expected": expected}


def rep_err(description: str, manifest: dict[str, Any], replicate: Any, vary: list[str], code: str, pointer: str) -> dict[str, Any]:
    return {"description": description, "input": {"manifest": manifest, "stage": "train", "replicate": replicate, "vary": vary},
            "error": {"code": code, "pointer": pointer}}


R_M = m11(42, {"train": {"frameworks": ["python", "numpy", "torch"]}})
R_PIN = m11(42, {"train": {"frameworks": ["python", "numpy", "torch"], "seeds": {"numpy": 7}}})
R_R = m11(42, {"train": {"frameworks": ["r"]}, "eval": {"frameworks": ["python", "r"], "seed": 99}})
DATA = [{"framework": "numpy", "name": "data"}, {"framework": "numpy", "name": "augment"},
        {"framework": "torch", "name": "data"}, {"framework": "numpy", "name": "data", "epoch": 2}]
replicate_cases = [
    rep_case("replicate 0 is the lock itself", R_M, 0, streams=DATA),
    rep_case("replicate 0 with vary is the lock itself", R_M, 0, ["data"], streams=DATA),
    rep_case("replicate 1 varies every framework by default", R_M, 1, streams=DATA),
    rep_case("replicate 2 varies every framework by default", R_M, 2, streams=DATA),
    rep_case("the largest replicate index", R_M, MAX),
    rep_case("vary torch changes only the torch seed", R_M, 3, ["torch"], streams=DATA),
    rep_case("vary data changes only the data streams", R_M, 3, ["data"], streams=DATA),
    rep_case("vary numpy:data changes only the numpy data stream", R_M, 3, ["numpy:data"], streams=DATA),
    rep_case("vary data follows the entered epoch", R_M, 5, ["data"], streams=DATA),
    rep_case("vary default changes only the unnamed streams", R_M, 4, ["default"],
             streams=[{"framework": "numpy", "name": "default"}, {"framework": "numpy", "name": "data"}]),
    rep_case("a framework and a stream together", R_M, 6, ["python", "numpy:augment"], streams=DATA),
    rep_case("a pinned framework is held by default", R_PIN, 1, streams=DATA),
    rep_case("a pinned framework named in vary varies", R_PIN, 1, ["numpy"], streams=DATA),
    rep_case("a stream of a pinned framework named in vary varies", R_PIN, 1, ["data"], streams=DATA),
    rep_case("an r stage varies its r seed", R_R, 1),
    rep_case("vary r in a stage with a pinned stage seed", R_R, 7, ["r"], stage_name="eval"),
    rep_case("vary python holds r", R_R, 7, ["python"], stage_name="eval"),
]
replicate_errors = [
    rep_err("a negative replicate index is rejected", R_M, -1, [], "invalid-value", "/replicate"),
    rep_err("a replicate index above the seed domain is rejected", R_M, MAX + 1, [], "invalid-value", "/replicate"),
    rep_err("a framework the stage does not list is rejected", R_M, 1, ["tensorflow"], "framework-not-in-stage", "/vary/0"),
    rep_err("a stream of an unlisted framework is rejected", R_M, 1, ["jax:init"], "framework-not-in-stage", "/vary/0"),
    rep_err("an upper-case stream name is an invalid label", R_M, 1, ["numpy", "Data"], "invalid-label", "/vary/1"),
    rep_err("a stream of a framework without streams is rejected", R_M, 1, ["python:data"], "invalid-value", "/vary/0"),
    rep_err("a stream in a stage without stream frameworks is rejected", R_R, 1, ["data"], "invalid-value", "/vary/0"),
]
write("replicate", "seeds", "replicate k of a stage: varied frameworks and streams, pinned seeds held (spec 12)",
      replicate_cases + replicate_errors)


def task(description: str, env: dict[str, str], replicate: int | None = None, attempt: int = 0,
         code: str | None = None, pointer: str = "/replicate") -> dict[str, Any]:
    if code is not None:
        return {"description": description, "input": {"env": env}, "error": {"code": code, "pointer": pointer}}
    return {"description": description, "input": {"env": env}, "expected": {"replicate": replicate, "attempt": attempt}}


tasks = [
    task("a Slurm array task", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_JOB_ID": "1004", "SLURM_ARRAY_JOB_ID": "1000"}, 3),
    task("a requeued Slurm array task keeps its index", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_RESTART_COUNT": "2"}, 3, 2),
    task("a Kubernetes Indexed Job pod", {"JOB_COMPLETION_INDEX": "0", "HOSTNAME": "train-0-x7k2p"}, 0),
    task("seedlock's Ray engine", {"SEEDLOCK_REPLICATE_INDEX": "12", "SEEDLOCK_ATTEMPT": "1"}, 12, 1),
    task("seedlock's index wins over Slurm's", {"SEEDLOCK_REPLICATE_INDEX": "5", "SLURM_ARRAY_TASK_ID": "9"}, 5),
    task("an empty variable is unset", {"SEEDLOCK_REPLICATE_INDEX": "", "JOB_COMPLETION_INDEX": "4"}, 4),
    task("seedlock's attempt wins over Slurm's", {"SLURM_ARRAY_TASK_ID": "1", "SEEDLOCK_ATTEMPT": "0", "SLURM_RESTART_COUNT": "3"}, 1, 0),
    task("no index is missing-environment", {"SLURM_JOB_ID": "1004"}, code="missing-environment"),
    task("a signed index is rejected", {"SLURM_ARRAY_TASK_ID": "+3"}, code="invalid-env-value"),
    task("an index with a leading zero is rejected", {"JOB_COMPLETION_INDEX": "03"}, code="invalid-env-value"),
    task("an index above the seed domain is rejected", {"SEEDLOCK_REPLICATE_INDEX": "2147483648"}, code="invalid-env-value"),
    task("a non-numeric attempt is rejected", {"SLURM_ARRAY_TASK_ID": "1", "SLURM_RESTART_COUNT": "x"},
         code="invalid-env-value", pointer="/attempt"),
]
write("replicate", "task-index", "the replicate index and attempt of a task from its engine's variables (spec 12)", tasks)
