"""README's Quick start and recipes, run as a user types them: the exact lines, through the
`seedlock` command, in fresh processes."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO

README = (REPO / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(title)
    rest = README[start + len(title) :]
    ends = [m.start() for m in re.finditer(r"^#{2,3} ", rest, re.M)]
    return rest[: ends[0]] if ends else rest


def _blocks(text: str, lang: str) -> list[str]:
    return [textwrap.dedent(b) for b in re.findall(rf"^[ \t]*```{lang}\n(.*?)^[ \t]*```", text, re.M | re.S)]


def _user_path(tmp_path: Path) -> dict[str, str]:
    """`seedlock` and `python` on PATH as a user has them (this interpreter, this checkout)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # Scripts, not links: a link to a virtual environment's python loses the environment.
    for name, command in (("python", f'"{sys.executable}"'), ("seedlock", f'"{sys.executable}" -m seedlock')):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDLOCK_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return env


def _type(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
    return done


def test_the_quick_start_records_a_run_and_replays_it_exactly(tmp_path: Path) -> None:
    section = _section("## Quick start")
    (commands,) = _blocks(section, "sh")
    (script,) = _blocks(section, "python")
    lines = [line for line in commands.splitlines() if line.strip()]
    assert len(lines) + len(script.splitlines()) < 10 + 5 and len(lines) < 10
    work = tmp_path / "project"
    work.mkdir()
    # A user's project is a git repository: the ledger goes to its root (not to a repository around tmp_path).
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    assert script.startswith("# train.py\n")
    (work / "train.py").write_text(script)
    env = _user_path(tmp_path)
    outputs = []
    for line in lines:
        if " RUN " in line:  # the reader copies the train run's id from the history line above
            history = outputs[-1].stdout.splitlines()
            (run_id,) = [row.split()[0] for row in history[1:] if row.split()[4:5] == ["train"]]
            line = line.replace(" RUN ", f" {run_id[:7]} ")
        outputs.append(_type(line.split("  #")[0].rstrip(), work, env))

    by_line = dict(zip(lines, outputs, strict=False))
    recorded = next(out for line, out in by_line.items() if line.startswith("seedlock run seedlock.lock.json"))
    replayed = next(out for line, out in by_line.items() if line.startswith("seedlock run replay.lock.json"))
    assert recorded.stdout and replayed.stdout == recorded.stdout
    history = next(out for line, out in by_line.items() if line.startswith("seedlock history")).stdout.splitlines()
    assert [row.split()[3:5] for row in history[1:]] == [["run", "train"]]
    # It replays for the right reason: a fresh resolve draws other seeds, and the script then prints other numbers.
    _type("seedlock resolve seedlock.json -o fresh.lock.json", work, env)
    fresh = _type("seedlock run fresh.lock.json --stage train -- python train.py", work, env)
    assert fresh.stdout != recorded.stdout


def _sklearn_script() -> str:
    section = _section("### RNGs seedlock does not own")
    header = _blocks(section, "python")[0]
    recipe = _blocks(section[section.index("**scikit-learn**") :], "python")[0]
    return (
        header + "from sklearn.datasets import make_classification\n"
        "X, y = make_classification(n_samples=300, n_features=8, random_state=0)  # the same data every time\n"
        + recipe
        + "print(''.join(map(str, model.predict(X_test))), len(X_test))\n"
    )


@pytest.mark.slow
def test_the_scikit_learn_recipe_repeats_from_the_lock_and_varies_with_the_seed(tmp_path: Path) -> None:
    if not os.environ.get("CI"):
        pytest.importorskip("sklearn")  # in CI scikit-learn is installed (requirements-dev.txt): a miss fails
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "fit.py").write_text(_sklearn_script())
    (tmp_path / "m.json").write_text(
        '{"version": "1.0", "seed": "generate", "stages": {"train": {"frameworks": ["numpy"]}}}'
    )
    env = _user_path(tmp_path)
    _type("seedlock resolve m.json -o a.lock.json && seedlock resolve m.json -o b.lock.json", tmp_path, env)
    first = _type("seedlock run a.lock.json --stage train -- python fit.py", tmp_path, env).stdout
    again = _type("seedlock run a.lock.json --stage train -- python fit.py", tmp_path, env).stdout
    other = _type("seedlock run b.lock.json --stage train -- python fit.py", tmp_path, env).stdout
    assert first == again
    # Another stage seed gives another split and forest (a split of 75 of 300 rows repeats by chance ~never).
    assert first != other


def _lightning_script() -> str:
    section = _section("### RNGs seedlock does not own")
    header = _blocks(section, "python")[0]
    recipe = _blocks(section[section.index("**Lightning**") :], "python")[0]
    setup = textwrap.dedent("""\
        import torch
        from torch.utils.data import TensorDataset
        torch.set_num_threads(1)  # torch results depend on the thread count
        class MyModel(L.LightningModule):
            def __init__(self):
                super().__init__()
                self.net = torch.nn.Sequential(
                    torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1)
                )
            def training_step(self, batch, _):
                x, y = batch
                return torch.nn.functional.mse_loss(self.net(x), y)
            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)
        data = torch.Generator().manual_seed(0)  # the same data every time; the model's randomness is the lock's
        dataset = TensorDataset(torch.randn(256, 4, generator=data), torch.randn(256, 1, generator=data))
        """)
    recipe = recipe.replace("import lightning as L\n", "").replace(
        "L.Trainer(max_epochs=2, deterministic=True)",
        "L.Trainer(max_epochs=2, deterministic=True, logger=False, enable_checkpointing=False,"
        " enable_progress_bar=False,"
        " enable_model_summary=False, accelerator='cpu')",
    )
    return (
        header
        + "import lightning as L\n"
        + setup
        + recipe
        + "print(' '.join(f'{p:.10f}' for p in torch.cat([q.flatten() for q in model.parameters()]).tolist()))\n"
    )


@pytest.mark.slow
def test_the_lightning_recipe_repeats_from_the_lock_with_workers_and_varies_with_the_seed(tmp_path: Path) -> None:
    if not os.environ.get("CI"):
        pytest.importorskip("lightning")  # in CI lightning is installed (requirements-dev.txt): a miss fails
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "fit.py").write_text(_lightning_script())
    (tmp_path / "m.json").write_text(
        '{"version": "1.0", "seed": "generate", "stages": {"train": {"frameworks": '
        '["python", "numpy", "torch"], "settings": {"torch": {"num_threads": 1}}}}}'
    )
    env = {**_user_path(tmp_path), "PYTHONWARNINGS": "ignore"}
    _type("seedlock resolve m.json -o a.lock.json && seedlock resolve m.json -o b.lock.json", tmp_path, env)
    first = _type("seedlock run a.lock.json --stage train -- python fit.py", tmp_path, env).stdout
    again = _type("seedlock run a.lock.json --stage train -- python fit.py", tmp_path, env).stdout
    other = _type("seedlock run b.lock.json --stage train -- python fit.py", tmp_path, env).stdout
    assert first.strip() and first == again
    assert first != other


def _hugging_face_script() -> str:
    section = _section("### RNGs seedlock does not own")
    header = _blocks(section, "python")[0]
    recipe = _blocks(section[section.index("**Hugging Face") :], "python")[0]
    setup = textwrap.dedent("""\
        import torch
        torch.set_num_threads(1)  # torch results depend on the thread count
        class MyModel(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = torch.nn.Sequential(
                    torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1)
                )
            def forward(self, x, labels):
                out = self.net(x)
                return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}
        data = torch.Generator().manual_seed(0)  # the same data every time; the model's randomness is the lock's
        xs, ys = torch.randn(256, 4, generator=data), torch.randn(256, 1, generator=data)
        dataset = [{"x": x, "labels": y} for x, y in zip(xs, ys)]
        """)
    quiet = (
        'TrainingArguments(output_dir="out", report_to="none", save_strategy="no", logging_strategy="no", '
        "disable_tqdm=True, use_cpu=True, num_train_epochs=2, per_device_train_batch_size=32, "
    )
    assert 'TrainingArguments(output_dir="out", ' in recipe
    recipe = recipe.replace('TrainingArguments(output_dir="out", ', quiet)
    return (
        header
        + setup
        + recipe
        + "print(' '.join(f'{p:.10f}' for p in torch.cat([q.flatten() for q in model.parameters()]).tolist()))\n"
    )


@pytest.mark.slow
def test_the_hugging_face_recipe_repeats_from_the_lock_and_varies_with_the_seed(tmp_path: Path) -> None:
    if not os.environ.get("CI"):
        pytest.importorskip("transformers")  # in CI transformers is installed (requirements-dev.txt): a miss fails
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "fit.py").write_text(_hugging_face_script())
    (tmp_path / "m.json").write_text(
        '{"version": "1.0", "seed": "generate", "stages": {"train": {"frameworks": '
        '["python", "numpy", "torch"], "settings": {"torch": {"num_threads": 1}}}}}'
    )
    env = {**_user_path(tmp_path), "PYTHONWARNINGS": "ignore", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    _type("seedlock resolve m.json -o a.lock.json && seedlock resolve m.json -o b.lock.json", tmp_path, env)
    # The last line is the trained weights (Trainer prints its metrics, with timings, before it).
    first = _type("seedlock run a.lock.json --stage train -- python fit.py", tmp_path, env).stdout.splitlines()[-1]
    again = _type("seedlock run a.lock.json --stage train -- python fit.py", tmp_path, env).stdout.splitlines()[-1]
    other = _type("seedlock run b.lock.json --stage train -- python fit.py", tmp_path, env).stdout.splitlines()[-1]
    assert first.strip() and first == again
    assert first != other


def test_docs_show_verify_output_as_the_repeated_flag_it_is() -> None:
    # argparse's `--output PATH` (action="append") takes one path per flag: `--output a b` is an error.
    for doc in (README, (REPO / "conformance" / "README.md").read_text()):
        assert "--output PATH…" not in doc and "--output PATH..." not in doc
        assert "--output PATH [--output PATH]" in doc
