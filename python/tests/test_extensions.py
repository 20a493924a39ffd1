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
from conftest import REPO, seedlock_cli
from seedlock.spec.derivation import derive
from seedlock.spec.errors import SeedlockWarning

PLUGIN = Path(__file__).parent / "data" / "seedlock-faker"
MANIFEST = {"version": "1.1", "seed": 42, "stages": {"fake": {"frameworks": ["python", "x-faker"]}}}
# An extension no installed package registers: seedlock-faker itself may be installed (scripts/setup.sh
# installs it for the conformance suite), so "no seeder" cannot be arranged by leaving x-faker's out.
ABSENT = {**MANIFEST, "stages": {"fake": {"frameworks": ["python", "x-absent"]}}}
# Faker's draws, the seeds the report gives, and the apply report's line for the extension.
PROBE = (
    "import seedlock\n"
    "r = seedlock.apply_from_env(strict=True).report\n"
    "from faker import Faker\n"
    "f = Faker()\n"
    "print(f.name(), f.email(), r.seeds['x-faker'], [str(a) for a in r.actions if a.framework == 'x-faker'], sep='|')"
)


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A directory holding the installed plug-in (its module and dist-info with the entry point)."""
    base = tmp_path_factory.mktemp("plugin")
    source = base / "src"
    shutil.copytree(PLUGIN, source)  # the build writes next to its sources: keep the repository clean
    target = base / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert list(target.glob("seedlock_faker-*.dist-info"))
    return str(target)


def _env(*extra: str) -> dict[str, str]:
    path = [*extra, str(REPO / "python"), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in path if p)}


def _lock(tmp_path: Path, manifest: dict[str, object] = MANIFEST, env: dict[str, str] | None = None) -> Path:
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    out = seedlock_cli("resolve", str(tmp_path / "m.json"), "-o", str(tmp_path / "m.lock"), env=env)
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
    lock = _lock(tmp_path, ABSENT)
    out = _run(lock, _env())
    assert out.returncode != 0
    assert "Not applied: x-absent seeder(" in out.stderr and "no seeder installed" in out.stderr
    alone = {**MANIFEST, "stages": {"fake": {"frameworks": ["x-absent"]}}}
    stage = seedlock.resolve(seedlock.Manifest.from_dict(alone)).stage("fake")
    report = seedlock.apply_stage(stage).report
    assert [(a.framework, a.status) for a in report.failures] == [("x-absent", "failed")]
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.apply_stage(stage, strict=True)
    assert (info.value.code, info.value.pointer) == ("not-applied", "/stages/fake/frameworks/x-absent")


def test_which_seeders_are_installed_never_changes_the_lock(tmp_path: Path, plugin_path: str) -> None:
    (tmp_path / "m.json").write_text(json.dumps(MANIFEST))
    code = (
        "import json, sys, seedlock\n"
        "print(json.dumps(seedlock.resolve(seedlock.load_manifest(sys.argv[1])).to_dict(provenance=False), "
        "sort_keys=True))"
    )
    locks = [
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "m.json")],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **env},
        ).stdout
        for env in (_env(), _env(plugin_path))
    ]
    assert locks[0] == locks[1]
    assert json.loads(locks[0])["stages"]["fake"]["frameworks"]["x-faker"]["settings"] == {}


def test_seeded_puts_back_the_state_of_a_seeder_that_can_save_it(tmp_path: Path, plugin_path: str) -> None:
    lock = _lock(tmp_path)
    code = (
        f"import seedlock\nfrom faker.generator import random as shared\n"
        f"before = shared.getstate()\n"
        f"with seedlock.seeded(seedlock.load_lock({str(lock)!r}).stage('fake')) as session:\n"
        f"    assert [a.status for a in session.report.actions if a.framework == 'x-faker'] == ['applied']\n"
        f"    assert shared.getstate() != before\n"
        f"print(shared.getstate() == before)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **_env(plugin_path)}
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


# An unmodified program: it never calls seedlock, `seedlock run` seeds Faker when the program imports it.
FAKER_SCRIPT = "from faker import Faker\nf = Faker()\nprint(f.name(), f.email(), sep='|')\n"


def _auto(lock: Path, env: dict[str, str], *flags: str, code: str = FAKER_SCRIPT) -> subprocess.CompletedProcess[str]:
    return seedlock_cli("run", str(lock), "--stage", "fake", *flags, "--", sys.executable, "-c", code, env=env)


def _coin_plugin(base: Path, module: str | None = None, extra: str = "") -> str:
    """A second real distribution, laid out as pip installs one: ``coinlib`` keeps its own
    ``random.Random``, and its seeder declares no module to wait for (unless ``module``) and offers no
    state capture."""
    site = base / "coin-site"
    dist = site / "seedlock_coin-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / "coinlib.py").write_text("import random\nrng = random.Random()\n")
    (site / "seedlock_coin.py").write_text(
        "def seed(value):\n    import coinlib\n    coinlib.rng.seed(value)\n    return f'coinlib.rng.seed({value})'\n"
        + (f"seed.module = {module!r}\n" if module else "")
        + extra
    )
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: seedlock-coin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[seedlock.seeders]\nx-coin = seedlock_coin:seed\n")
    (dist / "RECORD").write_text("")
    return str(site)


COIN = {"version": "1.1", "seed": 42, "stages": {"fake": {"frameworks": ["python", "x-coin"]}}}


def test_an_unmodified_faker_program_repeats_under_seedlock_run_because_its_seeder_ran_on_import(
    tmp_path: Path, plugin_path: str
) -> None:
    lock = _lock(tmp_path, env=_env(plugin_path))  # made where the plug-in is installed: --strict checks that
    first, second = _auto(lock, _env(plugin_path), "-v"), _auto(lock, _env(plugin_path), "--strict")
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert first.stdout == second.stdout  # two fresh processes, the same fake data
    # For the right reason: Faker was seeded with the extension's seed, derived by name ...
    expected = derive(derive(42, "fake"), "x-faker")
    direct = subprocess.run(
        [sys.executable, "-c", f"from faker import Faker\nFaker.seed({expected})\n{FAKER_SCRIPT}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert first.stdout == direct.stdout
    # ... and reported as apply() reports it.
    assert f"\n  x-faker    applied  Faker.seed({expected})\n" in first.stderr
    other = tmp_path / "other"
    other.mkdir()
    changed = _auto(_lock(other, {**MANIFEST, "seed": 43}), _env(plugin_path))
    assert changed.returncode == 0 and changed.stdout != first.stdout  # the fake data follows the lock's seed


def test_a_seeder_that_names_its_module_is_not_loaded_into_a_program_that_never_imports_it(
    tmp_path: Path, plugin_path: str
) -> None:
    lock = _lock(tmp_path)
    out = _auto(lock, _env(plugin_path), "-v", code="import sys; print('faker' in sys.modules)")
    assert (out.returncode, out.stdout) == (0, "False\n"), out.stderr
    assert "  x-faker    -        the module its seeder waits for not imported: nothing to seed\n" in out.stderr


def test_without_the_seeder_seedlock_run_reports_the_extension_and_strict_never_runs_the_program(
    tmp_path: Path,
) -> None:
    lock = _lock(tmp_path, ABSENT)
    seed = derive(derive(42, "fake"), "x-absent")
    why = (
        f"no seeder installed for {sys.executable} "
        "(a package must register entry point 'x-absent' in group 'seedlock.seeders')"
    )
    out = _auto(lock, _env())
    assert out.returncode == 0 and out.stdout.count("|") == 1  # ran, unseeded, and said so
    assert out.stderr.endswith(f"auto-seeded): x-absent seeder({seed}) failed: {why}\n"), out.stderr
    strict = _auto(lock, _env(), "--strict")
    assert (strict.returncode, strict.stdout) == (2, "")  # the program must not run unseeded
    assert strict.stderr.splitlines()[0] == (
        f"seedlock: error[not-applied] Not applied: x-absent seeder({seed}): "
        f"{why} at '/stages/fake/frameworks/x-absent'"
    )


def test_a_seeder_without_a_module_is_called_when_the_interpreter_starts(tmp_path: Path) -> None:
    site = _coin_plugin(tmp_path)
    lock = _lock(tmp_path, COIN, env=_env(site))
    seed = derive(derive(42, "fake"), "x-coin")
    code = "import sys\nloaded = 'coinlib' in sys.modules\nimport coinlib\nprint(loaded, coinlib.rng.random())"
    runs = [_auto(lock, _env(site), *flags, code=code) for flags in (("-v",), ("--strict",))]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    import random

    # Seeded before the program ran a line: its library was loaded at start (the documented cost).
    assert runs[0].stdout == runs[1].stdout == f"True {random.Random(seed).random()}\n"
    assert f"\n  x-coin     applied  coinlib.rng.seed({seed})\n" in runs[0].stderr


def test_a_state_dict_restores_an_extension_whose_seeder_captures_state_through_torch_save(
    tmp_path: Path, plugin_path: str
) -> None:
    lock = _lock(tmp_path)
    code = (
        f"import io, torch, seedlock\nfrom faker import Faker\n"
        f"stage = seedlock.apply_stage(seedlock.load_lock({str(lock)!r}).stage('fake'))\n"
        f"assert stage.report.actions[-1].status == 'applied'\n"
        f"f = Faker()\nf.name()\n"
        f"buffer = io.BytesIO()\ntorch.save(stage.state_dict(), buffer)\n"
        f"before = [f.name() for _ in range(3)]\n"
        f"buffer.seek(0)\nstate = torch.load(buffer, weights_only=True)\nstage.load_state_dict(state)\n"
        f"print(before == [f.name() for _ in range(3)], state['frameworks']['x-faker']['captured'])"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **_env(plugin_path)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "True True\n"


def test_a_seeder_captures_and_restores_state_under_the_names_framework_modules_use(tmp_path: Path) -> None:
    site = _coin_plugin(
        tmp_path,
        extra=(
            "def _capture():\n    import coinlib\n    return list(coinlib.rng.getstate()[1])\n"
            "def _restore(state):\n    import coinlib\n    coinlib.rng.setstate((3, tuple(state), None))\n"
            "seed.capture_state = _capture\nseed.restore_state = _restore\n"
        ),
    )
    lock = _lock(tmp_path, COIN)
    code = (
        f"import seedlock, coinlib\n"
        f"stage = seedlock.load_lock({str(lock)!r}).stage('fake')\n"
        f"session = seedlock.apply_stage(stage)\n"
        f"assert session.report.actions[-1].status == 'applied'\n"
        f"coinlib.rng.random()\nstate = session.state_dict()\nbefore = [coinlib.rng.random() for _ in range(3)]\n"
        f"session.load_state_dict(state)\n"
        f"print(state['frameworks']['x-coin']['captured'], before == [coinlib.rng.random() for _ in range(3)])"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, env={**os.environ, **_env(site)}
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "True True\n"


def test_a_state_dict_says_an_extension_offered_nothing_to_capture_and_loading_it_reseeds_with_a_warning(
    tmp_path: Path,
) -> None:
    site = _coin_plugin(tmp_path)
    lock = _lock(tmp_path, COIN)
    seed = derive(derive(42, "fake"), "x-coin")
    code = (
        f"import json, warnings, seedlock, coinlib\n"
        f"stage = seedlock.apply_stage(seedlock.load_lock({str(lock)!r}).stage('fake'))\n"
        f"assert stage.report.actions[-1].status == 'applied'\n"
        f"state = stage.state_dict()\n[coinlib.rng.random() for _ in range(5)]\n"
        f"with warnings.catch_warnings(record=True) as caught:\n"
        f"    warnings.simplefilter('always')\n    stage.load_state_dict(state)\n"
        f"print(json.dumps([state['frameworks']['x-coin'], [f'{{w.category.__name__}}: {{w.message}}' for w in caught],"
        f" coinlib.rng.random()]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **_env(site)})
    assert out.returncode == 0, out.stderr
    entry, caught, draw = json.loads(out.stdout)
    reason = "the x-coin seeder offers no state capture (no capture/restore attributes)"
    assert entry == {"captured": False, "reason": reason}
    assert caught == [
        f"SeedlockWarning: x-coin state was not in the checkpoint ({reason}): "
        f"re-seeded with coinlib.rng.seed({seed}), so its draws restart from the seed at '/frameworks/x-coin'"
    ]
    import random

    assert draw == random.Random(seed).random()


def test_a_state_dict_of_a_stage_whose_seeder_is_missing_says_so_and_loading_it_warns() -> None:
    stage = seedlock.apply_stage(seedlock.resolve(seedlock.Manifest.from_dict(ABSENT)).stage("fake"))
    why = (
        f"no seeder installed for {sys.executable} "
        "(a package must register entry point 'x-absent' in group 'seedlock.seeders')"
    )
    state = stage.state_dict()
    assert state["frameworks"]["x-absent"] == {"captured": False, "reason": why}
    with pytest.warns(SeedlockWarning) as caught:
        stage.load_state_dict(state)
    assert [str(w.message) for w in caught] == [
        f"x-absent state was not in the checkpoint ({why}): cannot re-seed it: {why} at '/frameworks/x-absent'"
    ]
    assert [(w.message.code, w.message.pointer) for w in caught] == [("not-applied", "/frameworks/x-absent")]


def test_forked_workers_that_import_faker_first_keep_their_own_draws_and_the_program_is_seeded(
    tmp_path: Path, plugin_path: str
) -> None:
    lock = _lock(tmp_path)
    code = (
        "import json, multiprocessing as mp\n"
        "def draw(_):\n    from faker import Faker\n    return Faker().name()\n"
        "if __name__ == '__main__':\n"
        "    with mp.get_context('fork').Pool(2) as pool:\n        workers = pool.map(draw, range(4), chunksize=1)\n"
        "    print(json.dumps([workers, draw(0)]))\n"
    )
    out = _auto(lock, _env(plugin_path), code=code)
    assert out.returncode == 0, out.stderr
    workers, program = json.loads(out.stdout)
    expected = derive(derive(42, "fake"), "x-faker")
    seeded = subprocess.run(
        [sys.executable, "-c", f"from faker import Faker\nFaker.seed({expected})\nprint(Faker().name())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert program == seeded  # the program imported Faker after the pool: seeded then
    assert seeded not in workers  # a worker seeded with the stage's seed would draw the program's first name


def test_a_seeder_waiting_for_a_frameworks_module_runs_with_that_frameworks_seeding(tmp_path: Path) -> None:
    # Both wait for numpy.random: one import seeds numpy and calls the seeder, each reported.
    site = _coin_plugin(tmp_path, module="numpy.random")
    lock = _lock(tmp_path, {**COIN, "stages": {"fake": {"frameworks": ["numpy", "x-coin"]}}}, env=_env(site))
    code = (
        "import sys\nimport numpy as np\nbefore = 'coinlib' in sys.modules\nx = np.random.random()\n"
        "import coinlib\nprint(before, x, coinlib.rng.random())"
    )
    out = _auto(lock, _env(site), "-v", "--strict", code=code)
    assert out.returncode == 0, out.stderr
    stage = seedlock.load_lock(lock).stage("fake")
    import random

    import numpy as np

    assert out.stdout == (
        f"False {np.random.RandomState(stage.seed_of('numpy')).random_sample()} "
        f"{random.Random(stage.seed_of('x-coin')).random()}\n"
    )
    assert f"\n  x-coin     applied  coinlib.rng.seed({stage.seed_of('x-coin')})\n" in out.stderr
