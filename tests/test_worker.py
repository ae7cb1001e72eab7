"""A real Celery worker on the configured broker (filesystem by default, Redis in CI)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tempostar.tasks import heartbeat

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.services


def test_worker_runs_a_task_sent_through_the_broker():
    marker = settings.VAR_DIR / "worker-heartbeat"
    marker.unlink(missing_ok=True)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tempostar.settings_test")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tempostar",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        heartbeat.delay()
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.2)
        assert marker.exists(), "the worker did not run the task within 60 s"
        assert marker.read_text().startswith("20")
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
