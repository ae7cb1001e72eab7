"""au PAY マーケット: data and the shop API's searchStocks server."""

import pytest

from connectors.malls.au_pay_market import WOWMA_API
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


# ---- the local shop API -------------------------------------------------------------------


pytestmark = pytest.mark.django_db
KEY = "au-api-key-abcdef123456"


def routes(expired=False):
    def stocks(request):
        if request["headers"].get("Authorization") != f"Bearer {KEY}":
            return 401, {}, "<response><result><status>1</status></result></response>"
        if expired:
            return (
                200,
                {},
                (
                    "<response><result><status>1</status><error><code>PMC0006"
                    "</code><message>API key expired</message></error></result>"
                    "</response>"
                ),
            )
        return (
            200,
            {"Content-Type": "application/xml"},
            "<response><result><status>0</status></result><totalCount>0</totalCount></response>",
        )

    return {("GET", "/searchStocks"): stocks}


@pytest.mark.parametrize(
    ("key", "expired", "status", "code"),
    [
        (KEY, False, "success", "ok"),
        ("au-wrong-key-000000", False, "failed", "auth_failed"),
        (KEY, True, "failed", "key_expired"),
    ],
)
def test_bearer_key(settings, key, expired, status, code):
    with HttpServer(routes(expired)) as api:
        setattr(settings, WOWMA_API.setting, api.url)
        shop = make_shop(
            "au_pay_market", {"wowma_api.shop_id": "1234567"}, {"wowma_api.api_key": key}
        )
        check = run(shop, "wowma_api")
        assert "shopId=1234567" in api.requests[0]["query"]
    assert (check.status, check.code) == (status, code)
