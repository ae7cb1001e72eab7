import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from connectors.base import registry
from shops.models import Shop, ShopChange
from tests.mall_data import MALLS, post_data, secret_values

pytestmark = pytest.mark.django_db


def raw_rows() -> str:
    """Everything the database holds for shops and their history, as text."""
    with connection.cursor() as cursor:
        out = []
        for table in ("shops_shop", "shops_shopchange"):
            cursor.execute(f"SELECT * FROM {table}")
            out.append(json.dumps(cursor.fetchall(), default=str, ensure_ascii=False))
    return "\n".join(out)


def register(client, mall, **overrides):
    response = client.post(
        reverse("shops:create", args=[mall]), post_data(MALLS[mall], **overrides)
    )
    assert response.status_code == 302, _errors(response)
    return Shop.objects.get(code=response["Location"].split("/")[2])


def _errors(response):
    form = response.context and response.context.get("form")
    return form.errors.as_json() if form else response.status_code


def test_every_mall_has_test_data():
    assert set(MALLS) == set(registry.codes())


@pytest.mark.parametrize("mall", registry.codes())
def test_register_every_field_and_read_back(admin_client, mall):
    values = MALLS[mall]
    connector = registry.get(mall)
    shop = register(admin_client, mall)
    secrets = secret_values(connector, values)
    assert shop.get_secrets() == secrets
    for section, spec in connector.fields():
        fid = section.field_id(spec)
        if spec.secret:
            assert fid not in shop.settings
        elif values.get(fid) not in (None, ""):
            assert shop.settings[fid] == values[fid], fid
    # The database never holds a secret in plain text, nor does the history or the page.
    dump = raw_rows()
    page = admin_client.get(reverse("shops:edit", args=[shop.code])).content.decode()
    for secret in secrets.values():
        assert secret not in dump
        assert secret not in page
    for fid, secret in secrets.items():
        assert shop.secret_hints[fid] == (secret[-4:] if len(secret) >= 12 else "")


@pytest.mark.parametrize(
    "mall", [m for m in registry.codes() if secret_values(registry.get(m), MALLS[m])]
)
def test_edit_without_retyping_keeps_every_secret(admin_client, mall):
    shop = register(admin_client, mall)
    before = shop.get_secrets()
    blanks = {fid: "" for fid in before}
    response = admin_client.post(
        reverse("shops:edit", args=[shop.code]),
        post_data(MALLS[mall], short_name="改名", **blanks),
    )
    assert response.status_code == 302, _errors(response)
    shop.refresh_from_db()
    assert shop.short_name == "改名"
    assert shop.get_secrets() == before


def test_clearing_a_secret(admin_client):
    shop = register(admin_client, "rakuten")
    data = post_data(MALLS["rakuten"], **{"anshin_mail.password": ""})
    data["anshin_mail__password__clear"] = "on"
    # Clearing a required secret while its section is in use is refused...
    response = admin_client.post(reverse("shops:edit", args=[shop.code]), data)
    assert response.status_code == 200
    assert "このセクションを使う場合は必須です" in response.content.decode()
    shop.refresh_from_db()
    assert "anshin_mail.password" in shop.get_secrets()
    # ...but removing the section's values with it works.
    for name in ("server", "user", "port"):
        data[f"anshin_mail__{name}"] = ""
    response = admin_client.post(reverse("shops:edit", args=[shop.code]), data)
    assert response.status_code == 302, _errors(response)
    shop.refresh_from_db()
    assert "anshin_mail.password" not in shop.get_secrets()
    assert "anshin_mail.password" not in shop.secret_hints
    assert shop.get_secrets()["rakuten_api.license_key"] == "SL000001_licenseKeyValue0001"


def test_secret_hint_and_write_only_input(admin_client):
    shop = register(admin_client, "rakuten")
    page = admin_client.get(reverse("shops:edit", args=[shop.code])).content.decode()
    assert "設定済み(末尾 0001)" in page  # licenseKey ends in ...0001
    assert 'name="rakuten_api__license_key"' in page
    assert 'value="SL000001' not in page


@pytest.mark.parametrize(
    ("mall", "url", "expected"),
    [
        (
            "rakuten",
            "https://www.rakuten.co.jp/savaway/",
            {"ftp.user": "savaway", "rakuten_api.store_id": "savaway"},
        ),
        (
            "yahoo_shopping",
            "https://store.shopping.yahoo.co.jp/savaway/",
            {"ftp.user": "store-savaway", "yahoo_api.store_account": "savaway"},
        ),
        (
            "au_pay_market",
            "http://www.dena-ec.com/user/1234567",
            {"ftp.user": "u1234567", "wowma_api.shop_id": "1234567"},
        ),
    ],
)
def test_derived_ids_filled_on_save_when_blank(admin_client, mall, url, expected):
    blanks = {fid: "" for fid in expected}
    shop = register(admin_client, mall, url=url, **blanks)
    for fid, value in expected.items():
        assert shop.settings[fid] == value


def test_derived_mismatch_is_warned_not_refused(admin_client):
    response = admin_client.post(
        reverse("shops:create", args=["yahoo_shopping"]),
        post_data(MALLS["yahoo_shopping"], **{"ftp.user": "store-other"}),
        follow=True,
    )
    page = response.content.decode()
    assert "store-other" in page and "store-savaway" in page and "異なります" in page
    assert Shop.objects.get().settings["ftp.user"] == "store-other"


def test_fixed_values_are_prefilled(admin_client):
    expectations = {
        "rakuten": {
            "ftp__host": "upload.rakuten.ne.jp",
            "ftp__port": "22",
            "ftp__protocol": "sftp",
        },
        "yahoo_shopping": {"ftp__host": "ftp.castle.yahoofs.jp", "ftp__port": "21"},
        "au_pay_market": {"ftp__host": "csv.manager.wowma.jp", "ftp__port": "21"},
        "shoplist": {"ftp__host": "ftp.shop-list.com", "ftp__port": "21"},
        "yahoo_auction": {"auction_api__enabled": "use", "auction_api__preferred_key": "key1"},
        "amazon": {"sp_api__marketplace_id": "A1VC38T7YXB528"},
    }
    passive = {"rakuten": "1", "yahoo_shopping": "1", "au_pay_market": "0", "shoplist": "1"}
    for mall, fields in expectations.items():
        form = admin_client.get(reverse("shops:create", args=[mall])).context["form"]
        for name, value in fields.items():
            assert str(form[name].value()) == value, (mall, name)
        if mall in passive:
            assert form["ftp__passive"].value() == passive[mall]


def test_rakuten_offers_ftp_on_21_as_a_choice(admin_client):
    shop = register(admin_client, "rakuten", **{"ftp.protocol": "ftp", "ftp.port": 21})
    assert shop.settings["ftp.protocol"] == "ftp" and shop.settings["ftp.port"] == 21


@pytest.mark.parametrize(
    ("mall", "field", "value", "message"),
    [
        ("rakuten", "sender_mail.from_address", "shop@", "有効なメールアドレス"),
        ("rakuten", "ftp.port", 70000, "1 から 65535"),
        ("rakuten", "ftp.port", 0, "1 から 65535"),
        ("rakuten", "ftp.host", "ftp://upload.rakuten.ne.jp", "ホスト名"),
        ("rakuten", "anshin_mail.server", "mail server", "ホスト名"),
        ("rakuten", "rakuten_api.store_id", "https://www.rakuten.co.jp/savaway/", "店舗ID"),
        ("yahoo_shopping", "yahoo_api.public_key", "MIIBIjANBgkqhkiG9w0B", "BEGIN PUBLIC KEY"),
        ("yahoo_shopping", "yahoo_api.public_key_version", "v2", "整数"),
        ("yahoo_shopping", "yahoo_api.public_key_version", "", "一緒に入力"),
        ("au_pay_market", "wowma_api.shop_id", "abc", "会員番号"),
        ("amazon", "sp_api.seller_id", "seller-1", "出品者ID"),
        ("yahoo_auction", "auction_api.crypt_key2", "", "選択"),
        ("makeshop", "makeshop_api.host", "https://savaway.makeshop.jp/", "ホスト名"),
        ("qoo10", "qoo10_api.password", "", "必須"),
    ],
)
def test_bad_section_input_names_the_field_and_saves_nothing(
    admin_client, mall, field, value, message
):
    response = admin_client.post(
        reverse("shops:create", args=[mall]), post_data(MALLS[mall], **{field: value})
    )
    assert response.status_code == 200
    errors = response.context["form"].errors.get(field.replace(".", "__"))
    assert errors and message in " ".join(errors), errors
    assert not Shop.objects.exists()


def test_required_only_when_section_in_use(admin_client):
    # A Rakuten shop with no credentials at all is fine: every section is unused.
    data = {k: v for k, v in MALLS["rakuten"].items() if k == "url"}
    shop = register_raw(admin_client, "rakuten", data)
    assert shop.get_secrets() == {}
    assert shop.settings["ftp.user"] == "savaway"  # derived all the same
    # One licenseKey without serviceSecret: the section is in use, so the pair is required.
    data = dict(data, **{"rakuten_api.license_key": "SL-only-the-license"})
    response = admin_client.post(reverse("shops:create", args=["rakuten"]), post_data(data))
    assert "rakuten_api__service_secret" in response.context["form"].errors


def register_raw(client, mall, values):
    response = client.post(reverse("shops:create", args=[mall]), post_data(values))
    assert response.status_code == 302, _errors(response)
    return Shop.objects.get(code=response["Location"].split("/")[2])


def test_operator_registers_with_credentials_but_cannot_change_them(operator_client):
    shop = register(operator_client, "qoo10")
    assert shop.get_secrets()["qoo10_api.api_key"] == "qoo10-api-key-0013"
    page = operator_client.get(reverse("shops:edit", args=[shop.code])).content.decode()
    assert "管理者のみ" in page
    data = post_data(
        MALLS["qoo10"],
        short_name="略称変更",
        **{"qoo10_api.api_key": "stolen-new-key", "qoo10_api.user_id": "x"},
    )
    data["qoo10_api__password__clear"] = "on"
    response = operator_client.post(reverse("shops:edit", args=[shop.code]), data)
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.short_name == "略称変更"
    assert shop.get_secrets()["qoo10_api.api_key"] == "qoo10-api-key-0013"
    assert shop.get_secrets()["qoo10_api.password"] == "qoo10-pass-0014"
    assert shop.settings["qoo10_api.user_id"] == "savaway_q"


def test_history_masks_secrets(admin_client):
    shop = register(admin_client, "au_pay_market")
    admin_client.post(
        reverse("shops:edit", args=[shop.code]),
        post_data(
            MALLS["au_pay_market"],
            **{"wowma_api.api_key": "au-new-api-key-9999", "ftp.password": ""},
        ),
    )
    entries = list(ShopChange.objects.filter(shop=shop).order_by("at", "pk"))
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].username == "admin"
    assert entries[1].changes == [
        {"field": "wowma_api.api_key", "old": "********", "new": "***CHANGED***"}
    ]
    page = admin_client.get(reverse("shops:edit", args=[shop.code])).content.decode()
    assert "変更履歴" in page and "設定済み → 新しい値(非表示)" in page and "APIキー" in page
    assert "au-new-api-key-9999" not in page and "au-new-api-key-9999" not in raw_rows()


def test_after_save_sections_appear_after_registration(admin_client):
    page = admin_client.get(reverse("shops:create", args=["ebay"])).content.decode()
    assert "eBayにログイン" in page and "登録後に利用できます" in page
    response = admin_client.post(
        reverse("shops:create", args=["ebay"]), post_data(MALLS["ebay"]), follow=True
    )
    page = response.content.decode()
    assert "登録されたので" in page
    assert "まだサインインしていません" in page


def test_rotate_encryption_keys(admin_client, settings, capsys):
    from cryptography.fernet import Fernet

    old = settings.FIELD_ENCRYPTION_KEYS[0]
    for mall in ("rakuten", "qoo10", "makeshop"):
        register(admin_client, mall)
    before = {s.pk: s.get_secrets() for s in Shop.objects.all()}
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys", "--batch-size", "2")
    assert "3" in capsys.readouterr().out
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone
    assert {s.pk: s.get_secrets() for s in Shop.objects.all()} == before
    call_command("rotate_encryption_keys")  # restartable: running again is harmless
    assert {s.pk: s.get_secrets() for s in Shop.objects.all()} == before


def test_rotate_skips_a_shop_whose_secrets_cannot_be_opened(admin_client, settings):
    from cryptography.fernet import Fernet
    from django.core.management import CommandError

    unreadable = register(admin_client, "qoo10")
    token = unreadable.secrets
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    readable = register(admin_client, "qoo10")  # written under the new key
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, settings.FIELD_ENCRYPTION_KEYS[0]]
    with pytest.raises(CommandError, match=f"1 shop\\(s\\) re-encrypted.*{unreadable.code}"):
        call_command("rotate_encryption_keys")
    unreadable.refresh_from_db()
    assert unreadable.secrets == token  # left as it was, readable again with its old key
    settings.FIELD_ENCRYPTION_KEYS = [old]
    assert unreadable.get_secrets()
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the other shop went on: now under the new key
    readable.refresh_from_db()
    assert readable.get_secrets()


@pytest.mark.parametrize("mall", registry.codes())
def test_every_input_appears_once_in_manual_order(admin_client, make_shop, mall):
    import re

    shop = make_shop(mall)
    page = admin_client.get(reverse("shops:edit", args=[shop.code])).content.decode()
    names = re.findall(r'<(?:input|select|textarea)[^>]* name="([^"]+)"', page)
    # The page's own inputs (CSRF, language switch, kept-secrets token) are not the shop's.
    names = [
        n
        for n in names
        if n not in ("csrfmiddlewaretoken", "next", "language", "q", "kept_secrets")
    ]
    # Radio buttons share a name; any other repeat is a field rendered twice.
    names = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]
    assert len(names) == len(set(names)), names
    connector = registry.get(mall)
    from shops.forms import COMMON_FIELDS

    expected = list(COMMON_FIELDS) + [
        f"{section.key}__{spec.name}" for section, spec in connector.fields()
    ]
    assert [n for n in names if not n.endswith("__clear")] == expected
