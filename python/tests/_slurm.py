"""A throwaway single-node Slurm cluster for the tests: Debian's ``slurm-wlm`` and ``munge``
(``scripts/setup.sh`` installs them), configured in a temporary directory and stopped at the end of the
session even when tests fail. Under ``CI=true`` a cluster that cannot start FAILS the tests that need
it; elsewhere they skip with the reason.

Layout: ``munged`` runs as the ``munge`` user on its own socket with its own key (the system's munged,
if any, is left alone); ``slurmctld`` and ``slurmd`` run as root (as CI does) on free ports, with
``ProctrackType=proctrack/linuxproc`` and ``TaskPlugin=task/none`` (no cgroups needed), state, spool,
pid and log files in the temporary directory. Clients find the cluster through ``SLURM_CONF``
(``Cluster.env``); nothing is written under /etc.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster; ``env`` holds the variables a client (sbatch, squeue, seedlock) needs."""

    root: Path
    conf: Path
    node: str
    pids: dict[str, Path]

    @property
    def env(self) -> dict[str, str]:
        return {"SLURM_CONF": str(self.conf)}

    def client(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), capture_output=True, text=True, timeout=timeout, env={**os.environ, **self.env}
        )

    def logs(self) -> str:
        parts = []
        for name in ("munged.log", "slurmctld.log", "slurmd.log"):
            path = self.root / "log" / name
            if path.exists():
                parts.append(f"--- {name}\n" + path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)


def _wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stop(pidfile: Path) -> None:
    pid = _pid(pidfile)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


_CONF = """\
ClusterName=seedlocktest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=600
SchedulerParameters=sched_interval=1
PlugStackConfig={root}/plugstack.conf
NodeName={node} NodeHostname={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
"""


def start_cluster() -> Iterator[Cluster]:
    for tool in ("munged", "slurmctld", "slurmd", "sbatch"):
        if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
            raise RuntimeError(f"{tool} is not installed: run `make setup` (Debian slurm-wlm and munge)")
    if os.geteuid() != 0:
        raise RuntimeError("the test cluster runs slurmctld/slurmd as root (as CI does); not root here")
    root = Path(tempfile.mkdtemp(prefix="seedlock-slurm-", dir="/tmp"))  # short: socket paths are limited
    os.chmod(root, 0o755)
    for sub in ("state", "spool", "run", "log", "munge"):
        (root / sub).mkdir()
    (root / "plugstack.conf").write_text("")
    munge = pwd.getpwnam("munge")
    mdir = root / "munge"
    os.chown(mdir, munge.pw_uid, munge.pw_gid)
    os.chmod(mdir, 0o755)
    key = mdir / "munge.key"
    key.write_bytes(os.urandom(1024))
    os.chown(key, munge.pw_uid, munge.pw_gid)
    os.chmod(key, 0o400)
    munge_socket = mdir / "munge.socket"
    host = socket.gethostname().split(".")[0]
    node = "seedlock" + root.name.rsplit("-", 1)[-1].lower().replace("_", "")
    conf = root / "slurm.conf"
    conf.write_text(
        _CONF.format(
            host=host,
            node=node,
            root=root,
            munge_socket=munge_socket,
            ctld_port=_free_port(),
            d_port=_free_port(),
            cpus=os.cpu_count() or 1,
        )
    )
    cluster = Cluster(
        root=root,
        conf=conf,
        node=node,
        pids={
            "munged": mdir / "munged.pid",
            "slurmctld": root / "run/slurmctld.pid",
            "slurmd": root / "run/slurmd.pid",
        },
    )
    env = {**os.environ, "SLURM_CONF": str(conf)}
    try:
        subprocess.run(
            [
                "runuser",
                "-u",
                "munge",
                "--",
                "munged",
                "--force",
                f"--socket={munge_socket}",
                f"--key-file={key}",
                f"--pid-file={mdir / 'munged.pid'}",
                f"--log-file={mdir / 'munged.log'}",
                f"--seed-file={mdir / 'munged.seed'}",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        _wait_for(munge_socket.exists, 15, "munged's socket")
        subprocess.run(["slurmctld", "-f", str(conf)], check=True, capture_output=True, text=True, timeout=60, env=env)
        subprocess.run(
            ["slurmd", "-f", str(conf), "-N", node], check=True, capture_output=True, text=True, timeout=60, env=env
        )

        def _node_idle() -> bool:
            out = cluster.client("sinfo", "-h", "-N", "-o", "%t", timeout=20)
            return out.returncode == 0 and out.stdout.strip().rstrip("*") in ("idle", "mix", "alloc")

        _wait_for(_node_idle, 60, f"node {node} to be idle")
        yield cluster
    except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        raise RuntimeError(f"{exc} {detail}\n{cluster.logs()}") from exc
    finally:
        for name in ("slurmd", "slurmctld", "munged"):
            _stop(cluster.pids[name])
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[Cluster]:
    """One cluster per test session (per xdist worker)."""
    gen = start_cluster()
    try:
        cluster = next(gen)
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Slurm could not start (CI=true: failing, not skipping): {exc}")
        pytest.skip(f"Slurm could not start: {exc}")
    try:
        yield cluster
    finally:
        with contextlib.suppress(StopIteration):
            next(gen)


if __name__ == "__main__":  # a quick manual check: start, run an array job, stop
    g = start_cluster()
    c = next(g)
    print(
        c.client(
            "sbatch",
            "--parsable",
            "--array=0-2",
            "-o",
            str(c.root / "o-%a"),
            "--wrap",
            "echo task $SLURM_ARRAY_TASK_ID",
        )
    )
    time.sleep(5)
    print(c.client("squeue"), sorted(p.name for p in c.root.iterdir()))
    print([p.read_text() for p in sorted(c.root.glob("o-*"))])
    print(c.logs()[-2000:])
    with contextlib.suppress(StopIteration):
        next(g)
