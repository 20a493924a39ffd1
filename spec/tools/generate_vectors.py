"""Write spec/vectors/ from the hand-authored cases below.

Expected seeds are computed here straight from the formula of SPEC.md §3 (hashlib, no seedlock
import), so the vectors never depend on a binding's implementation. One function per vector file
returns its cases (FAMILIES lists them); the R-only files (stream, split, parallel) come from
generate_r_vectors.R. Run from the repository root:

    python3 spec/tools/generate_vectors.py              # rewrite spec/vectors/
    python3 spec/tools/generate_vectors.py --out DIR    # write the files under DIR instead
    python3 spec/tools/generate_vectors.py --check      # exit 1 when a file in spec/vectors/ differs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class VectorFile:
    """One file of vectors: spec/vectors/<area>/<concept>.json."""

    area: str
    concept: str
    description: str
    cases: list[dict[str, Any]]

    def __post_init__(self) -> None:
        descriptions = [c["description"] for c in self.cases]
        assert len(set(descriptions)) == len(descriptions), f"duplicate descriptions in {self.area}/{self.concept}"

    @property
    def relative_path(self) -> Path:
        return Path(self.area) / f"{self.concept}.json"

    def text(self) -> str:
        doc = {
            "$schema": "../vectors.schema.json",
            "area": self.area,
            "concept": self.concept,
            "description": self.description,
            "cases": self.cases,
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def derive(seed: int, *labels: str) -> int:
    """SPEC.md §3: the first four bytes of SHA-256("seedlock/v1:<seed>:<labels joined by />"), top bit cleared."""
    message = f"seedlock/v1:{seed}:{'/'.join(labels)}".encode("ascii")
    return int.from_bytes(hashlib.sha256(message).digest()[:4], "big") & MAX_SEED


def canonical_sha(doc: Any) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def derive_case(description: str, seed: int, *labels: str) -> dict[str, Any]:
    return {
        "description": description,
        "input": {"seed": seed, "labels": list(labels)},
        "expected": {"seed": derive(seed, *labels), "message": f"seedlock/v1:{seed}:{'/'.join(labels)}"},
    }


def error_case(description: str, input_: dict[str, Any], code: str, pointer: str = "") -> dict[str, Any]:
    return {"description": description, "input": input_, "error": {"code": code, "pointer": pointer}}


# ---------------------------------------------------------------- derive
def derive_basic() -> VectorFile:
    basic = [
        derive_case(f"seed {s} with label {lab}", s, lab)
        for s in (42, 1234)
        for lab in ("train", "preprocess", "evaluate", "split", "python", "numpy", "torch", "tensorflow", "r", "caffe")
    ]
    basic += [
        derive_case("seed 7 with a two-label path", 7, "train", "numpy"),
        derive_case("label order matters", 7, "numpy", "train"),
    ]
    return VectorFile("derive", "basic", "derive(seed, labels) for everyday stage and framework names", basic)


def derive_edge_seeds() -> VectorFile:
    edge = [
        derive_case(f"seed {s} is derived", s, "train")
        for s in (0, 1, 9, 10, 99, 100, 65535, 65536, 1000000000, 2147483646, 2147483647)
    ]
    edge += [
        derive_case("seed 0 with framework label", 0, "numpy"),
        derive_case("largest seed with framework label", MAX_SEED, "torch"),
    ]
    return VectorFile(
        "derive", "edge-seeds", "derive at the edges of the seed domain; decimal has no sign or leading zeros", edge
    )


def derive_long_paths() -> VectorFile:
    long = [
        derive_case("a label of 63 characters", 42, "a" * 63),
        derive_case("labels with dot, dash and underscore", 42, "pre-process.v2_final"),
        derive_case("a numeric label", 42, "0"),
        derive_case("a label starting with a digit", 42, "9lives"),
        derive_case("a three-label path", 42, "train", "torch", "rank"),
        derive_case("the worker path of rank 3 worker 2", 42, "rank", "3", "worker", "2"),
        derive_case("a path of twenty labels", 42, *[f"l{i}" for i in range(20)]),
        derive_case("a path of sixty-three-character labels", 2147483647, *["z" * 63] * 4),
        derive_case("a path of single characters", 5, *"abcdefghij"),
        derive_case("a path with a repeated label", 5, "train", "train"),
    ]
    return VectorFile("derive", "long-paths", "derive with long labels and long label paths", long)


def derive_errors() -> VectorFile:
    errors = [
        error_case("an empty label list is rejected", {"seed": 42, "labels": []}, "invalid-label"),
        error_case("an upper-case label is rejected", {"seed": 42, "labels": ["Train"]}, "invalid-label", "/labels/0"),
        error_case(
            "a label with a space is rejected", {"seed": 42, "labels": ["my stage"]}, "invalid-label", "/labels/0"
        ),
        error_case(
            "a label starting with a dash is rejected", {"seed": 42, "labels": ["-x"]}, "invalid-label", "/labels/0"
        ),
        error_case(
            "a label starting with a dot is rejected", {"seed": 42, "labels": [".x"]}, "invalid-label", "/labels/0"
        ),
        error_case(
            "a label of 64 characters is rejected", {"seed": 42, "labels": ["a" * 64]}, "invalid-label", "/labels/0"
        ),
        error_case("an empty label is rejected", {"seed": 42, "labels": ["train", ""]}, "invalid-label", "/labels/1"),
        error_case("a label with a slash is rejected", {"seed": 42, "labels": ["a/b"]}, "invalid-label", "/labels/0"),
        error_case(
            "a Cyrillic look-alike label is rejected",
            {"seed": 42, "labels": ["tr\u0430in"]},
            "invalid-label",
            "/labels/0",
        ),
        error_case("a negative seed is rejected", {"seed": -1, "labels": ["train"]}, "seed-out-of-range"),
        error_case("seed 2**31 is rejected", {"seed": 2147483648, "labels": ["train"]}, "seed-out-of-range"),
        error_case("seed 2**32-1 is rejected", {"seed": 4294967295, "labels": ["train"]}, "seed-out-of-range"),
        error_case(
            "seed 2**64 is rejected", {"seed": "18446744073709551616", "labels": ["train"]}, "seed-out-of-range"
        ),
    ]
    return VectorFile(
        "derive", "errors", "derive rejects bad labels and seeds outside the domain (big seeds as strings)", errors
    )


# ---------------------------------------------------------------- workers
FRAMEWORK_SEED = 1677747947


def workers_ranks_and_workers() -> VectorFile:
    workers = [
        {
            "description": "a non-distributed process uses the framework seed",
            "input": {"seed": FRAMEWORK_SEED},
            "expected": {"seed": FRAMEWORK_SEED},
        },
        {
            "description": "rank 0 of a distributed run",
            "input": {"seed": FRAMEWORK_SEED, "rank": 0},
            "expected": {"seed": derive(FRAMEWORK_SEED, "rank", "0")},
        },
        {
            "description": "rank 3 of a distributed run",
            "input": {"seed": FRAMEWORK_SEED, "rank": 3},
            "expected": {"seed": derive(FRAMEWORK_SEED, "rank", "3")},
        },
        {
            "description": "worker 0 of a non-distributed process",
            "input": {"seed": FRAMEWORK_SEED, "worker": 0},
            "expected": {"seed": derive(FRAMEWORK_SEED, "rank", "0", "worker", "0")},
        },
        {
            "description": "worker 2 of a non-distributed process",
            "input": {"seed": FRAMEWORK_SEED, "worker": 2},
            "expected": {"seed": derive(FRAMEWORK_SEED, "rank", "0", "worker", "2")},
        },
        {
            "description": "worker 2 of rank 3",
            "input": {"seed": FRAMEWORK_SEED, "rank": 3, "worker": 2},
            "expected": {"seed": derive(FRAMEWORK_SEED, "rank", "3", "worker", "2")},
        },
        {
            "description": "worker 1 of rank 1 from seed 0",
            "input": {"seed": 0, "rank": 1, "worker": 1},
            "expected": {"seed": derive(0, "rank", "1", "worker", "1")},
        },
        {
            "description": "rank 12 from the largest seed",
            "input": {"seed": MAX_SEED, "rank": 12},
            "expected": {"seed": derive(MAX_SEED, "rank", "12")},
        },
        error_case("a negative rank is rejected", {"seed": FRAMEWORK_SEED, "rank": -1}, "invalid-value"),
        error_case("a negative worker is rejected", {"seed": FRAMEWORK_SEED, "worker": -2}, "invalid-value"),
    ]
    return VectorFile(
        "workers",
        "ranks-and-workers",
        "seeds of distributed ranks and data-loader workers under a framework seed",
        workers,
    )


def test_id_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def workers_test_ids() -> VectorFile:
    test_ids = [
        {
            "description": f"test id {tid!r}",
            "input": {"seed": s, "test_id": tid},
            "expected": {"seed": derive(s, "pytest", test_id_hash(tid))},
        }
        for s, tid in (
            (FRAMEWORK_SEED, "tests/test_model.py::test_fit"),
            (FRAMEWORK_SEED, "tests/test_model.py::test_fit[cpu-2]"),
            (0, "test_x.R::split works"),
            (MAX_SEED, "t.py::Test::test_ünïcode"),
            (7, ""),
        )
    ]
    test_ids += [
        {
            "description": f"the {phase} phase of {tid!r}",
            "input": {"seed": s, "test_id": tid, "phase": phase},
            "expected": {
                "seed": derive(s, "pytest", test_id_hash(tid))
                if phase == "call"
                else derive(derive(s, "pytest", test_id_hash(tid)), "phase", phase)
            },
        }
        for s, tid, phase in (
            (FRAMEWORK_SEED, "tests/test_model.py::test_fit", "setup"),
            (FRAMEWORK_SEED, "tests/test_model.py::test_fit", "call"),
            (FRAMEWORK_SEED, "tests/test_model.py::test_fit", "teardown"),
            (0, "test_x.R::split works", "setup"),
            (MAX_SEED, "t.py::Test::test_ünïcode", "teardown"),
        )
    ]
    test_ids.append(
        error_case(
            "an unknown test phase is rejected",
            {"seed": FRAMEWORK_SEED, "test_id": "t.py::test_a", "phase": "collect"},
            "invalid-value",
        )
    )
    return VectorFile(
        "workers",
        "test-ids",
        "per-test seeds: T = derive(F, pytest, h16(test id)); setup, teardown: derive(T, phase, p)",
        test_ids,
    )


# ---------------------------------------------------------------- resolve
def resolved_stage(
    seed: int, source: str, frameworks: dict[str, tuple[int, str]], variable: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"seed": seed, "source": source}
    if variable:
        out["variable"] = variable
    out["frameworks"] = {fw: {"seed": fw_seed, "source": fw_source} for fw, (fw_seed, fw_source) in frameworks.items()}
    return out


def derived_frameworks(stage_seed: int, *frameworks: str) -> dict[str, tuple[int, str]]:
    return {fw: (derive(stage_seed, fw), "derived") for fw in frameworks}


def resolve_case(
    description: str,
    manifest: dict[str, Any],
    expected: dict[str, Any],
    env: dict[str, str] | None = None,
    draws: list[int] | None = None,
) -> dict[str, Any]:
    inp: dict[str, Any] = {"manifest": manifest, "env": env or {}}
    if draws is not None:
        inp["draws"] = draws
    return {"description": description, "input": inp, "expected": expected}


def unknown_variable(variable: str, suggestion: str | None) -> dict[str, Any]:
    return {"code": "unknown-stage-variable", "pointer": "/stages", "variable": variable, "suggestion": suggestion}


def manifest_v10(seed: Any, stages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"version": "1.0", "seed": seed, "stages": stages, **extra}


TRAIN_NUMPY_TORCH = {"train": {"frameworks": ["numpy", "torch"]}}


def resolve_precedence() -> VectorFile:
    precedence = [
        resolve_case(
            "stage and framework seeds derive from the root",
            manifest_v10(42, TRAIN_NUMPY_TORCH),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "train": resolved_stage(
                        derive(42, "train"), "derived", derived_frameworks(derive(42, "train"), "numpy", "torch")
                    )
                },
            },
        ),
        resolve_case(
            "an explicit stage seed replaces the derived one",
            manifest_v10(42, {"train": {"seed": 7, "frameworks": ["numpy"]}}),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {"train": resolved_stage(7, "manifest", derived_frameworks(7, "numpy"))},
            },
        ),
        resolve_case(
            "an explicit framework seed replaces the derived one",
            manifest_v10(42, {"train": {"frameworks": ["numpy", "tensorflow"], "seeds": {"tensorflow": 1234}}}),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "train": resolved_stage(
                        derive(42, "train"),
                        "derived",
                        {"numpy": (derive(derive(42, "train"), "numpy"), "derived"), "tensorflow": (1234, "manifest")},
                    )
                },
            },
        ),
        resolve_case(
            "frameworks of one stage get distinct seeds",
            manifest_v10(0, {"s": {"frameworks": ["python", "numpy", "torch", "tensorflow", "r", "caffe"]}}),
            {
                "root": {"seed": 0, "source": "manifest"},
                "stages": {
                    "s": resolved_stage(
                        derive(0, "s"),
                        "derived",
                        derived_frameworks(derive(0, "s"), "python", "numpy", "torch", "tensorflow", "r", "caffe"),
                    )
                },
            },
        ),
        resolve_case(
            "adding a stage does not change another stage's seed",
            manifest_v10(
                42,
                {
                    "alpha": {"frameworks": ["numpy"]},
                    "train": {"frameworks": ["numpy", "torch"]},
                    "zeta": {"frameworks": ["numpy"]},
                },
            ),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "alpha": resolved_stage(
                        derive(42, "alpha"), "derived", derived_frameworks(derive(42, "alpha"), "numpy")
                    ),
                    "train": resolved_stage(
                        derive(42, "train"), "derived", derived_frameworks(derive(42, "train"), "numpy", "torch")
                    ),
                    "zeta": resolved_stage(
                        derive(42, "zeta"), "derived", derived_frameworks(derive(42, "zeta"), "numpy")
                    ),
                },
            },
        ),
        resolve_case(
            "an integral float seed is the integer",
            manifest_v10(42.0, {"train": {"seed": 7.0, "frameworks": ["numpy"], "seeds": {"numpy": 4.2e1}}}),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {"train": resolved_stage(7, "manifest", {"numpy": (42, "manifest")})},
            },
        ),
        resolve_case(
            "inputs and params do not change seeds",
            manifest_v10(42, TRAIN_NUMPY_TORCH, inputs=["data"], params=["params.yaml"], allow_external_paths=False),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "train": resolved_stage(
                        derive(42, "train"), "derived", derived_frameworks(derive(42, "train"), "numpy", "torch")
                    )
                },
            },
        ),
        resolve_case(
            "the seed document's classic pipeline",
            manifest_v10(
                42,
                {
                    "preprocess": {"frameworks": ["numpy"], "seeds": {"numpy": 42}},
                    "train": {"frameworks": ["numpy", "tensorflow"], "seeds": {"numpy": 42, "tensorflow": 1234}},
                },
            ),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "preprocess": resolved_stage(derive(42, "preprocess"), "derived", {"numpy": (42, "manifest")}),
                    "train": resolved_stage(
                        derive(42, "train"), "derived", {"numpy": (42, "manifest"), "tensorflow": (1234, "manifest")}
                    ),
                },
            },
        ),
    ]
    return VectorFile("resolve", "precedence", "manifest seeds over derived ones; derivation by name", precedence)


def resolve_env() -> VectorFile:
    env_cases = [
        resolve_case(
            "SEEDLOCK_SEED overrides the manifest root seed",
            manifest_v10(42, TRAIN_NUMPY_TORCH),
            {
                "root": {"seed": 5, "source": "env", "variable": "SEEDLOCK_SEED"},
                "stages": {
                    "train": resolved_stage(
                        derive(5, "train"), "derived", derived_frameworks(derive(5, "train"), "numpy", "torch")
                    )
                },
            },
            env={"SEEDLOCK_SEED": "5"},
        ),
        resolve_case(
            "a stage variable overrides the stage seed",
            manifest_v10(42, {"train": {"seed": 7, "frameworks": ["numpy"]}}),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "train": resolved_stage(99, "env", derived_frameworks(99, "numpy"), variable="SEEDLOCK_SEED_TRAIN")
                },
            },
            env={"SEEDLOCK_SEED_TRAIN": "99"},
        ),
        resolve_case(
            "a stage variable overrides a derived stage seed",
            manifest_v10(42, TRAIN_NUMPY_TORCH),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "train": resolved_stage(
                        0, "env", derived_frameworks(0, "numpy", "torch"), variable="SEEDLOCK_SEED_TRAIN"
                    )
                },
            },
            env={"SEEDLOCK_SEED_TRAIN": "0"},
        ),
        resolve_case(
            "dash and dot in a stage name become underscores",
            manifest_v10(42, {"pre-process.v2": {"frameworks": ["numpy"]}}),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "pre-process.v2": resolved_stage(
                        11, "env", derived_frameworks(11, "numpy"), variable="SEEDLOCK_SEED_PRE_PROCESS_V2"
                    )
                },
            },
            env={"SEEDLOCK_SEED_PRE_PROCESS_V2": "11"},
        ),
        resolve_case(
            "an empty variable is treated as unset",
            manifest_v10(42, TRAIN_NUMPY_TORCH),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "train": resolved_stage(
                        derive(42, "train"), "derived", derived_frameworks(derive(42, "train"), "numpy", "torch")
                    )
                },
            },
            env={"SEEDLOCK_SEED": "", "SEEDLOCK_SEED_TRAIN": ""},
        ),
        resolve_case(
            "the largest seed from a variable",
            manifest_v10(42, TRAIN_NUMPY_TORCH),
            {
                "root": {"seed": MAX_SEED, "source": "env", "variable": "SEEDLOCK_SEED"},
                "stages": {
                    "train": resolved_stage(
                        derive(MAX_SEED, "train"),
                        "derived",
                        derived_frameworks(derive(MAX_SEED, "train"), "numpy", "torch"),
                    )
                },
            },
            env={"SEEDLOCK_SEED": "2147483647"},
        ),
        resolve_case(
            "unrelated variables are ignored",
            manifest_v10(42, {"train": {"frameworks": ["numpy"]}}),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "train": resolved_stage(
                        derive(42, "train"), "derived", derived_frameworks(derive(42, "train"), "numpy")
                    )
                },
            },
            env={"SEEDLOCK_SEEDS": "x", "PATH": "/bin", "SEEDLOCK_SEED_": ""},
        ),
        resolve_case(
            "a variable of no stage is reported with the stage meant",
            manifest_v10(42, {"train": {"frameworks": ["numpy"]}}),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "train": resolved_stage(
                        derive(42, "train"), "derived", derived_frameworks(derive(42, "train"), "numpy")
                    )
                },
                "warnings": [unknown_variable("SEEDLOCK_SEED_TRIAN", "train")],
            },
            env={"SEEDLOCK_SEED_TRIAN": "5"},
        ),
        resolve_case(
            "variables of no stage are reported in name order",
            manifest_v10(42, {"train": {"frameworks": ["numpy"]}, "pre-process": {"frameworks": ["numpy"]}}),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "train": resolved_stage(
                        derive(42, "train"), "derived", derived_frameworks(derive(42, "train"), "numpy")
                    ),
                    "pre-process": resolved_stage(
                        3, "env", derived_frameworks(3, "numpy"), variable="SEEDLOCK_SEED_PRE_PROCESS"
                    ),
                },
                "warnings": [
                    unknown_variable("SEEDLOCK_SEED_OTHER", None),
                    unknown_variable("SEEDLOCK_SEED_PREPROCESS", "pre-process"),
                    unknown_variable("SEEDLOCK_SEED_train", "train"),
                ],
            },
            env={
                "SEEDLOCK_SEED_train": "1",
                "SEEDLOCK_SEED_PRE_PROCESS": "3",
                "SEEDLOCK_SEED_PREPROCESS": "2",
                "SEEDLOCK_SEED_OTHER": "generate",
            },
        ),
        resolve_case(
            "an empty variable of no stage is not reported",
            manifest_v10(42, {"train": {"frameworks": ["numpy"]}}),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "train": resolved_stage(
                        derive(42, "train"), "derived", derived_frameworks(derive(42, "train"), "numpy")
                    )
                },
            },
            env={"SEEDLOCK_SEED_TRIAN": ""},
        ),
        error_case(
            "a variable of no stage is an error in strict mode",
            {
                "manifest": manifest_v10(42, TRAIN_NUMPY_TORCH),
                "env": {"SEEDLOCK_SEED_TRIAN": "5", "SEEDLOCK_SEED_EVAL": "1"},
                "strict": True,
            },
            "unknown-stage-variable",
            "/stages",
        ),
        error_case(
            "a variable with a sign is rejected",
            {"manifest": manifest_v10(42, TRAIN_NUMPY_TORCH), "env": {"SEEDLOCK_SEED": "+5"}},
            "invalid-env-value",
            "/seed",
        ),
        error_case(
            "a negative variable is rejected",
            {"manifest": manifest_v10(42, TRAIN_NUMPY_TORCH), "env": {"SEEDLOCK_SEED": "-5"}},
            "invalid-env-value",
            "/seed",
        ),
        error_case(
            "a variable with spaces is rejected",
            {"manifest": manifest_v10(42, TRAIN_NUMPY_TORCH), "env": {"SEEDLOCK_SEED": " 5"}},
            "invalid-env-value",
            "/seed",
        ),
        error_case(
            "a hexadecimal variable is rejected",
            {"manifest": manifest_v10(42, TRAIN_NUMPY_TORCH), "env": {"SEEDLOCK_SEED": "0x2a"}},
            "invalid-env-value",
            "/seed",
        ),
        error_case(
            "a variable above 2**31-1 is rejected",
            {"manifest": manifest_v10(42, TRAIN_NUMPY_TORCH), "env": {"SEEDLOCK_SEED": "2147483648"}},
            "invalid-env-value",
            "/seed",
        ),
        error_case(
            "a variable with leading zeros is rejected",
            {"manifest": manifest_v10(42, TRAIN_NUMPY_TORCH), "env": {"SEEDLOCK_SEED": "042"}},
            "invalid-env-value",
            "/seed",
        ),
        error_case(
            "a variable with an exponent is rejected",
            {"manifest": manifest_v10(42, TRAIN_NUMPY_TORCH), "env": {"SEEDLOCK_SEED": "4e1"}},
            "invalid-env-value",
            "/seed",
        ),
        error_case(
            "a malformed stage variable is rejected",
            {"manifest": manifest_v10(42, TRAIN_NUMPY_TORCH), "env": {"SEEDLOCK_SEED_TRAIN": "seven"}},
            "invalid-env-value",
            "/stages/train/seed",
        ),
        error_case(
            "a huge stage variable is rejected",
            {
                "manifest": manifest_v10(42, TRAIN_NUMPY_TORCH),
                "env": {"SEEDLOCK_SEED_TRAIN": "99999999999999999999999"},
            },
            "invalid-env-value",
            "/stages/train/seed",
        ),
    ]
    return VectorFile(
        "resolve",
        "env",
        "environment variables override the values they shadow; malformed values are errors",
        env_cases,
    )


def resolve_generate() -> VectorFile:
    generate = [
        resolve_case(
            "a generated root seed comes from the CSPRNG",
            manifest_v10("generate", TRAIN_NUMPY_TORCH),
            {
                "root": {"seed": 123456, "source": "generated"},
                "stages": {
                    "train": resolved_stage(
                        derive(123456, "train"),
                        "derived",
                        derived_frameworks(derive(123456, "train"), "numpy", "torch"),
                    )
                },
            },
            draws=[123456],
        ),
        resolve_case(
            "SEEDLOCK_SEED=generate replaces a manifest seed",
            manifest_v10(42, TRAIN_NUMPY_TORCH),
            {
                "root": {"seed": 77, "source": "generated"},
                "stages": {
                    "train": resolved_stage(
                        derive(77, "train"), "derived", derived_frameworks(derive(77, "train"), "numpy", "torch")
                    )
                },
            },
            env={"SEEDLOCK_SEED": "generate"},
            draws=[77],
        ),
        resolve_case(
            "a generated stage seed",
            manifest_v10(42, {"a": {"seed": "generate", "frameworks": ["numpy"]}, "b": {"frameworks": ["numpy"]}}),
            {
                "root": {"seed": 42, "source": "manifest"},
                "stages": {
                    "a": resolved_stage(2147483647, "generated", derived_frameworks(2147483647, "numpy")),
                    "b": resolved_stage(derive(42, "b"), "derived", derived_frameworks(derive(42, "b"), "numpy")),
                },
            },
            draws=[2147483647],
        ),
        resolve_case(
            "an environment seed replaces a generate in the manifest",
            manifest_v10("generate", TRAIN_NUMPY_TORCH),
            {
                "root": {"seed": 3, "source": "env", "variable": "SEEDLOCK_SEED"},
                "stages": {
                    "train": resolved_stage(
                        derive(3, "train"), "derived", derived_frameworks(derive(3, "train"), "numpy", "torch")
                    )
                },
            },
            env={"SEEDLOCK_SEED": "3"},
            draws=[],
        ),
        resolve_case(
            "root and stage draws happen in order root then stages by name",
            manifest_v10(
                "generate",
                {
                    "b": {"seed": "generate", "frameworks": ["numpy"]},
                    "a": {"seed": "generate", "frameworks": ["numpy"]},
                },
            ),
            {
                "root": {"seed": 1, "source": "generated"},
                "stages": {
                    "a": resolved_stage(2, "generated", derived_frameworks(2, "numpy")),
                    "b": resolved_stage(3, "generated", derived_frameworks(3, "numpy")),
                },
            },
            draws=[1, 2, 3],
        ),
    ]
    return VectorFile(
        "resolve",
        "generate",
        '"generate" draws from the OS CSPRNG at resolve time; draws lists what it returns',
        generate,
    )


# ---------------------------------------------------------------- lock
def full_lock(manifest: dict[str, Any], root: dict[str, Any], stages: dict[str, Any]) -> dict[str, Any]:
    return {
        "lock-version": "1.0",
        "derivation": "sha256-v1",
        "root": root,
        "stages": stages,
        "manifest": {"sha256": canonical_sha(manifest)},
        "rules": 2,
    }


# Each framework's default settings, as the specification's registry lists them (spec §6).
DEFAULTS: dict[str, dict[str, Any]] = {
    fw["name"]: {s["name"]: s["default"] for s in fw["settings"]}
    for fw in json.loads((Path(__file__).resolve().parent.parent / "registry.json").read_text("utf-8"))["frameworks"]
}


def framework_entry(seed: int, source: str, fw: str, **settings: Any) -> dict[str, Any]:
    return {"seed": seed, "source": source, "settings": {**DEFAULTS[fw], **settings}}


def lock_manifest_to_lock() -> VectorFile:
    classic = manifest_v10(
        42,
        {
            "preprocess": {"frameworks": ["numpy"], "seeds": {"numpy": 42}},
            "train": {"frameworks": ["numpy", "tensorflow"], "seeds": {"numpy": 42, "tensorflow": 1234}},
        },
    )
    train_seed = derive(42, "train")
    settings_manifest = manifest_v10(
        7,
        {"train": {"frameworks": ["torch", "numpy", "r"], "settings": {"torch": {"num_threads": 1}}}},
        settings={
            "torch": {"deterministic": False},
            "numpy": {"bit_generator": "MT19937"},
            "r": {"sample_kind": "Rounding"},
            "python": {"hash_seed": False},
        },
    )
    settings_train_seed = derive(7, "train")
    reordered = json.loads(
        '{"stages": {"b": {"frameworks": ["numpy"]}, "a": {"frameworks": ["numpy"]}}, "seed": 1, "version": "1.0"}'
    )
    lock_cases = [
        {
            "description": "the classic pipeline locks with explicit seeds and defaults",
            "input": {"manifest": classic, "env": {}},
            "expected": {
                "lock": full_lock(
                    classic,
                    {"seed": 42, "source": "manifest"},
                    {
                        "preprocess": {
                            "seed": derive(42, "preprocess"),
                            "source": "derived",
                            "frameworks": {"numpy": framework_entry(42, "manifest", "numpy")},
                        },
                        "train": {
                            "seed": train_seed,
                            "source": "derived",
                            "frameworks": {
                                "numpy": framework_entry(42, "manifest", "numpy"),
                                "tensorflow": framework_entry(1234, "manifest", "tensorflow"),
                            },
                        },
                    },
                )
            },
        },
        {
            "description": "settings merge defaults, top level and stage",
            "input": {"manifest": settings_manifest, "env": {}},
            "expected": {
                "lock": full_lock(
                    settings_manifest,
                    {"seed": 7, "source": "manifest"},
                    {
                        "train": {
                            "seed": settings_train_seed,
                            "source": "derived",
                            "frameworks": {
                                "torch": framework_entry(
                                    derive(settings_train_seed, "torch"),
                                    "derived",
                                    "torch",
                                    deterministic=False,
                                    num_threads=1,
                                ),
                                "numpy": framework_entry(
                                    derive(settings_train_seed, "numpy"), "derived", "numpy", bit_generator="MT19937"
                                ),
                                "r": framework_entry(
                                    derive(settings_train_seed, "r"), "derived", "r", sample_kind="Rounding"
                                ),
                            },
                        }
                    },
                )
            },
        },
        {
            "description": "member order does not change the manifest hash",
            "input": {"manifest": reordered, "env": {}},
            "expected": {
                "lock": full_lock(
                    reordered,
                    {"seed": 1, "source": "manifest"},
                    {
                        "b": {
                            "seed": derive(1, "b"),
                            "source": "derived",
                            "frameworks": {
                                "numpy": framework_entry(derive(derive(1, "b"), "numpy"), "derived", "numpy")
                            },
                        },
                        "a": {
                            "seed": derive(1, "a"),
                            "source": "derived",
                            "frameworks": {
                                "numpy": framework_entry(derive(derive(1, "a"), "numpy"), "derived", "numpy")
                            },
                        },
                    },
                )
            },
        },
        {
            "description": "an environment seed is recorded with its variable",
            "input": {"manifest": manifest_v10(42, TRAIN_NUMPY_TORCH), "env": {"SEEDLOCK_SEED_TRAIN": "8"}},
            "expected": {
                "lock": full_lock(
                    manifest_v10(42, TRAIN_NUMPY_TORCH),
                    {"seed": 42, "source": "manifest"},
                    {
                        "train": {
                            "seed": 8,
                            "source": "env",
                            "variable": "SEEDLOCK_SEED_TRAIN",
                            "frameworks": {
                                "numpy": framework_entry(derive(8, "numpy"), "derived", "numpy"),
                                "torch": framework_entry(derive(8, "torch"), "derived", "torch"),
                            },
                        }
                    },
                )
            },
        },
        {
            "description": "unicode in a description is hashed as UTF-8",
            "input": {
                "manifest": manifest_v10(3, {"s": {"frameworks": ["python"], "description": 'Zürich \u2192 δ "q"\n'}}),
                "env": {},
            },
            "expected": {
                "lock": full_lock(
                    manifest_v10(3, {"s": {"frameworks": ["python"], "description": 'Zürich \u2192 δ "q"\n'}}),
                    {"seed": 3, "source": "manifest"},
                    {
                        "s": {
                            "seed": derive(3, "s"),
                            "source": "derived",
                            "frameworks": {
                                "python": framework_entry(derive(derive(3, "s"), "python"), "derived", "python")
                            },
                        }
                    },
                )
            },
        },
    ]
    # An integral float hashes as the integer it denotes.
    lock_cases.append(
        {
            "description": "an integral float seed hashes as the integer",
            "input": {"manifest": manifest_v10(42.0, TRAIN_NUMPY_TORCH), "env": {}},
            "expected": {
                "lock": full_lock(
                    manifest_v10(42, TRAIN_NUMPY_TORCH),
                    {"seed": 42, "source": "manifest"},
                    {
                        "train": {
                            "seed": train_seed,
                            "source": "derived",
                            "frameworks": {
                                "numpy": framework_entry(derive(train_seed, "numpy"), "derived", "numpy"),
                                "torch": framework_entry(derive(train_seed, "torch"), "derived", "torch"),
                            },
                        }
                    },
                )
            },
        }
    )
    return VectorFile(
        "lock",
        "manifest-to-lock",
        "a manifest resolves to this lock (provenance and manifest path left out)",
        lock_cases,
    )


# ---------------------------------------------------------------- query


def query_stage_seeds() -> VectorFile:
    # Asking a resolved lock for one framework's seed in one stage: the seed, or which error.
    query_manifest = manifest_v10(
        42, {"train": {"frameworks": ["numpy", "torch"], "seeds": {"torch": 5}}, "eval": {"frameworks": ["r"]}}
    )
    train_seed = derive(42, "train")
    queries = [
        {
            "description": "a derived framework seed is answered",
            "input": {"manifest": query_manifest, "env": {}, "stage": "train", "framework": "numpy"},
            "expected": {"seed": derive(train_seed, "numpy")},
        },
        {
            "description": "an explicit framework seed is answered",
            "input": {"manifest": query_manifest, "env": {}, "stage": "train", "framework": "torch"},
            "expected": {"seed": 5},
        },
        {
            "description": "the r seed of another stage is answered",
            "input": {"manifest": query_manifest, "env": {}, "stage": "eval", "framework": "r"},
            "expected": {"seed": derive(derive(42, "eval"), "r")},
        },
        error_case(
            "a stage the lock does not have is unknown-stage",
            {"manifest": query_manifest, "env": {}, "stage": "deploy", "framework": "numpy"},
            "unknown-stage",
            "/stages/deploy",
        ),
        error_case(
            "a framework the stage does not list is framework-not-in-stage",
            {"manifest": query_manifest, "env": {}, "stage": "eval", "framework": "numpy"},
            "framework-not-in-stage",
            "/stages/eval/frameworks",
        ),
        error_case(
            "a framework of another stage is framework-not-in-stage",
            {"manifest": query_manifest, "env": {}, "stage": "train", "framework": "r"},
            "framework-not-in-stage",
            "/stages/train/frameworks",
        ),
    ]
    return VectorFile(
        "query", "stage-seeds", "one framework's seed in one stage of a lock, or why there is none", queries
    )


# ---------------------------------------------------------------- invalid
def invalid(description: str, document: Any, code: str, pointer: str = "", kind: str = "manifest") -> dict[str, Any]:
    return error_case(description, {"kind": kind, "document": document}, code, pointer)


def invalid_text(description: str, text: str, code: str, pointer: str = "", kind: str = "manifest") -> dict[str, Any]:
    return error_case(description, {"kind": kind, "text": text}, code, pointer)


def placed_at(case_: dict[str, Any], line: int, column: int) -> dict[str, Any]:
    case_["error"].update(line=line, column=column)
    return case_


def several_faults(
    description: str, document: Any, faults: list[tuple[str, str]], kind: str = "manifest"
) -> dict[str, Any]:
    return {
        "description": description,
        "input": {"kind": kind, "document": document},
        "errors": [{"code": code, "pointer": pointer} for code, pointer in faults],
    }


def valid_manifest(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["numpy"]}}}
    doc.update(changes)
    return doc


def with_train_stage(**fields: Any) -> dict[str, Any]:
    return valid_manifest(stages={"train": {"frameworks": ["numpy"], **fields}})


def invalid_json_syntax() -> VectorFile:
    syntax = [
        invalid_text("an empty file is rejected", "", "invalid-json"),
        invalid_text("white space only is rejected", "  \n", "invalid-json"),
        invalid_text("truncated JSON is rejected", '{"version": "1.0", "seed": 4', "invalid-json"),
        placed_at(
            invalid_text(
                "a trailing comma is rejected",
                '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}},}',
                "invalid-json",
            ),
            1,
            74,
        ),
        placed_at(
            invalid_text(
                "a trailing comma is placed at the comma",
                '{\n  "version": "1.0",\n  "seed": 42,\n  "stages": {"t": {"frameworks": ["numpy",]}}\n}',
                "invalid-json",
            ),
            4,
            42,
        ),
        placed_at(
            invalid_text(
                "a missing comma is placed at the next member",
                '{\n  "version": "1.0"\n  "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json",
            ),
            3,
            3,
        ),
        placed_at(
            invalid_text(
                "a truncated document is placed one past its end", '{"version": "1.0",\n "seed": 4', "invalid-json"
            ),
            2,
            11,
        ),
        placed_at(
            invalid_text(
                "columns count characters not bytes",
                '{"description": "ééé", "version": "1.0" "seed": 1, "stages": {"t": {"frameworks": ["r"]}}}',
                "invalid-json",
            ),
            1,
            41,
        ),
        placed_at(
            invalid_text(
                "an unterminated string is placed at its quote",
                '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy]}}}',
                "invalid-json",
            ),
            1,
            64,
        ),
        placed_at(
            invalid_text(
                "a form feed is not white space",
                '{\f"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json",
            ),
            1,
            2,
        ),
        placed_at(
            invalid_text(
                "a vertical tab is not white space",
                '{"version": "1.0",\u000b "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json",
            ),
            1,
            19,
        ),
        placed_at(
            invalid_text(
                "a no-break space is not white space",
                '{"version": "1.0",\u00a0"seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json",
            ),
            1,
            19,
        ),
        placed_at(
            invalid_text(
                "a stray quote after the document is rejected",
                '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}"',
                "invalid-json",
            ),
            1,
            75,
        ),
        placed_at(
            invalid_text(
                "an unterminated string after the document is rejected",
                '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}\n"abc',
                "invalid-json",
            ),
            2,
            1,
        ),
        placed_at(
            invalid_text(
                "a string after the document is rejected",
                '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}} "abc"',
                "invalid-json",
            ),
            1,
            76,
        ),
        placed_at(
            invalid_text(
                "a raw tab inside a string is rejected",
                '{"version": "1.0", "description": "a\tb", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json",
            ),
            1,
            37,
        ),
        invalid_text(
            "a comment is rejected",
            '// seeds\n{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}',
            "invalid-json",
        ),
        placed_at(
            invalid_text(
                "a NaN seed is rejected",
                '{"version": "1.0", "seed": NaN, "stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json",
            ),
            1,
            28,
        ),
        placed_at(
            invalid_text(
                "an Infinity seed is rejected",
                '{"version": "1.0", "seed": Infinity, "stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json",
            ),
            1,
            28,
        ),
        placed_at(
            invalid_text(
                "a negative Infinity is placed at its sign",
                '{"version": "1.0", "description": "NaN",\n "seed": -Infinity, '
                '"stages": {"t": {"frameworks": ["numpy"]}}}',
                "invalid-json",
            ),
            2,
            10,
        ),
        invalid_text(
            "text after the document is rejected",
            '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}} x',
            "invalid-json",
        ),
        invalid_text(
            "a duplicate seed key is rejected",
            '{"version": "1.0", "seed": 1, "seed": 2, "stages": {"t": {"frameworks": ["numpy"]}}}',
            "duplicate-key",
            "/seed",
        ),
        invalid_text(
            "a duplicate stage name is rejected",
            '{"version": "1.0", "seed": 1, "stages": {"t": {"frameworks": ["numpy"]}, "t": {"frameworks": ["torch"]}}}',
            "duplicate-key",
            "/stages/t",
        ),
        invalid_text(
            "a duplicate key deep inside is rejected",
            '{"version": "1.0", "seed": 1, '
            '"stages": {"t": {"frameworks": ["numpy"], "seeds": {"numpy": 1, "numpy": 2}}}}',
            "duplicate-key",
            "/stages/t/seeds/numpy",
        ),
        invalid_text(
            "nesting deeper than 64 levels is rejected",
            '{"version": "1.0", "seed": ' + "[" * 64 + "]" * 64 + ', "stages": {"t": {"frameworks": ["numpy"]}}}',
            "invalid-json",
        ),
        invalid_text(
            "nesting of 64 levels is parsed and then typed",
            '{"version": "1.0", "seed": ' + "[" * 63 + "]" * 63 + ', "stages": {"t": {"frameworks": ["numpy"]}}}',
            "invalid-type",
            "/seed",
        ),
        invalid_text(
            "brackets inside strings do not count as nesting",
            '{"version": "1.0", "seed": 42.5, "description": "'
            + "[" * 100
            + '", "stages": {"t": {"frameworks": ["numpy"]}}}',
            "invalid-type",
            "/seed",
        ),
        invalid_text(
            "an unpaired surrogate escape is rejected",
            '{"version": "1.0", "seed": 1, "description": "\\ud800", "stages": {"t": {"frameworks": ["numpy"]}}}',
            "invalid-json",
        ),
        invalid_text(
            "a lone low surrogate escape is rejected",
            '{"version": "1.0", "seed": 1, "description": "x\\udc00", "stages": {"t": {"frameworks": ["numpy"]}}}',
            "invalid-json",
        ),
        invalid_text(
            "an escaped backslash before u is not an escape",
            '{"version": "1.0", "seed": true, "description": "\\\\ud800", "stages": {"t": {"frameworks": ["numpy"]}}}',
            "invalid-type",
            "/seed",
        ),
        invalid("a top-level array is rejected", [1, 2], "invalid-type"),
        invalid("a top-level number is rejected", 42, "invalid-type"),
    ]
    return VectorFile(
        "invalid", "json-syntax", "JSON-level faults: syntax, non-standard literals, duplicate keys", syntax
    )


def invalid_manifest_structure() -> VectorFile:
    top = [
        invalid(
            "a missing version is rejected",
            {"seed": 42, "stages": {"train": {"frameworks": ["numpy"]}}},
            "missing-field",
            "/version",
        ),
        invalid(
            "a missing seed is rejected",
            {"version": "1.0", "stages": {"train": {"frameworks": ["numpy"]}}},
            "missing-field",
            "/seed",
        ),
        invalid("missing stages are rejected", {"version": "1.0", "seed": 42}, "missing-field", "/stages"),
        invalid("a misspelt top-level field is rejected", valid_manifest(sed=1), "unknown-field", "/sed"),
        invalid("a numeric version is rejected", valid_manifest(version=1.0), "invalid-type", "/version"),
        invalid("a malformed version is rejected", valid_manifest(version="one"), "invalid-value", "/version"),
        invalid("a version without a minor part is rejected", valid_manifest(version="1"), "invalid-value", "/version"),
        invalid("major version 2 is unsupported", valid_manifest(version="2.0"), "unsupported-version", "/version"),
        invalid(
            "a later minor version is unsupported", valid_manifest(version="1.3"), "unsupported-version", "/version"
        ),
        invalid(
            "a version with a leading zero is rejected", valid_manifest(version="01.0"), "invalid-value", "/version"
        ),
        invalid(
            "a minor version with a leading zero is rejected",
            valid_manifest(version="1.00"),
            "invalid-value",
            "/version",
        ),
        invalid("a version with a sign is rejected", valid_manifest(version="+1.0"), "invalid-value", "/version"),
        invalid("a version with white space is rejected", valid_manifest(version="1.0 "), "invalid-value", "/version"),
        invalid(
            "an unknown derivation is rejected",
            valid_manifest(derivation="md5-v1"),
            "unknown-derivation",
            "/derivation",
        ),
        invalid("a numeric derivation is rejected", valid_manifest(derivation=1), "invalid-type", "/derivation"),
        invalid("an empty stages object is rejected", valid_manifest(stages={}), "invalid-value", "/stages"),
        invalid(
            "stages as an array is rejected",
            valid_manifest(stages=[{"frameworks": ["numpy"]}]),
            "invalid-type",
            "/stages",
        ),
        invalid("a numeric description is rejected", valid_manifest(description=5), "invalid-type", "/description"),
        invalid("inputs as a string are rejected", valid_manifest(inputs="data.csv"), "invalid-type", "/inputs"),
        invalid(
            "an empty params path is rejected", valid_manifest(params=["p.yaml", ""]), "invalid-value", "/params/1"
        ),
        invalid("a numeric input path is rejected", valid_manifest(inputs=[3]), "invalid-type", "/inputs/0"),
        invalid(
            "a string allow_external_paths is rejected",
            valid_manifest(allow_external_paths="yes"),
            "invalid-type",
            "/allow_external_paths",
        ),
    ]
    return VectorFile(
        "invalid", "manifest-structure", "a manifest's top-level members: required, known, well typed", top
    )


def invalid_seeds() -> VectorFile:
    seeds = [
        invalid("a boolean seed is rejected", valid_manifest(seed=True), "invalid-type", "/seed"),
        invalid("a null seed is rejected", valid_manifest(seed=None), "invalid-type", "/seed"),
        invalid("a negative seed is rejected", valid_manifest(seed=-1), "seed-out-of-range", "/seed"),
        invalid("seed 2**31 is rejected", valid_manifest(seed=2147483648), "seed-out-of-range", "/seed"),
        invalid("seed 2**32 is rejected", valid_manifest(seed=4294967296), "seed-out-of-range", "/seed"),
        invalid("a non-integral seed is rejected", valid_manifest(seed=42.5), "invalid-type", "/seed"),
        invalid("a quoted number seed is rejected", valid_manifest(seed="42"), "invalid-seed", "/seed"),
        invalid("a misspelt generate is rejected", valid_manifest(seed="Generate"), "invalid-seed", "/seed"),
        invalid("an object seed is rejected", valid_manifest(seed={"value": 42}), "invalid-type", "/seed"),
        invalid(
            "a negative stage seed is rejected", with_train_stage(seed=-7), "seed-out-of-range", "/stages/train/seed"
        ),
        invalid("a boolean stage seed is rejected", with_train_stage(seed=False), "invalid-type", "/stages/train/seed"),
        invalid(
            "a framework seed of generate is rejected",
            with_train_stage(seeds={"numpy": "generate"}),
            "invalid-seed",
            "/stages/train/seeds/numpy",
        ),
        invalid(
            "a framework seed above the domain is rejected",
            with_train_stage(seeds={"numpy": 2147483648}),
            "seed-out-of-range",
            "/stages/train/seeds/numpy",
        ),
        invalid(
            "a non-integral framework seed is rejected",
            with_train_stage(seeds={"numpy": 0.5}),
            "invalid-type",
            "/stages/train/seeds/numpy",
        ),
        invalid_text(
            "a seed of 1e400 is out of range",
            '{"version": "1.0", "seed": 1e400, "stages": {"t": {"frameworks": ["numpy"]}}}',
            "seed-out-of-range",
            "/seed",
        ),
        invalid_text(
            "a seed of 4301 digits is out of range",
            '{"version": "1.0", "seed": 1' + "0" * 4300 + ', "stages": {"t": {"frameworks": ["numpy"]}}}',
            "seed-out-of-range",
            "/seed",
        ),
        invalid_text(
            "a negative seed of 5000 digits is out of range",
            '{"version": "1.0", "seed": -' + "9" * 5000 + ', "stages": {"t": {"frameworks": ["numpy"]}}}',
            "seed-out-of-range",
            "/seed",
        ),
        invalid_text(
            "a seed of 400 digits is out of range",
            '{"version": "1.0", "seed": ' + "7" * 400 + ', "stages": {"t": {"frameworks": ["numpy"]}}}',
            "seed-out-of-range",
            "/seed",
        ),
        invalid_text(
            "a seed of 1e-400 is not an integer",
            '{"version": "1.0", "seed": 1e-400, "stages": {"t": {"frameworks": ["numpy"]}}}',
            "invalid-type",
            "/seed",
        ),
        invalid_text(
            "a framework seed of 1.0000000000000000001 is not an integer",
            '{"version": "1.0", "seed": 1, '
            '"stages": {"t": {"frameworks": ["numpy"], "seeds": {"numpy": 1.0000000000000000001}}}}',
            "invalid-type",
            "/stages/t/seeds/numpy",
        ),
        invalid_text(
            "a seed of 5e-1 is not an integer",
            '{"version": "1.0", "seed": 5e-1, "stages": {"t": {"frameworks": ["numpy"]}}}',
            "invalid-type",
            "/seed",
        ),
    ]
    return VectorFile(
        "invalid", "seeds", 'seeds must be integers in [0, 2147483647] (or "generate" where allowed)', seeds
    )


def invalid_stages() -> VectorFile:
    stages = [
        invalid(
            "an upper-case stage name is rejected",
            valid_manifest(stages={"Train": {"frameworks": ["numpy"]}}),
            "invalid-label",
            "/stages/Train",
        ),
        invalid(
            "a stage name with a space is rejected",
            valid_manifest(stages={"my stage": {"frameworks": ["numpy"]}}),
            "invalid-label",
            "/stages/my stage",
        ),
        invalid(
            "a stage name with a slash is rejected",
            valid_manifest(stages={"a/b": {"frameworks": ["numpy"]}}),
            "invalid-label",
            "/stages/a~1b",
        ),
        invalid(
            "a stage that is not an object is rejected",
            valid_manifest(stages={"train": ["numpy"]}),
            "invalid-type",
            "/stages/train",
        ),
        invalid(
            "a stage without frameworks is rejected",
            valid_manifest(stages={"train": {"seed": 1}}),
            "missing-field",
            "/stages/train/frameworks",
        ),
        invalid(
            "an empty framework list is rejected",
            with_train_stage(frameworks=[]),
            "invalid-value",
            "/stages/train/frameworks",
        ),
        invalid(
            "frameworks as a string is rejected",
            with_train_stage(frameworks="numpy"),
            "invalid-type",
            "/stages/train/frameworks",
        ),
        invalid(
            "an unknown framework is rejected",
            with_train_stage(frameworks=["numpy", "jax"]),
            "unknown-framework",
            "/stages/train/frameworks/1",
        ),
        invalid(
            "a capitalised framework is rejected",
            with_train_stage(frameworks=["NumPy"]),
            "unknown-framework",
            "/stages/train/frameworks/0",
        ),
        invalid(
            "a repeated framework is rejected",
            with_train_stage(frameworks=["numpy", "torch", "numpy"]),
            "duplicate-framework",
            "/stages/train/frameworks/2",
        ),
        invalid(
            "a seed for an unlisted framework is rejected",
            with_train_stage(seeds={"torch": 1}),
            "unlisted-framework",
            "/stages/train/seeds/torch",
        ),
        invalid(
            "a seed for an unknown framework is rejected",
            with_train_stage(seeds={"jax": 1}),
            "unknown-framework",
            "/stages/train/seeds/jax",
        ),
        invalid(
            "a misspelt stage field is rejected",
            with_train_stage(seeeds={"numpy": 1}),
            "unknown-field",
            "/stages/train/seeeds",
        ),
        invalid("seeds as an array is rejected", with_train_stage(seeds=[1]), "invalid-type", "/stages/train/seeds"),
        invalid(
            "two stages with one variable are rejected",
            valid_manifest(stages={"pre-process": {"frameworks": ["numpy"]}, "pre_process": {"frameworks": ["numpy"]}}),
            "env-name-collision",
            "/stages/pre_process",
        ),
        invalid(
            "dot and dash stage names that collide are rejected",
            valid_manifest(stages={"a.b": {"frameworks": ["numpy"]}, "a-b": {"frameworks": ["numpy"]}}),
            "env-name-collision",
            "/stages/a.b",
        ),
    ]
    return VectorFile("invalid", "stages", "stage names, framework lists and explicit framework seeds", stages)


def invalid_settings() -> VectorFile:
    settings_bad = [
        invalid(
            "settings for an unknown framework are rejected",
            valid_manifest(settings={"jax": {}}),
            "unknown-framework",
            "/settings/jax",
        ),
        invalid(
            "an unknown settings member is rejected",
            valid_manifest(settings={"torch": {"determinstic": True}}),
            "unknown-field",
            "/settings/torch/determinstic",
        ),
        invalid(
            "a string boolean setting is rejected",
            valid_manifest(settings={"torch": {"deterministic": "yes"}}),
            "invalid-type",
            "/settings/torch/deterministic",
        ),
        invalid(
            "an unknown bit generator is rejected",
            valid_manifest(settings={"numpy": {"bit_generator": "pcg64"}}),
            "invalid-value",
            "/settings/numpy/bit_generator",
        ),
        invalid(
            "zero threads are rejected",
            valid_manifest(settings={"torch": {"num_threads": 0}}),
            "invalid-value",
            "/settings/torch/num_threads",
        ),
        invalid(
            "fractional threads are rejected",
            valid_manifest(settings={"torch": {"num_threads": 1.5}}),
            "invalid-type",
            "/settings/torch/num_threads",
        ),
        invalid(
            "an unknown R kind is rejected",
            valid_manifest(settings={"r": {"kind": "Mersenne Twister"}}),
            "invalid-value",
            "/settings/r/kind",
        ),
        invalid(
            "an unknown R sample kind is rejected",
            valid_manifest(settings={"r": {"sample_kind": "rejection"}}),
            "invalid-value",
            "/settings/r/sample_kind",
        ),
        invalid(
            "stage settings for an unlisted framework are rejected",
            with_train_stage(settings={"torch": {"num_threads": 1}}),
            "unlisted-framework",
            "/stages/train/settings/torch",
        ),
        invalid(
            "settings that are not an object are rejected",
            valid_manifest(settings={"numpy": "PCG64"}),
            "invalid-type",
            "/settings/numpy",
        ),
        invalid(
            "caffe solvers as a string are rejected",
            valid_manifest(settings={"caffe": {"solvers": "solver.prototxt"}}),
            "invalid-type",
            "/settings/caffe/solvers",
        ),
        invalid(
            "an empty caffe solver path is rejected",
            valid_manifest(settings={"caffe": {"solvers": ["a.prototxt", ""]}}),
            "invalid-value",
            "/settings/caffe/solvers/1",
        ),
    ]
    return VectorFile(
        "invalid", "settings", "framework settings: known frameworks, known members, typed values", settings_bad
    )


VALID_LOCK_TRAIN_SEED = derive(42, "train")
VALID_LOCK = {
    "lock-version": "1.0",
    "derivation": "sha256-v1",
    "root": {"seed": 42, "source": "manifest"},
    "stages": {
        "train": {
            "seed": VALID_LOCK_TRAIN_SEED,
            "source": "derived",
            "frameworks": {
                "numpy": {
                    "seed": derive(VALID_LOCK_TRAIN_SEED, "numpy"),
                    "source": "derived",
                    "settings": {"bit_generator": "PCG64"},
                }
            },
        }
    },
    "manifest": {"sha256": "0" * 64},
}


def valid_lock_with(path: list[str], value: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(VALID_LOCK))
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


DELETE = object()


def invalid_locks() -> VectorFile:
    locks = [
        invalid(
            "a lock with a wrong derived stage seed is rejected",
            valid_lock_with(["stages", "train", "seed"], VALID_LOCK_TRAIN_SEED + 1),
            "lock-mismatch",
            "/stages/train/seed",
            kind="lock",
        ),
        invalid(
            "a lock with a wrong derived framework seed is rejected",
            valid_lock_with(["stages", "train", "frameworks", "numpy", "seed"], 5),
            "lock-mismatch",
            "/stages/train/frameworks/numpy/seed",
            kind="lock",
        ),
        invalid(
            "a lock without a manifest hash is rejected",
            valid_lock_with(["manifest", "sha256"], DELETE),
            "missing-field",
            "/manifest/sha256",
            kind="lock",
        ),
        invalid(
            "a lock with a short manifest hash is rejected",
            valid_lock_with(["manifest", "sha256"], "abc"),
            "invalid-value",
            "/manifest/sha256",
            kind="lock",
        ),
        invalid(
            "a lock of an unsupported version is rejected",
            valid_lock_with(["lock-version"], "2.0"),
            "unsupported-version",
            "/lock-version",
            kind="lock",
        ),
        invalid(
            "a lock version with a leading zero is rejected",
            valid_lock_with(["lock-version"], "1.00"),
            "invalid-value",
            "/lock-version",
            kind="lock",
        ),
        invalid(
            "a lock with an unknown source is rejected",
            valid_lock_with(["root", "source"], "guessed"),
            "invalid-value",
            "/root/source",
            kind="lock",
        ),
        invalid(
            "a lock env seed without its variable is rejected",
            valid_lock_with(["root", "source"], "env"),
            "missing-field",
            "/root/variable",
            kind="lock",
        ),
        invalid(
            "a lock with a derived root is rejected",
            valid_lock_with(["root", "source"], "derived"),
            "invalid-value",
            "/root/source",
            kind="lock",
        ),
        invalid(
            "a lock missing framework settings is rejected",
            valid_lock_with(["stages", "train", "frameworks", "numpy", "settings"], {}),
            "missing-field",
            "/stages/train/frameworks/numpy/settings/bit_generator",
            kind="lock",
        ),
        invalid(
            "a lock with an out-of-range seed is rejected",
            valid_lock_with(["root", "seed"], -3),
            "seed-out-of-range",
            "/root/seed",
            kind="lock",
        ),
        invalid(
            "a lock with generate as a seed is rejected",
            valid_lock_with(["root", "seed"], "generate"),
            "invalid-seed",
            "/root/seed",
            kind="lock",
        ),
        invalid(
            "a lock with an unknown member is rejected",
            valid_lock_with(["seeds"], {}),
            "unknown-field",
            "/seeds",
            kind="lock",
        ),
        invalid(
            "a lock with rules as a string is rejected",
            valid_lock_with(["rules"], "2"),
            "invalid-type",
            "/rules",
            kind="lock",
        ),
        invalid(
            "a lock with rules 3 is rejected",
            valid_lock_with(["rules"], 3),
            "unsupported-version",
            "/rules",
            kind="lock",
        ),
        invalid(
            "a lock with rules 0 is rejected",
            valid_lock_with(["rules"], 0),
            "unsupported-version",
            "/rules",
            kind="lock",
        ),
        invalid(
            "a lock with an unknown framework is rejected",
            valid_lock_with(
                ["stages", "train", "frameworks", "jax"], {"seed": 1, "source": "manifest", "settings": {}}
            ),
            "unknown-framework",
            "/stages/train/frameworks/jax",
            kind="lock",
        ),
    ]
    return VectorFile("invalid", "locks", "locks are validated like manifests and checked for integrity", locks)


def invalid_several_faults() -> VectorFile:
    faults = [
        several_faults(
            "faults are listed in document order",
            {
                "version": "1.0",
                "sed": 4,
                "seed": "x",
                "stages": {
                    "train": {"frameworks": ["nunpy", "torch"], "seeds": {"torch": -1}},
                    "Eval": {"frameworks": ["r"]},
                },
            },
            [
                ("unknown-field", "/sed"),
                ("invalid-seed", "/seed"),
                ("unknown-framework", "/stages/train/frameworks/0"),
                ("seed-out-of-range", "/stages/train/seeds/torch"),
                ("invalid-label", "/stages/Eval"),
            ],
        ),
        several_faults(
            "a missing member sorts after its object's members",
            {"stages": {"b": {"seed": 1}, "a": {"frameworks": ["numpy"], "sed": 2}}, "seed": 1.5},
            [
                ("missing-field", "/stages/b/frameworks"),
                ("unknown-field", "/stages/a/sed"),
                ("invalid-type", "/seed"),
                ("missing-field", "/version"),
            ],
        ),
        several_faults(
            "later array elements keep their pointers",
            valid_manifest(stages={"train": {"frameworks": ["jax", "numpy", "numpy", "flax"]}}, inputs=["", "a", 3]),
            [
                ("unknown-framework", "/stages/train/frameworks/0"),
                ("duplicate-framework", "/stages/train/frameworks/2"),
                ("unknown-framework", "/stages/train/frameworks/3"),
                ("invalid-value", "/inputs/0"),
                ("invalid-type", "/inputs/2"),
            ],
        ),
        several_faults(
            "a misspelt settings member and value are both listed",
            valid_manifest(
                settings={"torch": {"determinstic": True, "num_threads": 0}, "numpy": {"bit_generator": "pcg64"}}
            ),
            [
                ("unknown-field", "/settings/torch/determinstic"),
                ("invalid-value", "/settings/torch/num_threads"),
                ("invalid-value", "/settings/numpy/bit_generator"),
            ],
        ),
        several_faults(
            "an unsupported version ends the list",
            {"version": "2.0", "sed": 1, "seed": -1, "stages": {}},
            [("unsupported-version", "/version")],
        ),
        several_faults(
            "a lock's mismatched seeds are each listed",
            valid_lock_with(["stages", "train", "frameworks", "numpy", "seed"], 5)
            | {"root": {"seed": 42, "source": "manifest"}, "extra": 1},
            [("lock-mismatch", "/stages/train/frameworks/numpy/seed"), ("unknown-field", "/extra")],
            kind="lock",
        ),
        several_faults(
            "a lock's wrong stage seed does not make its frameworks wrong",
            valid_lock_with(["stages", "train", "seed"], 7) | {"lock-version": "01.0"},
            [("invalid-value", "/lock-version"), ("lock-mismatch", "/stages/train/seed")],
            kind="lock",
        ),
    ]
    faults.append(
        several_faults(
            "a repaired version is the latest, so jax and extensions add no fault",
            {"version": "01.1", "seed": 42, "stages": {"train": {"frameworks": ["jax", "x-faker"]}}},
            [("invalid-value", "/version")],
        )
    )
    faults.append(
        several_faults(
            "jax in a 1.0 manifest is listed with the other faults",
            {"version": "1.0", "seed": -1, "stages": {"train": {"frameworks": ["jax", "numpy"], "sed": 1}}},
            [
                ("seed-out-of-range", "/seed"),
                ("unknown-framework", "/stages/train/frameworks/0"),
                ("unknown-field", "/stages/train/sed"),
            ],
        )
    )
    return VectorFile("invalid", "several-faults", "every fault of a document, in document order (SPEC.md 7.1)", faults)


def lock_caffe_settings() -> VectorFile:
    caffe_manifest = manifest_v10(
        5, {"train": {"frameworks": ["caffe", "numpy"], "settings": {"caffe": {"solvers": ["caffe/solver.prototxt"]}}}}
    )
    train_seed = derive(5, "train")
    lock_cases_caffe = [
        {
            "description": "caffe solvers are recorded in the lock",
            "input": {"manifest": caffe_manifest, "env": {}},
            "expected": {
                "lock": full_lock(
                    caffe_manifest,
                    {"seed": 5, "source": "manifest"},
                    {
                        "train": {
                            "seed": train_seed,
                            "source": "derived",
                            "frameworks": {
                                "caffe": framework_entry(
                                    derive(train_seed, "caffe"), "derived", "caffe", solvers=["caffe/solver.prototxt"]
                                ),
                                "numpy": framework_entry(derive(train_seed, "numpy"), "derived", "numpy"),
                            },
                        }
                    },
                )
            },
        },
    ]
    return VectorFile(
        "lock", "caffe-settings", "caffe solver paths pass from the manifest into the lock", lock_cases_caffe
    )


# ---------------------------------------------------------------- caffe solver writer (golden texts)
CAFFE_SOLVER = 'net: "net.prototxt"\nbase_lr: 0.01\nmax_iter: 100\nsolver_mode: CPU\n'


def solver(description: str, text: str, seed: int, expected: str) -> dict[str, Any]:
    return {"description": description, "input": {"solver": text, "seed": seed}, "expected": {"solver": expected}}


def solver_error(description: str, text: str, pointer: str = "") -> dict[str, Any]:
    return error_case(description, {"solver": text, "seed": 7}, "invalid-solver", pointer)


def caffe_solver_writer() -> VectorFile:
    caffe = [
        solver("an absent random_seed is appended", CAFFE_SOLVER, 7, CAFFE_SOLVER + "random_seed: 7\n"),
        solver(
            "a present random_seed is replaced in place",
            'net: "n.prototxt"\nrandom_seed: 1\nbase_lr: 0.1\n',
            42,
            'net: "n.prototxt"\nrandom_seed: 42\nbase_lr: 0.1\n',
        ),
        solver(
            "the clock default of -1 is replaced",
            'net: "n.prototxt"\nrandom_seed: -1\n',
            3,
            'net: "n.prototxt"\nrandom_seed: 3\n',
        ),
        solver(
            "a hexadecimal random_seed is replaced",
            'net: "n.prototxt"\nrandom_seed: 0x10 # old\n',
            3,
            'net: "n.prototxt"\nrandom_seed: 3 # old\n',
        ),
        solver(
            "spacing around the value is kept",
            'net: "n.prototxt"\n  random_seed :   9   \n',
            2147483647,
            'net: "n.prototxt"\n  random_seed :   2147483647   \n',
        ),
        solver(
            "CRLF line endings are kept and used for the new line",
            'net: "n.prototxt"\r\nbase_lr: 0.1\r\n',
            5,
            'net: "n.prototxt"\r\nbase_lr: 0.1\r\nrandom_seed: 5\r\n',
        ),
        solver(
            "a file without a final newline gets one before the new line",
            'net: "n.prototxt"\nbase_lr: 0.1',
            5,
            'net: "n.prototxt"\nbase_lr: 0.1\nrandom_seed: 5\n',
        ),
        solver(
            "a commented-out random_seed is not touched",
            '# random_seed: 1\nnet: "n.prototxt"\n',
            8,
            '# random_seed: 1\nnet: "n.prototxt"\nrandom_seed: 8\n',
        ),
        solver(
            "random_seed inside a string is not touched",
            'net: "random_seed: 1.prototxt"\n',
            8,
            'net: "random_seed: 1.prototxt"\nrandom_seed: 8\n',
        ),
        solver(
            "unicode comments are kept byte for byte",
            '# Gewichte für Zürich — δ\nnet: "n.prototxt"\nrandom_seed: 1\n',
            0,
            '# Gewichte für Zürich — δ\nnet: "n.prototxt"\nrandom_seed: 0\n',
        ),
        solver(
            "a random_seed inside an inline net is not the solver's",
            'net_param {\n  name: "x"\n  random_seed: 4\n}\nbase_lr: 0.1\n',
            6,
            'net_param {\n  name: "x"\n  random_seed: 4\n}\nbase_lr: 0.1\nrandom_seed: 6\n',
        ),
        solver(
            "train and test state blocks are kept",
            'train_net: "t.prototxt"\ntest_net: "v.prototxt"\ntest_iter: 10\ntest_state { phase: TEST stage: "val" }\n'
            "random_seed: 1\n",
            11,
            'train_net: "t.prototxt"\ntest_net: "v.prototxt"\ntest_iter: 10\ntest_state { phase: TEST stage: "val" }\n'
            "random_seed: 11\n",
        ),
        solver(
            "a field order with random_seed first is kept",
            'random_seed:5\nnet: "n.prototxt"\n',
            12,
            'random_seed:12\nnet: "n.prototxt"\n',
        ),
        solver_error(
            "random_seed set twice is rejected", 'net: "n.prototxt"\nrandom_seed: 1\nrandom_seed: 2\n', "/random_seed"
        ),
        solver_error("a misspelt field is rejected", 'net: "n.prototxt"\nbse_lr: 0.1\n'),
        solver_error("a string where a number belongs is rejected", 'net: "n.prototxt"\nbase_lr: "fast"\n'),
        solver_error("an unknown solver mode is rejected", 'net: "n.prototxt"\nsolver_mode: TPU\n'),
        solver_error("a solver without a train net is rejected", "base_lr: 0.1\n"),
        solver_error("a solver with two train nets is rejected", 'net: "a.prototxt"\ntrain_net: "b.prototxt"\n'),
        solver_error("an unterminated string is rejected", 'net: "n.prototxt\n'),
        solver_error("an unbalanced brace is rejected", 'net: "n.prototxt"\ntrain_state { phase: TRAIN\n'),
        solver_error("a non-integer random_seed is rejected", 'net: "n.prototxt"\nrandom_seed: 1.5\n', "/random_seed"),
    ]
    return VectorFile("caffe", "solver-writer", "random_seed written into solver text; every other byte kept", caffe)


# ---------------------------------------------------------------- training (SPEC §4.3 rules 2, and rules 1)
def process_seed(seed: int, rank: int | None) -> int:
    return seed if rank is None else derive(seed, "rank", str(rank))


def training(
    description: str,
    seed: int,
    *,
    rank: int | None = None,
    epoch: int | None = None,
    worker: int | None = None,
    loader_seed: int | None = None,
    stream: Any = "absent",
    rules: int | None = None,
) -> dict[str, Any]:
    """One case, computed straight from the label paths of SPEC §4.3."""
    inp: dict[str, Any] = {"seed": seed}
    for key, value in (
        ("rank", rank),
        ("epoch", epoch),
        ("worker", worker),
        ("loader_seed", loader_seed),
        ("rules", rules),
    ):
        if value is not None:
            inp[key] = value
    if stream != "absent":
        inp["stream"] = stream
    version = rules or 2
    process = process_seed(seed, rank)
    if worker is not None:
        if version == 1:
            base = derive(seed, "rank", str(rank or 0), "worker", str(worker))
        else:
            base = derive(process, "worker", str(worker), "loader", str(loader_seed))
    elif epoch is not None:
        base = derive(process, "epoch", str(epoch))
    else:
        base = process
    if stream == "absent":
        out = base
    elif stream is None:
        out = base if version == 1 else derive(base, "stream", "default")
    else:
        out = derive(base, "stream", stream)
    return {"description": description, "input": inp, "expected": {"seed": out}}


def training_epochs() -> VectorFile:
    epochs = [
        training("epoch 0 of a single process", FRAMEWORK_SEED, epoch=0),
        training("epoch 1 of a single process", FRAMEWORK_SEED, epoch=1),
        training("epoch 2 of a single process", FRAMEWORK_SEED, epoch=2),
        training("epoch 1 of rank 0", FRAMEWORK_SEED, epoch=1, rank=0),
        training("epoch 1 of rank 1", FRAMEWORK_SEED, epoch=1, rank=1),
        training("epoch 1000000 from seed 0", 0, epoch=1000000),
        training("epoch 7 from the largest seed", MAX_SEED, epoch=7),
        training("epoch 3 under rules 1 is the same as under rules 2", FRAMEWORK_SEED, epoch=3, rules=1),
        error_case("a negative epoch is rejected", {"seed": FRAMEWORK_SEED, "epoch": -1}, "invalid-value"),
    ]
    return VectorFile(
        "training", "epochs", "epoch seeds: derive(P, epoch, e) of the process seed P (rank-adjusted first)", epochs
    )


PYTORCH_MAX_BASE_SEED = 9223372036854775807  # the largest base_seed PyTorch draws (int64 random_)


def training_streams() -> VectorFile:
    streams = [
        training("the shuffle stream of a single process", FRAMEWORK_SEED, stream="shuffle"),
        training("the bootstrap stream of a single process", FRAMEWORK_SEED, stream="bootstrap"),
        training("a stream requested without a name is default", FRAMEWORK_SEED, stream=None),
        training("the default stream by name", FRAMEWORK_SEED, stream="default"),
        training("the shuffle stream of rank 2", FRAMEWORK_SEED, rank=2, stream="shuffle"),
        training("the shuffle stream in epoch 4", FRAMEWORK_SEED, epoch=4, stream="shuffle"),
        training("the shuffle stream of rank 1 in epoch 4", FRAMEWORK_SEED, rank=1, epoch=4, stream="shuffle"),
        training("the tensorflow global generator stream", FRAMEWORK_SEED, stream="global"),
        training("an unnamed stream under rules 1 is the process seed", FRAMEWORK_SEED, stream=None, rules=1),
        training("an unnamed stream of rank 3 under rules 1", FRAMEWORK_SEED, rank=3, stream=None, rules=1),
        training("a named stream under rules 1 is as under rules 2", FRAMEWORK_SEED, stream="shuffle", rules=1),
        error_case(
            "an upper-case stream name is rejected", {"seed": FRAMEWORK_SEED, "stream": "Shuffle"}, "invalid-label"
        ),
        error_case("an empty stream name is rejected", {"seed": FRAMEWORK_SEED, "stream": ""}, "invalid-label"),
    ]
    return VectorFile("training", "streams", "named streams: derive(B, stream, name) of the current base B", streams)


def training_loader_workers() -> VectorFile:
    loader = [
        training("worker 0 with loader seed 0", FRAMEWORK_SEED, worker=0, loader_seed=0),
        training("worker 1 with loader seed 0", FRAMEWORK_SEED, worker=1, loader_seed=0),
        training("worker 0 with another loader seed", FRAMEWORK_SEED, worker=0, loader_seed=8424871924171063237),
        training(
            "worker 1 with the largest PyTorch base seed", FRAMEWORK_SEED, worker=1, loader_seed=PYTORCH_MAX_BASE_SEED
        ),
        training("worker 1 with loader seed 2**64-1", FRAMEWORK_SEED, worker=1, loader_seed=2**64 - 1),
        training("worker 1 of rank 1", FRAMEWORK_SEED, rank=1, worker=1, loader_seed=12345),
        training(
            "worker 1 of rank 0 differs from a single process", FRAMEWORK_SEED, rank=0, worker=1, loader_seed=12345
        ),
        training("the bootstrap stream in worker 1", FRAMEWORK_SEED, worker=1, loader_seed=12345, stream="bootstrap"),
        training(
            "the default stream in worker 0 of rank 1", FRAMEWORK_SEED, rank=1, worker=0, loader_seed=77, stream=None
        ),
        training(
            "worker 1 under rules 1 ignores the loader seed", FRAMEWORK_SEED, worker=1, loader_seed=12345, rules=1
        ),
        training("worker 2 of rank 3 under rules 1", FRAMEWORK_SEED, rank=3, worker=2, loader_seed=5, rules=1),
        error_case(
            "a negative worker is rejected", {"seed": FRAMEWORK_SEED, "worker": -1, "loader_seed": 0}, "invalid-value"
        ),
        error_case(
            "a negative loader seed is rejected",
            {"seed": FRAMEWORK_SEED, "worker": 0, "loader_seed": -1},
            "invalid-value",
        ),
        error_case(
            "a loader seed of 2**64 is rejected",
            {"seed": FRAMEWORK_SEED, "worker": 0, "loader_seed": 2**64},
            "invalid-value",
        ),
        error_case(
            "rules 3 is rejected",
            {"seed": FRAMEWORK_SEED, "worker": 0, "loader_seed": 0, "rules": 3},
            "unsupported-version",
            "/rules",
        ),
    ]
    return VectorFile(
        "training", "loader-workers", "data-loader worker seeds derive(P, worker, w, loader, b), per iterator", loader
    )


# ---------------------------------------------------------------- generators made without a seed (SPEC §6.3)
def unseeded(
    description: str, seed: int, n: int, *, rank: int | None = None, test_id: str | None = None
) -> dict[str, Any]:
    """The n-th generator made without a seed: derive(B, unseeded, n), B the process seed or the test's seed."""
    inp: dict[str, Any] = {"seed": seed, "unseeded": n}
    if rank is not None:
        inp["rank"] = rank
    if test_id is not None:
        inp["test_id"] = test_id
        base = derive(seed, "pytest", test_id_hash(test_id))
    else:
        base = process_seed(seed, rank)
    return {"description": description, "input": inp, "expected": {"seed": derive(base, "unseeded", str(n))}}


def training_unseeded_generators() -> VectorFile:
    seedless = [
        unseeded("the first generator made without a seed", FRAMEWORK_SEED, 0),
        unseeded("the second generator made without a seed", FRAMEWORK_SEED, 1),
        unseeded("the thousandth generator made without a seed", FRAMEWORK_SEED, 999),
        unseeded("the first one below seed 0", 0, 0),
        unseeded("the first one below the largest seed", MAX_SEED, 0),
        unseeded("the first one in rank 1", FRAMEWORK_SEED, 0, rank=1),
        unseeded("the first one in a test", FRAMEWORK_SEED, 0, test_id="tests/test_a.py::test_x"),
        unseeded("the third one in a parametrized test", FRAMEWORK_SEED, 2, test_id="tests/test_a.py::test_x[1-b]"),
        error_case("a negative index is rejected", {"seed": FRAMEWORK_SEED, "unseeded": -1}, "invalid-value"),
    ]
    return VectorFile(
        "training",
        "unseeded-generators",
        "generators made without a seed: derive(B, unseeded, n) in creation order",
        seedless,
    )


# ---------------------------------------------------------------- spec 1.1: jax and extensions
def manifest_v11(seed: Any, stages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"version": "1.1", "seed": seed, "stages": stages, **extra}


def extension_entry(seed: int, source: str) -> dict[str, Any]:
    return {"seed": seed, "source": source, "settings": {}}


def full_lock_v11(manifest: dict[str, Any], root: dict[str, Any], stages: dict[str, Any]) -> dict[str, Any]:
    return {**full_lock(manifest, root, stages), "lock-version": "1.1"}


def lock_jax_and_extensions() -> VectorFile:
    jax_manifest = manifest_v11(
        42,
        {
            "train": {"frameworks": ["jax", "numpy", "x-faker"], "settings": {"jax": {"prng_impl": "rbg"}}},
            "augment": {"frameworks": ["x-faker", "x-cv2.rng"], "seeds": {"x-faker": 7}},
        },
        settings={"jax": {"deterministic_ops": False}},
    )
    train_seed = derive(42, "train")
    augment_seed = derive(42, "augment")
    lock_cases_11 = [
        {
            "description": "a 1.1 manifest with jax and extensions locks as 1.1",
            "input": {"manifest": jax_manifest, "env": {}},
            "expected": {
                "lock": full_lock_v11(
                    jax_manifest,
                    {"seed": 42, "source": "manifest"},
                    {
                        "train": {
                            "seed": train_seed,
                            "source": "derived",
                            "frameworks": {
                                "jax": framework_entry(
                                    derive(train_seed, "jax"),
                                    "derived",
                                    "jax",
                                    prng_impl="rbg",
                                    deterministic_ops=False,
                                ),
                                "numpy": framework_entry(derive(train_seed, "numpy"), "derived", "numpy"),
                                "x-faker": extension_entry(derive(train_seed, "x-faker"), "derived"),
                            },
                        },
                        "augment": {
                            "seed": augment_seed,
                            "source": "derived",
                            "frameworks": {
                                "x-faker": extension_entry(7, "manifest"),
                                "x-cv2.rng": extension_entry(derive(augment_seed, "x-cv2.rng"), "derived"),
                            },
                        },
                    },
                )
            },
        },
        {
            "description": "a 1.0 manifest still locks as 1.0 under a 1.1 binding",
            "input": {"manifest": manifest_v10(5, {"t": {"frameworks": ["numpy"]}}), "env": {}},
            "expected": {
                "lock": full_lock(
                    manifest_v10(5, {"t": {"frameworks": ["numpy"]}}),
                    {"seed": 5, "source": "manifest"},
                    {
                        "t": {
                            "seed": derive(5, "t"),
                            "source": "derived",
                            "frameworks": {
                                "numpy": framework_entry(derive(derive(5, "t"), "numpy"), "derived", "numpy")
                            },
                        }
                    },
                )
            },
        },
    ]
    return VectorFile(
        "lock", "jax-and-extensions", "spec 1.1: jax settings and extension seeds pass into a 1.1 lock", lock_cases_11
    )


JAX_KEY_MANIFEST = manifest_v11(42, {"train": {"frameworks": ["jax", "x-faker"]}, "eval": {"frameworks": ["numpy"]}})


def key_case(description: str, framework: str, expected: int, **where: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"seed": expected}
    if framework == "jax":
        out["key_data"] = [0, expected]  # threefry2x32: the raw key of seed S < 2**32 is [0, S]
    return {
        "description": description,
        "input": {"manifest": JAX_KEY_MANIFEST, "env": {}, "stage": "train", "framework": framework, **where},
        "expected": out,
    }


def jax_key_seed(
    seed: int,
    *,
    rank: int | None = None,
    worker: int | None = None,
    epoch: int | None = None,
    stream: str | None = None,
) -> int:
    """The key seed S of SPEC §6 jax: process seed K0, base K (epoch), then the key's name."""
    if worker is not None:
        key_seed = derive(seed, "rank", str(rank or 0), "worker", str(worker))
    else:
        key_seed = process_seed(seed, rank)
    if epoch is not None:
        key_seed = derive(key_seed, "epoch", str(epoch))
    return key_seed if stream is None else derive(key_seed, "stream", stream)


JAX_NAMED_AND_EPOCH_KEYS: list[tuple[str, dict[str, Any]]] = [
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


def query_jax_keys() -> VectorFile:
    train_seed = derive(42, "train")
    jax_seed = derive(train_seed, "jax")
    key_cases = [
        key_case("the jax key of a single process comes from the jax seed", "jax", jax_seed),
        key_case("the jax key of rank 2 comes from its rank seed", "jax", derive(jax_seed, "rank", "2"), rank=2),
        key_case("the jax key of worker 1 of rank 0", "jax", derive(jax_seed, "rank", "0", "worker", "1"), worker=1),
        key_case(
            "the jax key of worker 3 of rank 2", "jax", derive(jax_seed, "rank", "2", "worker", "3"), rank=2, worker=3
        ),
        *[
            key_case(description, "jax", jax_key_seed(jax_seed, **where), **where)
            for description, where in JAX_NAMED_AND_EPOCH_KEYS
        ],
        key_case("an extension seed is derived by its name", "x-faker", derive(train_seed, "x-faker")),
        key_case(
            "an extension rank seed follows the rank rule",
            "x-faker",
            derive(derive(train_seed, "x-faker"), "rank", "1"),
            rank=1,
        ),
        error_case(
            "a jax key from a stage without jax is framework-not-in-stage",
            {"manifest": JAX_KEY_MANIFEST, "env": {}, "stage": "eval", "framework": "jax"},
            "framework-not-in-stage",
            "/stages/eval/frameworks",
        ),
        error_case(
            "an upper-case key name is rejected",
            {"manifest": JAX_KEY_MANIFEST, "env": {}, "stage": "train", "framework": "jax", "stream": "Dropout"},
            "invalid-label",
        ),
        error_case(
            "a negative epoch of a key is rejected",
            {"manifest": JAX_KEY_MANIFEST, "env": {}, "stage": "train", "framework": "jax", "epoch": -1},
            "invalid-value",
        ),
    ]
    return VectorFile(
        "query",
        "jax-keys",
        "spec 1.1: the seed and raw key of jax per process, key name and epoch, and extension seeds",
        key_cases,
    )


def valid_manifest_v11(**changes: Any) -> dict[str, Any]:
    return {**valid_manifest(**changes), "version": "1.1"} if "version" not in changes else valid_manifest(**changes)


def with_train_stage_v11(**fields: Any) -> dict[str, Any]:
    return {**with_train_stage(**fields), "version": "1.1"}


VALID_LOCK_V11 = {**VALID_LOCK, "lock-version": "1.1"}


def valid_lock_v11_with(path: list[str], value: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(VALID_LOCK_V11))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def invalid_versions() -> VectorFile:
    versions = [
        invalid(
            "jax in a 1.0 stage is unknown-framework",
            with_train_stage(frameworks=["numpy", "jax"]),
            "unknown-framework",
            "/stages/train/frameworks/1",
        ),
        invalid(
            "a jax seed in a 1.0 stage is unknown-framework",
            with_train_stage(seeds={"jax": 1}),
            "unknown-framework",
            "/stages/train/seeds/jax",
        ),
        invalid(
            "jax settings in a 1.0 manifest are unknown-framework",
            valid_manifest(settings={"jax": {"prng_impl": "rbg"}}),
            "unknown-framework",
            "/settings/jax",
        ),
        invalid(
            "an extension in a 1.0 stage is unknown-framework",
            with_train_stage(frameworks=["x-faker"]),
            "unknown-framework",
            "/stages/train/frameworks/0",
        ),
        invalid(
            "jax in a 1.0 lock is unknown-framework",
            valid_lock_with(
                ["stages", "train", "frameworks", "jax"], {"seed": 1, "source": "manifest", "settings": DEFAULTS["jax"]}
            ),
            "unknown-framework",
            "/stages/train/frameworks/jax",
            kind="lock",
        ),
        invalid(
            "an unknown framework in a 1.1 stage is rejected",
            with_train_stage_v11(frameworks=["numpy", "flax"]),
            "unknown-framework",
            "/stages/train/frameworks/1",
        ),
        invalid(
            "an upper-case extension name is an invalid label",
            with_train_stage_v11(frameworks=["x-Faker"]),
            "invalid-label",
            "/stages/train/frameworks/0",
        ),
        invalid(
            "a bare x- is an invalid label",
            with_train_stage_v11(frameworks=["numpy", "x-"]),
            "invalid-label",
            "/stages/train/frameworks/1",
        ),
        invalid(
            "an extension seed named badly is an invalid label",
            with_train_stage_v11(frameworks=["numpy"], seeds={"x-_a": 1}),
            "invalid-label",
            "/stages/train/seeds/x-_a",
        ),
        invalid(
            "settings for an extension are unknown-field",
            {**valid_manifest_v11(settings={"x-faker": {}}), "version": "1.1"},
            "unknown-field",
            "/settings/x-faker",
        ),
        invalid(
            "a seed for an unlisted extension is rejected",
            with_train_stage_v11(seeds={"x-faker": 1}),
            "unlisted-framework",
            "/stages/train/seeds/x-faker",
        ),
        invalid(
            "an unknown jax PRNG implementation is rejected",
            {**valid_manifest(settings={"jax": {"prng_impl": "philox"}}), "version": "1.1"},
            "invalid-value",
            "/settings/jax/prng_impl",
        ),
        invalid(
            "a string jax deterministic_ops is rejected",
            {**valid_manifest(settings={"jax": {"deterministic_ops": "yes"}}), "version": "1.1"},
            "invalid-type",
            "/settings/jax/deterministic_ops",
        ),
        invalid(
            "a 1.1 lock extension with settings is rejected",
            valid_lock_v11_with(
                ["stages", "train", "frameworks", "x-faker"],
                {"seed": 1, "source": "manifest", "settings": {"locale": "de"}},
            ),
            "unknown-field",
            "/stages/train/frameworks/x-faker/settings/locale",
            kind="lock",
        ),
        invalid(
            "a 1.1 lock without complete jax settings is rejected",
            valid_lock_v11_with(
                ["stages", "train", "frameworks", "jax"],
                {"seed": 1, "source": "manifest", "settings": {"prng_impl": "rbg"}},
            ),
            "missing-field",
            "/stages/train/frameworks/jax/settings/threefry_partitionable",
            kind="lock",
        ),
        invalid(
            "a 1.3 lock is unsupported",
            valid_lock_with(["lock-version"], "1.3"),
            "unsupported-version",
            "/lock-version",
            kind="lock",
        ),
    ]
    return VectorFile(
        "invalid", "versions", "spec 1.1: what a 1.0 document cannot name, and extension names and settings", versions
    )


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
    return {
        "description": description,
        "input": {"framework_seed": framework_seed, "value": value},
        "expected": {"label": label, "seed": None if label is None else derive(framework_seed, "takeover", label)},
    }


def takeover_values() -> VectorFile:
    return VectorFile(
        "takeover",
        "takeover",
        "a program's own seed value v taken over: derive(F, takeover/label(v)), SPEC 6.3",
        [
            takeover("the seed document's magic 42", 1668514852, 42),
            takeover("the next epoch's 43 differs from 42", 1668514852, 43),
            takeover("zero is a value like any other", 1668514852, 0),
            takeover("a negative value is labelled n and its magnitude", 1668514852, -5),
            takeover("reseeding from the OS is labelled none", 1668514852, None),
            takeover("another framework seed gives another seed", 2005593084, 42),
            takeover("a value above the seed domain is taken over", 7, 2**64 - 1),
            takeover("the smallest framework seed", 0, 42),
            takeover("the largest framework seed", MAX_SEED, 42),
            takeover("a value of 63 digits is the longest label", 7, 10**62),
            takeover("a value of 64 digits is not taken over", 7, 10**63),
            takeover("a negative value of 63 characters is taken over", 7, -(10**61)),
            takeover("a string value is not taken over", 7, "42"),
        ],
    )


# ---------------------------------------------------------------- spec 1.2: a stage's take_over (§6.3)


def lock_take_over() -> VectorFile:
    take_over_manifest = {
        "version": "1.2",
        "seed": 42,
        "stages": {
            "train": {"frameworks": ["numpy", "torch"], "take_over": True},
            "eval": {"frameworks": ["numpy"], "take_over": False},
            "plot": {"frameworks": ["python"]},
        },
    }
    train_seed, eval_seed, plot_seed = derive(42, "train"), derive(42, "eval"), derive(42, "plot")
    return VectorFile(
        "lock",
        "take-over",
        "spec 1.2: a stage's take_over passes into its lock entry as written",
        [
            {
                "description": "take_over true and false are copied, an absent one stays absent",
                "input": {"manifest": take_over_manifest, "env": {}},
                "expected": {
                    "lock": {
                        **full_lock(
                            take_over_manifest,
                            {"seed": 42, "source": "manifest"},
                            {
                                "train": {
                                    "seed": train_seed,
                                    "source": "derived",
                                    "take_over": True,
                                    "frameworks": {
                                        "numpy": framework_entry(derive(train_seed, "numpy"), "derived", "numpy"),
                                        "torch": framework_entry(derive(train_seed, "torch"), "derived", "torch"),
                                    },
                                },
                                "eval": {
                                    "seed": eval_seed,
                                    "source": "derived",
                                    "take_over": False,
                                    "frameworks": {
                                        "numpy": framework_entry(derive(eval_seed, "numpy"), "derived", "numpy")
                                    },
                                },
                                "plot": {
                                    "seed": plot_seed,
                                    "source": "derived",
                                    "frameworks": {
                                        "python": framework_entry(derive(plot_seed, "python"), "derived", "python")
                                    },
                                },
                            },
                        ),
                        "lock-version": "1.2",
                    }
                },
            },
        ],
    )


def with_train_stage_v12(**fields: Any) -> dict[str, Any]:
    return {**with_train_stage(**fields), "version": "1.2"}


def invalid_take_over() -> VectorFile:
    return VectorFile(
        "invalid",
        "take-over",
        "spec 1.2: a stage's take_over is a boolean, and unknown before 1.2",
        [
            invalid(
                "take_over in a 1.1 stage is unknown-field",
                {**with_train_stage(take_over=True), "version": "1.1"},
                "unknown-field",
                "/stages/train/take_over",
            ),
            invalid(
                "take_over in a 1.0 stage is unknown-field",
                with_train_stage(take_over=False),
                "unknown-field",
                "/stages/train/take_over",
            ),
            invalid(
                "a string take_over is rejected",
                with_train_stage_v12(take_over="yes"),
                "invalid-type",
                "/stages/train/take_over",
            ),
            invalid(
                "a numeric take_over is rejected",
                with_train_stage_v12(take_over=1),
                "invalid-type",
                "/stages/train/take_over",
            ),
            invalid(
                "take_over at the top level is unknown-field",
                {**valid_manifest(take_over=True), "version": "1.2"},
                "unknown-field",
                "/take_over",
            ),
            invalid(
                "take_over in a 1.1 lock stage is unknown-field",
                valid_lock_v11_with(["stages", "train", "take_over"], True),
                "unknown-field",
                "/stages/train/take_over",
                kind="lock",
            ),
            invalid(
                "a string take_over in a 1.2 lock is rejected",
                {**valid_lock_v11_with(["stages", "train", "take_over"], "yes"), "lock-version": "1.2"},
                "invalid-type",
                "/stages/train/take_over",
                kind="lock",
            ),
        ],
    )


# ---------------------------------------------------------------- locate (SPEC §12): probe records
def probe_case(description: str, shape: list[int], values: list[Any], *, calls: int = 1) -> dict[str, Any]:
    return {
        "description": description,
        "input": {"name": "x", "shape": shape, "values": values, "calls": calls},
        "expected": {
            "type": "probe",
            "kind": "probe",
            "name": "x",
            "step": calls - 1,
            "shape": shape,
            "values": values,
        },
    }


def locate_probe_records() -> VectorFile:
    return VectorFile(
        "locate",
        "probe-records",
        "what a probe writes: shape, row-major values, NaN and infinities spelt, the default step",
        [
            probe_case("a vector is written as it is", [3], [0.5, -2.0, 0.1]),
            probe_case("a 2 by 3 matrix is written row by row", [2, 3], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            probe_case(
                "a 2 by 2 by 2 array is written in row-major order", [2, 2, 2], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
            ),
            probe_case("NaN and infinities are spelt as strings", [3], ["nan", "inf", "-inf"]),
            probe_case("doubles keep every bit", [2], [0.1 + 0.2, 1e-300]),
            probe_case("the third probe of a name has step 2", [1], [7.0], calls=3),
        ],
    )


# ---------------------------------------------------------------- replicate (spec §13)
STREAM_FWS = ("tensorflow", "torch", "numpy", "jax")


def replicate_case(
    description: str,
    manifest: dict[str, Any],
    replicate: int,
    vary: list[str] | None = None,
    streams: list[dict[str, Any]] | None = None,
    stage_name: str = "train",
) -> dict[str, Any]:
    """Replicate `replicate` of `stage_name`, computed from §13 with derive() only."""
    root = manifest["seed"]
    declared = manifest["stages"][stage_name]
    stage_seed = declared.get("seed", derive(root, stage_name))
    pinned_seeds = declared.get("seeds", {})
    # framework -> (its locked seed, whether the manifest pins it)
    locked = {
        fw: (pinned_seeds[fw], True) if fw in pinned_seeds else (derive(stage_seed, fw), False)
        for fw in declared["frameworks"]
    }
    names = vary or []
    if not names:
        varied_fws = {fw for fw, (_s, pinned) in locked.items() if not pinned}
        varied_streams: dict[str, set[str]] = {}
    else:
        varied_fws = {name for name in names if name in locked}
        varied_streams = {}
        for name in names:
            if ":" in name:
                fw, _, stream = name.partition(":")
                varied_streams.setdefault(fw, set()).add(stream)
            elif name not in locked:
                for fw in locked:
                    if fw in STREAM_FWS:
                        varied_streams.setdefault(fw, set()).add(name)
    seeds = {}
    for fw, (seed, _pinned) in locked.items():
        seeds[fw] = derive(seed, "replicate", str(replicate)) if replicate and fw in varied_fws else seed
    input_: dict[str, Any] = {"manifest": manifest, "stage": stage_name, "replicate": replicate}
    if vary is not None:
        input_["vary"] = vary
    expected: dict[str, Any] = {"frameworks": seeds}
    if streams:
        input_["streams"] = streams
        out = []
        for request in streams:
            fw, name = request["framework"], request["name"]
            base = seeds[fw]
            if "epoch" in request:
                base = derive(base, "epoch", str(request["epoch"]))
            labels = ["stream", name]
            if replicate and fw not in varied_fws and name in varied_streams.get(fw, set()):
                labels += ["replicate", str(replicate)]
            out.append(derive(base, *labels))
        expected["streams"] = out
    return {"description": description, "input": input_, "expected": expected}


def replicate_error(
    description: str, manifest: dict[str, Any], replicate: Any, vary: list[str], code: str, pointer: str
) -> dict[str, Any]:
    return {
        "description": description,
        "input": {"manifest": manifest, "stage": "train", "replicate": replicate, "vary": vary},
        "error": {"code": code, "pointer": pointer},
    }


REPLICATE_MANIFEST = manifest_v11(42, {"train": {"frameworks": ["python", "numpy", "torch"]}})
REPLICATE_PINNED_NUMPY = manifest_v11(
    42, {"train": {"frameworks": ["python", "numpy", "torch"], "seeds": {"numpy": 7}}}
)
REPLICATE_R_STAGES = manifest_v11(
    42, {"train": {"frameworks": ["r"]}, "eval": {"frameworks": ["python", "r"], "seed": 99}}
)
DATA_STREAMS: list[dict[str, Any]] = [
    {"framework": "numpy", "name": "data"},
    {"framework": "numpy", "name": "augment"},
    {"framework": "torch", "name": "data"},
    {"framework": "numpy", "name": "data", "epoch": 2},
]


def replicate_seeds() -> VectorFile:
    replicate_cases = [
        replicate_case("replicate 0 is the lock itself", REPLICATE_MANIFEST, 0, streams=DATA_STREAMS),
        replicate_case(
            "replicate 0 with vary is the lock itself", REPLICATE_MANIFEST, 0, ["data"], streams=DATA_STREAMS
        ),
        replicate_case("replicate 1 varies every framework by default", REPLICATE_MANIFEST, 1, streams=DATA_STREAMS),
        replicate_case("replicate 2 varies every framework by default", REPLICATE_MANIFEST, 2, streams=DATA_STREAMS),
        replicate_case("the largest replicate index", REPLICATE_MANIFEST, MAX_SEED),
        replicate_case(
            "vary torch changes only the torch seed", REPLICATE_MANIFEST, 3, ["torch"], streams=DATA_STREAMS
        ),
        replicate_case(
            "vary data changes only the data streams", REPLICATE_MANIFEST, 3, ["data"], streams=DATA_STREAMS
        ),
        replicate_case(
            "vary numpy:data changes only the numpy data stream",
            REPLICATE_MANIFEST,
            3,
            ["numpy:data"],
            streams=DATA_STREAMS,
        ),
        replicate_case("vary data follows the entered epoch", REPLICATE_MANIFEST, 5, ["data"], streams=DATA_STREAMS),
        replicate_case(
            "vary default changes only the unnamed streams",
            REPLICATE_MANIFEST,
            4,
            ["default"],
            streams=[{"framework": "numpy", "name": "default"}, {"framework": "numpy", "name": "data"}],
        ),
        replicate_case(
            "a framework and a stream together",
            REPLICATE_MANIFEST,
            6,
            ["python", "numpy:augment"],
            streams=DATA_STREAMS,
        ),
        replicate_case("a pinned framework is held by default", REPLICATE_PINNED_NUMPY, 1, streams=DATA_STREAMS),
        replicate_case(
            "a pinned framework named in vary varies", REPLICATE_PINNED_NUMPY, 1, ["numpy"], streams=DATA_STREAMS
        ),
        replicate_case(
            "a stream of a pinned framework named in vary varies",
            REPLICATE_PINNED_NUMPY,
            1,
            ["data"],
            streams=DATA_STREAMS,
        ),
        replicate_case("an r stage varies its r seed", REPLICATE_R_STAGES, 1),
        replicate_case("vary r in a stage with a pinned stage seed", REPLICATE_R_STAGES, 7, ["r"], stage_name="eval"),
        replicate_case("vary python holds r", REPLICATE_R_STAGES, 7, ["python"], stage_name="eval"),
    ]
    replicate_errors = [
        replicate_error(
            "a negative replicate index is rejected", REPLICATE_MANIFEST, -1, [], "invalid-value", "/replicate"
        ),
        replicate_error(
            "a replicate index above the seed domain is rejected",
            REPLICATE_MANIFEST,
            MAX_SEED + 1,
            [],
            "invalid-value",
            "/replicate",
        ),
        replicate_error(
            "a framework the stage does not list is rejected",
            REPLICATE_MANIFEST,
            1,
            ["tensorflow"],
            "framework-not-in-stage",
            "/vary/0",
        ),
        replicate_error(
            "a stream of an unlisted framework is rejected",
            REPLICATE_MANIFEST,
            1,
            ["jax:init"],
            "framework-not-in-stage",
            "/vary/0",
        ),
        replicate_error(
            "an upper-case stream name is an invalid label",
            REPLICATE_MANIFEST,
            1,
            ["numpy", "Data"],
            "invalid-label",
            "/vary/1",
        ),
        replicate_error(
            "a stream of a framework without streams is rejected",
            REPLICATE_MANIFEST,
            1,
            ["python:data"],
            "invalid-value",
            "/vary/0",
        ),
        replicate_error(
            "a stream in a stage without stream frameworks is rejected",
            REPLICATE_R_STAGES,
            1,
            ["data"],
            "invalid-value",
            "/vary/0",
        ),
    ]
    return VectorFile(
        "replicate",
        "seeds",
        "replicate k of a stage: varied frameworks and streams, pinned seeds held (spec 12)",
        replicate_cases + replicate_errors,
    )


def task_index_case(
    description: str,
    env: dict[str, str],
    replicate: int | None = None,
    attempt: int = 0,
    code: str | None = None,
    pointer: str = "/replicate",
) -> dict[str, Any]:
    if code is not None:
        return {"description": description, "input": {"env": env}, "error": {"code": code, "pointer": pointer}}
    return {"description": description, "input": {"env": env}, "expected": {"replicate": replicate, "attempt": attempt}}


def replicate_task_index() -> VectorFile:
    tasks = [
        task_index_case(
            "a Slurm array task", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_JOB_ID": "1004", "SLURM_ARRAY_JOB_ID": "1000"}, 3
        ),
        task_index_case(
            "a requeued Slurm array task keeps its index",
            {"SLURM_ARRAY_TASK_ID": "3", "SLURM_RESTART_COUNT": "2"},
            3,
            2,
        ),
        task_index_case("a Kubernetes Indexed Job pod", {"JOB_COMPLETION_INDEX": "0", "HOSTNAME": "train-0-x7k2p"}, 0),
        task_index_case("seedlock's Ray engine", {"SEEDLOCK_REPLICATE_INDEX": "12", "SEEDLOCK_ATTEMPT": "1"}, 12, 1),
        task_index_case(
            "seedlock's index wins over Slurm's", {"SEEDLOCK_REPLICATE_INDEX": "5", "SLURM_ARRAY_TASK_ID": "9"}, 5
        ),
        task_index_case("an empty variable is unset", {"SEEDLOCK_REPLICATE_INDEX": "", "JOB_COMPLETION_INDEX": "4"}, 4),
        task_index_case(
            "seedlock's attempt wins over Slurm's",
            {"SLURM_ARRAY_TASK_ID": "1", "SEEDLOCK_ATTEMPT": "0", "SLURM_RESTART_COUNT": "3"},
            1,
            0,
        ),
        task_index_case("no index is missing-environment", {"SLURM_JOB_ID": "1004"}, code="missing-environment"),
        task_index_case("a signed index is rejected", {"SLURM_ARRAY_TASK_ID": "+3"}, code="invalid-env-value"),
        task_index_case(
            "an index with a leading zero is rejected", {"JOB_COMPLETION_INDEX": "03"}, code="invalid-env-value"
        ),
        task_index_case(
            "an index above the seed domain is rejected",
            {"SEEDLOCK_REPLICATE_INDEX": "2147483648"},
            code="invalid-env-value",
        ),
        task_index_case(
            "a non-numeric attempt is rejected",
            {"SLURM_ARRAY_TASK_ID": "1", "SLURM_RESTART_COUNT": "x"},
            code="invalid-env-value",
            pointer="/attempt",
        ),
    ]
    return VectorFile(
        "replicate",
        "task-index",
        "the replicate index and attempt of a task from its engine's variables (spec 12)",
        tasks,
    )


# Every vector file this script writes, one function each, in the order of the sections above.
FAMILIES: tuple[Callable[[], VectorFile], ...] = (
    derive_basic,
    derive_edge_seeds,
    derive_long_paths,
    derive_errors,
    workers_ranks_and_workers,
    workers_test_ids,
    resolve_precedence,
    resolve_env,
    resolve_generate,
    lock_manifest_to_lock,
    query_stage_seeds,
    invalid_json_syntax,
    invalid_manifest_structure,
    invalid_seeds,
    invalid_stages,
    invalid_settings,
    invalid_locks,
    invalid_several_faults,
    lock_caffe_settings,
    caffe_solver_writer,
    training_epochs,
    training_streams,
    training_loader_workers,
    training_unseeded_generators,
    lock_jax_and_extensions,
    query_jax_keys,
    invalid_versions,
    takeover_values,
    lock_take_over,
    invalid_take_over,
    locate_probe_records,
    replicate_seeds,
    replicate_task_index,
)


def render() -> dict[Path, str]:
    """Every vector file's path (relative to spec/vectors/) and text."""
    files = [family() for family in FAMILIES]
    paths = [f.relative_path for f in files]
    assert len(set(paths)) == len(paths), "two families write one file"
    return {f.relative_path: f.text() for f in files}


def _check(rendered: dict[Path, str], root: Path) -> list[str]:
    stale = []
    for relative, text in rendered.items():
        path = root / relative
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            stale.append(str(path))
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=VECTORS, help="directory to write (default: spec/vectors)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file under --out differs")
    args = parser.parse_args(argv)
    rendered = render()
    if args.check:
        stale = _check(rendered, args.out)
        for path in stale:
            print(f"{path} differs from what spec/tools/generate_vectors.py writes: run it")
        print(f"checked {len(rendered)} vector files: {len(stale)} stale")
        return 1 if stale else 0
    for relative, text in rendered.items():
        path = args.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
