"""Third-party seeders (spec §2.2), end to end with a real plug-in: seedlock-faker, a separate
distribution in tests/data, installed by pip into a temporary directory for these tests only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import seedlock
from seedlock.derivation import derive

from conftest import REPO, seedlock_cli

PLUGIN = Path(__file__).parent / "data" / "seedlock-faker"
MANIFEST = {"version": "1.1", "seed": 42, "stages": {"fake": {"frameworks": ["python", "x-faker"]}}}
# Faker's draws, the seeds the report gives, and the apply report's line for the extension.
PROBE = ("import seedlock\n"
         "r = seedlock.apply_from_env(strict=True)\n"
         "from faker import Faker\n"
         "f = Faker()\n"
         "print(f.name(), f.email(), r.seeds['x-faker'], [str(a) for a in r.actions if a.framework == 'x-faker'], sep='|')")


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A directory holding the installed plug-in (its module and dist-info with the entry point)."""
    base = tmp_path_factory.mktemp("plugin")
    source = base / "src"
    shutil.copytree(PLUGIN, source)  # the build writes next to its sources: keep the repository clean
    target = base / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(source)], check=True, capture_output=True, timeout=300)
    assert list(target.glob("seedlock_faker-*.dist-info"))
    return str(target)


def _env(*extra: str) -> dict[str, str]:
    path = [*extra, str(REPO / "python"), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in path if p)}


def _lock(tmp_path: Path, manifest: dict[str, object] = MANIFEST) -> Path:
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    out = seedlock_cli("resolve", str(tmp_path / "m.json"), "-o", str(tmp_path / "m.lock"))
    assert out.returncode == 0, out.stderr
    return tmp_path / "m.lock"


def _run(lock: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return seedlock_cli("run", str(lock), "--stage", "fake", "--", sys.executable, "-c", PROBE, env=env)


def test_an_installed_seeder_seeds_its_library_from_the_seed_derived_by_name(tmp_path: Path, plugin_path: str) -> None:
    lock = _lock(tmp_path)
    first, second = _run(lock, _env(plugin_path)), _run(lock, _env(plugin_path))
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout  # fresh processes, same fake data
    name, email, seed, actions = first.stdout.strip().split("|")
    expected = derive(derive(42, "fake"), "x-faker")
    assert int(seed) == expected
    assert actions == str([f"x-faker    applied  Faker.seed({expected})"])
    other = tmp_path / "other"
    other.mkdir()
    changed = _run(_lock(other, {**MANIFEST, "seed": 43}), _env(plugin_path))
    assert changed.stdout.split("|")[:2] != [name, email]  # the fake data follows the lock's seed


def test_without_the_seeder_the_extension_is_reported_not_applied_and_strict_fails(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    out = _run(lock, _env())
    assert out.returncode != 0
    assert "Not applied: x-faker x-faker seeder(" in out.stderr and "no seeder installed" in out.stderr
    alone = {**MANIFEST, "stages": {"fake": {"frameworks": ["x-faker"]}}}
    stage = seedlock.resolve(seedlock.Manifest.from_dict(alone)).stage("fake")
    report = stage.apply()
    assert [(a.framework, a.status) for a in report.failures] == [("x-faker", "failed")]
    with pytest.raises(seedlock.SeedlockError) as info:
        stage.apply(strict=True)
    assert (info.value.code, info.value.pointer) == ("not-applied", "/stages/fake/frameworks/x-faker")


def test_which_seeders_are_installed_never_changes_the_lock(tmp_path: Path, plugin_path: str) -> None:
    (tmp_path / "m.json").write_text(json.dumps(MANIFEST))
    code = ("import json, sys, seedlock\n"
            "print(json.dumps(seedlock.resolve(seedlock.load_manifest(sys.argv[1])).to_dict(provenance=False), sort_keys=True))")
    locks = [subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.json")], capture_output=True, text=True, check=True,
                            env={**os.environ, **env}).stdout for env in (_env(), _env(plugin_path))]
    assert locks[0] == locks[1]
    assert json.loads(locks[0])["stages"]["fake"]["frameworks"]["x-faker"]["settings"] == {}


def test_seeded_puts_back_the_state_of_a_seeder_that_can_save_it(tmp_path: Path, plugin_path: str) -> None:
    lock = _lock(tmp_path)
    code = (f"import seedlock\nfrom faker.generator import random as shared\n"
            f"before = shared.getstate()\n"
            f"with seedlock.load_lock({str(lock)!r}).stage('fake').seeded() as report:\n"
            f"    assert [a.status for a in report.actions if a.framework == 'x-faker'] == ['applied']\n"
            f"    assert shared.getstate() != before\n"
            f"print(shared.getstate() == before)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **_env(plugin_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
