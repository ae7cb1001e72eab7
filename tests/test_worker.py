"""A real Celery worker on the configured broker (filesystem by default, Redis in CI)."""

import base64
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from shops.models import ConnectionCheck, Shop
from shops.tasks import start_batch
from tempostar.tasks import heartbeat
from tests.servers import FtpServer, HttpServer

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.services


def database_url() -> str:
    db = connection.settings_dict  # the test database, once pytest-django has set it up
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def worker(**env):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tempostar.settings_test", **env)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tempostar",
            "worker",
            "--pool=threads",
            "--concurrency=4",
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
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def broker_messages() -> list[str]:
    """Raw messages waiting in the default queue of the configured broker."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url)
        return [m.decode() for m in client.lrange("celery", 0, -1)]
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    return [p.read_text() for p in sorted(folder.glob("*.msg"))]


def wait_until(predicate, proc, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read())
        time.sleep(0.2)
    return False


def test_worker_runs_a_task_sent_through_the_broker():
    marker = settings.VAR_DIR / "worker-heartbeat"
    marker.unlink(missing_ok=True)
    with worker() as proc:
        heartbeat.delay()
        assert wait_until(marker.exists, proc), "the worker did not run the task within 60 s"
    assert marker.read_text().startswith("20")


@pytest.mark.django_db(transaction=True)
def test_worker_runs_connection_checks_and_no_secret_travels(tmp_path):
    ftp_password, license_key = "ftp-secret-worker-1", "SL-worker-license-key-2"
    routes = {
        ("GET", "/es/1.0/license-management/license-key/expiry-date"): lambda r: (
            401,
            {},
            {"errors": []},
        )
    }
    with FtpServer(tmp_path, "savaway", ftp_password) as ftp, HttpServer(routes) as api:
        shop = Shop(
            mall="rakuten",
            name="ワーカー",
            short_name="ワーカー",
            url="https://www.rakuten.co.jp/savaway/",
        )
        shop.settings = {
            "ftp.protocol": "ftp",
            "ftp.host": "127.0.0.1",
            "ftp.port": ftp.port,
            "ftp.user": "savaway",
            "ftp.passive": True,
        }
        shop.set_secrets(
            {
                "ftp.password": ftp_password,
                "rakuten_api.service_secret": "SP-worker-secret-3",
                "rakuten_api.license_key": license_key,
            }
        )
        shop.save()
        for stale in broker_messages():  # nothing of ours is queued yet
            assert license_key not in stale
        batch = start_batch(Shop.objects.filter(pk=shop.pk))
        messages = broker_messages()
        ids = set(batch.checks.values_list("pk", flat=True))
        ours = []
        for raw in messages:
            message = json.loads(raw)
            body = message["body"]
            if message["properties"].get("body_encoding") == "base64":
                body = base64.b64decode(body).decode()
            for secret in (ftp_password, license_key, "SP-worker-secret-3"):
                assert secret not in raw and secret not in body
            args = json.loads(body)[0]
            if message["headers"].get("task") == "shops.run_connection_check":
                ours.append(args[0])
        assert set(ours) == ids  # each message carries a check id, nothing else

        with worker(RAKUTEN_API_BASE=api.url, DATABASE_URL=database_url()) as proc:
            done = wait_until(
                lambda: batch.checks.filter(status__in=ConnectionCheck.DONE).count() == 2, proc
            )
            assert done, "the worker did not finish the checks within 60 s"
    results = dict(batch.checks.values_list("section", "code"))
    assert results == {"ftp": "ok", "rakuten_api": "auth_failed"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM shops_connectioncheck")
        dump = json.dumps(cursor.fetchall(), default=str)
    assert ftp_password not in dump and license_key not in dump
