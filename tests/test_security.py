"""Roles on every URL, login lockout, idle sessions, headers, rate limits, health, deploy."""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from orders.models import ImportJob, Product
from shops.models import CheckBatch, ConnectionCheck, Shop
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db

# ---- roles × URLs ----------------------------------------------------------------------------

ANON, VIEWER, OPERATOR, ADMIN = 0, 1, 2, 3
ROLE_NAMES = {VIEWER: "閲覧者", OPERATOR: "オペレーター", ADMIN: "管理者"}


@pytest.fixture
def world(make_shop):
    """One of everything a URL can point at."""
    rakuten = make_shop("rakuten")
    yahoo = make_shop("yahoo_shopping", url="https://store.shopping.yahoo.co.jp/savaway/")
    other = make_shop("other", url="https://savaway.example.jp/")
    batch = CheckBatch.objects.create(total=1)
    check = ConnectionCheck.objects.create(shop=rakuten, section="ftp", batch=batch)
    job = ImportJob.objects.create(shop=other, kind="orders", filename="a.csv", path="x")
    product = Product.objects.create(code="SAVA-1", name="さば缶", expected_stock=5)
    return {
        "rakuten": rakuten.code,
        "yahoo": yahoo.code,
        "other": other.code,
        "batch": batch.pk,
        "check": check.pk,
        "job": job.pk,
        "product": product.pk,
    }


# name: (method, kwargs from the world, least role allowed, status when allowed).
# Denied: an anonymous user goes to the login page, a signed-in one gets 403.
URLS = {
    "shops:list": ("get", lambda w: {}, VIEWER, 200),
    "shops:detail": ("get", lambda w: {"code": w["rakuten"]}, VIEWER, 200),
    "shops:expiries": ("get", lambda w: {}, VIEWER, 200),
    "shops:check_status": ("get", lambda w: {"pk": w["check"]}, VIEWER, 200),
    "shops:check_batch": ("get", lambda w: {"pk": w["batch"]}, VIEWER, 200),
    "shops:pick_mall": ("get", lambda w: {}, OPERATOR, 200),
    "shops:create": ("get", lambda w: {"mall": "rakuten"}, OPERATOR, 200),
    "shops:edit": ("get", lambda w: {"code": w["rakuten"]}, OPERATOR, 200),
    "shops:check": ("post", lambda w: {"code": w["rakuten"], "section": "ftp"}, OPERATOR, 302),
    "shops:check_all": ("post", lambda w: {}, OPERATOR, 302),
    "shops:delete": ("get", lambda w: {"code": w["rakuten"]}, ADMIN, 200),
    "shops:forget_host_key": (
        "post",
        lambda w: {"code": w["rakuten"], "section": "ftp"},
        ADMIN,
        302,
    ),
    "shops:oauth_start": (
        "post",
        lambda w: {"code": w["yahoo"], "section": "yahoo_api"},
        ADMIN,
        302,
    ),
    "oauth_callback": ("get", lambda w: {}, ADMIN, 400),  # no flow started: refused, not 500
    "orders:products": ("get", lambda w: {}, VIEWER, 200),
    "orders:list": ("get", lambda w: {}, VIEWER, 200),
    "orders:job": ("get", lambda w: {"pk": w["job"]}, VIEWER, 200),
    "orders:template": ("get", lambda w: {}, VIEWER, 200),
    "orders:import": ("get", lambda w: {"code": w["other"]}, OPERATOR, 200),
    "orders:product_new": ("get", lambda w: {}, OPERATOR, 200),
    "orders:product_edit": ("get", lambda w: {"pk": w["product"]}, OPERATOR, 200),
    "orders:stock_import": ("post", lambda w: {}, OPERATOR, 302),
    "monitoring:status": ("get", lambda w: {}, VIEWER, 200),
    "monitoring:calendar": ("get", lambda w: {}, VIEWER, 200),
    "monitoring:timeline": ("get", lambda w: {}, VIEWER, 200),
    "monitoring:destinations": ("get", lambda w: {}, ADMIN, 200),
    "monitoring:destination_test": ("post", lambda w: {"pk": _destination()}, ADMIN, 302),
    "monitoring:destination_delete": ("post", lambda w: {"pk": _destination()}, ADMIN, 302),
    "api_tokens": ("get", lambda w: {}, VIEWER, 200),
    "twofactor:settings": ("get", lambda w: {}, VIEWER, 200),
    "twofactor:recovery_codes": ("get", lambda w: {}, VIEWER, 302),  # none to show: back
    "shop_import": ("get", lambda w: {}, ADMIN, 200),
    "shop_import_template": ("get", lambda w: {"mall": "rakuten"}, ADMIN, 200),
}
# Reachable without signing in: the calendar feed's URL holds a secret token instead
# (tests/test_watch.py); the second login step checks the first; the REST API under /api/v1/
# checks its tokens (tests/test_api.py walks it with every role).
PUBLIC = {
    "login",
    "logout",
    "set_language",
    "healthz",
    "healthz_deep",
    "monitoring:feed",
    "twofactor:verify",
    "twofactor:enroll",
}


def _destination():
    from monitoring.models import Destination

    destination = Destination(label="x", mall="rakuten")
    destination.set_url("json://127.0.0.1:9/nothing-listens")
    destination.save()
    return destination.pk


def named_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin" or entry.namespace in ("api", "otp_webauthn"):
                # The admin is walked separately below, the API in test_api, the passkey
                # ceremony endpoints in test_twofactor.
                continue
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from named_patterns(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name


def test_every_url_is_in_the_role_matrix():
    names = set(named_patterns())
    assert names - set(URLS) - PUBLIC == set(), "classify the new URL in URLS or PUBLIC"
    assert set(URLS) - names == set()


@pytest.fixture
def clients(make_user):
    from tempostar.roles import assign_role

    result = {ANON: Client()}
    for level, role in ROLE_NAMES.items():
        user = make_user(f"role-{level}")
        assign_role(user, role)
        result[level] = Client()
        result[level].force_login(user)
    return result


@pytest.mark.parametrize("name", sorted(URLS))
def test_role_matrix(name, world, clients):
    method, kwargs, least, allowed_status = URLS[name]
    url = reverse(name, kwargs=kwargs(world))
    for level, client in clients.items():
        response = getattr(client, method)(url)
        if level == ANON:
            assert response.status_code == 302 and "/login/" in response["Location"], name
        elif level < least:
            assert response.status_code == 403, (name, ROLE_NAMES[level])
            assert "許可されていません" in response.content.decode()
        else:
            assert response.status_code == allowed_status, (
                name,
                ROLE_NAMES[level],
                response.content[:300],
            )


def test_the_admin_is_for_administrators_only(world, clients):
    shop = Shop.objects.get(code=world["rakuten"])
    pages = [
        reverse("admin:index"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:shops_shop_changelist"),
        reverse("admin:shops_shop_change", args=[shop.pk]),
        reverse("admin:axes_accessattempt_changelist"),
    ]
    for url in pages:
        for level in (ANON, VIEWER, OPERATOR):
            response = clients[level].get(url)
            assert response.status_code == 302 and "login/" in response["Location"]
        assert clients[ADMIN].get(url).status_code == 200, url
    # Shops are read-only in the admin: its forms would bypass the console's rules.
    response = clients[ADMIN].post(
        reverse("admin:shops_shop_change", args=[shop.pk]), {"name": "変更"}
    )
    assert response.status_code == 403
    page = clients[ADMIN].get(reverse("admin:shops_shop_change", args=[shop.pk]))
    assert (
        "encrypted" not in page.content.decode() and 'name="secrets"' not in page.content.decode()
    )


def test_an_administrator_manages_roles_but_cannot_grant_superuser(manager, make_user):
    from django.contrib.auth.models import Group

    admin = Client()
    admin.force_login(manager)
    target = make_user("newcomer")
    admin_group = Group.objects.get(name="管理者")
    response = admin.post(
        reverse("admin:auth_user_change", args=[target.pk]),
        {
            "username": "newcomer",
            "is_active": "on",
            "is_superuser": "on",
            "groups": [admin_group.pk],
            "date_joined_0": "2026-11-26",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    target.refresh_from_db()
    assert not target.is_superuser
    assert target.is_staff  # the 管理者 role reaches the admin site
    superuser = make_user("root", superuser=True)
    url = reverse("admin:auth_user_change", args=[superuser.pk])
    assert admin.post(url, {"username": "root", "is_active": ""}).status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_active


def test_only_administrators_change_credentials(world, clients):
    """An operator's edit page has the credential fields locked; an administrator's not."""
    url = reverse("shops:edit", args=[world["rakuten"]])
    operator_page = clients[OPERATOR].get(url).content.decode()
    admin_page = clients[ADMIN].get(url).content.decode()
    password_input = re.compile(r'<input[^>]*name="ftp__password"[^>]*>')
    assert "disabled" in password_input.search(operator_page).group()
    assert "disabled" not in password_input.search(admin_page).group()


def test_set_role_command(make_user, capsys):
    from django.core.management import call_command

    user = make_user("someone")
    call_command("set_role", "someone", "admin")
    user.refresh_from_db()
    assert user.is_staff and [g.name for g in user.groups.all()] == ["管理者"]
    call_command("set_role", "someone", "viewer")
    user.refresh_from_db()
    assert not user.is_staff and [g.name for g in user.groups.all()] == ["閲覧者"]


# ---- login protection ------------------------------------------------------------------------


def test_lockout_after_repeated_failures_and_admin_unlock(make_user, manager):
    make_user("tenchou")
    client = Client()
    login = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(login, {"username": "tenchou", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    response = client.post(login, {"username": "tenchou", "password": "wrong"})
    assert response.status_code == 429
    text = response.content.decode()
    assert "ロックされました" in text and "30 分後" in text
    # Locked: even the right password is refused, and nothing is signed in.
    response = client.post(login, {"username": "tenchou", "password": PASSWORD})
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    # Another account, from another address, is not affected.
    elsewhere = Client(REMOTE_ADDR="192.0.2.10")
    assert elsewhere.post(login, {"username": "manager", "password": PASSWORD}).status_code == 302

    admin = Client(REMOTE_ADDR="192.0.2.10")
    admin.force_login(manager)
    changelist = admin.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "tenchou" in changelist
    from django.contrib.auth import get_user_model

    target = get_user_model().objects.get(username="tenchou")
    response = admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock", "_selected_action": [target.pk]},
        follow=True,
    )
    assert "1 人のロックを解除しました" in response.content.decode()
    response = Client().post(login, {"username": "tenchou", "password": PASSWORD})
    assert response.status_code == 302


def test_one_address_trying_many_usernames_is_locked_out(make_user):
    make_user("tenchou")
    sprayer = Client(REMOTE_ADDR="198.51.100.7")
    for i in range(settings.AXES_FAILURE_LIMIT):
        sprayer.post(reverse("login"), {"username": f"guess{i}", "password": "wrong"})
    response = sprayer.post(reverse("login"), {"username": "tenchou", "password": PASSWORD})
    assert response.status_code == 429
    # The account itself is fine from its usual address.
    usual = Client(REMOTE_ADDR="192.0.2.20")
    assert (
        usual.post(reverse("login"), {"username": "tenchou", "password": PASSWORD}).status_code
        == 302
    )


def test_lockout_ends_after_the_cool_off(make_user):
    make_user("tenchou")
    login = reverse("login")
    start = datetime(2026, 11, 26, 10, 0).astimezone()
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            Client().post(login, {"username": "tenchou", "password": "wrong"})
        assert (
            Client().post(login, {"username": "tenchou", "password": PASSWORD}).status_code == 429
        )
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert (
            Client().post(login, {"username": "tenchou", "password": PASSWORD}).status_code == 302
        )


def test_session_ends_after_thirty_idle_minutes(operator):
    client = Client()
    start = datetime(2026, 11, 26, 10, 0).astimezone()
    with time_machine.travel(start, tick=False) as clock:
        client.post(reverse("login"), {"username": "operator", "password": PASSWORD})
        clock.shift(timedelta(minutes=29))
        assert client.get(reverse("shops:list")).status_code == 200  # activity extends it
        clock.shift(timedelta(minutes=29))
        assert client.get(reverse("shops:list")).status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get(reverse("shops:list"))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_password_validators_refuse_weak_passwords():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("password", "12345678", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak)


# ---- headers, CSP, CSRF -------------------------------------------------------------------------


def test_security_headers_and_a_strict_csp(operator_client):
    first = Client().get(reverse("login"))
    csp = first["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"].startswith("'self'")
    assert "unsafe" not in csp  # no 'unsafe-inline' or 'unsafe-eval' anywhere
    assert directives["style-src"] == "'self'" and directives["form-action"] == "'self'"
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert first["X-Frame-Options"] == "DENY"
    assert first["X-Content-Type-Options"] == "nosniff"
    assert first["Referrer-Policy"] == "same-origin"
    assert first["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in first["Permissions-Policy"]
    # A signed-in page is never cached.
    assert operator_client.get(reverse("shops:list"))["Cache-Control"] == "no-store"


def test_no_inline_script_or_handler_in_any_template():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script[^>]*>", text):
            assert "src=" in tag or "nonce=" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", text), path


def test_every_post_form_carries_a_csrf_token():
    for path in (ROOT / "templates").rglob("*.html"):
        for form in re.findall(
            r"<form[^>]*method=\"post\"[^>]*>.*?</form>", path.read_text(), re.S | re.I
        ):
            assert "{% csrf_token %}" in form, path


def test_a_post_without_the_csrf_token_is_refused(operator, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    response = client.post(reverse("shops:check_all"))
    assert response.status_code == 403
    assert not ConnectionCheck.objects.exclude(pk=world["check"]).exists()


# ---- rate limits on connection tests ----------------------------------------------------------


def start_check(client, code, section="ftp"):
    return client.post(reverse("shops:check", args=[code, section]), HTTP_HX_REQUEST="true")


def test_one_shop_is_tested_at_most_once_per_interval(operator_client, make_shop, settings):
    settings.CHECK_SHOP_INTERVAL = 30
    shop = make_shop("rakuten")
    start = datetime(2026, 11, 26, 10, 0).astimezone()
    with time_machine.travel(start, tick=False) as clock:
        assert start_check(operator_client, shop.code).status_code == 202
        ConnectionCheck.objects.update(status=ConnectionCheck.FAILED)  # the worker finished
        clock.shift(timedelta(seconds=10))
        refused = start_check(operator_client, shop.code)
        assert refused.status_code == 429 and refused["Retry-After"] == "21"
        assert "30 秒に 1 回" in refused.content.decode()
        # Another section of the same shop is another host.
        assert start_check(operator_client, shop.code, "rakuten_api").status_code == 202
        clock.shift(timedelta(seconds=21))
        assert start_check(operator_client, shop.code).status_code == 202
    assert ConnectionCheck.objects.filter(shop=shop, section="ftp").count() == 2


def test_a_running_test_is_not_started_twice(operator_client, make_shop, settings):
    settings.CHECK_SHOP_INTERVAL = 0
    shop = make_shop("rakuten")
    assert start_check(operator_client, shop.code).status_code == 202
    refused = start_check(operator_client, shop.code)
    assert refused.status_code == 429 and "テスト中" in refused.content.decode()
    assert ConnectionCheck.objects.count() == 1


def test_one_user_starts_a_limited_number_per_minute(operator_client, make_shop, settings):
    settings.CHECK_SHOP_INTERVAL = 0
    settings.CHECK_RATE_PER_USER = 3
    shops = [make_shop("rakuten") for _ in range(5)]
    start = datetime(2026, 11, 26, 10, 0).astimezone()
    with time_machine.travel(start, tick=False) as clock:
        statuses = [start_check(operator_client, s.code).status_code for s in shops[:4]]
        assert statuses == [202, 202, 202, 429]
        clock.shift(timedelta(seconds=61))
        assert start_check(operator_client, shops[4].code).status_code == 202
    assert ConnectionCheck.objects.count() == 4


def test_a_second_test_of_all_shops_waits_for_the_first(operator_client, make_shop):
    make_shop("rakuten")
    first = operator_client.post(reverse("shops:check_all"))
    batches = list(CheckBatch.objects.values_list("pk", flat=True))
    second = operator_client.post(reverse("shops:check_all"), follow=True)
    assert CheckBatch.objects.count() == 1
    assert first["Location"].endswith(f"/checks/batch/{batches[0]}/")
    assert "実行中" in second.content.decode()


# ---- health, deploy check, gunicorn -----------------------------------------------------------


def test_health_reports_database_and_broker():
    response = Client().get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["broker"] == "ok"


def test_health_reports_a_broker_down_but_the_node_still_serves(monkeypatch):
    from tempostar.celery import app

    down = "redis://:hunter2-broker-pass@127.0.0.1:1/0"
    original = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", down)  # Celery prefers the variable to the setting
    app.conf.broker_url = down
    try:
        started = time.monotonic()
        response = Client().get("/healthz")
        elapsed = time.monotonic() - started
    finally:
        app.conf.broker_url = original
    # Pages work without the broker: the load balancer keeps this node (issue M).
    assert response.status_code == 200 and elapsed < 1.0
    body = response.json()
    assert body["database"] == "ok" and body["broker"].startswith("error: ")
    assert "hunter2" not in response.content.decode()


PRODUCTION_ENV = {
    "DEBUG": "false",
    "IGNORE_DOTENV": "true",
    "SECRET_KEY": "k" * 10 + "production-secret-key-for-the-deploy-check-0123456789",
    "FIELD_ENCRYPTION_KEYS": "q8Ha6c1mG5Z9nX3uP0sYb7Tf2Lk4Rv8Wd1Je6Cg0Ai4=",
    "ALLOWED_HOSTS": "console.example.jp,127.0.0.1",
    "DJANGO_SETTINGS_MODULE": "tempostar.settings",
}


def production_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("HTTPS", "STATIC_MANIFEST")}
    env.update(PRODUCTION_ENV, VAR_DIR=str(tmp_path), **extra)
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp_path}/db.sqlite3")
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_a_bare_checkout_runs_offline_commands_but_never_serves_without_keys(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DJANGO_SETTINGS_MODULE", "DEBUG")
    }
    env.update(
        IGNORE_DOTENV="true", VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"
    )

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )

    assert manage("check").returncode == 0
    assert manage("makemigrations", "--check", "--dry-run").returncode == 0
    for refused in (manage("migrate"), manage("check", "--deploy")):
        assert refused.returncode != 0 and "SECRET_KEY is not set" in refused.stderr
    assert not list(tmp_path.glob("dev-*"))  # nothing was written as a key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.services
def test_gunicorn_serves_the_app_and_its_static_files(tmp_path):
    env = production_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        CELERY_BROKER_URL="filesystem://",
        SECURE_PROXY_SSL_HEADER="true",
        PORT=str(free_port()),
        HOST="127.0.0.1",
        WEB_CONCURRENCY="1",
    )
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "tempostar.wsgi:application", "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(proc.stdout.read1().decode()) from None
                time.sleep(0.3)
        assert json.loads(health.read())["status"] == "ok"
        # Behind the TLS proxy: the login page with HSTS; its stylesheet from whitenoise.
        request = Request(
            f"{base}/login/", headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
        )
        page = urlopen(request, timeout=5)
        assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
        html = page.read().decode()
        css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', html).group(1)
        static = urlopen(Request(f"{base}{css}", headers={"X-Forwarded-Proto": "https"}), timeout=5)
        assert static.status == 200 and "max-age=315360000" in static.headers["Cache-Control"]
        # Plain HTTP is sent to HTTPS.
        conn = http.client.HTTPConnection("127.0.0.1", int(env["PORT"]), timeout=5)
        conn.request("GET", "/login/", headers={"Host": "127.0.0.1"})
        plain = conn.getresponse()
        assert plain.status == 301 and plain.getheader("Location").startswith("https://")
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.django_db
def test_a_refused_page_is_logged_on_one_line_an_error_keeps_its_traceback(client, viewer):
    """`make run` printed a whole PermissionDenied traceback for each routine 403."""
    import io
    import logging
    import logging.config

    from tempostar.security import ClientErrorsWithoutTraceback, RedactingFormatter

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ClientErrorsWithoutTraceback())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        shop = Shop.objects.create(mall="qoo10", name="n", short_name="s", url="https://x.jp/")
        client.force_login(viewer)
        assert client.get(reverse("shops:edit", args=[shop.code])).status_code == 403
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.error("Internal Server Error: /x/", exc_info=True, extra={"status_code": 500})
    finally:
        logger.removeHandler(handler)
    lines = out.getvalue()
    assert f"Forbidden (Permission denied): /shops/{shop.code}/edit/" in lines
    assert lines.count("Traceback") == 1 and "RuntimeError: boom" in lines
    assert "PermissionDenied" not in lines
    assert "client_errors_short" in settings.LOGGING["handlers"]["console"]["filters"]
