"""Every ledger command on both backends (SQLite and a real PostgreSQL server the tests start),
concurrency, faults (server stopped, killed mid-transaction, restarted, read-only role, full spool),
secrets and hostile text."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _pg import PASSWORD, SUPERUSER, Server, wait_for
from conftest import REPO, child_environ, seedlock_cli

HOSTILE = 'it\'s "quoted"; DROP TABLE seedlock_runs; -- ünïcödé ✓ \\ %s %(x)s ?'
MANIFEST = {
    "version": "1.0",
    "seed": "generate",
    "description": HOSTILE,
    "inputs": ["data 'x\"; DROP--ü.csv"],
    "stages": {"prep": {"frameworks": ["python"]}, "train": {"frameworks": ["python", "numpy"]}},
}
_CLEAN = dict.fromkeys(("CI", "GITLAB_CI", "GITHUB_ACTIONS", "SEEDLOCK_LEDGER", "SEEDLOCK_SEED", "PGPASSWORD"), "")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    work = tmp_path / "proj"
    work.mkdir()
    (work / "pipeline.json").write_text(json.dumps(MANIFEST, ensure_ascii=False), encoding="utf-8")
    (work / MANIFEST["inputs"][0]).write_text("a,b\n1,2\n")
    (work / ".gitignore").write_text("*.lock.json\n")
    git = ["git", "-C", str(work), "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    return work


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "team.sqlite")
    url = request.getfixturevalue("pg_url")
    assert seedlock_cli("ledger", "init", "--ledger", url).returncode == 0
    return url


def run(
    work: Path,
    *args: str,
    ledger: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    preexec=None,
) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    full = {**child_environ(), **_CLEAN, "SEEDLOCK_SPOOL": str(work.parent / "spool"), **(env or {})}
    if ledger:
        full["SEEDLOCK_LEDGER"] = ledger
    return subprocess.run(
        [sys.executable, "-m", "seedlock", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=work,
        timeout=timeout,
        preexec_fn=preexec,
    )


def _one_error(stderr: str) -> bool:
    """One error line, the last one (warnings from the run itself, e.g. auto-seeding, may precede it)."""
    lines = stderr.splitlines()
    return sum(line.startswith("seedlock: error[") for line in lines) == 1 and lines[-1].startswith("seedlock: error[")


def ok(out: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert out.returncode == 0, out.stderr
    return out


def history(work: Path, ledger: str, *args: str) -> list[dict]:
    return json.loads(ok(run(work, "history", "--format", "json", "--limit", "0", *args, ledger=ledger)).stdout)


def test_every_ledger_command_works_the_same_on_both_backends(project: Path, ledger: str, tmp_path: Path) -> None:
    ci = {"CI": "true", "GITLAB_CI": "true", "CI_PIPELINE_ID": "77", "CI_JOB_ID": "7701", "CI_JOB_NAME": HOSTILE}
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json", "--record", ledger=ledger, env=ci))
    ok(run(project, "run", "p.lock.json", "--stage", "prep", "--record", "--", "true", ledger=ledger, env=ci))
    assert (
        run(
            project,
            "run",
            "p.lock.json",
            "--stage",
            "train",
            "--record",
            "--",
            "false",
            ledger=ledger,
            env={**ci, "CI_JOB_ID": "7702"},
        ).returncode
        == 1
    )
    records = history(project, ledger)
    assert [(r["event"], r["stage"], r["exit_code"]) for r in records] == [
        ("run", "train", 1),
        ("run", "prep", 0),
        ("resolve", None, None),
    ]
    lock = json.loads((project / "p.lock.json").read_text())
    assert {r["pipeline"] for r in records} == {lock["provenance"]["id"]}
    assert records[0]["ci"]["job_name"] == HOSTILE  # hostile CI text round-trips unchanged
    assert list(records[0]["provenance"]["inputs"]) == MANIFEST["inputs"]
    assert [r["stage"] for r in history(project, ledger, "--stage", "train")] == ["train"]
    assert [r["exit_code"] for r in history(project, ledger, "--job", "7702")] == [1]
    assert len(history(project, ledger, "--ci-pipeline", "77")) == 3
    assert len(history(project, ledger, "--pipeline", lock["provenance"]["id"][:6])) == 3
    assert len(history(project, ledger, "--seed", str(lock["stages"]["train"]["frameworks"]["numpy"]["seed"]))) == 3
    assert history(project, ledger, "--commit", "'; --") == []
    table = ok(run(project, "history", ledger=ledger)).stdout.splitlines()
    assert len(table) == 4 and table[1].startswith(records[0]["run"][:10])
    ok(run(project, "rerun", records[1]["run"][:8], "-o", "again.lock.json", ledger=ledger))
    assert (project / "again.lock.json").read_bytes() == (project / "p.lock.json").read_bytes()
    refused = run(project, "check", "p.lock.json", "--stage", "prep", "--strict", ledger=ledger)
    assert refused.returncode == 1 and "adds no information" in refused.stderr
    # Export, then import into a ledger of the other kind and back: idempotent, nothing changed.
    ok(run(project, "ledger", "export", "-o", str(tmp_path / "all.jsonl"), ledger=ledger))
    lines = (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[-1])["provenance"]["ci"]["job_name"] == HOSTILE
    other = str(tmp_path / "other.sqlite")
    for _ in range(2):
        ok(run(project, "ledger", "import", str(tmp_path / "all.jsonl"), ledger=other))
    assert [r["run"] for r in history(project, other)] == [r["run"] for r in records]
    ok(run(project, "ledger", "import", str(tmp_path / "all.jsonl"), ledger=ledger))
    assert len(history(project, ledger)) == 3


def test_eight_processes_recording_25_runs_each_lose_and_duplicate_nothing(project: Path, ledger: str) -> None:
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    # Each process records 25 runs through the CLI's own entry point (a fresh interpreter per run
    # would measure Python start-up on this 2-core machine, not the ledger).
    code = (
        "import sys; from seedlock.commands.cli import main\n"
        "for i in range(25):\n"
        "    assert main(['run', 'p.lock.json', '--stage', 'train' if i % 2 else 'prep', "
        "'--record', '--', 'true']) == 0\n"
    )
    env = {**child_environ(), **_CLEAN, "SEEDLOCK_LEDGER": ledger, "SEEDLOCK_SPOOL": str(project.parent / "spool")}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=project, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    errors = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    records = history(project, ledger)
    assert len(records) == 200 and len({r["run"] for r in records}) == 200
    assert sum(r["stage"] == "train" for r in records) == 8 * 12
    assert not (project.parent / "spool").exists() or not list((project.parent / "spool").iterdir())
    table = ok(run(project, "history", "--limit", "0", ledger=ledger)).stdout.splitlines()
    assert len(table) == 201


# --- PostgreSQL only: rights, faults, secrets -------------------------------------------------


def _grants(role: str, db: str) -> list[str]:
    """The GRANT statements README's "Team ledger" section documents, for ``role``."""
    readme = (REPO / "README.md").read_text()
    block = re.search(r"```sql\n(.*?)```", readme[readme.index("## Team ledger") :], re.S)
    assert block, "README's Team ledger section shows the GRANTs in an sql block"
    return [
        s.strip().replace("recorder", role).replace("DATABASE seedlock", f"DATABASE {db}")
        for s in block.group(1).split(";")
        if s.strip() and not s.strip().startswith("--") and "GRANT" in s
    ]


def _role(server: Server, db: str, name: str, grants: list[str]) -> str:
    server.sql(f"CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}'", db)  # test-controlled identifiers
    for grant in grants:
        server.sql(grant, db)
    return server.url(db, name)


def test_recording_needs_only_the_documented_insert_and_select_grants(
    project: Path, pg_server: Server, pg_url: str
) -> None:
    ok(run(project, "ledger", "init", ledger=pg_url))
    db = pg_url.rsplit("/", 1)[1]
    role = f"recorder_{uuid.uuid4().hex[:8]}"
    grants = _grants(role, db)
    assert grants and all(re.fullmatch(r"GRANT (SELECT|INSERT, SELECT|CONNECT|USAGE) ON .*", g) for g in grants), grants
    url = _role(pg_server, db, role, grants)
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json", "--record", ledger=url))
    ok(run(project, "run", "p.lock.json", "--stage", "prep", "--record", "--check-reuse", "--", "true", ledger=url))
    assert len(history(project, url)) == 2
    privileges = pg_server.sql(
        "SELECT DISTINCT privilege_type FROM information_schema.role_table_grants WHERE grantee = %s", db, (role,)
    )
    assert {p[0] for p in privileges} == {"INSERT", "SELECT"}
    # The recorder cannot create the schema: `ledger init` on a fresh database says so clearly.
    fresh = pg_server.new_database()
    out = run(project, "ledger", "init", ledger=pg_server.url(fresh, role))
    assert out.returncode == 2 and out.stderr.startswith("seedlock: error[io-error] Cannot initialise the ledger ")


def test_a_read_only_role_is_a_clear_error_and_the_record_waits_in_the_spool(
    project: Path, pg_server: Server, pg_url: str
) -> None:
    ok(run(project, "ledger", "init", ledger=pg_url))
    db = pg_url.rsplit("/", 1)[1]
    role = f"reader_{uuid.uuid4().hex[:8]}"
    url = _role(pg_server, db, role, [g.replace("INSERT, SELECT", "SELECT") for g in _grants(role, db)])
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    out = run(project, "run", "p.lock.json", "--stage", "prep", "--record", "--", "true", ledger=url)
    assert out.returncode == 0 and _one_error(out.stderr)
    assert f"error[io-error] Cannot record in the ledger postgresql://{role}:***@" in out.stderr
    assert "permission denied" in out.stderr and "INSERT and SELECT" in out.stderr
    assert "seedlock ledger push" in out.stderr and PASSWORD not in out.stderr
    assert history(project, pg_url) == []
    ok(run(project, "ledger", "push", ledger=pg_url))
    assert [r["stage"] for r in history(project, pg_url)] == ["prep"]


def test_a_stopped_server_keeps_the_record_in_the_spool_and_push_delivers_it_once(
    project: Path, pg_server: Server, pg_url: str
) -> None:
    ok(run(project, "ledger", "init", ledger=pg_url))
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    lock_before = (project / "p.lock.json").read_bytes()
    pg_server.stop()
    try:
        out = run(
            project,
            "run",
            "p.lock.json",
            "--stage",
            "train",
            "--record",
            "--",
            "true",
            ledger=pg_url,
            env={"SEEDLOCK_LEDGER_TIMEOUT": "3"},
        )
        assert out.returncode == 0 and _one_error(out.stderr)
        assert out.stderr.splitlines()[-1].startswith(
            "seedlock: error[io-error] Cannot record in the ledger postgresql://seedlock_admin:***@"
        )
        assert PASSWORD not in out.stderr and "kept in " in out.stderr
        assert (project / "p.lock.json").read_bytes() == lock_before
        failed_push = run(project, "ledger", "push", ledger=pg_url, env={"SEEDLOCK_LEDGER_TIMEOUT": "3"})
        assert failed_push.returncode == 2 and PASSWORD not in failed_push.stderr
    finally:
        pg_server.start()
    assert len(list((project.parent / "spool").iterdir())) == 1
    pushed = ok(run(project, "ledger", "push", ledger=pg_url))
    assert "pushed 1 spooled record(s)" in pushed.stderr
    assert "pushed 0 spooled record(s)" in ok(run(project, "ledger", "push", ledger=pg_url)).stderr
    (record,) = history(project, pg_url)
    assert (record["stage"], record["exit_code"]) == ("train", 0)


def test_a_server_killed_between_connect_and_commit_loses_nothing_and_writes_nothing_half(
    project: Path, pg_server: Server, pg_url: str
) -> None:
    import psycopg

    ok(run(project, "ledger", "init", ledger=pg_url))
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    env = {**child_environ(), **_CLEAN, "SEEDLOCK_LEDGER": pg_url, "SEEDLOCK_SPOOL": str(project.parent / "spool")}
    blocker = psycopg.connect(pg_url)
    blocker.execute("LOCK TABLE seedlock_seeds IN ACCESS EXCLUSIVE MODE")  # the recorder's seed rows wait here
    child = subprocess.Popen(
        [sys.executable, "-m", "seedlock", "run", "p.lock.json", "--stage", "train", "--record", "--", "true"],
        cwd=project,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The recorder has connected, begun and inserted its run row, and now waits for the lock.
        wait_for(
            lambda: (
                pg_server.sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'seedlock' "
                    "AND wait_event_type = 'Lock'"
                )[0][0]
                == 1
            )
        )
        pg_server.stop("immediate")  # the server dies without committing anything
        _, err = child.communicate(timeout=120)
    finally:
        child.kill() if child.poll() is None else None
        blocker.close()
        pg_server.start()
    assert child.returncode == 0 and "error[io-error] Cannot record in the ledger" in err and PASSWORD not in err
    assert pg_server.sql("SELECT count(*) FROM seedlock_runs", pg_url.rsplit("/", 1)[1])[0][0] == 0
    ok(run(project, "ledger", "push", ledger=pg_url))
    ok(run(project, "ledger", "push", ledger=pg_url))
    (record,) = history(project, pg_url)
    db = pg_url.rsplit("/", 1)[1]
    # The run and every seed row of it: 2 stages + 3 framework seeds.
    assert pg_server.sql("SELECT count(*) FROM seedlock_seeds WHERE run = %s", db, (record["run"],))[0][0] == 5


@pytest.mark.parametrize("table", ["seedlock_runs", "seedlock_seeds", "seedlock_meta"])
def test_a_table_locked_by_another_session_cannot_hang_the_recorder_and_the_record_is_spooled(
    project: Path, pg_url: str, table: str
) -> None:
    import psycopg

    ok(run(project, "ledger", "init", ledger=pg_url))
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    blocker = psycopg.connect(pg_url)
    try:
        blocker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # held until the end of the test
        # The subprocess timeout only catches a hang (the lock is held longer); the bound is SEEDLOCK_LEDGER_TIMEOUT.
        out = run(
            project,
            "run",
            "p.lock.json",
            "--stage",
            "prep",
            "--record",
            "--",
            "true",
            ledger=pg_url,
            env={"SEEDLOCK_LEDGER_TIMEOUT": "3"},
            timeout=90,
        )
        assert out.returncode == 0 and _one_error(out.stderr), out.stderr
        assert "error[io-error] Cannot record in the ledger" in out.stderr and "timeout" in out.stderr
        assert "kept in" in out.stderr and PASSWORD not in out.stderr
        if table != "seedlock_seeds":  # history reads the other two
            read = run(project, "history", ledger=pg_url, env={"SEEDLOCK_LEDGER_TIMEOUT": "3"}, timeout=90)
            assert read.returncode == 2 and "error[io-error] Cannot read the ledger" in read.stderr
    finally:
        blocker.close()
    assert "pushed 1 spooled record(s)" in ok(run(project, "ledger", "push", ledger=pg_url)).stderr
    assert [r["stage"] for r in history(project, pg_url)] == ["prep"]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP port that accepts connections and never answers: a hung server or a black-holing proxy."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"postgresql://u:{PASSWORD}@127.0.0.1:{sock.getsockname()[1]}/db"
    finally:
        sock.close()


def test_a_server_that_never_answers_cannot_hang_the_job(project: Path, silent_server: str) -> None:
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    # The subprocess timeout only catches a hang; the bound itself is SEEDLOCK_LEDGER_TIMEOUT.
    out = run(
        project,
        "run",
        "p.lock.json",
        "--stage",
        "prep",
        "--record",
        "--",
        "true",
        ledger=silent_server,
        env={"SEEDLOCK_LEDGER_TIMEOUT": "2"},
        timeout=120,
    )
    assert out.returncode == 0 and "Cannot record in the ledger postgresql://u:***@127.0.0.1:" in out.stderr
    assert PASSWORD not in out.stderr and "kept in" in out.stderr


def _small_filesystem(path: Path) -> bool:
    path.mkdir()
    if os.geteuid() != 0:
        return False
    return (
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(path)], capture_output=True).returncode
        == 0
    )


def test_a_full_spool_directory_is_a_clear_error_that_says_the_run_is_not_recorded(
    project: Path, pg_server: Server, pg_url: str, tmp_path: Path
) -> None:
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    spool = tmp_path / "full"
    mounted = _small_filesystem(spool)
    try:
        if mounted:
            fd = os.open(spool / "filler", os.O_WRONLY | os.O_CREAT)
            try:  # fill the file system to the last block
                while os.write(fd, b"x" * 512):
                    pass
            except OSError:
                pass
            finally:
                os.close(fd)
            preexec = None
        else:

            def preexec() -> None:  # no tmpfs without root: a file size limit of 0 makes every write fail
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

        pg_server.stop()
        try:
            out = run(
                project,
                "run",
                "p.lock.json",
                "--stage",
                "prep",
                "--record",
                "--",
                "true",
                ledger=pg_url,
                env={"SEEDLOCK_SPOOL": str(spool), "SEEDLOCK_LEDGER_TIMEOUT": "3"},
                preexec=preexec,
            )
        finally:
            pg_server.start()
        assert out.returncode == 0 and _one_error(out.stderr)
        assert "could not be kept in the spool either" in out.stderr and "this run is NOT recorded" in out.stderr
        assert PASSWORD not in out.stderr
        assert [p.name for p in spool.iterdir()] == (["filler"] if mounted else [])  # no half-written record
    finally:
        if mounted:
            subprocess.run(["umount", str(spool)], check=False)


def test_no_password_reaches_a_lock_history_export_spool_error_or_log_line(
    project: Path, pg_server: Server, pg_url: str, tmp_path: Path
) -> None:
    outputs = [ok(run(project, "ledger", "init", ledger=pg_url))]
    ci = {"CI": "true", "GITLAB_CI": "true", "CI_JOB_ID": "1"}
    outputs.append(
        ok(
            run(
                project,
                "resolve",
                "pipeline.json",
                "-o",
                "p.lock.json",
                "--record",
                "--check-reuse",
                ledger=pg_url,
                env=ci,
            )
        )
    )
    outputs.append(
        ok(
            run(
                project,
                "run",
                "p.lock.json",
                "--stage",
                "prep",
                "--record",
                "--check-reuse",
                "--",
                sys.executable,
                "-c",
                "import os; print(sorted(os.environ))",
                ledger=pg_url,
                env=ci,
            )
        )
    )
    outputs.append(ok(run(project, "history", ledger=pg_url)))
    outputs.append(ok(run(project, "history", "--format", "json", ledger=pg_url)))
    outputs.append(ok(run(project, "ledger", "export", ledger=pg_url)))
    outputs.append(run(project, "rerun", "ffff", "-o", "x.json", ledger=pg_url))
    outputs.append(run(project, "history", ledger=pg_url.replace(PASSWORD.replace(";", "%3B"), "wrong")))
    pg_server.stop()
    try:
        outputs.append(
            run(
                project,
                "run",
                "p.lock.json",
                "--stage",
                "prep",
                "--record",
                "--",
                "true",
                ledger=pg_url,
                env={"SEEDLOCK_LEDGER_TIMEOUT": "3"},
            )
        )
    finally:
        pg_server.start()
    texts = [o.stdout + o.stderr for o in outputs] + [(project / "p.lock.json").read_text()]
    texts += [p.read_text() for p in (project.parent / "spool").iterdir()]
    assert "password authentication failed" in texts[7]
    for text in texts:
        assert PASSWORD not in text and PASSWORD.replace(";", "%3B") not in text
    # The password can come from PGPASSWORD or ~/.pgpass instead of the URL.
    bare = pg_url.replace(":" + PASSWORD.replace(";", "%3B"), "")
    assert PASSWORD not in bare
    via_env = run(project, "history", "--format", "json", ledger=bare, env={"PGPASSWORD": PASSWORD})
    assert via_env.returncode == 0 and PASSWORD not in via_env.stdout + via_env.stderr
    home = tmp_path / "home"
    home.mkdir()
    (home / ".pgpass").write_text(
        f"127.0.0.1:{pg_server.port}:*:seedlock_admin:{PASSWORD.replace(':', chr(92) + ':')}\n"
    )
    (home / ".pgpass").chmod(0o600)
    via_file = run(project, "history", "--format", "json", ledger=bare, env={"HOME": str(home)})
    assert via_file.returncode == 0, via_file.stderr


def _address_forms(server: Server, db: str) -> dict[str, str]:
    """Every way to name one PostgreSQL database that libpq reads (and SQLAlchemy's spelling)."""
    from urllib.parse import quote

    encoded = quote(PASSWORD, safe="")
    at = f"{quote(SUPERUSER)}:{encoded}@127.0.0.1:{server.port}/{db}"
    return {
        "url": f"postgresql://{at}",
        "short scheme": f"postgres://{at}",
        "sqlalchemy": f"postgresql+psycopg://{at}",
        "capitalised": f"Postgres://{at}",
        "upper case": f"POSTGRESQL://{at}",
        "leading space": f" postgresql://{at}",
        "query password": f"postgresql://{SUPERUSER}@127.0.0.1:{server.port}/{db}?password={encoded}",
        "sslpassword": f"postgresql://{at}?sslpassword=Ssl-{encoded}",
        "keywords": f"host=127.0.0.1 port={server.port} user={SUPERUSER} password='{PASSWORD}' dbname={db}",
        "keywords, sslpassword": (
            f"host=127.0.0.1 port={server.port} dbname={db} user={SUPERUSER} "
            f"sslpassword=Ssl-{PASSWORD.replace(';', '')} password={PASSWORD}"
        ),
    }


def _secret_free(texts: list[str]) -> None:
    from urllib.parse import quote

    for text in texts:
        for secret in (PASSWORD, quote(PASSWORD, safe=""), "Ssl-", "Pa55"):
            assert secret not in text, text


def test_every_postgresql_address_form_records_in_the_server_and_no_secret_reaches_any_output_file_or_ps(
    project: Path, pg_server: Server, pg_url: str, tmp_path: Path
) -> None:
    db = pg_url.rsplit("/", 1)[1]
    ok(run(project, "ledger", "init", ledger=pg_url))
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    before = sorted(p.name for p in project.iterdir())
    texts: list[str] = []
    forms = _address_forms(pg_server, db)
    for form, address in forms.items():
        outs = [
            ok(
                run(
                    project,
                    "run",
                    "p.lock.json",
                    "--stage",
                    "prep",
                    "--record",
                    "--ledger",
                    address,
                    "--",
                    "sh",
                    "-c",
                    "tr '\\0' ' ' < /proc/$PPID/cmdline > ps.txt",
                )
            ),
            ok(run(project, "history", "--ledger", address)),
            ok(run(project, "ledger", "export", "--ledger", address)),
            ok(run(project, "ledger", "init", "--ledger", address)),
        ]
        assert "seedlock: recorded as run" in outs[0].stderr, (form, outs[0].stderr)
        ps = (project / "ps.txt").read_text()
        assert "--ledger" in ps, ps  # the right process was read
        texts += [o.stdout + o.stderr for o in outs] + [ps]
        (project / "ps.txt").unlink()
    # Every form reached the same database: one record per form, nothing written beside the project.
    assert len(history(project, pg_url)) == len(forms)
    assert sorted(p.name for p in project.iterdir()) == before
    # Refused forms and failures say so with the secret hidden; failed records are spooled without it.
    wrong_port = forms["keywords"].replace(f"port={pg_server.port}", f"port={_closed_port()}")
    failed = run(project, "run", "p.lock.json", "--stage", "prep", "--record", "--ledger", wrong_port, "--", "true")
    assert failed.returncode == 0 and "kept in" in failed.stderr and "password=***" in failed.stderr
    wrong_password = forms["keywords"].replace(PASSWORD, PASSWORD[::-1])
    denied = run(project, "history", "--ledger", wrong_password)
    assert denied.returncode == 2 and "password authentication failed" in denied.stderr
    texts += [failed.stderr, denied.stderr.replace(PASSWORD[::-1], "reversed")]
    for bad, shown in (
        (
            f"postgresql://{SUPERUSER}:s3cr@t-Pa55@127.0.0.1:{pg_server.port}/{db}",
            f"postgresql://***@127.0.0.1:{pg_server.port}/{db}",
        ),
        (f"mysql://u:{PASSWORD}@127.0.0.1/db", "mysql://u:***@127.0.0.1/db"),
        (f"postgresql://u:{PASSWORD}@127.0.0.1/db?options=a=b", ""),
    ):
        out = run(project, "history", "--ledger", bad)
        assert (
            out.returncode == 2 and _one_error(out.stderr) and "error[invalid-value] Unsupported ledger" in out.stderr
        )
        assert shown in out.stderr and "s3cr" not in out.stderr
        texts.append(out.stderr)
    texts += [p.read_text() for p in (project.parent / "spool").iterdir()]
    assert any("postgresql://127.0.0.1:" in t for t in texts[-1:])  # the spooled record names its ledger
    texts.append((project / "p.lock.json").read_text())
    _secret_free(texts)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_ledger_with_a_newer_schema_is_refused_and_left_unchanged(
    project: Path, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "sqlite":
        import sqlite3

        url = str(tmp_path / "l.sqlite")
        ok(run(project, "ledger", "init", ledger=url))
        with sqlite3.connect(url) as conn:
            conn.execute("UPDATE seedlock_meta SET value = '3' WHERE key = 'schema'")
    else:
        server: Server = request.getfixturevalue("pg_server")
        url = request.getfixturevalue("pg_url")
        ok(run(project, "ledger", "init", ledger=url))
        server.sql("UPDATE seedlock_meta SET value = '3' WHERE key = 'schema'", url.rsplit("/", 1)[1])
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    out = run(project, "run", "p.lock.json", "--stage", "prep", "--record", "--", "true", ledger=url)
    # The record fails after the command ran: the exit status stays the command's (docs/reliability.md).
    assert out.returncode == 0 and "has schema version 3; this seedlock reads and writes version 2" in out.stderr
    history_out = run(project, "history", ledger=url)
    assert history_out.returncode == 2 and "error[unsupported-version]" in history_out.stderr
    init = run(project, "ledger", "init", ledger=url)
    assert init.returncode == 2 and "error[unsupported-version]" in init.stderr


def test_a_sqlite_ledger_that_cannot_be_written_spools_too_and_push_delivers(project: Path, tmp_path: Path) -> None:
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    (tmp_path / "not-a-dir").write_text("a file where the ledger's directory should be")
    broken = str(tmp_path / "not-a-dir" / "ledger.sqlite")
    out = run(project, "run", "p.lock.json", "--stage", "prep", "--record", "--", "true", ledger=broken)
    assert out.returncode == 0 and "seedlock ledger push" in out.stderr
    good = str(tmp_path / "good.sqlite")
    # The record was for the broken ledger: pushing elsewhere takes it only when told to.
    assert "pushed 0 spooled record(s)" in ok(run(project, "ledger", "push", ledger=good)).stderr
    assert "pushed 1 spooled record(s)" in ok(run(project, "ledger", "push", "--from", broken, ledger=good)).stderr
    assert [r["stage"] for r in history(project, good)] == ["prep"]


def test_spooled_records_are_pushed_only_to_the_ledger_they_were_for_unless_told_otherwise(
    project: Path, tmp_path: Path, pg_url: str
) -> None:
    ok(run(project, "ledger", "init", ledger=pg_url))
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    blocked = {}
    for name in ("a", "b"):  # two SQLite ledgers whose directory is a file: both records are spooled
        (tmp_path / name).write_text("not a directory")
        blocked[name] = str(tmp_path / name / "ledger.sqlite")
        out = run(project, "run", "p.lock.json", "--stage", "prep", "--record", "--", "true", ledger=blocked[name])
        assert out.returncode == 0 and "kept in" in out.stderr
    spool = project.parent / "spool"
    assert sorted(json.loads(p.read_text())["ledger"] for p in spool.iterdir()) == sorted(
        os.path.realpath(v) for v in blocked.values()
    )
    # The team ledger gets neither record (it got both before).
    to_team = ok(run(project, "ledger", "push", ledger=pg_url))
    assert "pushed 0 spooled record(s)" in to_team.stderr and "2 waiting" in to_team.stderr
    assert f"1 spooled record(s) are for the ledger {os.path.realpath(blocked['a'])}, not this one" in to_team.stderr
    assert history(project, pg_url) == []
    # Ledger a works again: its push takes its own record and leaves b's.
    (tmp_path / "a").unlink()
    (tmp_path / "a").mkdir()
    to_a = ok(run(project, "ledger", "push", ledger=blocked["a"]))
    assert "pushed 1 spooled record(s)" in to_a.stderr and "1 waiting" in to_a.stderr
    assert len(history(project, blocked["a"])) == 1
    # b's record goes to the team ledger only when the push names b as its source.
    assert (
        "pushed 1 spooled record(s)" in ok(run(project, "ledger", "push", "--from", blocked["b"], ledger=pg_url)).stderr
    )
    assert len(history(project, pg_url)) == 1 and not list(spool.iterdir())


def test_a_spooled_record_without_a_destination_from_an_older_seedlock_is_pushed_only_with_all(
    project: Path, tmp_path: Path
) -> None:
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    (tmp_path / "gone").write_text("not a directory")
    out = run(
        project,
        "run",
        "p.lock.json",
        "--stage",
        "prep",
        "--record",
        "--",
        "true",
        ledger=str(tmp_path / "gone" / "l.sqlite"),
    )
    assert out.returncode == 0
    (spooled,) = (project.parent / "spool").iterdir()
    old = json.loads(spooled.read_text())
    del old["ledger"]  # as seedlock 0.x wrote it
    spooled.write_text(json.dumps(old) + "\n")
    here = str(tmp_path / "here.sqlite")
    out = ok(run(project, "ledger", "push", ledger=here))
    assert "pushed 0 spooled record(s)" in out.stderr and "1 spooled record(s) name no ledger" in out.stderr
    assert "pushed 1 spooled record(s)" in ok(run(project, "ledger", "push", "--all", ledger=here)).stderr
    assert [r["stage"] for r in history(project, here)] == ["prep"]


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("postgresql://u:p%40ss@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgres://u@h/db?password=secret&sslmode=require", "postgres://u@h/db?password=***&sslmode=require"),
        ("postgresql://h/db", "postgresql://h/db"),
        ("host=h password='a b' dbname=x", "host=h password=*** dbname=x"),
        ("host=h sslpassword=k password=p", "host=h sslpassword=*** password=***"),
        (" Postgres://u:pw@h/db?sslpassword=k", "Postgres://u:***@h/db?sslpassword=***"),
        ("postgresql://u:p@ss@h/db", "postgresql://***@h/db"),
        ("mysql://u:pw@h/db", "mysql://u:***@h/db"),
        ("postgresql://h:5432/db?application_name=a@b", "postgresql://h:5432/db?application_name=a%40b"),
        ("/path/ledger.sqlite", "/path/ledger.sqlite"),
    ],
)
def test_ledger_locations_are_shown_without_their_password(location: str, shown: str) -> None:
    from seedlock.ledger import redact

    assert redact(location) == shown


def test_a_reuse_check_against_a_database_without_the_schema_fails_before_the_run(project: Path, pg_url: str) -> None:
    ok(run(project, "resolve", "pipeline.json", "-o", "p.lock.json"))
    out = run(project, "run", "p.lock.json", "--stage", "prep", "--check-reuse", "--", "touch", "ran", ledger=pg_url)
    assert out.returncode == 2 and "run `seedlock ledger init`" in out.stderr and PASSWORD not in out.stderr
    assert not (project / "ran").exists()
