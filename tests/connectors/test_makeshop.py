"""MakeShop: data, a local GraphQL API enforcing the next-generation API's headers, and its tests.

The local server follows https://developers.makeshop.jp/api/graphql/index.html (see
connectors/malls/makeshop.py):
- POST /v1/graphql with `authorization: Bearer <permanent token>`, `x-api-key` and
  `x-timestamp` (Unix time in seconds, valid one hour), a JSON body with the query.
- getShop returns the shop; introspection is refused (FORBIDDEN).
- Errors are GraphQL's errors[]; the HTTP status of an authentication error is not documented,
  so this server answers a bad token with HTTP 401 and a stale x-timestamp with HTTP 200, both
  with errors[] (the connector must read both).
"""

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine

from connectors.malls.makeshop import GRAPHQL
from tests.connectors.protocol import bearer, header, json_body
from tests.helpers import make_shop, run
from tests.servers import HttpServer

DATA = {
    "url": "https://savaway.makeshop.jp/",
    "makeshop_api.host": "savaway.makeshop.jp",
    "makeshop_api.access_token": "PAT.ms-permanent-0015",
    "makeshop_api.api_key": "ms-api-key-0019",
    "makeshop_api.auth_code": "ms-auth-0020",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
}

pytestmark = pytest.mark.django_db
TOKEN, API_KEY = "PAT.192a522c-permanent", "ms-api-key-1"
PATH = "/v1/graphql"
JST = ZoneInfo("Asia/Tokyo")


def graphql_error(status, code, message):
    return status, {}, {"errors": [{"message": message, "extensions": {"code": code}}]}


class MakeshopServer(HttpServer):
    def __init__(self):
        self.skew = 0  # MakeShop's clock minus ours, as a test sets it
        super().__init__({("POST", PATH): self.graphql})

    def graphql(self, request):
        if bearer(request) != TOKEN:
            return graphql_error(401, "UNAUTHENTICATED", "Unauthorized")
        if header(request, "x-api-key") != API_KEY:
            return graphql_error(403, "FORBIDDEN", "Invalid API key")
        stamp = header(request, "x-timestamp")
        now = time.time() + self.skew
        if not stamp.isdigit() or abs(now - int(stamp)) > 3600:
            return graphql_error(200, "UNAUTHENTICATED", "x-timestamp is invalid or expired")
        body = json_body(request)
        q = body.get("query", "") if isinstance(body, dict) else ""
        if "__schema" in q or "__type" in q:
            return graphql_error(200, "FORBIDDEN", "Introspection is not allowed")
        if "getShop" not in q:
            return graphql_error(200, "GRAPHQL_VALIDATION_FAILED", "Cannot query field")
        shop = {"shopName": "サバウェイ", "shopUrl": "https://savaway.makeshop.jp/"}
        return 200, {}, {"data": {"getShop": {"shop": shop}}}


@pytest.fixture
def makeshop(settings):
    with MakeshopServer() as server:
        setattr(settings, GRAPHQL.setting, server.url + PATH)
        yield server


def shop(token=TOKEN, api_key=API_KEY, host="savaway.makeshop.jp"):
    return make_shop(
        "makeshop",
        {"makeshop_api.host": host},
        {"makeshop_api.access_token": token, "makeshop_api.api_key": api_key},
    )


def headers(**overrides):
    base = {
        "authorization": f"Bearer {TOKEN}",
        "x-api-key": API_KEY,
        "x-timestamp": str(int(time.time())),
    }
    return {**base, **overrides}


# ---- the server refuses what MakeShop refuses -------------------------------------------------


def post(server, query="query { getShop { shop { shopName } } }", **header_overrides):
    return requests.post(
        server.url + PATH, json={"query": query}, headers=headers(**header_overrides)
    )


def test_server_refuses_a_wrong_token(makeshop):
    response = post(makeshop, authorization="Bearer PAT.revoked")
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_server_refuses_a_wrong_api_key(makeshop):
    response = post(makeshop, **{"x-api-key": "other"})
    assert response.status_code == 403


def test_server_refuses_a_timestamp_in_milliseconds(makeshop):
    response = post(makeshop, **{"x-timestamp": str(int(time.time() * 1000))})
    assert response.json()["errors"][0]["message"].startswith("x-timestamp")


def test_server_refuses_a_timestamp_over_an_hour_old(makeshop):
    response = post(makeshop, **{"x-timestamp": str(int(time.time()) - 3601)})
    assert "errors" in response.json()


def test_server_refuses_introspection(makeshop):
    response = post(makeshop, query="{ __schema { types { name } } }")
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ---- the check --------------------------------------------------------------------------------


def test_one_read_only_query_with_the_three_headers(makeshop):
    with time_machine.travel(datetime(2026, 11, 26, 10, tzinfo=JST), tick=False):
        check = run(shop(), "makeshop_api")
    assert check.status == "success", check.detail
    assert check.info["shop_name"] == "サバウェイ"
    (call,) = makeshop.requests
    assert header(call, "x-timestamp") == str(
        int(datetime(2026, 11, 26, 10, tzinfo=JST).timestamp())
    )
    assert json_body(call)["query"].startswith("query { getShop")
    assert "mutation" not in call["body"]


@pytest.mark.parametrize(
    ("token", "api_key", "skew"),
    [("PAT.revoked", API_KEY, 0), (TOKEN, "wrong-key", 0), (TOKEN, API_KEY, 7200)],
)
def test_refusals_are_authentication_failures(makeshop, token, api_key, skew):
    makeshop.skew = skew  # 7200: the console's clock is two hours behind MakeShop's
    check = run(shop(token=token, api_key=api_key), "makeshop_api")
    assert (check.status, check.code) == ("failed", "auth_failed")
    assert token not in check.detail and api_key not in check.detail


def test_the_shop_domain_is_never_connected_to(makeshop, settings):
    settings.CONNECTION_GUARD_ALLOW_LOOPBACK = False
    # The API host is pinned (it may be loopback here); the domain entered is never used,
    # so even one that points at loopback is not refused nor contacted.
    check = run(shop(host="localhost"), "makeshop_api")
    assert check.status == "success", check.detail
    assert len(makeshop.requests) == 1


def test_without_the_token_and_key_nothing_is_tested():
    check = run(make_shop("makeshop", {"makeshop_api.host": "savaway.makeshop.jp"}), "makeshop_api")
    assert (check.status, check.code) == ("untested", "not_configured")
