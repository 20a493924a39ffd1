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

from conftest import REPO

EXAMPLES = REPO / "examples" / "ci"
pytestmark = pytest.mark.slow


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEEDLOCK_", "GITLAB", "GITHUB", "CI"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    work = tmp_path / "project"
    shutil.copytree(EXAMPLES, work)
    git = ["git", "-C", str(work), "-c", "user.email=ci@example.invalid", "-c", "user.name=ci"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "pipeline"], check=True)
    return work


def _rule_applies(rules: list[dict[str, str]] | None, env: dict[str, str]) -> bool:
    if not rules:
        return True
    for rule in rules:
        m = re.fullmatch(r'\$(\w+) (==|!=) ""', rule["if"])
        assert m, f"the simulator understands `$VAR == \"\"` rules only: {rule['if']}"
        empty = env.get(m.group(1), "") == ""
        if empty == (m.group(2) == "=="):
            return True
    return False


def run_gitlab(work: Path, variables: dict[str, str], pipeline: int) -> dict[str, subprocess.CompletedProcess[str]]:
    config = yaml.safe_load((work / "gitlab-ci.yml").read_text())
    jobs = {k: v for k, v in config.items() if isinstance(v, dict) and "script" in v}
    base = {**{k: str(v) for k, v in config.get("variables", {}).items()}, **variables,
            "CI": "true", "GITLAB_CI": "true", "CI_PIPELINE_ID": str(pipeline), "CI_PROJECT_PATH": "team/models",
            "CI_PIPELINE_URL": f"https://gitlab.example.invalid/team/models/-/pipelines/{pipeline}"}
    dotenv: dict[str, str] = {}
    results = {}
    for number, (name, job) in enumerate((n, j) for s in config["stages"] for n, j in jobs.items() if j["stage"] == s):
        env = {**base, **dotenv, "CI_JOB_NAME": name, "CI_JOB_ID": f"{pipeline}{number:02d}",
               "CI_JOB_URL": f"https://gitlab.example.invalid/team/models/-/jobs/{pipeline}{number:02d}"}
        if not _rule_applies(job.get("rules"), env):
            continue
        # before_script installs seedlock; here it is the package under test.
        out = subprocess.run(["bash", "-ec", "\n".join(job["script"])], cwd=work, env=_env(env), capture_output=True, text=True)
        assert out.returncode == 0, f"job {name} failed:\n{out.stdout}\n{out.stderr}"
        results[name] = out
        report = job.get("artifacts", {}).get("reports", {}).get("dotenv")
        if report:
            for line in (work / report).read_text().splitlines():
                key, _, value = line.partition("=")
                dotenv[key] = value
    return results


def test_the_example_pipelines_are_valid_yaml_with_known_stages_and_needs() -> None:
    gitlab = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())
    for name, job in gitlab.items():
        if isinstance(job, dict) and "script" in job:
            assert job["stage"] in gitlab["stages"], name
    github = yaml.safe_load((EXAMPLES / "github-workflow.yml").read_text())
    assert set(github["jobs"]["train"]["needs"] if isinstance(github["jobs"]["train"]["needs"], list)
               else [github["jobs"]["train"]["needs"]]) <= set(github["jobs"])


def test_gitlab_takes_the_seed_from_a_ci_variable_and_records_the_job(project: Path) -> None:
    run_gitlab(project, {"SEEDLOCK_SEED": "1234"}, pipeline=501)
    lock = json.loads((project / "seedlock.lock.json").read_text())
    assert lock["root"] == {"seed": 1234, "source": "env", "variable": "SEEDLOCK_SEED"}
    ci = lock["provenance"]["ci"]
    assert ci["system"] == "gitlab" and ci["pipeline_id"] == "501" and ci["job_name"] == "resolve-seeds"
    assert ci["job_url"].endswith("/-/jobs/50100")
    assert set(lock["provenance"]["inputs"]) == {"raw.csv"} and set(lock["provenance"]["params"]) == {"params.json"}
    dotenv = dict(line.split("=", 1) for line in (project / "seeds.env").read_text().splitlines())
    assert dotenv["SEEDLOCK_SEED"] == "1234"
    assert dotenv["SEEDLOCK_SEED_TRAIN"] == str(lock["stages"]["train"]["seed"])
    history = subprocess.run(["seedlock", "history", "--format", "json"], cwd=project, env=_env({}), capture_output=True,
                             text=True, check=True)
    events = [(r["event"], r["stage"]) for r in json.loads(history.stdout)]
    assert events == [("run", "train"), ("run", "preprocess"), ("resolve", None)]


def test_gitlab_generates_a_seed_when_none_is_given(project: Path) -> None:
    run_gitlab(project, {}, pipeline=502)
    lock = json.loads((project / "seedlock.lock.json").read_text())
    assert lock["root"]["source"] == "generated"


def test_a_rerun_from_the_ledger_reproduces_the_model_bit_for_bit(project: Path) -> None:
    run_gitlab(project, {}, pipeline=601)
    first_model = (project / "model.npy").read_bytes()
    first_lock = (project / "seedlock.lock.json").read_bytes()
    (project / "model.npy").unlink()
    shutil.rmtree(project / "data")
    run_gitlab(project, {"SEEDLOCK_RERUN_ID": "1"}, pipeline=602)
    assert (project / "seedlock.lock.json").read_bytes() == first_lock
    assert (project / "model.npy").read_bytes() == first_model
    run_gitlab(project, {}, pipeline=603)  # fresh generated seeds: a different model
    assert (project / "model.npy").read_bytes() != first_model


def test_the_reuse_check_fires_on_an_unchanged_rerun_and_not_on_changed_input(project: Path) -> None:
    run_gitlab(project, {"SEEDLOCK_SEED": "77"}, pipeline=701)
    again = run_gitlab(project, {"SEEDLOCK_SEED": "77"}, pipeline=702)
    assert "adds no information" in again["resolve-seeds"].stderr
    (project / "raw.csv").write_text("x,y\n1,2\n3,4\n5,7\n")
    subprocess.run(["git", "-C", str(project), "-c", "user.email=ci@example.invalid", "-c", "user.name=ci",
                    "commit", "-qam", "new data"], check=True)
    changed = run_gitlab(project, {"SEEDLOCK_SEED": "77"}, pipeline=703)
    assert "adds no information" not in changed["resolve-seeds"].stderr
    assert "with different code, inputs: fine" in changed["resolve-seeds"].stderr


_EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def _github_eval(expr: str, ctx: dict[str, Any]) -> Any:
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


def run_github(work: Path, inputs: dict[str, str], run_id: int) -> dict[str, str]:
    flow = yaml.safe_load((work / "github-workflow.yml").read_text())
    ctx: dict[str, Any] = {"inputs": {k: v.get("default", "") for k, v in flow[True]["workflow_dispatch"]["inputs"].items()}
                           if True in flow else {}, "github": {"run_id": str(run_id)}, "needs": {}}
    ctx["inputs"].update(inputs)
    printed = []
    for job_name, job in flow["jobs"].items():
        ctx["steps"] = {}
        for number, step in enumerate(job["steps"]):
            if "run" not in step or step["run"].startswith("pip install"):
                continue  # actions (checkout, cache, artifacts) are the files already in place; installs are ours
            if "if" in step and not _github_eval(_EXPR.fullmatch(step["if"]).group(1), ctx):  # type: ignore[union-attr]
                continue
            output_file = work / f".gh-output-{job_name}-{number}"
            output_file.write_text("")
            env = {**{k: _github_sub(str(v), ctx) for k, v in flow.get("env", {}).items()},
                   **{k: _github_sub(str(v), ctx) for k, v in step.get("env", {}).items()},
                   "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": str(run_id), "GITHUB_RUN_ATTEMPT": "1",
                   "GITHUB_JOB": job_name, "GITHUB_REPOSITORY": "team/models", "GITHUB_SERVER_URL": "https://github.example.invalid",
                   "GITHUB_OUTPUT": str(output_file), "GITHUB_ENV": str(work / ".gh-env")}
            out = subprocess.run(["bash", "-ec", _github_sub(step["run"], ctx)], cwd=work, env=_env(env),
                                 capture_output=True, text=True)
            assert out.returncode == 0, f"{job_name} step {number} failed:\n{out.stdout}\n{out.stderr}"
            printed.append(out.stdout)
            if "id" in step:
                ctx["steps"][step["id"]] = {"outputs": dict(line.split("=", 1) for line in output_file.read_text().splitlines())}
        ctx["needs"][job_name] = {"outputs": {k: _github_sub(str(v), ctx) for k, v in job.get("outputs", {}).items()}}
    return {"stdout": "".join(printed)}


def test_github_passes_the_seed_input_through_outputs_to_later_jobs(project: Path) -> None:
    result = run_github(project, {"seed": "55"}, run_id=9001)
    lock = json.loads((project / "seedlock.lock.json").read_text())
    assert lock["root"] == {"seed": 55, "source": "env", "variable": "SEEDLOCK_SEED"}
    ci = lock["provenance"]["ci"]
    assert ci["system"] == "github" and ci["run_id"] == "9001"
    assert ci["run_url"] == "https://github.example.invalid/team/models/actions/runs/9001"
    assert "root seed 55" in result["stdout"]
    assert (project / "model.npy").exists()


def test_github_replays_a_recorded_run(project: Path) -> None:
    run_github(project, {}, run_id=1)
    model = (project / "model.npy").read_bytes()
    run_github(project, {"rerun_id": "1"}, run_id=2)
    assert (project / "model.npy").read_bytes() == model
