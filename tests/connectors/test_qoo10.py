"""Qoo10: data and the QAPI certification server."""

import json

import pytest

from connectors.malls.qoo10 import QAPI
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


# ---- the local QAPI server ----------------------------------------------------------------


pytestmark = pytest.mark.django_db


def routes():
    def certify(request):
        form = dict(p.split("=", 1) for p in request["body"].split("&"))
        ok = (
            request["headers"].get("GiosisCertificationKey") == "qoo10-api-key"
            and form.get("user_id") == "savaway_q"
            and form.get("pwd") == "qoo10-pass"
        )
        if not ok:
            return 200, {}, {"ResultCode": -10001, "ResultMsg": "Invalid user", "ResultObject": ""}
        return (
            200,
            {},
            {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": "seller-auth-key-from-qoo10"},
        )

    return {("POST", "/CertificationAPI.CreateCertificationKey"): certify}


def test_certification_key_is_stored_encrypted(settings):
    with HttpServer(routes()) as api:
        setattr(settings, QAPI.setting, api.url)
        shop = make_shop(
            "qoo10",
            {"qoo10_api.user_id": "savaway_q"},
            {"qoo10_api.api_key": "qoo10-api-key", "qoo10_api.password": "qoo10-pass"},
        )
        check = run(shop, "qoo10_api")
        bad = make_shop(
            "qoo10",
            {"qoo10_api.user_id": "savaway_q"},
            {"qoo10_api.api_key": "qoo10-api-key", "qoo10_api.password": "wrong"},
        )
        failed = run(bad, "qoo10_api")
    assert check.status == "success"
    assert check.shop.get_secrets()["qoo10_api.seller_key"] == "seller-auth-key-from-qoo10"
    assert "seller-auth-key-from-qoo10" not in json.dumps(check.shop.settings)
    assert (failed.status, failed.code) == ("failed", "auth_failed")
