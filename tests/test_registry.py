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


def test_a_section_carries_the_messages_of_the_codes_only_its_mall_reports():
    """The connector is the one place that knows a mall: 楽天's 有効化待ち, au PAY's IP and
    Yahoo!'s signature messages are declared by their sections, not in the shared table."""
    from connectors.checks import MESSAGES, message_for
    from connectors.sections import Section

    rakuten_api = registry.get("rakuten").section("rakuten_api")
    assert "activation_pending" not in MESSAGES
    assert "有効化" in str(message_for("activation_pending", rakuten_api))
    assert message_for("activation_pending") == MESSAGES["unexpected"]  # without its section
    assert message_for("auth_failed", rakuten_api) == MESSAGES["auth_failed"]

    class Shadowing(Connector):
        code, label = "shadowing", "上書き"
        sections = (Section(key="api", title="API"),)

    Shadowing.sections[0].messages = {"auth_failed": "別の意味"}
    with pytest.raises(ImproperlyConfigured, match="shared code"):
        Registry().register(Shadowing)
