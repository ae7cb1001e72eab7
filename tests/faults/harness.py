"""The production shape in miniature for the fault tests: a private PostgreSQL and Redis
(tests/faults/services.py), a web node (tests/faults/driver.py) and Celery workers with the
prefork pool, each a real process with the same environment."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Stack:
    def __init__(self, pg, redis, dbname: str, tmp: Path, **env):
        self.pg, self.redis, self.tmp = pg, redis, tmp
        var = tmp / "var"
        var.mkdir(parents=True, exist_ok=True)
        self.var = var
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO", "DATABASE", "CELERY", "PYTEST", "EMAIL"))
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="tempostar.settings_test",
            DATABASE_URL=pg.url(dbname),
            CELERY_BROKER_URL=redis.url,
            VAR_DIR=str(var),
            CONN_MAX_AGE="60",
            # Short limits so that recovery can be watched within a test.
            WORK_PENDING_LIMIT="2",
            IMPORT_INLINE_MAX_BYTES="1",  # every import goes through the worker
            PYTHONPATH=str(ROOT),
            **env,
        )
        self._driver = None
        self.workers: list[subprocess.Popen] = []

    # ---- the web node --------------------------------------------------------------------

    def call(self, cmd: str, **kwargs):
        if self._driver is None or self._driver.poll() is not None:
            self._driver = subprocess.Popen(
                [sys.executable, "-m", "tests.faults.driver"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=open(self.tmp / "driver.log", "a"),  # noqa: SIM115
                text=True,
            )
        self._driver.stdin.write(json.dumps({"cmd": cmd, **kwargs}) + "\n")
        self._driver.stdin.flush()
        line = self._driver.stdout.readline()
        if not line:
            raise AssertionError("the driver died:\n" + self.log("driver.log"))
        return json.loads(line)

    # ---- workers -------------------------------------------------------------------------

    def start_worker(self, concurrency: int = 2, ready: bool = True, **env) -> subprocess.Popen:
        """A prefork worker; by default, once it says it is ready (connected to the broker)."""
        name = f"w{len(self.workers) + 1}"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tempostar",
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{name}@%h",
            ],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=open(self.tmp / f"{name}.log", "a"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(proc)
        if ready:
            log = self.tmp / f"{name}.log"
            self.wait_until(
                lambda: (
                    f"{name}@" in log.read_text(errors="replace")
                    and " ready." in log.read_text(errors="replace")
                ),
                60,
                f"worker {name} ready",
            )
        return proc

    def stop_worker(self, proc: subprocess.Popen, sig=signal.SIGTERM, wait: float = 30) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)

    def kill_child(self, owner: str) -> int:
        """SIGKILL the prefork child named in a row's owner ("host:pid:token"), after
        making sure it is a child of one of our workers."""
        pid = int(owner.rsplit(":", 2)[1])
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        parent = int(stat[1])
        assert parent in {w.pid for w in self.workers}, "not a child of our workers"
        os.kill(pid, signal.SIGKILL)
        return pid

    # ---- helpers -------------------------------------------------------------------------

    def wait_until(self, predicate, seconds: float = 60, what: str = "") -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(
            f"not within {seconds} s: {what}\n"
            + "\n".join(self.log(f"w{i + 1}.log") for i in range(len(self.workers)))
        )

    def task_runs(self, task: str) -> int:
        """How many runs of `task` the workers finished (succeeded or raised), from their logs."""
        n = 0
        for i in range(len(self.workers)):
            path = self.tmp / f"w{i + 1}.log"
            if path.exists():
                for line in path.read_text(errors="replace").splitlines():
                    if f"Task {task}[" in line and (
                        " succeeded in " in line or " raised " in line or " retry: " in line
                    ):
                        n += 1
        return n

    def task_retries(self, task: str) -> int:
        n = 0
        for i in range(len(self.workers)):
            path = self.tmp / f"w{i + 1}.log"
            if path.exists():
                n += sum(
                    1
                    for line in path.read_text(errors="replace").splitlines()
                    if f"Task {task}[" in line and " retry: " in line
                )
        return n

    def log(self, name: str, tail: int = 60) -> str:
        path = self.tmp / name
        if not path.exists():
            return ""
        return f"---- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-tail:])

    def close(self) -> None:
        for proc in self.workers:
            self.stop_worker(proc, signal.SIGKILL, wait=10)
        if self._driver is not None and self._driver.poll() is None:
            self._driver.stdin.close()
            try:
                self._driver.wait(10)
            except subprocess.TimeoutExpired:
                self._driver.kill()
                self._driver.wait(5)
