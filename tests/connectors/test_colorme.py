"""カラーミーショップ: data and the shop API server."""

import pytest

from connectors.malls.colorme import COLORME_API
from tests.helpers import make_shop, run
from tests.servers import HttpServer

DATA = {
    "url": "https://savaway.shop-pro.jp/",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
}


# ---- the local shop API -------------------------------------------------------------------


pytestmark = pytest.mark.django_db


def routes():
    return {
        ("GET", "/v1/shop.json"): lambda r: (
            (200, {}, {"shop": {"id": "PA01"}})
            if r["headers"].get("Authorization") == "Bearer colorme-token"
            else (401, {}, {"errors": []})
        )
    }


def test_calls_the_shop_api_with_the_token(settings):
    with HttpServer(routes()) as api:
        setattr(settings, COLORME_API.setting, api.url)
        good = run(
            make_shop("colorme", secrets={"colorme_api.access_token": "colorme-token"}),
            "colorme_api",
        )
        bad = run(
            make_shop("colorme", secrets={"colorme_api.access_token": "revoked"}), "colorme_api"
        )
    assert good.status == "success" and (bad.status, bad.code) == ("failed", "auth_failed")
