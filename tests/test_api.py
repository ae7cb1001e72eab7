"""The REST API (/api/v1/): every operation with every role, tokens, validation shared with the
console, secrets write-only, rate limit, languages, and a valid OpenAPI document."""

import json
import logging
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import URLResolver, get_resolver
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from api import tokens
from api.models import ApiToken
from orders.models import ImportJob, Order
from orders.templatefiles import to_csv
from shops.forms import ShopForm
from shops.models import CheckBatch, ConnectionCheck, Shop, ShopChange
from tempostar.roles import assign_role
from tests.mall_data import MALLS, post_data

pytestmark = pytest.mark.django_db

ANON, VIEWER, OPERATOR, ADMIN = 0, 1, 2, 3
ROLE_NAMES = {VIEWER: "閲覧者", OPERATOR: "オペレーター", ADMIN: "管理者"}
SECRET_FTP = "ftp-pass-never-shown-0001"
SECRET_LICENSE = "SL-license-never-shown-a1b2"
SECRET_SERVICE = "SP-service-never-shown-9z8y"


def api_client(raw=None, **headers):
    if raw:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return Client(**headers)


def send(client, method, path, body=None, **extra):
    if isinstance(body, dict) and "file" in body:
        return getattr(client, method)(f"/api/v1{path}", body, **extra)  # multipart
    if method in ("post", "patch"):
        return getattr(client, method)(
            f"/api/v1{path}", json.dumps(body or {}), content_type="application/json", **extra
        )
    return getattr(client, method)(f"/api/v1{path}", **extra)


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(make_shop):
    rakuten = make_shop("rakuten")
    rakuten.settings = {
        "ftp.user": "savaway",
        "ftp.host": "upload.rakuten.ne.jp",
        "rakuten_api.store_id": "savaway",
    }
    rakuten.set_secrets(
        {
            "ftp.password": SECRET_FTP,
            "rakuten_api.license_key": SECRET_LICENSE,
            "rakuten_api.service_secret": SECRET_SERVICE,
        }
    )
    rakuten.save()
    other = make_shop("other", url="https://tel.savaway.example.jp/")
    batch = CheckBatch.objects.create(total=1)
    check = ConnectionCheck.objects.create(
        shop=rakuten, section="ftp", batch=batch, status="success"
    )
    # Long enough ago that a new test of the same connection is allowed.
    ConnectionCheck.objects.filter(pk=check.pk).update(
        created_at=check.created_at - timedelta(hours=1)
    )
    job = ImportJob.objects.create(shop=other, kind="orders", filename="a.csv", path="x")
    return {
        "rakuten": rakuten.code,
        "other": other.code,
        "check": check.pk,
        "batch": batch.pk,
        "job": job.pk,
    }


@pytest.fixture
def role_tokens(make_user):
    out = {}
    for level, role in ROLE_NAMES.items():
        user = make_user(f"api-{level}")
        assign_role(user, role)
        out[level] = tokens.issue(user, f"token {level}")[1]
    return out


def order_csv():
    return SimpleUploadedFile(
        "orders.csv",
        to_csv(
            [
                {
                    "ショップ受注番号": "API-1",
                    "受注日時": "2026/11/26 10:15",
                    "注文者名": "髙橋 一郎",
                    "商品コード": "SAVA-001",
                    "数量": "1",
                }
            ]
        ),
        content_type="text/csv",
    )


NEW_SHOP = {
    "mall": "other",
    "name": "株式会社サバウェイ 電話",
    "short_name": "電話",
    "url": "https://tel.savaway.example.jp/",
}

# (method, path, body, least role, status when allowed)
OPERATIONS = {
    "list shops": ("get", lambda w: "/shops", None, VIEWER, 200),
    "read shop": ("get", lambda w: f"/shops/{w['rakuten']}", None, VIEWER, 200),
    "create shop": ("post", lambda w: "/shops", NEW_SHOP, OPERATOR, 201),
    "change common record": (
        "patch",
        lambda w: f"/shops/{w['rakuten']}",
        {"short_name": "新しい略称"},
        OPERATOR,
        200,
    ),
    "change credentials": (
        "patch",
        lambda w: f"/shops/{w['rakuten']}",
        {"sections": {"ftp": {"password": "a-new-ftp-password-77"}}},
        ADMIN,
        200,
    ),
    "delete shop": ("delete", lambda w: f"/shops/{w['rakuten']}", None, ADMIN, 204),
    "start check": ("post", lambda w: f"/shops/{w['rakuten']}/checks/ftp", {}, OPERATOR, 202),
    "read check": ("get", lambda w: f"/checks/{w['check']}", None, VIEWER, 200),
    "start batch": ("post", lambda w: "/check-batches", {}, OPERATOR, 202),
    "read batch": ("get", lambda w: f"/check-batches/{w['batch']}", None, VIEWER, 200),
    "expiries": ("get", lambda w: "/expiries?within=all", None, VIEWER, 200),
    "import orders": (
        "post",
        lambda w: f"/shops/{w['other']}/order-imports",
        "file",
        OPERATOR,
        202,
    ),
    "read import": ("get", lambda w: f"/order-imports/{w['job']}", None, VIEWER, 200),
    "malls": ("get", lambda w: "/malls", None, VIEWER, 200),
    "me": ("get", lambda w: "/me", None, VIEWER, 200),
}


def test_every_api_route_is_in_the_matrix():
    resolver = next(
        r
        for r in get_resolver().url_patterns
        if isinstance(r, URLResolver) and r.namespace == "api"
    )
    routes = {str(p.pattern) for p in resolver.url_patterns}
    covered = {
        "shops",
        "shops/<code>",
        "shops/<code>/checks/<section>",
        "checks/<check_id>",
        "check-batches",
        "check-batches/<batch_id>",
        "expiries",
        "shops/<code>/order-imports",
        "order-imports/<job_id>",
        "malls",
        "me",
        "openapi.json",
        "docs",
        "",
    }
    assert {r.replace("str:", "").replace("int:", "") for r in routes} == covered


@pytest.mark.parametrize("name", sorted(OPERATIONS))
@pytest.mark.parametrize("level", [ANON, VIEWER, OPERATOR, ADMIN])
def test_role_matrix(name, level, world, role_tokens):
    method, path, body, least, ok = OPERATIONS[name]
    client = api_client(role_tokens.get(level))
    data = {"file": order_csv()} if body == "file" else body
    response = send(client, method, path(world), data)
    if level == ANON:
        assert response.status_code == 401, response.content
        assert response["WWW-Authenticate"] == "Bearer"
        assert "APIトークン" in response.json()["detail"]
    elif level < least:
        assert response.status_code == 403, (name, level, response.content)
        assert response.json()["detail"]
    else:
        assert response.status_code == ok, (name, level, response.content[:500])


def test_docs_and_openapi_are_public_and_the_document_validates(client):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    paths = document["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/shops"])
    assert "requestBody" in paths["/api/v1/shops"]["post"]
    assert client.get("/api/v1/docs").status_code == 200


# ---- tokens ------------------------------------------------------------------------------------


def test_tokens_are_hashed_at_rest_and_a_revoked_token_stops_working(operator, world):
    token, raw = tokens.issue(operator, "nightly sync")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert stored.digest != raw and len(stored.digest) == 64
    client = api_client(raw)
    assert send(client, "get", "/shops").status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    tokens.revoke(stored)  # in the middle of a script's run
    assert send(client, "get", "/shops").status_code == 401
    assert send(client, "get", f"/shops/{world['rakuten']}").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer tsk_000000000000_" + "a" * 43,
        "Bearer not-a-token",
        "Bearer " + "x" * 5000,
        "Bearer tsk_\x00\x01",
    ],
)
def test_anything_but_a_valid_token_is_401(header, world):
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/shops")
    assert response.status_code == 401


def test_a_token_of_a_deactivated_user_is_refused(operator, world):
    _token, raw = tokens.issue(operator, "x")
    operator.is_active = False
    operator.save()
    assert send(api_client(raw), "get", "/shops").status_code == 401


def test_create_api_token_command_prints_a_working_token(operator, world, capsys):
    call_command("create_api_token", "operator", "--name", "cron")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("tsk_")
    assert ApiToken.objects.get().name == "cron"
    assert send(api_client(raw), "get", "/shops").status_code == 200


def test_rate_limit_per_token(operator, world, settings):
    settings.API_RATE_LIMIT = "3/min"
    _t, raw = tokens.issue(operator, "x")
    _t2, other = tokens.issue(operator, "y")
    client = api_client(raw)
    assert [send(client, "get", "/malls").status_code for _ in range(3)] == [200] * 3
    refused = send(client, "get", "/malls")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["detail"].startswith("このトークンからのリクエストが多すぎます")
    assert send(api_client(other), "get", "/malls").status_code == 200  # per token


# ---- shops: validation as in the console, secrets write-only -------------------------------


def test_create_with_secrets_reads_back_hints_only(manager):
    _t, raw = tokens.issue(manager, "x")
    body = {
        "mall": "rakuten",
        "name": "株式会社サバウェイ",
        "short_name": "サバウェイ楽天",
        "url": "https://www.rakuten.co.jp/savaway/",
        "sections": {
            "ftp": {"password": SECRET_FTP},
            "rakuten_api": {"service_secret": SECRET_SERVICE, "license_key": SECRET_LICENSE},
        },
    }
    response = send(api_client(raw), "post", "/shops", body)
    assert response.status_code == 201, response.content
    shop = response.json()
    assert shop["sections"]["ftp"]["user"] == "savaway"  # derived from the URL, as in the form
    assert shop["sections"]["ftp"]["host"] == "upload.rakuten.ne.jp"  # the fixed default
    assert shop["sections"]["ftp"]["password"] == {"set": True, "hint": "…0001"}
    assert shop["sections"]["rakuten_api"]["license_key"] == {"set": True, "hint": "…a1b2"}
    assert shop["sections"]["anshin_mail"]["password"] == {"set": False, "hint": ""}
    stored = Shop.objects.get(code=shop["code"])
    assert stored.get_secrets()["ftp.password"] == SECRET_FTP
    change = ShopChange.objects.get(shop=stored)
    assert change.via == "api" and change.username == "manager"


def test_messages_are_the_consoles_in_japanese_or_english(manager, make_shop):
    _t, raw = tokens.issue(manager, "x")
    body = {"mall": "rakuten", "name": "x", "short_name": "", "url": "not a url"}
    form = ShopForm(
        post_data(MALLS["rakuten"], name="x", short_name="", url="not a url"),
        connector=Shop(mall="rakuten").connector,
    )
    assert not form.is_valid()
    ja = send(api_client(raw), "post", "/shops", body)
    assert ja.status_code == 422
    errors = {e["field"]: e for e in ja.json()["errors"]}
    assert errors["url"]["messages"] == form.errors["url"]
    assert errors["url"]["messages"] == [
        "http:// または https:// で始まるフルURLを入力してください。"
    ]
    assert errors["url"]["label"] == "ショップURL"
    assert errors["short_name"]["messages"] == ["このフィールドは必須です。"]
    en = send(api_client(raw), "post", "/shops", body, HTTP_ACCEPT_LANGUAGE="en")
    errors = {e["field"]: e for e in en.json()["errors"]}
    assert errors["url"]["messages"] == ["Enter a full URL starting with http:// or https://."]
    assert not Shop.objects.exists()


def test_section_errors_name_the_field(manager, world):
    _t, raw = tokens.issue(manager, "x")
    response = send(
        api_client(raw),
        "patch",
        f"/shops/{world['rakuten']}",
        {"sections": {"ftp": {"port": 70000, "host": "bad host/x"}}},
    )
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert errors["sections.ftp.port"]["messages"] == [
        "「ポート番号」には 1 から 65535 までの数を入力してください。"
    ]
    assert errors["sections.ftp.port"]["label"] == "FTP設定 / ポート番号"
    assert "sections.ftp.host" in errors


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ["a list"]}, "name"),
        ({"colour": "red"}, "colour"),
        ({"sections": {"nowhere": {"x": 1}}}, "sections.nowhere.x"),
        ({"sections": {"ftp": {"nope": 1}}}, "sections.ftp.nope"),
        ({"sections": {"ftp": {"password": 12345}}}, "sections.ftp.password"),
        ({"sections": "ftp"}, "sections"),
        ({"mall": "other"}, "mall"),
        ({"url": "https://example.jp/\x00"}, "url"),
        ({"name": "x" * 5000}, "name"),
        ({"notify_emails": "a@example.jp, \u200bnot-an-address"}, "notify_emails"),
        ({"sections": {"rakuten_api": {"license_issued_on": "99999-01-01"}}}, None),
    ],
)
def test_hostile_bodies_change_nothing(manager, world, body, field):
    _t, raw = tokens.issue(manager, "x")
    shop = Shop.objects.get(code=world["rakuten"])
    before = (shop.name, shop.url, shop.settings, shop.secrets, shop.notify_emails)
    response = send(api_client(raw), "patch", f"/shops/{world['rakuten']}", body)
    assert response.status_code == 422, response.content
    fields = [e["field"] for e in response.json()["errors"]]
    if field:
        assert field in fields
    assert all(m for e in response.json()["errors"] for m in e["messages"])
    shop.refresh_from_db()
    assert (shop.name, shop.url, shop.settings, shop.secrets, shop.notify_emails) == before
    assert not ShopChange.objects.exists()


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_400(manager, world, payload):
    _t, raw = tokens.issue(manager, "x")
    response = api_client(raw).post("/api/v1/shops", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_update_changes_only_what_the_body_names_and_null_removes_a_secret(manager, world):
    _t, raw = tokens.issue(manager, "x")
    client = api_client(raw)
    before = Shop.objects.get(code=world["rakuten"])
    response = send(
        client,
        "patch",
        f"/shops/{world['rakuten']}",
        {
            "short_name": "新略称",
            "sections": {"rakuten_api": {"license_key": None, "service_secret": None}},
        },
    )
    assert response.status_code == 200, response.content
    shop = Shop.objects.get(code=world["rakuten"])
    assert shop.short_name == "新略称" and shop.name == before.name
    assert shop.settings["ftp.user"] == "savaway"
    assert "rakuten_api.license_key" not in shop.get_secrets()
    assert shop.get_secrets()["ftp.password"] == SECRET_FTP
    assert response.json()["sections"]["rakuten_api"]["license_key"] == {"set": False, "hint": ""}
    # The read shape sent back as it is changes nothing.
    again = send(
        client, "patch", f"/shops/{world['rakuten']}", response.json() | {"warnings": None}
    )
    assert again.status_code == 422  # "warnings" is not a field
    read = response.json()
    for key in ("warnings",):
        read.pop(key)
    assert send(client, "patch", f"/shops/{world['rakuten']}", read).status_code == 200
    assert Shop.objects.get(code=world["rakuten"]).get_secrets()["ftp.password"] == SECRET_FTP
    history = list(ShopChange.objects.filter(shop=shop).values_list("via", flat=True))
    assert history == ["api"]  # the unchanged resend recorded nothing


def test_operator_may_not_touch_mall_settings_of_a_registered_shop(operator, world):
    _t, raw = tokens.issue(operator, "x")
    response = send(
        api_client(raw), "patch", f"/shops/{world['rakuten']}", {"sections": {"ftp": {"user": "x"}}}
    )
    assert response.status_code == 403
    assert "管理者" in response.json()["detail"]
    assert Shop.objects.get(code=world["rakuten"]).settings["ftp.user"] == "savaway"


def test_delete_is_refused_while_orders_hold_the_shop(manager, world):
    _t, raw = tokens.issue(manager, "x")
    shop = Shop.objects.get(code=world["other"])
    Order.objects.create(
        shop=shop, order_number="1", ordered_at="2026-01-01T00:00Z", customer_name="x"
    )
    response = send(api_client(raw), "delete", f"/shops/{shop.code}")
    assert response.status_code == 409
    assert Shop.objects.filter(pk=shop.pk).exists()
    assert not ShopChange.objects.filter(action="delete").exists()
    assert send(api_client(raw), "delete", f"/shops/{world['rakuten']}").status_code == 204
    assert ShopChange.objects.get(action="delete").via == "api"


def test_list_search_filter_and_pages(operator, make_shop):
    _t, raw = tokens.issue(operator, "x")
    for i in range(5):
        make_shop("rakuten", name=f"さば商店 {i}", short_name=f"さば{i}")
    make_shop("other", name="まぐろ商店", short_name="まぐろ", url="https://m.example.jp/")
    client = api_client(raw)
    page = send(client, "get", "/shops?per_page=2&page=2").json()
    assert (page["count"], page["pages"], page["page"], len(page["results"])) == (6, 3, 2, 2)
    assert send(client, "get", "/shops?q=まぐろ").json()["count"] == 1
    assert send(client, "get", "/shops?mall=rakuten").json()["count"] == 5
    assert send(client, "get", "/shops?per_page=100000").json()["per_page"] == 100
    assert send(client, "get", "/shops?per_page=2&page=999").json()["page"] == 3
    assert send(client, "get", "/shops?q=" + "%00" * 10).status_code == 200


def test_check_starts_is_rate_limited_and_reads_back(operator, world, settings):
    _t, raw = tokens.issue(operator, "x")
    client = api_client(raw)
    started = send(client, "post", f"/shops/{world['rakuten']}/checks/ftp")
    assert started.status_code == 202
    check = started.json()
    assert check["status"] == "pending" and check["shop"] == world["rakuten"]
    again = send(client, "post", f"/shops/{world['rakuten']}/checks/ftp")
    assert again.status_code == 429 and int(again["Retry-After"]) > 0
    assert send(client, "get", f"/checks/{check['id']}").json()["id"] == check["id"]
    assert send(client, "post", f"/shops/{world['rakuten']}/checks/nowhere").status_code == 404


def test_expiries_list(operator, world):
    _t, raw = tokens.issue(operator, "x")
    from shops import store

    shop = Shop.objects.get(code=world["rakuten"])
    store.update(shop, store.Edit(secrets={"rakuten_api.license_key": "SL-new-key-0000000"}))
    rows = send(api_client(raw), "get", "/expiries?within=all").json()["results"]
    assert [(r["shop"], r["credential"]) for r in rows] == [(shop.code, "license_key")]
    assert rows[0]["days_left"] >= 80
    assert "licenseKey" in rows[0]["label"] or rows[0]["label"]


def test_order_import_through_the_api(operator, world):
    _t, raw = tokens.issue(operator, "x")
    response = api_client(raw).post(
        f"/api/v1/shops/{world['other']}/order-imports", {"file": order_csv()}
    )
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] == "done" and job["summary"]["orders"] == 1
    assert Order.objects.get().order_number == "API-1"
    refused = api_client(raw).post(
        f"/api/v1/shops/{world['rakuten']}/order-imports", {"file": order_csv()}
    )
    assert refused.status_code == 404


# ---- secrets never leave -----------------------------------------------------------------------


def test_secrets_and_tokens_never_in_responses_logs_or_history(manager, world, caplog, settings):
    settings.DEBUG = True  # ninja's own bearer logs the header in DEBUG: ours must not
    _t, raw = tokens.issue(manager, "x")
    client = api_client(raw)
    caplog.set_level(logging.DEBUG)
    new_secret = "brand-new-ftp-password-5555"
    bodies = []
    for method, path, body in [
        ("get", "/shops", None),
        ("get", f"/shops/{world['rakuten']}", None),
        ("patch", f"/shops/{world['rakuten']}", {"sections": {"ftp": {"password": new_secret}}}),
        (
            "patch",
            f"/shops/{world['rakuten']}",
            {"url": "bad", "sections": {"ftp": {"password": new_secret + "x"}}},
        ),
        (
            "post",
            "/shops",
            {
                **NEW_SHOP,
                "mall": "rakuten",
                "url": "x",
                "sections": {"ftp": {"password": new_secret}},
            },
        ),
    ]:
        response = send(client, method, path, body)
        bodies.append(response.content.decode())
    revoked = send(Client(HTTP_AUTHORIZATION="Bearer wrong-" + raw), "get", "/shops")
    bodies.append(revoked.content.decode())
    text = (
        "\n".join(bodies)
        + "\n".join(logging.Formatter().format(r) for r in caplog.records)
        + json.dumps(list(ShopChange.objects.values("changes")), ensure_ascii=False)
    )
    from tempostar.security import redact

    logged = "\n".join(redact(logging.Formatter().format(r)) for r in caplog.records)
    for secret in (SECRET_FTP, SECRET_LICENSE, new_secret, raw):
        assert secret not in "\n".join(bodies)
        assert secret not in logged
        assert secret not in json.dumps(list(ShopChange.objects.values("changes")))
    assert "***CHANGED***" in json.dumps(list(ShopChange.objects.values("changes")))
    assert text  # something was produced


def test_the_authorization_header_is_masked_in_error_reports(rf):
    from tempostar.security import SecretMaskingFilter, redact

    request = rf.get("/api/v1/shops", HTTP_AUTHORIZATION="Bearer tsk_0123456789ab_" + "s" * 43)
    meta = SecretMaskingFilter().get_safe_request_meta(request)
    assert "sss" not in json.dumps(meta, default=str)
    assert redact("Authorization: Bearer abc.def") == "Authorization: Bearer ********"
    assert "s" * 43 not in redact("token=tsk_0123456789ab_" + "s" * 43)


# ---- any JSON at all -------------------------------------------------------------------------


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=300),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=6,
)
bodies = st.dictionaries(
    st.sampled_from(
        [
            "name",
            "short_name",
            "url",
            "mobile_url",
            "manager_name",
            "genre",
            "notify_emails",
            "mall",
            "code",
            "sections",
            "other",
        ]
    ),
    json_values,
    max_size=5,
) | st.fixed_dictionaries(
    {
        "sections": st.dictionaries(
            st.sampled_from(["ftp", "rakuten_api", "sender_mail", "nowhere"]),
            st.dictionaries(
                st.sampled_from(
                    [
                        "host",
                        "port",
                        "user",
                        "password",
                        "passive",
                        "license_key",
                        "from_address",
                        "x",
                    ]
                ),
                json_values,
                max_size=4,
            ),
            max_size=3,
        )
    }
)


@hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies)
def test_any_json_body_is_answered_and_only_a_valid_one_changes_the_shop(body, make_user):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="prop").first() or make_user("prop")
    assign_role(user, "管理者")
    shop = Shop.objects.filter(short_name="prop").first()
    if shop is None:
        shop = Shop.objects.create(
            mall="rakuten", name="p", short_name="prop", url="https://www.rakuten.co.jp/prop/"
        )
    _t, raw = tokens.issue(user, "p")
    before = Shop.objects.filter(pk=shop.pk).values().get()
    response = send(api_client(raw), "patch", f"/shops/{shop.code}", body)
    assert response.status_code in (200, 400, 422), response.content[:300]
    after = Shop.objects.filter(pk=shop.pk).values().get()
    if response.status_code != 200:
        assert after == before
        assert all(e["messages"] for e in response.json().get("errors", [{"messages": [1]}]))


def test_token_page_shows_a_new_token_once_and_revokes_only_ones_own(operator, manager):
    from django.urls import reverse

    client = Client()
    client.force_login(operator)

    def nonce():
        page = client.get(reverse("api_tokens")).content.decode()
        return re.search(r'name="nonce" value="([0-9a-f]+)"', page).group(1)

    form = {"name": "sync", "nonce": nonce()}
    page = client.post(reverse("api_tokens"), form).content.decode()
    token = ApiToken.objects.get(user=operator)
    raw = re.search(r'id="new-token-value">(tsk_[^<]+)<', page).group(1)
    assert tokens.find(raw) == token
    # Reloading the answer posts the same form again: no second token.
    again = client.post(reverse("api_tokens"), form)
    assert again.status_code == 302 and ApiToken.objects.filter(user=operator).count() == 1
    assert raw not in client.get(reverse("api_tokens")).content.decode()
    assert client.post(reverse("api_tokens"), {"name": "", "nonce": nonce()}).status_code == 400
    # A name with an invisible character is refused, naming the field.
    refused = client.post(reverse("api_tokens"), {"name": "re\u200bview", "nonce": nonce()})
    assert refused.status_code == 400 and "トークン名" in refused.content.decode()
    assert ApiToken.objects.filter(user=operator).count() == 1
    theirs, _raw = tokens.issue(manager, "theirs")
    assert client.post(reverse("api_tokens"), {"revoke": theirs.pk}).status_code == 404
    assert client.post(reverse("api_tokens"), {"revoke": "1 OR 1=1"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.active
    assert client.post(reverse("api_tokens"), {"revoke": token.pk}).status_code == 302
    token.refresh_from_db()
    assert not token.active
