"""The conformance suite and `seedlock verify`, run as users run them."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, SPEC, seedlock_cli
from seedlock.conformance.plan import DATA, load_cases
from seedlock.launching.compare import compare_paths
from seedlock.spec.errors import SeedlockError

pytestmark = pytest.mark.slow


def _row(stdout: str, case: str) -> list[str]:
    """The table row of one case, as its cells."""
    return next(line.split() for line in stdout.splitlines() if line.split()[1:2] == [case])


def test_every_case_file_validates_and_names_a_known_kind() -> None:
    cases = load_cases()
    assert {c.name for c in cases} >= {
        "python-random",
        "numpy-draws",
        "torch-mlp",
        "torch-ddp",
        "torch-cuda",
        "tensorflow-keras",
        "r-rscript",
        "r-rpy2",
        "r-parallel",
        "pytest-xdist",
        "cross-binding",
        "caffe-writer",
        "caffe-train",
    }


def test_case_knowledge_lives_in_the_case_files() -> None:
    cases = {c.name: c for c in load_cases()}
    assert cases["cross-binding"].sides == ("python", "rscript", "rpy2")
    ddp = cases["torch-ddp"]
    assert ddp.streams is not None and (ddp.streams.prefix, ddp.streams.count) == ("aug_", 12)
    assert ddp.structure is not None and ddp.structure["partition"] == [{"match": r"shard_e(\d+)_r\d+", "size": 128}]
    assert max(cases.values(), key=lambda c: c.cost).name == "torch-ddp"


def test_a_case_file_missing_what_its_kind_or_checks_need_is_refused(tmp_path: Path) -> None:
    import shutil

    for name, drop in (("cross-binding", "sides"), ("torch-ddp", "streams"), ("torch-epochs", "structure")):
        base = tmp_path / name
        (base / "cases").mkdir(parents=True)
        shutil.copy(DATA / "case.schema.json", base)
        case = json.loads((DATA / "cases" / f"{name}.json").read_text())
        del case[drop]
        (base / "cases" / f"{name}.json").write_text(json.dumps(case))
        with pytest.raises(SeedlockError) as info:
            load_cases(base)
        assert info.value.code == "invalid-value" and f"'{drop}' is a required property" in info.value.problem


def test_the_conformance_data_has_one_copy_the_one_the_wheel_ships() -> None:
    assert sorted(p.name for p in (REPO / "conformance").iterdir()) == ["README.md"]
    assert all((DATA / name).is_file() for name in ("manifest.json", "golden.json", "framework-draws.json"))


def test_the_python_and_numpy_cases_pass_with_reports_written(tmp_path: Path) -> None:
    out = seedlock_cli(
        "conformance",
        "--frameworks",
        "python",
        "numpy",
        "--quiet",
        "--require",
        "python,numpy",
        "--junit",
        str(tmp_path / "j.xml"),
        "--json",
        str(tmp_path / "r.json"),
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert _row(out.stdout, "python-random") == ["python", "python-random", "pass", "pass", "pass", "pass", "-"]
    assert _row(out.stdout, "pytest-xdist") == ["python", "pytest-xdist", "pass", "pass", "pass", "-", "pass"]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["passed"] and {r["case"] for r in report["results"]} == {
        "python-random",
        "pytest-xdist",
        "numpy-draws",
        "replicates",
    }
    suites = ET.parse(tmp_path / "j.xml").getroot()
    assert suites.get("failures") == "0"
    assert {s.get("name") for s in suites} == {"python", "numpy"}


def test_a_framework_the_manifest_lacks_is_skipped_and_require_turns_that_into_failure(tmp_path: Path) -> None:
    manifest = tmp_path / "mine.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": 3, "stages": {"prep": {"frameworks": ["python"]}}}))
    out = seedlock_cli("conformance", "--manifest", str(manifest), "--frameworks", "python", "caffe", "--quiet")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "skipped caffe-writer repeat: the manifest has no stage listing caffe" in out.stdout
    # A missing *installation* is what --require escalates: caffe's binary is absent here.
    required = seedlock_cli(
        "conformance", "--manifest", str(manifest), "--frameworks", "caffe", "--quiet", "--require", "caffe"
    )
    if "caffe is not installed" in required.stdout:
        assert required.returncode == 1
        assert "FAIL    caffe-train repeat: required but skipped: caffe is not installed" in required.stdout


def test_a_users_manifest_with_explicit_seeds_still_gets_a_working_negative_control(tmp_path: Path) -> None:
    manifest = tmp_path / "pinned.json"
    manifest.write_text(
        json.dumps(
            {"version": "1.0", "seed": 1, "stages": {"numpy": {"frameworks": ["numpy"], "seeds": {"numpy": 42}}}}
        )
    )
    out = seedlock_cli("conformance", "--manifest", str(manifest), "--frameworks", "numpy", "--quiet")
    assert out.returncode == 0, out.stdout
    # Golden outputs are pinned for the built-in manifest's seeds only: skipped, and the report says why.
    # (The last column is the structure check, which the replicates case brings into a numpy-only run.)
    assert _row(out.stdout, "numpy-draws") == ["numpy", "numpy-draws", "pass", "pass", "skipped", "pass", "-"]
    assert (
        "skipped numpy-draws golden: golden outputs are pinned for the seeds of the built-in conformance manifest"
        in out.stdout
    )


def test_bad_arguments_are_one_line_usage_errors() -> None:
    out = seedlock_cli("conformance", "--runs", "1")
    assert (out.returncode, out.stderr.count("\n")) == (2, 1)
    out = seedlock_cli("conformance", "--require", "numpyy")
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: usage error: unknown framework 'numpyy' in --require (did you "
        "mean 'numpy'?) (see `seedlock --help`)\n",
    )


# ---- what was selected and required is what ran (a run of nothing is a failure) -----------------


def _kept(stderr: str) -> Path | None:
    marker = "seedlock: conformance: run outputs kept in "
    lines = [line for line in stderr.splitlines() if line.startswith(marker)]
    return Path(lines[0][len(marker) :]) if lines else None


def test_unknown_names_in_frameworks_are_usage_errors_in_every_list_form() -> None:
    for args in (
        ["--frameworks", "numpyy"],
        ["--frameworks", "numpy,pyton"],
        ["--frameworks", "numpy", "--frameworks", "jxa,numpy"],
    ):
        out = seedlock_cli("conformance", *args, "--quiet")
        assert out.returncode == 2 and out.stderr.count("\n") == 1, args
        assert out.stderr.startswith("seedlock: usage error: unknown framework '"), args


@pytest.mark.parametrize(
    "form",
    [["numpy,python"], ["numpy", "python"], ["numpy", "--frameworks", "python"]],
    ids=["comma", "words", "repeated"],
)
def test_every_list_form_of_frameworks_runs_those_cases(form: list[str], tmp_path: Path) -> None:
    out = seedlock_cli(
        "conformance",
        "--frameworks",
        *form,
        "--require",
        "python",
        "--require",
        "numpy",
        "--quiet",
        env={"TMPDIR": str(tmp_path)},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert _row(out.stdout, "numpy-draws")[2] == "pass" and _row(out.stdout, "python-random")[2] == "pass"
    assert list(tmp_path.iterdir()) == [], "a passing run leaves no temporary directory"


def test_a_required_framework_left_out_of_frameworks_is_an_error_before_anything_runs() -> None:
    out = seedlock_cli("conformance", "--frameworks", "numpy", "--require", "tensorflow", "--quiet")
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: usage error: --require tensorflow but --frameworks selects only numpy (see `seedlock --help`)\n",
    )


def test_a_run_where_every_selected_case_is_skipped_fails_and_keeps_its_directory(tmp_path: Path) -> None:
    manifest = tmp_path / "python-only.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": 3, "stages": {"prep": {"frameworks": ["python"]}}}))
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = seedlock_cli(
        "conformance", "--manifest", str(manifest), "--frameworks", "numpy", "--quiet", env={"TMPDIR": str(temp)}
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "seedlock: conformance ran no case: every selected case was skipped\n" in out.stderr
    kept = _kept(out.stderr)
    assert kept is not None and kept.parent == temp and (kept / "lock.json").is_file()


def test_a_required_framework_whose_cases_were_all_skipped_fails(tmp_path: Path) -> None:
    manifest = tmp_path / "python-only.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": 3, "stages": {"prep": {"frameworks": ["python"]}}}))
    out = seedlock_cli(
        "conformance",
        "--manifest",
        str(manifest),
        "--frameworks",
        "python,numpy",
        "--require",
        "numpy",
        "--quiet",
        env={"TMPDIR": str(tmp_path)},
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert (
        "FAIL    numpy-required repeat: required but no case of it ran (no case, or every case skipped)" in out.stdout
    )


def test_keep_keeps_and_names_the_directory_of_a_passing_run(tmp_path: Path) -> None:
    out = seedlock_cli("conformance", "--frameworks", "python", "--keep", "--quiet", env={"TMPDIR": str(tmp_path)})
    assert out.returncode == 0, out.stdout + out.stderr
    kept = _kept(out.stderr)
    assert kept is not None and kept.parent == tmp_path and kept.is_dir()


def _lock(tmp_path: Path) -> Path:
    lock = tmp_path / "l.json"
    assert seedlock_cli("resolve", str(SPEC / "examples" / "classic.json"), "-o", str(lock)).returncode == 0
    return lock


def test_verify_passes_a_seeded_script(tmp_path: Path) -> None:
    script = tmp_path / "good.py"
    script.write_text(
        "import numpy as np, seedlock\nseedlock.apply_from_env()\nnp.save('out.npy', np.random.random(10))\n"
        "open('log.csv', 'w').write('a,b\\n1,%r\\n' % np.random.random())\n"
    )
    out = seedlock_cli(
        "verify",
        str(_lock(tmp_path)),
        "--stage",
        "preprocess",
        "--output",
        "out.npy",
        "--output",
        "log.csv",
        "--",
        sys.executable,
        str(script),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "identical out.npy (2 runs)" in out.stdout and "identical log.csv (2 runs)" in out.stdout


def test_verify_catches_a_nondeterministic_script_and_says_where(tmp_path: Path) -> None:
    script = tmp_path / "bad.py"
    # Seeded from the operating system on purpose: a generator made without a seed follows the lock now
    # (spec §6.3), so only an explicit entropy source stays nondeterministic.
    script.write_text(
        "import os\nimport numpy as np\n"
        "np.save('out.npy', np.random.default_rng(int.from_bytes(os.urandom(8), 'little')).random(10))\n"
    )
    out = seedlock_cli(
        "verify",
        str(_lock(tmp_path)),
        "--stage",
        "preprocess",
        "--runs",
        "3",
        "--output",
        "out.npy",
        "--",
        sys.executable,
        str(script),
        cwd=tmp_path,
    )
    assert out.returncode == 1
    assert "DIFFERS out.npy:" in out.stdout
    assert "out.npy (run 1 vs 2): 10 of 10 elements differ; first at (0,):" in out.stdout
    assert "max abs difference" in out.stdout


def test_verify_reports_a_failing_command(tmp_path: Path) -> None:
    out = seedlock_cli(
        "verify",
        str(_lock(tmp_path)),
        "--stage",
        "preprocess",
        "--output",
        "x",
        "--",
        sys.executable,
        "-c",
        "raise SystemExit(4)",
        cwd=tmp_path,
    )
    assert out.returncode == 4 and "run 1 exited 4" in out.stdout


def test_compare_explains_json_csv_and_directory_differences(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for d, value in ((a, 1.0), (b, 1.5)):
        d.mkdir()
        (d / "m.json").write_text(json.dumps({"loss": [0.5, value], "name": "x"}))
        (d / "t.csv").write_text(f"step,loss\n1,{value}\n")
        np.savez(d / "w.npz", w=np.array([1.0, value]), same=np.zeros(2))
    (a / "only-a.txt").write_text("x")
    diffs = [str(d) for d in compare_paths(a, b, "out")]
    assert "out/only-a.txt: only in the first run" in diffs
    assert "out/m.json[loss]: 1 of 2 elements differ; first at (1,): 1.0 != 1.5; max abs difference 0.5" in diffs
    assert "out/t.csv: 1 cells differ; first at row 2, column 2: '1.0' != '1.5'; max abs difference 0.5" in diffs
    assert "out/w.npz[w]: 1 of 2 elements differ; first at (1,): 1.0 != 1.5; max abs difference 0.5" in diffs
    assert not [d for d in diffs if "[same]" in d]


def test_compare_reads_torch_state_dicts(tmp_path: Path) -> None:
    import torch

    torch.save({"w": torch.tensor([1.0, 2.0])}, tmp_path / "a.pt")
    torch.save({"w": torch.tensor([1.0, 2.5])}, tmp_path / "b.pt")
    (diff,) = compare_paths(tmp_path / "a.pt", tmp_path / "b.pt", "model.pt")
    assert str(diff) == "model.pt[w]: 1 of 2 elements differ; first at (1,): 2.0 != 2.5; max abs difference 0.5"


# ---- a third-party seeder (extension x-faker) in the suite ------------------------------------------

PLUGIN = Path(__file__).parent / "data" / "seedlock-faker"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """seedlock-faker installed on its own, as a user installs a plug-in (scripts/setup.sh does so in CI)."""
    import shutil
    import subprocess

    base = tmp_path_factory.mktemp("plugin")
    shutil.copytree(PLUGIN, base / "src")  # the build writes next to its sources: keep the repository clean
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
            str(base / "site"),
            str(base / "src"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return base / "site"


@pytest.fixture(scope="module")
def site_without_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This interpreter's site-packages as a user who has Faker but not the plug-in has it: every entry
    but seedlock-faker's (run with ``python -S`` and this on PYTHONPATH)."""
    import sysconfig

    view = tmp_path_factory.mktemp("site-without-plugin")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(("seedlock_faker", "seedlock-faker")):
            (view / entry.name).symlink_to(entry)
    return view


def test_all_and_all_but_caffe_include_the_extension_a_case_exercises() -> None:
    from seedlock.conformance import framework_list
    from seedlock.spec.settings import FRAMEWORKS

    assert framework_list(["all-but-caffe"], "--require") == (*(f for f in FRAMEWORKS if f != "caffe"), "x-faker")
    assert framework_list(["all"], "--require") == (*FRAMEWORKS, "x-faker")
    assert framework_list(["numpy,x-faker"], "--frameworks") == ("numpy", "x-faker")


def test_the_extension_case_seeds_faker_through_its_plugin_and_matches_golden(
    plugin_site: Path, tmp_path: Path
) -> None:
    out = seedlock_cli(
        "conformance",
        "--frameworks",
        "x-faker",
        "--require",
        "x-faker",
        "--quiet",
        "--json",
        str(tmp_path / "r.json"),
        env={"PYTHONPATH": f"{plugin_site}:{REPO / 'python'}"},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert _row(out.stdout, "extension-faker") == ["x-faker", "extension-faker", "pass", "pass", "pass"]
    results = {r["check"]: r for r in json.loads((tmp_path / "r.json").read_text())["results"]}
    assert results["golden"]["detail"].startswith(
        "4 outputs equal the pinned outputs of extension-faker/faker (faker 40.54.0"
    )


def test_without_the_plugin_the_extension_case_is_skipped_with_the_reason_and_require_fails(
    site_without_plugin: Path,
) -> None:
    import os
    import subprocess

    env = {**os.environ, "PYTHONPATH": f"{REPO / 'python'}:{site_without_plugin}"}

    def conformance(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-S", "-m", "seedlock", "conformance", "--frameworks", "numpy,x-faker", "--quiet", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )

    out = conformance()
    assert out.returncode == 0, out.stdout + out.stderr
    reason = "Python distribution seedlock-faker is not installed"
    assert _row(out.stdout, "extension-faker")[:5] == ["x-faker", "extension-faker", "skipped", "skipped", "skipped"]
    assert f"skipped extension-faker golden: {reason}" in out.stdout
    required = conformance("--require", "numpy,x-faker")
    assert required.returncode == 1, required.stdout + required.stderr
    assert f"FAIL    extension-faker repeat: required but skipped: {reason}" in required.stdout
    assert _row(required.stdout, "numpy-draws")[2:4] == ["pass", "pass"]


def test_a_case_without_golden_outputs_gives_its_reason_in_the_report() -> None:
    out = seedlock_cli("conformance", "--frameworks", "caffe", "--quiet")
    assert out.returncode == 0, out.stdout + out.stderr
    assert _row(out.stdout, "caffe-writer")[2:5] == ["pass", "pass", "skipped"]
    assert (
        "skipped caffe-writer golden: no golden outputs: its output is the solver file, whose random_seed the "
        "cross-binding check compares with the seed Python derives from the lock: that pins it"
    ) in out.stdout


def test_a_workload_that_hangs_is_killed_at_its_limit_and_reported_as_a_hang(tmp_path: Path) -> None:
    import seedlock
    from seedlock.conformance.checks import evaluate
    from seedlock.conformance.execute import execute
    from seedlock.conformance.plan import Case, CasePlan, Plan, Task

    lock = tmp_path / "lock.json"
    lock.write_text(json.dumps(seedlock.resolve(seedlock.read(DATA / "manifest.json")).to_dict()))
    case = Case(
        name="hangs",
        framework="python",
        description="never ends",
        kind="workload",
        stage="python",
        command=("{python}", "-c", "import time; time.sleep(120)"),
        checks=("repeat",),
        timeout=2,
    )
    task = Task(case, "python", "run 1", lock, tmp_path / "run1")
    plan = CasePlan(case, "python", (task,))
    done = execute(Plan(lock, (plan,), ()), jobs=1, progress=False)
    [result] = evaluate(plan, done, {}, {}, {"hangs": plan})
    assert result.status == "FAIL"
    assert result.detail.startswith("run 1 ran past its 2 s limit and was killed"), result.detail
