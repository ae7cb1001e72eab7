"""au PAY マーケット: data, a local shop API that enforces searchStocks' protocol, and its tests.

The local server follows the public clients of Wow!manager_API利用説明書.pdf (see
connectors/malls/au_pay_market.py):
- GET /searchStocks needs `Authorization: Bearer <API key>` from a registered source IP,
  shopId, startCount (1-based) and totalCount (1 to 500).
- Every answer is HTTP 200 XML. An error is <response><result><status>1</status><error>
  <code/><message/></error></result></response>. CME0022 (a wrong shopId) is the one code
  seen in public; the codes below marked PLACEHOLDER are this server's own, because the
  mall's codes for those cases are not public (the connector does not depend on them).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine

from connectors.malls.au_pay_market import WOWMA_API
from tests.connectors.protocol import bearer, query
from tests.helpers import make_shop, run
from tests.servers import HttpServer

DATA = {
    "url": "http://www.dena-ec.com/user/1234567",
    "ftp.host": "csv.manager.wowma.jp",
    "ftp.port": 21,
    "ftp.user": "u1234567",
    "ftp.password": "au-ftp-pass-0004",
    "ftp.passive": False,
    "wowma_api.shop_id": "1234567",
    "wowma_api.api_key": "au-api-key-0005-abcdef",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
    "product_key.key": "lot_number",
}

pytestmark = pytest.mark.django_db
KEY, SHOP_ID = "au-api-key-abcdef123456", "1234567"
JST = ZoneInfo("Asia/Tokyo")
# PLACEHOLDER codes: the mall's own are not public.
IP_CODE, KEY_CODE, EXPIRED_CODE, PARAM_CODE = "PLH0001", "PLH0002", "PLH0003", "PLH0004"


def error(code, message):
    return (
        200,
        {"Content-Type": "application/xml"},
        f"<response><result><status>1</status><error><code>{code}</code>"
        f"<message>{message}</message></error></result></response>",
    )


class WowmaServer(HttpServer):
    def __init__(self, *, allowed_ips=("127.0.0.1",), expired=(), generic_expired=False):
        self.allowed_ips, self.expired = set(allowed_ips), set(expired)
        self.generic_expired = generic_expired
        super().__init__({("GET", "/searchStocks"): self.search_stocks})

    def search_stocks(self, request):
        if self.client_ip not in self.allowed_ips:
            return error(IP_CODE, "接続元IPアドレスが登録されていません。")
        token = bearer(request)
        if token in self.expired:
            message = (
                "認証に失敗しました。"
                if self.generic_expired
                else "APIキーの有効期限が切れています。"
            )
            return error(EXPIRED_CODE, message)
        if token != KEY:
            return error(KEY_CODE, "認証に失敗しました。")
        q = query(request)
        if q.get("shopId") != SHOP_ID:
            return error("CME0022", "ショップIDが不正です。")
        for name, top in (("startCount", None), ("totalCount", 500)):
            value = q.get(name, "")
            if not value.isdigit() or int(value) < 1 or (top and int(value) > top):
                return error(PARAM_CODE, f"{name}が不正です。")
        return (
            200,
            {"Content-Type": "application/xml"},
            "<response><result><status>0</status></result><searchResult><maxCount>0"
            "</maxCount><resultCount>0</resultCount></searchResult></response>",
        )

    @property
    def client_ip(self):
        return "127.0.0.1"  # every test request comes from loopback


@pytest.fixture
def wowma(settings):
    servers = []

    def start(**kwargs):
        server = WowmaServer(**kwargs).__enter__()
        setattr(settings, WOWMA_API.setting, server.url)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def shop(key=KEY, issued_on=None):
    values = {"wowma_api.shop_id": SHOP_ID}
    if issued_on:
        values["wowma_api.api_key_issued_on"] = issued_on
    return make_shop("au_pay_market", values, {"wowma_api.api_key": key})


def status_and_code(response):
    import re

    return (
        re.search(r"<status>(\d)</status>", response.text).group(1),
        (re.search(r"<code>([^<]+)</code>", response.text) or [None, None])[1],
    )


# ---- the server refuses what the shop API refuses ---------------------------------------------


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"shopId": SHOP_ID, "totalCount": 1}, PARAM_CODE),  # no startCount
        ({"shopId": SHOP_ID, "startCount": 1}, PARAM_CODE),  # no totalCount
        ({"shopId": SHOP_ID, "startCount": 0, "totalCount": 1}, PARAM_CODE),  # 1-based
        ({"shopId": SHOP_ID, "startCount": 1, "totalCount": 501}, PARAM_CODE),  # at most 500
        ({"shopId": "7654321", "startCount": 1, "totalCount": 1}, "CME0022"),
    ],
)
def test_server_refuses_bad_parameters_with_status_1_in_http_200(wowma, params, code):
    server = wowma()
    response = requests.get(
        server.url + "/searchStocks", params=params, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert response.status_code == 200
    assert status_and_code(response) == ("1", code)


def test_server_refuses_a_caller_whose_ip_is_not_registered(wowma):
    server = wowma(allowed_ips=("203.0.113.7",))
    params = {"shopId": SHOP_ID, "startCount": 1, "totalCount": 1}
    response = requests.get(
        server.url + "/searchStocks", params=params, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert response.status_code == 200 and status_and_code(response) == ("1", IP_CODE)


# ---- the check --------------------------------------------------------------------------------


def test_search_stocks_with_start_and_total_count(wowma):
    server = wowma()
    check = run(shop(), "wowma_api")
    assert check.status == "success", check.detail
    assert query(server.requests[0]) == {"shopId": SHOP_ID, "totalCount": "1", "startCount": "1"}


@pytest.mark.parametrize(
    ("server_kwargs", "key", "code", "words"),
    [
        ({}, "au-wrong-key-000000", "auth_failed", "認証に失敗"),
        ({"allowed_ips": ("203.0.113.7",)}, KEY, "ip_not_registered", "IPアドレス"),
        ({"expired": {KEY}}, KEY, "key_expired", "有効期限"),
    ],
)
def test_refusals_say_why(wowma, server_kwargs, key, code, words):
    wowma(**server_kwargs)
    check = run(shop(key=key), "wowma_api")
    assert (check.status, check.code) == ("failed", code)
    assert words in check.message
    assert key not in check.detail


def test_a_refusal_past_the_90_days_is_an_expired_key(wowma):
    wowma(expired={KEY}, generic_expired=True)  # the message does not say why
    with time_machine.travel(datetime(2027, 3, 1, 9, tzinfo=JST), tick=False):
        check = run(shop(issued_on="2026-11-26"), "wowma_api")  # lapsed on 2027-02-24
    assert (check.status, check.code) == ("failed", "key_expired")


def test_a_wrong_shop_id_is_said_as_such_not_as_a_failed_login(wowma):
    wowma()
    wrong = make_shop("au_pay_market", {"wowma_api.shop_id": "7654321"}, {"wowma_api.api_key": KEY})
    check = run(wrong, "wowma_api")
    assert (check.status, check.code) == ("failed", "not_found")
    assert "CME0022" in check.detail
