"""Details a demanding user noticed in a review of the whole console (each was a defect)."""

import pytest
from django.test import Client
from django.urls import reverse

from monitoring import notify
from shops.models import Shop
from tests.helpers import make_shop
from tests.mall_data import MALLS, PEM, post_data
from tests.servers import HttpServer

pytestmark = pytest.mark.django_db


def test_the_admin_site_cannot_delete_a_shop_behind_the_history(admin_client):
    shop = make_shop("other")
    url = reverse("admin:shops_shop_delete", args=[shop.pk])
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Shop.objects.filter(pk=shop.pk).exists()
    listing = admin_client.get(reverse("admin:shops_shop_changelist")).content.decode()
    assert "delete_selected" not in listing
    assert "その他(電話・FAX)" in listing  # the mall's name, not its code


def test_imported_records_cannot_be_made_up_in_the_admin(admin_client):
    for model in ("order", "importjob"):
        assert admin_client.get(reverse(f"admin:orders_{model}_add")).status_code == 403


def test_a_public_key_must_be_a_readable_key(admin_client):
    values = dict(MALLS["yahoo_shopping"])
    values["yahoo_api.public_key"] = (
        "-----BEGIN PUBLIC KEY-----\nnot base64 at all !!!\n-----END PUBLIC KEY-----"
    )
    response = admin_client.post(
        reverse("shops:create", args=["yahoo_shopping"]), post_data(values)
    )
    assert response.status_code == 200
    assert "公開鍵として読み取れません" in str(response.context["form"].errors)
    assert not Shop.objects.exists()
    values["yahoo_api.public_key"] = PEM  # a real key
    ok = admin_client.post(reverse("shops:create", args=["yahoo_shopping"]), post_data(values))
    assert ok.status_code == 302


@pytest.mark.parametrize("page", ["abc", "999", "-1", "%00"])
def test_a_page_number_nobody_has_shows_a_page_not_an_error(admin_client, page):
    make_shop("other")
    for name in ("shops:list", "shops:expiries", "orders:list", "orders:products"):
        response = admin_client.get(reverse(name), {"page": page})
        assert response.status_code == 200, (name, page)


def test_a_signed_in_user_without_the_admin_is_told_so(client, viewer):
    client.force_login(viewer)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "許可されていません" in response.content.decode()


def test_a_failed_test_message_says_why_in_japanese():
    with HttpServer({}) as server:  # answers 404 to everything
        port = server.url.rsplit(":", 1)[1]
        outcome = notify.send_chat(f"json://127.0.0.1:{port}/hook", "件名", "本文", guard=False)
    assert not outcome.ok
    assert outcome.error == "送信先が HTTP 404 を返しました"


def test_a_destination_whose_host_does_not_resolve_now_can_still_be_saved():
    url = "json://hooks.invalid/alerts/token-12345678"
    assert notify.check_url(url, must_resolve=False) == "json"
    with pytest.raises(notify.InvalidURL):
        notify.check_url(url)  # a send checks it again


def test_browsers_find_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")


def test_a_product_set_by_the_stock_csv_can_still_be_edited(client, operator):
    from orders.models import Product

    product = Product.objects.create(code="BIG-1", name="大量", expected_stock=1_500_000_000)
    client.force_login(operator)
    response = client.post(
        reverse("orders:product_edit", args=[product.pk]),
        {"code": "BIG-1", "name": "大量(改名)", "expected_stock": "1500000000"},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "大量(改名)"


def test_the_sign_in_state_says_nothing_about_features_in_preparation(admin_client):
    shop = make_shop("yahoo_shopping", {"yahoo_api.store_account": "savaway"})
    page = admin_client.get(reverse("shops:edit", args=[shop.code])).content.decode()
    assert "まだサインインしていません。" in page and "準備中" not in page


def test_the_api_speaks_japanese_for_a_bad_page_or_a_missing_shop(operator):
    from api import tokens

    _row, raw = tokens.issue(operator, "review")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    bad_page = api.get("/api/v1/shops", {"page": "abc"})
    assert bad_page.status_code == 422
    assert "整数を入力してください。" in bad_page.json()["errors"][0]["messages"]
    missing = api.get("/api/v1/shops/S99999")
    assert missing.status_code == 404 and missing.json()["detail"] == "見つかりません。"
