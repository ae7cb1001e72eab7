"""ポンパレモール: data; the mall offers no outside check."""

import pytest

from tests.helpers import make_shop, run

DATA = {
    "url": "https://store.ponparemall.com/savaway/",
    "ponpare.login_id": "savaway-pon",
    "ponpare.password": "pon-pass-0008",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
    "product_key.key": "item_code",
}


@pytest.mark.django_db
def test_without_a_public_check_it_says_so():
    check = run(make_shop("ponparemall"), "ponpare")
    assert (check.status, check.code) == ("untested", "not_testable")
    assert "確認する方法がありません" in check.message
