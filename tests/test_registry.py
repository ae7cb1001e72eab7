import pytest
from django.core.exceptions import ImproperlyConfigured

from connectors.base import Connector, Registry, registry

EXPECTED = {
    "rakuten": "楽天市場",
    "yahoo_shopping": "Yahoo!ショッピング",
    "au_pay_market": "au PAY マーケット",
    "amazon": "Amazon",
    "ponparemall": "ポンパレモール",
    "yahoo_auction": "Yahoo!オークション(旧ヤフオク!)",
    "shoplist": "SHOPLIST",
    "gurunavi": "ぐるなび食市場",
    "qoo10": "Qoo10",
    "ebay": "eBay",
    "makeshop": "MakeShop",
    "shopserve": "ショップサーブ",
    "colorme": "カラーミーショップ",
    "shopify": "Shopify",
    "base": "BASE",
    "other": "その他(電話・FAX)",
}
ORDER_MAIL_MALLS = {
    "rakuten",
    "yahoo_shopping",
    "au_pay_market",
    "ponparemall",
    "shoplist",
    "shopserve",
    "colorme",
}


def test_every_mall_registered_in_manual_order():
    assert registry.codes() == list(EXPECTED)
    assert dict(registry.choices()) == EXPECTED


def test_order_mail_malls_match_design():
    assert {c.code for c in registry.all() if c.imports_order_mail} == ORDER_MAIL_MALLS


def test_registering_a_code_twice_raises():
    reg = Registry()

    class First(Connector):
        code, label = "dup", "一つ目"

    class Second(Connector):
        code, label = "dup", "二つ目"

    reg.register(First)
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        reg.register(Second)
    assert reg.get("dup") is First


def test_connector_needs_code_and_label():
    class Nameless(Connector):
        pass

    with pytest.raises(ImproperlyConfigured):
        Registry().register(Nameless)


def test_unknown_code_is_a_lookup_error():
    with pytest.raises(LookupError):
        registry.get("nope")
