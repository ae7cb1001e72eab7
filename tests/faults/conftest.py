"""Fixtures of the fault tests (`make faults`): a private PostgreSQL cluster for the session
(migrated once into a template database, copied for each test) and a private Redis, a web
node and workers for each test. Nothing here touches the machine's own servers."""

import os
import shutil
import subprocess
import sys
import uuid

import pytest

from .harness import ROOT, Stack
from .services import Postgres, Redis, postgres_bin

TEMPLATE = "faults_template"


@pytest.fixture(scope="session")
def pg():
    if postgres_bin() is None or shutil.which("redis-server") is None:
        pytest.skip("the fault tests need PostgreSQL's initdb and redis-server installed")
    server = Postgres()
    try:
        server.init()
        server.createdb(TEMPLATE)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
        env.update(
            DJANGO_SETTINGS_MODULE="tempostar.settings_test",
            DATABASE_URL=server.url(TEMPLATE),
            PYTHONPATH=str(ROOT),
        )
        subprocess.run(
            [sys.executable, "-m", "tests.faults.driver", "migrate"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        yield server
    finally:
        server.close()


@pytest.fixture
def redis():
    server = Redis()
    server.start()
    yield server
    server.close()


@pytest.fixture
def make_stack(pg, redis, tmp_path):
    stacks = []

    def make(**env):
        name = f"f_{uuid.uuid4().hex[:10]}"
        pg.createdb(name, template=TEMPLATE)
        stack = Stack(pg, redis, name, tmp_path, **env)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()


FAULTS: list[dict] = []


@pytest.fixture
def record_fault():
    """Add a row to the fault table printed at the end of the run (and written to
    var/faults.md for the report)."""

    def record(fault, **counts):
        FAULTS.append({"fault": fault, **counts})

    return record


def pytest_terminal_summary(terminalreporter):
    if not FAULTS:
        return
    terminalreporter.section("fault table")
    for row in FAULTS:
        rest = ", ".join(f"{k}={v}" for k, v in row.items() if k != "fault")
        terminalreporter.write_line(f"{row['fault']}: {rest}")
    out = ROOT / "var" / "faults.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        "\n".join(
            f"| {row['fault']} | "
            + ", ".join(f"{k} {v}" for k, v in row.items() if k != "fault")
            + " |"
            for row in FAULTS
        )
        + "\n"
    )
