"""Shared set-up for the benchmarks: Django on a throw-away database, a logged-in client.

Each bench runs on a fresh SQLite file under a temporary directory with the test settings;
BENCH_DATABASE_URL points it at another empty database (for example a scratch PostgreSQL
database) instead.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup(name: str):
    """Configure and start Django, migrate, and return a client logged in as a superuser."""
    workdir = tempfile.mkdtemp(prefix="tempostar-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tempostar.settings_test")
    os.environ.setdefault("VAR_DIR", workdir)
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{workdir}/{name}.sqlite3"
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    # No setup_test_environment(): its template instrumentation would slow every render.
    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(
        username=f"bench-{name}", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client


def timed_get(client, url: str, params=None, repeat: int = 40):
    """(queries of one request, median ms, p95 ms) for GET url."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Warm up first: the first request after signing in also touches the session (a write
    # that then happens at most once a minute), which is not the page's steady cost.
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, (url, response.status_code)
    queries = len(ctx.captured_queries)  # read now: the next request resets the log
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url, params or {})
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return queries, statistics.median(times), times[int(repeat * 0.95) - 1]
