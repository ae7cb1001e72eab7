"""ショップサーブ: data, a local management API enforcing Basic authentication, and its tests.

The local server follows the public clients of the management API (see
connectors/malls/shopserve.py): POST /v2/items/_search with a JSON body needs HTTP Basic
authentication with the shop ID and the manager authentication key. The body of Shopserve's
refusal is not public: this server answers 401 with {"message": "Unauthorized"} (an
assumption; the connector only reads the status).
"""

import pytest
import requests

from connectors.malls.shopserve import MANAGEMENT_API
from tests.connectors.protocol import basic, header, json_body
from tests.helpers import make_shop, run
from tests.servers import HttpServer

DATA = {
    "url": "https://www.savaway.example.jp/",
    "shopserve.shop_id": "savaway-ss",
    "shopserve.password": "ss-pass-0016",
    "shopserve.manager_key": "ss-manager-key-0017",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
    "product_key.key": "option_code",
}

pytestmark = pytest.mark.django_db
SHOP_ID, MANAGER_KEY = "savaway-ss", "ss-manager-key-1"
SEARCH = "/v2/items/_search"


def search(request):
    if basic(request) != (SHOP_ID, MANAGER_KEY):
        return 401, {"WWW-Authenticate": 'Basic realm="api"'}, {"message": "Unauthorized"}
    body = json_body(request)
    if not header(request, "Content-Type").startswith("application/json") or not isinstance(
        body, dict
    ):
        return 400, {}, {"message": "Bad Request"}
    return 200, {}, {"total": 0, "items": []}


@pytest.fixture
def shopserve(settings):
    with HttpServer({("POST", SEARCH): search}) as server:
        setattr(settings, MANAGEMENT_API.setting, server.url + "/v2")
        yield server


def shop(key=MANAGER_KEY):
    return make_shop(
        "shopserve",
        {"shopserve.shop_id": SHOP_ID},
        {"shopserve.manager_key": key, "shopserve.password": "ss-login-pass"},
    )


# ---- the server refuses what Shopserve refuses ------------------------------------------------


def test_server_refuses_a_call_without_basic_authentication(shopserve):
    response = requests.post(shopserve.url + SEARCH, json={"size": 1})
    assert response.status_code == 401


def test_server_refuses_the_login_password_in_place_of_the_manager_key(shopserve):
    response = requests.post(
        shopserve.url + SEARCH, json={"size": 1}, auth=(SHOP_ID, "ss-login-pass")
    )
    assert response.status_code == 401


# ---- the check --------------------------------------------------------------------------------


def test_one_read_only_search_with_the_manager_key(shopserve):
    check = run(shop(), "shopserve")
    assert check.status == "success", check.detail
    (call,) = shopserve.requests
    assert basic(call) == (SHOP_ID, MANAGER_KEY) and json_body(call) == {"size": 1}


def test_a_wrong_manager_key(shopserve):
    check = run(shop(key="ss-wrong-key"), "shopserve")
    assert (check.status, check.code) == ("failed", "auth_failed")
    assert "ss-wrong-key" not in check.detail


def test_without_the_manager_key_nothing_is_tested():
    check = run(make_shop("shopserve", {"shopserve.shop_id": SHOP_ID}), "shopserve")
    assert (check.status, check.code) == ("untested", "not_configured")
