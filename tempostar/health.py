"""GET /healthz: can this web process reach the database and the broker? For load balancers.

200 with {"status": "ok", ...} when both answer, 503 otherwise. Failures are named by
exception class only: an error message could carry a connection URL with its password.
The worker's last heartbeat (beat runs it every minute) is reported when this machine can see
it, but does not fail the check: workers may run on other machines.
"""

from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def _broker() -> str:
    from tempostar.celery import app

    try:
        with app.connection_for_write(connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def _worker_heartbeat() -> dict | None:
    path = settings.VAR_DIR / "worker-heartbeat"
    try:
        seen = datetime.fromisoformat(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return {
        "last_seen": seen.isoformat(),
        "age_seconds": int((datetime.now(UTC) - seen).total_seconds()),
    }


@login_not_required
@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database(), "broker": _broker()}
    ok = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if ok else "error", **checks, "worker": _worker_heartbeat()}
    return JsonResponse(body, status=200 if ok else 503)
