"""A torch stage starts as fast as ``import torch`` (issue 18 item 9): seeding turns on deterministic
algorithms without importing Inductor, and Inductor still gets its determinism flag before anything
compiles (torch 2.13's ``use_deterministic_algorithms`` imports ``torch._inductor.config`` to set it).

Every test runs an unmodified script under ``seedlock run`` (or ``apply_from_env``) in a fresh process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import seedlock_cli

PROBE = """\
import json, sys
import torch
before = "torch._inductor.config" in sys.modules
enabled = torch.are_deterministic_algorithms_enabled()
{middle}
import torch._inductor.config as config
print(json.dumps({{"inductor_at_start": before, "enabled": enabled, "inductor_flag": config.deterministic,
                  "enabled_after": torch.are_deterministic_algorithms_enabled()}}))
"""


def _lock(tmp_path: Path, settings: dict[str, object] | None = None) -> Path:
    stage: dict[str, object] = {"frameworks": ["numpy", "torch"]}
    if settings:
        stage["settings"] = {"torch": settings}
    (tmp_path / "m.json").write_text(json.dumps({"version": "1.0", "seed": 1, "stages": {"train": stage}}))
    out = seedlock_cli("resolve", str(tmp_path / "m.json"), "-o", str(tmp_path / "l.json"), "--no-provenance")
    assert out.returncode == 0, out.stderr
    return tmp_path / "l.json"


def _probe(tmp_path: Path, lock: Path, middle: str = "", *flags: str) -> dict[str, bool]:
    script = tmp_path / "probe.py"
    script.write_text(PROBE.format(middle=middle))
    out = seedlock_cli("run", str(lock), "--stage", "train", *flags, "--", sys.executable, str(script))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_an_auto_seeded_torch_stage_does_not_import_inductor_and_inductor_is_deterministic_when_loaded(
    tmp_path: Path,
) -> None:
    got = _probe(tmp_path, _lock(tmp_path))
    assert got == {"inductor_at_start": False, "enabled": True, "inductor_flag": True, "enabled_after": True}


def test_a_program_that_turns_determinism_off_gets_inductor_off_too(tmp_path: Path) -> None:
    got = _probe(tmp_path, _lock(tmp_path), "torch.use_deterministic_algorithms(False)")
    assert got == {"inductor_at_start": False, "enabled": True, "inductor_flag": False, "enabled_after": False}


def test_apply_from_env_does_not_import_inductor_either(tmp_path: Path) -> None:
    got = _probe(tmp_path, _lock(tmp_path), "", "--no-auto-seed")
    assert got["enabled"] is False  # not seeded yet: the program has not called apply_from_env
    script = tmp_path / "apply.py"
    script.write_text(
        "import json, sys, seedlock\nseedlock.apply_from_env()\nimport torch\n"
        "print(json.dumps(['torch._inductor.config' in sys.modules, torch.are_deterministic_algorithms_enabled()]))\n"
        "import torch._inductor.config as c\nprint(json.dumps(c.deterministic))\n"
    )
    out = seedlock_cli(
        "run", str(tmp_path / "l.json"), "--stage", "train", "--no-auto-seed", "--", sys.executable, str(script)
    )
    assert out.returncode == 0, out.stderr
    assert [json.loads(x) for x in out.stdout.splitlines()] == [[False, True], True]


def test_a_stage_without_deterministic_leaves_inductor_alone(tmp_path: Path) -> None:
    got = _probe(tmp_path, _lock(tmp_path, {"deterministic": False}))
    assert got == {"inductor_at_start": False, "enabled": False, "inductor_flag": False, "enabled_after": False}
