import re

import pytest
from django.urls import reverse

from connectors.base import registry
from shops.models import Shop, ShopCode

pytestmark = pytest.mark.django_db

VALID = {
    "name": "株式会社サバウェイ 本店",
    "short_name": "サバウェイ楽天",
    "url": "https://www.rakuten.co.jp/savaway/",
    "mobile_url": "",
    "manager_name": "山田 太郎",
    "genre": "food",
}


def test_every_page_but_login_requires_login(client, make_shop):
    shop = make_shop()
    for url in [
        reverse("shops:list"),
        reverse("shops:pick_mall"),
        reverse("shops:create", args=["rakuten"]),
        reverse("shops:edit", args=[shop.code]),
        reverse("shops:delete", args=[shop.code]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    assert client.get(reverse("login")).status_code == 200


def test_login_with_wrong_password_shows_japanese_error(client, operator):
    response = client.post(reverse("login"), {"username": "operator", "password": "wrong"})
    assert response.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in response.content.decode()


def test_login_then_list(client, operator):
    from tests.conftest import PASSWORD

    response = client.post(
        reverse("login"), {"username": "operator", "password": PASSWORD}, follow=True
    )
    page = response.content.decode()
    assert "連携ショップ基本設定" in page
    assert "連携ショップ新規追加" in page


def test_mall_picker_lists_all_fourteen_malls(operator_client):
    page = operator_client.get(reverse("shops:pick_mall")).content.decode()
    for connector in registry.all():
        assert connector.label in page
        assert reverse("shops:create", args=[connector.code]) in page


@pytest.mark.parametrize("mall", registry.codes())
def test_register_shop_for_every_mall(operator_client, mall):
    response = operator_client.post(reverse("shops:create", args=[mall]), VALID)
    shop = Shop.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("shops:edit", args=[shop.code])
    assert shop.mall == mall
    assert re.fullmatch(r"S\d{5}", shop.code)
    assert shop.name == VALID["name"] and shop.genre == "food"
    if registry.get(mall).imports_order_mail:
        assert shop.order_mail_address.endswith("@orders.example.com")
        assert shop.order_mail_address.startswith(shop.code.lower() + "-")
    else:
        assert shop.order_mail_address is None
    listing = operator_client.get(reverse("shops:list")).content.decode()
    assert shop.code in listing and VALID["short_name"] in listing
    assert registry.get(mall).label in listing


def test_order_mail_shown_read_only_for_mail_malls_only(operator_client, make_shop):
    rakuten = make_shop("rakuten")
    amazon = make_shop("amazon", url="https://www.amazon.co.jp/shops/A1")
    page = operator_client.get(reverse("shops:edit", args=[rakuten.code])).content.decode()
    assert rakuten.order_mail_address in page
    assert 'name="order_mail_address"' not in page
    page = operator_client.get(reverse("shops:edit", args=[amazon.code])).content.decode()
    assert "受注メール転送先メールアドレス" not in page


def test_order_mail_addresses_are_unique(make_shop):
    addresses = {make_shop().order_mail_address for _ in range(20)}
    assert len(addresses) == 20


def test_shop_code_is_never_reused_after_delete(admin_client, make_shop):
    first = make_shop()
    second = make_shop()
    admin_client.post(reverse("shops:delete", args=[second.code]))
    assert not Shop.objects.filter(code=second.code).exists()
    third = make_shop()
    assert third.code not in {first.code, second.code}
    assert ShopCode.objects.count() == 3


def test_delete_asks_for_confirmation_first(admin_client, make_shop):
    shop = make_shop()
    page = admin_client.get(reverse("shops:delete", args=[shop.code])).content.decode()
    assert "削除" in page and shop.code in page
    assert Shop.objects.filter(pk=shop.pk).exists()


def test_operator_cannot_delete(operator_client, make_shop):
    shop = make_shop()
    assert operator_client.post(reverse("shops:delete", args=[shop.code])).status_code == 403
    assert Shop.objects.filter(pk=shop.pk).exists()


def test_user_without_permissions_is_refused(client, make_user):
    client.force_login(make_user("nobody"))
    assert client.get(reverse("shops:list")).status_code == 403
    assert client.post(reverse("shops:create", args=["rakuten"]), VALID).status_code == 403
    assert not Shop.objects.exists()


def test_mall_cannot_be_changed_on_edit(operator_client, make_shop):
    shop = make_shop("rakuten")
    data = dict(VALID, mall="amazon", code="S99999", order_mail_address="x@example.com")
    response = operator_client.post(reverse("shops:edit", args=[shop.code]), data)
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.mall == "rakuten" and shop.code != "S99999"
    assert shop.order_mail_address != "x@example.com"


def test_edit_saves_common_record(operator_client, make_shop):
    shop = make_shop()
    data = dict(VALID, short_name="新しい略称", mobile_url="https://www.rakuten.co.jp/savaway/")
    operator_client.post(reverse("shops:edit", args=[shop.code]), data)
    shop.refresh_from_db()
    assert shop.short_name == "新しい略称"
    assert shop.mobile_url == "https://www.rakuten.co.jp/savaway/"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "このフィールドは必須です。"),
        ("short_name", "", "このフィールドは必須です。"),
        ("url", "", "このフィールドは必須です。"),
        ("url", "ftp://upload.rakuten.ne.jp/", "http:// または https:// で始まる"),
        ("url", "ショップのURL", "http:// または https:// で始まる"),
        ("mobile_url", "javascript:alert(1)", "http:// または https:// で始まる"),
        ("genre", "weapons", "正しく選択してください"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(operator_client, field, value, message):
    response = operator_client.post(
        reverse("shops:create", args=["rakuten"]), dict(VALID, **{field: value})
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "入力内容を確認してください" in page
    error = re.search(rf'<p class="error" id="id_{field}-error">(.*?)</p>', page)
    assert error and message in error.group(1)
    assert not Shop.objects.exists()
    assert not ShopCode.objects.exists()


def test_unknown_mall_is_404(operator_client):
    assert operator_client.get(reverse("shops:create", args=["wowma"])).status_code == 404


def test_search_filter_and_pagination(operator_client, make_shop, settings):
    settings.SHOPS_PER_PAGE = 5
    target = make_shop("qoo10", name="Qoo10 本店", short_name="きゅーてん")
    for i in range(11):
        make_shop("rakuten", short_name=f"楽天{i:02d}")
    page = operator_client.get(reverse("shops:list"), {"q": "きゅーてん"}).content.decode()
    assert target.code in page and "楽天00" not in page
    page = operator_client.get(reverse("shops:list"), {"q": target.code}).content.decode()
    assert "きゅーてん" in page and "楽天00" not in page
    page = operator_client.get(reverse("shops:list"), {"mall": "qoo10"}).content.decode()
    assert "きゅーてん" in page and "楽天00" not in page
    first = operator_client.get(reverse("shops:list"), {"mall": "rakuten"}).content.decode()
    assert "11 件" in first and "1 / 3 ページ" in first
    assert "mall=rakuten&amp;page=2" in first
    third = operator_client.get(reverse("shops:list"), {"mall": "rakuten", "page": 3})
    assert third.content.decode().count("楽天1") == 1  # 楽天10 only, sorted by code


def test_language_switch_to_english(operator_client):
    response = operator_client.post(
        reverse("set_language"), {"language": "en", "next": reverse("shops:list")}, follow=True
    )
    page = response.content.decode()
    assert "Linked shop settings" in page and "Add a linked shop" in page
    assert "連携ショップ新規追加" not in page


def test_admin_site_for_superusers(admin_client, make_shop):
    shop = make_shop()
    assert admin_client.get(reverse("admin:shops_shop_changelist")).status_code == 200
    assert shop.code in admin_client.get(reverse("admin:shops_shop_changelist")).content.decode()


def test_japanese_even_when_the_browser_asks_for_english(operator_client):
    page = operator_client.get(reverse("shops:list"), HTTP_ACCEPT_LANGUAGE="en-US,en").content
    assert "連携ショップ基本設定" in page.decode()
