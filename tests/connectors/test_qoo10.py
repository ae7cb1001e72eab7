"""Qoo10: data, a local QAPI that enforces the certification protocol, and its tests.

The local server follows the public QAPI clients (see connectors/malls/qoo10.py):
- Every method is POST /<Class.Method> with a form body, `GiosisCertificationKey` and
  `QAPIVersion: 1.0` headers, and answers HTTP 200 whatever happens.
- A certification key Qoo10 does not know: {"ErrorCode": -90001, "ErrorMsg": "存在しない
  APIです。"}.
- CertificationAPI.CreateCertificationKey takes the API key as GiosisCertificationKey and
  user_id/pwd; it answers {"ResultCode": 0, "ResultMsg": "成功", "ResultObject": <seller key>}
  (a new key each time). A wrong ID or password's ResultCode is not public: -10000 here is a
  PLACEHOLDER.
- ItemsLookup.GetAllGoodsInfo takes a seller key as GiosisCertificationKey (not the API key)
  and ItemStatus, one of S0 S1 S2 S3 S5 S8 (S4 refused; -10009 here is a PLACEHOLDER code).
"""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine

from connectors.malls.qoo10 import QAPI
from shops import store
from tests.connectors.protocol import form, header
from tests.helpers import make_shop, run
from tests.servers import HttpServer

DATA = {
    "url": "https://www.qoo10.jp/shop/savaway",
    "qoo10_api.api_key": "qoo10-api-key-0013",
    "qoo10_api.user_id": "savaway_q",
    "qoo10_api.password": "qoo10-pass-0014",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
}

pytestmark = pytest.mark.django_db
API_KEY, USER, PASSWORD = "qoo10-api-key", "savaway_q", "qoo10-pass"
SELLERS = {USER, "savaway_q2"}  # two sellers' IDs under the same password, for a change of ID
JST = ZoneInfo("Asia/Tokyo")
UNKNOWN = {"ErrorCode": -90001, "ErrorMsg": "存在しないAPIです。"}
STATUSES = {"S0", "S1", "S2", "S3", "S5", "S8"}


class QapiServer(HttpServer):
    def __init__(self):
        self.seller_keys: list[str] = []  # issued, newest last
        super().__init__(
            {
                ("POST", "/CertificationAPI.CreateCertificationKey"): self.certify,
                ("POST", "/ItemsLookup.GetAllGoodsInfo"): self.goods,
            }
        )

    def certify(self, request):
        if header(request, "GiosisCertificationKey") != API_KEY:
            return 200, {}, UNKNOWN
        if header(request, "QAPIVersion") != "1.0":
            return 200, {}, UNKNOWN
        body = form(request)
        if body.get("user_id") not in SELLERS or body.get("pwd") != PASSWORD:
            return 200, {}, {"ResultCode": -10000, "ResultMsg": "ログイン情報が正しくありません。"}
        key = f"seller-key-{len(self.seller_keys) + 1}"
        self.seller_keys.append(key)
        return 200, {}, {"ResultCode": 0, "ResultMsg": "成功", "ResultObject": key}

    def goods(self, request):
        if header(request, "GiosisCertificationKey") not in self.seller_keys:
            return 200, {}, UNKNOWN
        if header(request, "QAPIVersion") != "1.0":
            return 200, {}, UNKNOWN
        if form(request).get("returnType") != "application/json":
            return 200, {}, {"ResultCode": -10001, "ResultMsg": "[returnType] is invalid."}
        if form(request).get("ItemStatus") not in STATUSES:
            return 200, {}, {"ResultCode": -10009, "ResultMsg": "[ItemStatus] is invalid."}
        result = {"TotalItems": 0, "TotalPages": 0, "PresentPage": 0, "Items": []}
        return 200, {}, {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": result}

    def calls(self, method):
        return [r for r in self.requests if r["path"] == f"/{method}"]


@pytest.fixture
def qapi(settings):
    with QapiServer() as server:
        setattr(settings, QAPI.setting, server.url)
        yield server


def shop(password=PASSWORD, seller_key=None, issued_at=None):
    values = {"qoo10_api.user_id": USER}
    secrets = {"qoo10_api.api_key": API_KEY, "qoo10_api.password": password}
    if seller_key:
        secrets["qoo10_api.seller_key"] = seller_key
    if issued_at:
        values["qoo10_api.seller_key_issued_at"] = issued_at
    return make_shop("qoo10", values, secrets)


def at(*moment):
    return time_machine.travel(datetime(*moment, tzinfo=JST), tick=False)


# ---- the server refuses what QAPI refuses -----------------------------------------------------


def test_server_answers_an_unknown_key_with_error_code_in_http_200(qapi):
    response = requests.post(
        qapi.url + "/ItemsLookup.GetAllGoodsInfo",
        data={"ItemStatus": "S2", "returnType": "application/json"},
        headers={"GiosisCertificationKey": API_KEY, "QAPIVersion": "1.0"},  # not a seller key
    )
    assert response.status_code == 200 and response.json() == UNKNOWN


def test_server_refuses_an_item_status_it_does_not_accept(qapi):
    qapi.seller_keys.append("seller-key-x")
    response = requests.post(
        qapi.url + "/ItemsLookup.GetAllGoodsInfo",
        data={"ItemStatus": "S4", "returnType": "application/json"},
        headers={"GiosisCertificationKey": "seller-key-x", "QAPIVersion": "1.0"},
    )
    assert response.status_code == 200 and response.json()["ResultCode"] == -10009


# ---- the check --------------------------------------------------------------------------------


def test_the_stored_key_is_tested_and_no_new_one_is_obtained(qapi):
    qapi.seller_keys.append("seller-key-stored")
    with at(2026, 11, 26, 10):
        check = run(
            shop(seller_key="seller-key-stored", issued_at="2026-06-01T09:00:00+09:00"), "qoo10_api"
        )
    assert check.status == "success", check.detail
    assert qapi.calls("CertificationAPI.CreateCertificationKey") == []
    (call,) = qapi.calls("ItemsLookup.GetAllGoodsInfo")
    assert header(call, "GiosisCertificationKey") == "seller-key-stored"
    assert form(call)["ItemStatus"] == "S2"
    assert check.shop.get_secrets()["qoo10_api.seller_key"] == "seller-key-stored"


def test_without_a_key_one_is_obtained_stored_encrypted_and_used(qapi):
    with at(2026, 11, 26, 10):
        check = run(shop(), "qoo10_api")
    assert check.status == "success", check.detail
    assert qapi.seller_keys == ["seller-key-1"]
    assert check.shop.get_secrets()["qoo10_api.seller_key"] == "seller-key-1"
    assert check.shop.settings["qoo10_api.seller_key_issued_at"].startswith("2026-11-26T")
    assert (
        "seller-key-1" not in json.dumps(check.shop.settings) and "seller-key-1" not in check.detail
    )
    (call,) = qapi.calls("ItemsLookup.GetAllGoodsInfo")
    assert header(call, "GiosisCertificationKey") == "seller-key-1"


def test_a_key_a_year_old_is_replaced(qapi):
    qapi.seller_keys.append("seller-key-old")
    with at(2026, 11, 26, 10):
        check = run(
            shop(seller_key="seller-key-old", issued_at="2025-11-25T09:00:00+09:00"), "qoo10_api"
        )
    assert check.status == "success", check.detail
    assert len(qapi.calls("CertificationAPI.CreateCertificationKey")) == 1
    assert check.shop.get_secrets()["qoo10_api.seller_key"] == "seller-key-2"


def test_a_key_qoo10_no_longer_knows_is_replaced(qapi):
    with at(2026, 11, 26, 10):
        check = run(
            shop(seller_key="seller-key-void", issued_at="2026-10-01T09:00:00+09:00"), "qoo10_api"
        )
    assert check.status == "success", check.detail
    assert "refused" in check.detail
    assert check.shop.get_secrets()["qoo10_api.seller_key"] == "seller-key-1"


def test_a_wrong_password_fails_and_keeps_nothing(qapi):
    check = run(shop(password="wrong"), "qoo10_api")
    assert (check.status, check.code) == ("failed", "auth_failed")
    assert "qoo10_api.seller_key" not in check.shop.get_secrets()
    assert "wrong" not in check.detail


def test_a_new_password_makes_the_next_test_obtain_a_new_key(qapi):
    checked = shop(seller_key="seller-key-stored", issued_at="2026-06-01T09:00:00+09:00")
    updated, _changes = store.update(checked, store.Edit(secrets={"qoo10_api.password": PASSWORD}))
    assert "qoo10_api.seller_key_issued_at" not in updated.settings
    check = run(updated, "qoo10_api")
    assert check.status == "success", check.detail
    assert len(qapi.calls("CertificationAPI.CreateCertificationKey")) == 1


def test_server_refuses_a_call_without_its_version_or_return_type(qapi):
    qapi.seller_keys.append("seller-key-stored")
    url = f"{qapi.url}/ItemsLookup.GetAllGoodsInfo"
    key = {"GiosisCertificationKey": "seller-key-stored"}
    body = {"returnType": "application/json", "ItemStatus": "S2"}
    assert requests.post(url, headers=key, data=body, timeout=5).json() == UNKNOWN
    answer = requests.post(
        url, headers={**key, "QAPIVersion": "1.0"}, data={"ItemStatus": "S2"}, timeout=5
    ).json()
    assert answer["ResultCode"] == -10001


def test_a_new_seller_id_makes_the_test_obtain_a_key_for_it(qapi):
    """A seller key is one seller's: the stored key was issued for the old ID."""
    with at(2026, 11, 26, 10):
        first = run(shop(), "qoo10_api")
    assert first.status == "success", first.detail
    assert first.shop.settings["qoo10_api.seller_key_user"] == USER
    changed, _ = store.update(first.shop, store.Edit(values={"qoo10_api.user_id": "savaway_q2"}))
    with at(2026, 11, 26, 11):
        check = run(changed, "qoo10_api")
    assert check.status == "success", check.detail
    creates = qapi.calls("CertificationAPI.CreateCertificationKey")
    assert [form(c)["user_id"] for c in creates] == [USER, "savaway_q2"]
    assert check.shop.settings["qoo10_api.seller_key_user"] == "savaway_q2"
    assert check.shop.get_secrets()["qoo10_api.seller_key"] == "seller-key-2"
