"""ショップサーブ: data; the mall offers no outside check."""

import pytest

from tests.helpers import make_shop, run

DATA = {
    "url": "https://www.savaway.example.jp/",
    "shopserve.shop_id": "savaway-ss",
    "shopserve.password": "ss-pass-0016",
    "shopserve.manager_key": "ss-manager-key-0017",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
    "product_key.key": "option_code",
}


@pytest.mark.django_db
def test_without_a_public_check_it_says_so():
    check = run(make_shop("shopserve"), "shopserve")
    assert (check.status, check.code) == ("untested", "not_testable")
    assert "確認する方法がありません" in check.message
