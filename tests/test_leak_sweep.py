"""The secret-leak sweep: a full workflow, then a search of everything it left behind.

Every mall is registered with distinct secret values, edited with new ones, signed in with
OAuth, tested through a real worker against servers that echo every credential back, reminded
about by e-mail, and made to crash with DEBUG off while handling secrets. Then the database
(all but the encrypted column), the broker's messages, stored task results, the log output of
the web process and the worker, every e-mail, the change history and every page each role can
open are searched for every secret value. The sweep expects zero hits.
"""

import base64
import io
import json
import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors.base import registry
from shops.models import ConnectionCheck, Shop
from tempostar.roles import ADMINISTRATOR, OPERATOR, VIEWER, assign_role
from tests.helpers import configure_provider, point_endpoints
from tests.mall_data import MALLS, post_data, secret_values
from tests.servers import HttpServer
from tests.test_worker import broker_messages, database_url, wait_until, worker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CLIENT_SECRET = "console-oauth-client-secret-LEAK-0099"


class EchoEverything(dict):
    """Routes for HttpServer: every request is answered 401 with the request echoed back,
    the worst a mall could do with the credentials a check sends it."""

    def get(self, key, default=None):
        def echo(request):
            return (
                401,
                {},
                {"error": "unauthorized", "you_sent": request, "message": request["body"]},
            )

        return echo


def oauth_provider(issued: list):
    def token(request):
        form = {k: v[0] for k, v in parse_qs(request["body"]).items()}
        n = len(issued) + 1
        access, refresh = f"ya-access-LEAK-{n:04d}-x", f"ya-refresh-LEAK-{n:04d}-y"
        issued.extend([access, refresh])
        body = {"access_token": access, "expires_in": 3600, "token_type": "Bearer"}
        if form.get("grant_type") == "authorization_code":
            body["refresh_token"] = refresh
        return 200, {}, body

    return {("POST", "/token"): token}


def role_client(make_user, name, role):
    user = make_user(name)
    assign_role(user, role)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def database_dump() -> str:
    """Every row of every table as text, except the encrypted column, sessions decoded."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            if table == "shops_shop":
                columns = [c for c in columns if c != "secrets"]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")
            parts.append(json.dumps([table, cursor.fetchall()], default=str, ensure_ascii=False))
    for session in Session.objects.all():
        parts.append(json.dumps(session.get_decoded(), default=str, ensure_ascii=False))
    return "\n".join(parts)


def broker_dump() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url)
        parts = []
        for key in client.keys("*"):
            kind = client.type(key).decode()
            if kind == "list":
                parts += [v.decode(errors="replace") for v in client.lrange(key, 0, -1)]
            elif kind == "string":
                parts.append(client.get(key).decode(errors="replace"))
            elif kind == "hash":
                parts += [v.decode(errors="replace") for v in client.hgetall(key).values()]
            elif kind in ("set", "zset"):
                parts += (
                    [str(v) for v in client.zrange(key, 0, -1)]
                    if kind == "zset"
                    else [str(v) for v in client.smembers(key)]
                )
        return "\n".join(parts)
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]).parent
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def decoded_messages(raw_messages: list[str]) -> list[str]:
    """Raw broker messages plus their bodies, base64 decoded."""
    out = []
    for raw in raw_messages:
        out.append(raw)
        message = json.loads(raw)
        if message.get("properties", {}).get("body_encoding") == "base64":
            out.append(base64.b64decode(message["body"]).decode(errors="replace"))
    return out


def variants(value: str) -> set[str]:
    """A secret as it could appear in text: as is, JSON-escaped, base64, and each long line."""
    found = {value, json.dumps(value)[1:-1], base64.b64encode(value.encode()).decode()}
    found.update(line for line in value.splitlines() if len(line) >= 16)
    return found


def test_no_secret_leaks_anywhere(make_user, settings, tmp_path, monkeypatch):
    # Log output of this process, through the configured (redacting) console handler.
    root = logging.getLogger()
    console = next(
        h
        for h in root.handlers
        if getattr(h, "formatter", None).__class__.__name__ == "RedactingFormatter"
    )
    web_log = io.StringIO()
    previous_stream = console.setStream(web_log)
    previous_level = root.level
    root.setLevel(logging.DEBUG)
    settings.ADMINS = [("ops", "ops@savaway.example.jp")]
    settings.REMINDER_STAFF_EMAILS = ["staff@savaway.example.jp"]
    settings.CHECK_SHOP_INTERVAL = 0
    issued_tokens: list[str] = []
    pages: list[str] = []
    needles: dict[str, str] = {CLIENT_SECRET: "OAuth client secret"}
    for i, key in enumerate(settings.FIELD_ENCRYPTION_KEYS):
        needles[key] = f"FIELD_ENCRYPTION_KEYS[{i}]"
    needles[settings.SECRET_KEY] = "SECRET_KEY"

    operator = role_client(make_user, "op", OPERATOR)
    manager = role_client(make_user, "mgr", ADMINISTRATOR)
    viewer = role_client(make_user, "view", VIEWER)

    def keep(response):
        pages.append(response.content.decode(errors="replace"))
        return response

    try:
        with (
            HttpServer(EchoEverything()) as api,
            HttpServer(oauth_provider(issued_tokens)) as provider,
        ):
            point_endpoints(settings, api.url)
            for p in registry.providers():
                configure_provider(settings, p, provider.url, client_secret=CLIENT_SECRET)
                for name in p.missing_settings():  # a provider's further settings
                    setattr(settings, name, f"{name.lower()}-sweep")
            settings.SITE_URL = "http://testserver"

            # 1. An operator registers every mall, each with its own secret values.
            codes = {}
            for mall in registry.codes():
                for fid, value in secret_values(registry.get(mall), MALLS[mall]).items():
                    needles[value] = f"{mall} {fid}"
                response = operator.post(
                    reverse("shops:create", args=[mall]),
                    post_data(MALLS[mall], notify_emails="tenchou@savaway.example.jp"),
                )
                assert response.status_code == 302, (mall, response.content[:2000])
                codes[mall] = response["Location"].split("/")[2]
                keep(operator.get(response["Location"]))

            # 2. An administrator replaces one secret of every shop that has some.
            for mall, code in codes.items():
                secrets = secret_values(registry.get(mall), MALLS[mall])
                if not secrets:
                    continue
                fid, old = next(iter(secrets.items()))
                new = f"{old}-rotated-{mall}"
                needles[new] = f"{mall} {fid} (edited)"
                response = manager.post(
                    reverse("shops:edit", args=[code]),
                    post_data(MALLS[mall], **{fid: new}),
                )
                assert response.status_code == 302, (mall, response.content[:2000])
                keep(manager.get(response["Location"]))

            # 3. OAuth: the administrator signs every OAuth section in.
            for mall, code in codes.items():
                for section in registry.get(mall).sections:
                    if section.provider is None:
                        continue
                    start = manager.post(reverse("shops:oauth_start", args=[code, section.key]))
                    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
                    # Amazon names its code spapi_oauth_code; other providers, code.
                    answer = {"code": f"code-{code}", "spapi_oauth_code": f"code-{code}"}
                    done = manager.get(reverse("oauth_callback"), {**answer, "state": state})
                    assert done.status_code == 302, (mall, done.content[:500])
            assert issued_tokens, "no OAuth sign-in happened"

            # 4. Connection tests of every shop, through the broker and a real worker.
            response = operator.post(reverse("shops:check_all"))
            batch_url = response["Location"]
            queued = decoded_messages(broker_messages())
            results_dir = tmp_path / "results"
            results_dir.mkdir()
            env = {
                "DATABASE_URL": database_url(),
                "CELERY_RESULT_BACKEND": f"file://{results_dir}",
            }
            for c in registry.all():
                for endpoint in c.endpoints():
                    env[endpoint.setting] = api.url
            for p in registry.providers():
                env[f"{p.name}_AUTHORIZE_URL"] = f"{provider.url}/authorize"
                env[f"{p.name}_TOKEN_URL"] = f"{provider.url}/token"
                env[f"{p.name}_CLIENT_ID"] = "console-client"
                env[f"{p.name}_CLIENT_SECRET"] = CLIENT_SECRET
                for name in p.required_settings():
                    env.setdefault(name, str(getattr(settings, name)))
            with worker(LOG_LEVEL="DEBUG", **env) as proc:
                done = wait_until(
                    lambda: (
                        not ConnectionCheck.objects.exclude(
                            status__in=ConnectionCheck.DONE
                        ).exists()
                    ),
                    proc,
                    seconds=120,
                )
                assert done, "the worker did not finish every check within 120 s"
            proc_output = proc.stdout.read()
            checks = ConnectionCheck.objects.count()
            assert checks >= 10
            # Positive control: the checks really sent the credentials to the echo server.
            sent = json.dumps(api.requests, ensure_ascii=False)
            assert needles and any(v in sent for v in needles if "qoo10" in needles[v])

            # 5. Expiry reminders, on a day when credentials are due.
            from shops.tasks import send_expiry_reminders

            for days in (27, 84):
                moment = timezone.localtime() + timedelta(days=days)
                with time_machine.travel(moment.replace(hour=9, minute=30), tick=False):
                    send_expiry_reminders()
            reminder_mails = [m for m in mail.outbox if "ops@" not in ",".join(m.to)]
            assert reminder_mails, "no reminder was sent"

            # 6. A crash while secrets are in memory, with DEBUG off: error page and e-mail.
            crash_secret = "crash-time-secret-value-LEAK-7777"
            needles[crash_secret] = "secret entered in the request that crashed"

            def explode(shop, *args, **kwargs):
                raise RuntimeError(f"could not record the change: {shop.get_secrets()!r}")

            monkeypatch.setattr("shops.store.record_change", explode)
            assert settings.DEBUG is False
            response = manager.post(
                reverse("shops:edit", args=[codes["qoo10"]]),
                post_data(MALLS["qoo10"], **{"qoo10_api.password": crash_secret}),
            )
            assert response.status_code == 500
            assert "エラーが発生しました" in response.content.decode()
            keep(response)
            monkeypatch.undo()
            error_mails = [m for m in mail.outbox if "ops@savaway.example.jp" in m.to]
            assert error_mails and "RuntimeError" in error_mails[0].body
            assert "********" in error_mails[0].body  # masked, not missing

            # 7. Every page each role can open.
            urls = [
                reverse("shops:list"),
                reverse("shops:expiries"),
                batch_url,
                reverse("orders:products"),
            ]
            for code in codes.values():
                urls.append(reverse("shops:edit", args=[code]))
            for pk in ConnectionCheck.objects.values_list("pk", flat=True):
                urls.append(reverse("shops:check_status", args=[pk]))
            for client in (viewer, operator, manager):
                for url in urls:
                    keep(client.get(url))
            for url in [
                reverse("admin:shops_shop_changelist"),
                reverse("admin:auth_user_changelist"),
                *[
                    reverse("admin:shops_shop_change", args=[pk])
                    for pk in Shop.objects.values_list("pk", flat=True)
                ],
            ]:
                keep(manager.get(url))
    finally:
        console.setStream(previous_stream)
        root.setLevel(previous_level)

    results = "\n".join(
        p.read_text(errors="replace") for p in results_dir.rglob("*") if p.is_file()
    )
    emails = "\n".join(
        "\n".join(
            [m.subject, m.body, json.dumps(m.extra_headers)]
            + [str(content) for content, _type in getattr(m, "alternatives", [])]
        )
        for m in mail.outbox
    )
    needles.update({token: "OAuth token" for token in issued_tokens})
    haystacks = {
        "database": database_dump(),
        "broker (queued messages)": "\n".join(queued),
        "broker (after the run)": broker_dump(),
        "task results": results,
        "web log": web_log.getvalue(),
        "worker log": proc_output,
        "e-mails": emails,
        "pages": "\n".join(pages),
    }
    # Positive controls: each haystack holds what the workflow wrote there.
    assert "RuntimeError" in haystacks["web log"] and len(haystacks["worker log"]) > 0
    assert results, "the worker stored no task result"
    assert "shops_shopchange" in haystacks["database"]
    hits = [
        (where, needles[needle], variant)
        for needle in needles
        for variant in variants(needle)
        for where, text in haystacks.items()
        if variant in text
    ]
    assert hits == []
