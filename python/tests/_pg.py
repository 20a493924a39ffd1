"""A throwaway PostgreSQL server for the tests: Debian's postgresql (``scripts/setup.sh`` installs it),
``initdb`` in a temporary directory, 127.0.0.1 and a Unix socket there, a free port, stopped at the end
of the session even when tests fail. Under ``CI=true`` a server that cannot start FAILS the tests
that need it; elsewhere they skip with the reason.

PostgreSQL refuses to run as root; as root the server runs as the ``postgres`` user (created by the
Debian package) in a directory that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "seedlock_admin"
PASSWORD = "s3cr3t-Pa55;word"  # a password the tests look for in every output


def _bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running server; ``url(db, user, password)`` builds connection URLs."""

    bindir: Path
    datadir: Path
    sockdir: Path
    port: int
    run_as: list[str]
    log: Path

    def url(self, db: str = "postgres", user: str = SUPERUSER, password: str | None = PASSWORD) -> str:
        from urllib.parse import quote

        auth = quote(user) + (":" + quote(password, safe="") if password else "")
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{db}"

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockdir} -c fsync=on -c max_connections=60"
        out = self.pg_ctl("start", "-w", "-t", "60", "-l", str(self.log), "-o", opts, check=False)
        if out.returncode != 0:
            raise RuntimeError(
                f"pg_ctl start failed: {out.stdout}{out.stderr}\n{self.log.read_text() if self.log.exists() else ''}"
            )

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("stop", "-w", "-m", mode, check=False)

    def running(self) -> bool:
        return self.pg_ctl("status", check=False).returncode == 0

    def sql(self, statement: str, db: str = "postgres", params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.url(db), autocommit=True, connect_timeout=10) as conn:
            cur = conn.execute(statement, params)  # type: ignore[arg-type]
            return list(cur.fetchall()) if cur.description else []

    def new_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        self.sql(f"CREATE DATABASE {name}")  # a generated identifier, not user text
        return name


def start_server() -> Iterator[Server]:
    bindir = _bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (initdb not found): run `make setup`")
    root = Path(tempfile.mkdtemp(prefix="seedlock-pg-", dir="/tmp"))  # short path: socket names are limited
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    datadir, sockdir = root / "data", root
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if run_as:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, 0)
    init = subprocess.run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            SUPERUSER,
            "--pwfile",
            str(pwfile),
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    pwfile.unlink()
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stdout}{init.stderr}")
    server = Server(bindir=bindir, datadir=datadir, sockdir=sockdir, port=_free_port(), run_as=run_as, log=root / "log")
    if run_as:
        server.log.touch()
        os.chown(server.log, pwd.getpwnam("postgres").pw_uid, 0)
    try:
        server.start()
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """One server per test session (per xdist worker)."""
    gen = start_server()
    try:
        server = next(gen)
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL could not start (CI=true: failing, not skipping): {exc}")
        pytest.skip(f"PostgreSQL could not start: {exc}")
    try:
        yield server
    finally:
        with contextlib.suppress(StopIteration):
            next(gen)


@pytest.fixture
def pg_url(pg_server: Server) -> str:
    """A fresh database, with the seedlock schema created by `seedlock ledger init`; the admin's URL."""
    if not pg_server.running():
        pg_server.start()  # a previous test stopped it and failed before restarting
    name = pg_server.new_database()
    return pg_server.url(name)


def wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")
