"""The example pipelines in examples/ci/, executed: the commands their jobs run, with the variables
GitLab CI and GitHub Actions set, artifacts and dotenv reports passed on as those systems do."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, child_environ

EXAMPLES = REPO / "examples" / "ci"
pytestmark = pytest.mark.slow


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in child_environ().items() if not k.startswith(("SEEDLOCK_", "GITLAB", "GITHUB", "CI"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _checkout(tmp_path / "project")


def _checkout(work: Path) -> Path:
    shutil.copytree(EXAMPLES, work)
    git = ["git", "-C", str(work), "-c", "user.email=ci@example.invalid", "-c", "user.name=ci"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    # The simulators' own files (GitHub's step output files) are not part of the project.
    (work / ".git" / "info" / "exclude").write_text(".gh-*\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "pipeline"], check=True)
    return work


@pytest.fixture
def ledger(pg_url: str) -> str:
    """The team ledger the examples expect as a CI secret: a real PostgreSQL database."""
    out = subprocess.run(
        [sys.executable, "-m", "seedlock", "ledger", "init", "--ledger", pg_url],
        capture_output=True,
        text=True,
        env=child_environ(),
    )
    assert out.returncode == 0, out.stderr
    return pg_url


def _rule_applies(rules: list[dict[str, str]] | None, env: dict[str, str]) -> bool:
    if not rules:
        return True
    for rule in rules:
        results = []
        for clause in rule["if"].split(" && "):
            m = re.fullmatch(r'\$(\w+) (==|!=) ""', clause)
            assert m, f'the simulator understands `$VAR == ""` rules joined by && only: {rule["if"]}'
            empty = env.get(m.group(1), "") == ""
            results.append(empty == (m.group(2) == "=="))
        if all(results):
            return True
    return False


# GitLab's job artifacts API, as `curl` sees it: the zip of the artifacts a job kept.
_FAKE_CURL = """import os, re, shutil, sys
args, out, url = sys.argv[1:], None, None
while args:
    if args[0] in ("--output", "--header"):
        out = args[1] if args[0] == "--output" else out
        args = args[2:]
    else:
        url = url if args[0].startswith("-") else args[0]
        args = args[1:]
m = re.search(r"/jobs/(\\d+)/artifacts$", url or "")
kept = os.path.join(os.environ["SIMULATED_ARTIFACTS"], (m.group(1) if m else "none") + ".zip")
if not m or not os.path.exists(kept):
    sys.exit(f"curl: (22) The requested URL returned error: 404 {url}")
shutil.copy(kept, out)
"""


def run_gitlab(work: Path, variables: dict[str, str], pipeline: int) -> dict[str, subprocess.CompletedProcess[str]]:
    import zipfile

    config = yaml.safe_load((work / "gitlab-ci.yml").read_text())
    jobs = {k: v for k, v in config.items() if isinstance(v, dict) and "script" in v}
    store = work.parent / "gitlab-artifacts"
    bindir = work.parent / "gitlab-bin"
    store.mkdir(exist_ok=True)
    bindir.mkdir(exist_ok=True)
    (bindir / "curl").write_text(f"#!{sys.executable}\n{_FAKE_CURL}")
    (bindir / "curl").chmod(0o755)
    base = {
        **{k: str(v) for k, v in config.get("variables", {}).items()},
        **variables,
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PIPELINE_ID": str(pipeline),
        "CI_PROJECT_PATH": "team/models",
        "CI_PROJECT_ID": "42",
        "CI_API_V4_URL": "https://gitlab.example.invalid/api/v4",
        "CI_JOB_TOKEN": "token",
        "CI_PIPELINE_URL": f"https://gitlab.example.invalid/team/models/-/pipelines/{pipeline}",
        "SIMULATED_ARTIFACTS": str(store),
    }
    dotenv: dict[str, str] = {}
    results = {}
    for number, (name, job) in enumerate((n, j) for s in config["stages"] for n, j in jobs.items() if j["stage"] == s):
        job_id = f"{pipeline}{number:02d}"
        env = {
            **base,
            **dotenv,
            "CI_JOB_NAME": name,
            "CI_JOB_ID": job_id,
            "CI_JOB_URL": f"https://gitlab.example.invalid/team/models/-/jobs/{job_id}",
        }
        if not _rule_applies(job.get("rules"), env):
            continue
        # before_script installs seedlock; here it is the package under test.
        job_env = _env(env)
        job_env["PATH"] = f"{bindir}{os.pathsep}{job_env['PATH']}"
        out = subprocess.run(
            ["bash", "-ec", "\n".join(job["script"])], cwd=work, env=job_env, capture_output=True, text=True
        )
        assert out.returncode == 0, f"job {name} failed:\n{out.stdout}\n{out.stderr}"
        results[name] = out
        artifacts = job.get("artifacts", {})
        with zipfile.ZipFile(store / f"{job_id}.zip", "w") as kept:
            for path in artifacts.get("paths", []):
                for file in [work / path] if (work / path).is_file() else sorted((work / path).rglob("*")):
                    kept.write(file, file.relative_to(work).as_posix())
        report = artifacts.get("reports", {}).get("dotenv")
        if report:
            for line in (work / report).read_text().splitlines():
                key, _, value = line.partition("=")
                dotenv[key] = value
    return results


def seedlock_json(work: Path, *args: str, ledger: str) -> Any:
    out = subprocess.run(
        ["seedlock", *args, "--format", "json"],
        cwd=work,
        env=_env({"SEEDLOCK_LEDGER": ledger}),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_example_pipelines_are_valid_yaml_with_known_stages_and_needs() -> None:
    gitlab = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())
    for name, job in gitlab.items():
        if isinstance(job, dict) and "script" in job:
            assert job["stage"] in gitlab["stages"], name
    github = yaml.safe_load((EXAMPLES / "github-workflow.yml").read_text())
    for name, job in github["jobs"].items():
        needs = job.get("needs", [])
        assert set([needs] if isinstance(needs, str) else needs) <= set(github["jobs"]), name


def test_the_examples_record_every_stage_into_a_shared_ledger_and_keep_their_locks() -> None:
    """Defect 5: the examples kept the ledger in the CI cache, GitHub's stage jobs did not record,
    `pip install seedlock` named a release that does not exist, and a comment named a missing input."""
    gitlab_text = (EXAMPLES / "gitlab-ci.yml").read_text()
    gitlab = yaml.safe_load(gitlab_text)
    github_text = (EXAMPLES / "github-workflow.yml").read_text()
    github = yaml.safe_load(github_text)
    # No CI cache holds a ledger; the ledger comes from a secret, never from the file.
    assert "cache" not in gitlab.get("default", {}) and not any(
        "cache" in j for j in gitlab.values() if isinstance(j, dict)
    )
    assert "SEEDLOCK_LEDGER" not in gitlab.get("variables", {})
    assert not any(st.get("uses", "").startswith("actions/cache") for j in github["jobs"].values() for st in j["steps"])
    assert github["env"]["SEEDLOCK_LEDGER"] == "${{ secrets.SEEDLOCK_LEDGER }}"
    # Every command that runs a stage records it.
    gitlab_runs = [
        line for j in gitlab.values() if isinstance(j, dict) for line in j.get("script", []) if "seedlock run " in line
    ]
    github_runs = [
        st["run"] for j in github["jobs"].values() for st in j["steps"] if "seedlock run " in st.get("run", "")
    ]
    assert len(gitlab_runs) == 2 and len(github_runs) == 2
    assert all("--record" in line for line in gitlab_runs + github_runs)
    # Locks are kept: GitLab artifacts never expire; the ledger holds every lock exactly for `rerun`.
    for name in ("resolve-seeds", "replay-run", "replay-artifact"):
        assert gitlab[name]["artifacts"]["expire_in"] == "never"
    # Installed from the repository, as a user outside it would.
    assert "seedlock[postgres] @ git+https://" in gitlab["variables"]["SEEDLOCK_PIP"]
    assert "seedlock[postgres] @ git+https://" in github["env"]["SEEDLOCK_PIP"]
    assert not re.search(r"pip install seedlock\b", gitlab_text + github_text)
    # Every input or variable a comment names exists.
    inputs = set(github[True]["workflow_dispatch"]["inputs"])
    for word in set(
        re.findall(r"`(\w+)`", "".join(line for line in github_text.splitlines() if line.lstrip().startswith("#")))
    ):
        assert word in inputs or word in ("seedlock", "history"), word
    for variable in set(re.findall(r"\b(SEEDLOCK_[A-Z_]+)", gitlab_text)):
        assert variable in gitlab["variables"] or variable in ("SEEDLOCK_LEDGER", "SEEDLOCK_SEED_TRAIN"), variable


def test_gitlab_takes_the_seed_from_a_ci_variable_and_every_job_records(project: Path, ledger: str) -> None:
    run_gitlab(project, {"SEEDLOCK_SEED": "1234", "SEEDLOCK_LEDGER": ledger}, pipeline=501)
    lock = json.loads((project / "seedlock.lock.json").read_text())
    assert lock["root"] == {"seed": 1234, "source": "env", "variable": "SEEDLOCK_SEED"}
    ci = lock["provenance"]["ci"]
    assert ci["system"] == "gitlab" and ci["pipeline_id"] == "501" and ci["job_name"] == "resolve-seeds"
    assert ci["job_url"].endswith("/-/jobs/50100")
    assert set(lock["provenance"]["inputs"]) == {"raw.csv"} and set(lock["provenance"]["params"]) == {"params.json"}
    dotenv = dict(line.split("=", 1) for line in (project / "seeds.env").read_text().splitlines())
    assert dotenv["SEEDLOCK_SEED"] == "1234"
    assert dotenv["SEEDLOCK_SEED_TRAIN"] == str(lock["stages"]["train"]["seed"])
    records = seedlock_json(project, "history", ledger=ledger)
    assert [(r["event"], r["stage"], r["ci"]["job_name"]) for r in records] == [
        ("run", "train", "train"),
        ("run", "preprocess", "preprocess"),
        ("resolve", None, "resolve-seeds"),
    ]
    assert {r["pipeline"] for r in records} == {lock["provenance"]["id"]}
    assert all(r["git_dirty"] is False for r in records)  # outputs and artifacts are ignored files


def test_gitlab_generates_a_seed_when_none_is_given(project: Path, ledger: str) -> None:
    run_gitlab(project, {"SEEDLOCK_LEDGER": ledger}, pipeline=502)
    lock = json.loads((project / "seedlock.lock.json").read_text())
    assert lock["root"]["source"] == "generated"


def test_a_rerun_from_the_ledger_or_an_old_lock_artifact_reproduces_the_model_bit_for_bit(
    project: Path, ledger: str
) -> None:
    run_gitlab(project, {"SEEDLOCK_LEDGER": ledger}, pipeline=601)
    first_model = (project / "model.npy").read_bytes()
    first_lock = (project / "seedlock.lock.json").read_bytes()
    (resolved,) = seedlock_json(project, "history", "--ci-pipeline", "601", "--stage", "train", ledger=ledger)
    run_gitlab(project, {"SEEDLOCK_LEDGER": ledger}, pipeline=602)  # fresh generated seeds: a different model
    assert (project / "model.npy").read_bytes() != first_model
    (project / "model.npy").unlink()
    shutil.rmtree(project / "data")
    run_gitlab(project, {"SEEDLOCK_LEDGER": ledger, "SEEDLOCK_RERUN_ID": resolved["run"][:8]}, pipeline=603)
    assert (project / "seedlock.lock.json").read_bytes() == first_lock
    assert (project / "model.npy").read_bytes() == first_model
    run_gitlab(project, {"SEEDLOCK_LEDGER": ledger, "SEEDLOCK_RERUN_JOB": "60100"}, pipeline=604)
    assert (project / "seedlock.lock.json").read_bytes() == first_lock
    assert (project / "model.npy").read_bytes() == first_model


def test_the_reuse_check_fires_on_an_unchanged_rerun_and_not_on_changed_input(project: Path, ledger: str) -> None:
    run_gitlab(project, {"SEEDLOCK_SEED": "77", "SEEDLOCK_LEDGER": ledger}, pipeline=701)
    again = run_gitlab(project, {"SEEDLOCK_SEED": "77", "SEEDLOCK_LEDGER": ledger}, pipeline=702)
    assert "adds no information" in again["resolve-seeds"].stderr
    assert again["train"].stderr.count("stage 'train' repeats run") == 1
    (project / "raw.csv").write_text("x,y\n1,2\n3,4\n5,7\n")
    subprocess.run(
        [
            "git",
            "-C",
            str(project),
            "-c",
            "user.email=ci@example.invalid",
            "-c",
            "user.name=ci",
            "commit",
            "-qam",
            "new data",
        ],
        check=True,
    )
    changed = run_gitlab(project, {"SEEDLOCK_SEED": "77", "SEEDLOCK_LEDGER": ledger}, pipeline=703)
    assert "adds no information" not in changed["resolve-seeds"].stderr
    assert "with the commit and inputs changed (same params): fine" in changed["resolve-seeds"].stderr


def test_concurrent_pipelines_on_two_runners_keep_every_record_with_distinct_ids(tmp_path: Path, ledger: str) -> None:
    """Defect 4: two pipelines at once were both "run 4" in their runners' caches, and rerun replayed the wrong one."""
    from concurrent.futures import ThreadPoolExecutor

    runners = [_checkout(tmp_path / name / "project") for name in ("runner-a", "runner-b")]
    with ThreadPoolExecutor(2) as pool:
        list(
            pool.map(
                lambda job: run_gitlab(job[0], {"SEEDLOCK_LEDGER": ledger}, pipeline=job[1]),
                [(runners[0], 801), (runners[1], 802)],
            )
        )
    records = seedlock_json(runners[0], "history", "--limit", "0", ledger=ledger)
    assert len(records) == 6 and len({r["run"] for r in records}) == 6 and len({r["pipeline"] for r in records}) == 2
    for work, pipeline in zip(runners, ("801", "802"), strict=False):
        (resolved,) = [r for r in records if r["event"] == "resolve" and r["ci"]["pipeline_id"] == pipeline]
        out = subprocess.run(
            ["seedlock", "rerun", resolved["run"][:10], "-o", "replay.lock.json"],
            cwd=work,
            env=_env({"SEEDLOCK_LEDGER": ledger}),
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr
        assert (work / "replay.lock.json").read_bytes() == (work / "seedlock.lock.json").read_bytes()


_EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def _github_eval(expr: str, ctx: dict[str, Any]) -> Any:
    if " && " in expr:
        return all(_github_eval(part, ctx) for part in expr.split(" && "))
    m = re.fullmatch(r"(.+?) (==|!=) '(.*)'", expr)
    if m:
        value = _github_eval(m.group(1), ctx)
        return (value == m.group(3)) == (m.group(2) == "==")
    node: Any = ctx
    for part in expr.split("."):
        node = node.get(part, "") if isinstance(node, dict) else ""
    return node


def _github_sub(text: str, ctx: dict[str, Any]) -> str:
    return _EXPR.sub(lambda m: str(_github_eval(m.group(1), ctx)), text)


def _artifact(work: Path, run_id: str, name: str) -> Path:
    return work.parent / "github-artifacts" / run_id / name


def run_github(work: Path, inputs: dict[str, str], run_id: int, ledger: str) -> dict[str, str]:
    """Jobs in order, steps as GitHub runs them: `run` steps in bash with the variables Actions sets,
    artifacts uploaded to and downloaded from a store kept per workflow run (another run's too)."""
    flow = yaml.safe_load((work / "github-workflow.yml").read_text())
    ctx: dict[str, Any] = {
        "inputs": {k: v.get("default", "") for k, v in flow[True]["workflow_dispatch"]["inputs"].items()},
        "github": {"run_id": str(run_id), "token": "token"},
        "needs": {},
        "secrets": {"SEEDLOCK_LEDGER": ledger},
    }
    ctx["inputs"].update(inputs)
    printed = []
    for job_name, job in flow["jobs"].items():
        ctx["steps"] = {}
        for number, step in enumerate(job["steps"]):
            if "if" in step and not _github_eval(_EXPR.fullmatch(step["if"]).group(1), ctx):  # type: ignore[union-attr]
                continue
            uses = step.get("uses", "")
            with_ = {k: _github_sub(str(v), ctx) for k, v in step.get("with", {}).items()}
            if uses.startswith("actions/upload-artifact"):
                source, target = work / with_["path"], _artifact(work, str(run_id), with_["name"])
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir(parents=True)
                (shutil.copytree(source, target / source.name) if source.is_dir() else shutil.copy2(source, target))
                continue
            if uses.startswith("actions/download-artifact"):
                stored = _artifact(work, with_.get("run-id") or str(run_id), with_["name"])
                assert stored.exists(), (
                    f"{job_name}: no artifact {with_['name']} in run {with_.get('run-id') or run_id}"
                )
                for item in stored.iterdir():
                    dest = work / item.name
                    shutil.rmtree(dest, ignore_errors=True) if item.is_dir() else None
                    (shutil.copytree(item, dest) if item.is_dir() else shutil.copy2(item, dest))
                continue
            if "run" not in step or step["run"].startswith("pip install"):
                continue  # checkout is the files already in place; installs are ours
            output_file = work / f".gh-output-{job_name}-{number}"
            output_file.write_text("")
            env = {
                **{k: _github_sub(str(v), ctx) for k, v in flow.get("env", {}).items()},
                **{k: _github_sub(str(v), ctx) for k, v in step.get("env", {}).items()},
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_RUN_ID": str(run_id),
                "GITHUB_RUN_ATTEMPT": "1",
                "GITHUB_JOB": job_name,
                "GITHUB_REPOSITORY": "team/models",
                "GITHUB_SERVER_URL": "https://github.example.invalid",
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_ENV": str(work / ".gh-env"),
            }
            out = subprocess.run(
                ["bash", "-ec", _github_sub(step["run"], ctx)], cwd=work, env=_env(env), capture_output=True, text=True
            )
            assert out.returncode == 0, f"{job_name} step {number} failed:\n{out.stdout}\n{out.stderr}"
            printed.append(out.stdout)
            if "id" in step:
                ctx["steps"][step["id"]] = {
                    "outputs": dict(line.split("=", 1) for line in output_file.read_text().splitlines())
                }
        ctx["needs"][job_name] = {"outputs": {k: _github_sub(str(v), ctx) for k, v in job.get("outputs", {}).items()}}
    return {"stdout": "".join(printed)}


def test_github_passes_the_seed_input_to_later_jobs_and_every_job_records(project: Path, ledger: str) -> None:
    result = run_github(project, {"seed": "55"}, run_id=9001, ledger=ledger)
    lock = json.loads((project / "seedlock.lock.json").read_text())
    assert lock["root"] == {"seed": 55, "source": "env", "variable": "SEEDLOCK_SEED"}
    ci = lock["provenance"]["ci"]
    assert ci["system"] == "github" and ci["run_id"] == "9001"
    assert ci["run_url"] == "https://github.example.invalid/team/models/actions/runs/9001"
    assert "root seed 55" in result["stdout"]
    assert (project / "model.npy").exists()
    records = seedlock_json(project, "history", ledger=ledger)
    assert [(r["event"], r["stage"], r["ci"]["job"]) for r in records] == [
        ("run", "train", "train"),
        ("run", "preprocess", "preprocess"),
        ("resolve", None, "seeds"),
    ]


def test_github_replays_a_recorded_run_and_an_old_lock_artifact(project: Path, ledger: str) -> None:
    run_github(project, {}, run_id=1, ledger=ledger)
    model = (project / "model.npy").read_bytes()
    (resolved,) = seedlock_json(project, "history", "--ci-pipeline", "1", "--stage", "preprocess", ledger=ledger)
    run_github(project, {}, run_id=2, ledger=ledger)
    assert (project / "model.npy").read_bytes() != model
    run_github(project, {"rerun_id": resolved["run"][:8]}, run_id=3, ledger=ledger)
    assert (project / "model.npy").read_bytes() == model
    run_github(project, {"rerun_artifact_run": "1"}, run_id=4, ledger=ledger)
    assert (project / "model.npy").read_bytes() == model
