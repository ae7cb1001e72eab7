"""Hostile requests (issue J, items 5 and 9, and "nothing half-saved"): uploads over the limit
are refused before the body is stored, the template zip needs a role, the per-user limit on
connection tests holds under 40 parallel requests, a その他 shop holding orders is not
deleted and nothing is recorded, and a change whose history cannot be written is not saved."""

import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from django.test import Client
from django.test.client import FakePayload, encode_multipart
from django.urls import reverse
from django.utils import timezone

from orders import jobs
from orders.models import ImportJob, Order
from shops import tasks
from shops.models import ConnectionCheck, CredentialExpiry, Shop, ShopChange
from tempostar.roles import OPERATOR, VIEWER
from tests.conftest import with_role
from tests.mall_data import MALLS, post_data

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("no_remembered_secrets", "private_var_dir"),
]


BOUNDARY = "hostileBoundary"


class CountingPayload(FakePayload):
    """A request body that counts what the server reads of it."""

    def __init__(self, content):
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size=-1, /):
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size=-1, /):
        data = super().readline(size)
        self.bytes_read += len(data)
        return data


def post_file(client, url, size):
    body = encode_multipart(
        BOUNDARY, {"file": SimpleUploadedFile("orders.csv", b"x" * size, "text/csv")}
    )
    payload = CountingPayload(body)
    response = client.post(
        url,
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **{"wsgi.input": payload},
    )
    return response, payload, len(body)


def stored_uploads(settings) -> list[Path]:
    folder = Path(settings.VAR_DIR) / "imports"
    return list(folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def other_shop(db):
    return Shop.objects.create(
        mall="other", name="サバウェイ電話注文", short_name="電話", url="https://tel.example.jp/"
    )


@pytest.mark.parametrize("target", ["orders", "stock"])
def test_an_upload_declared_over_the_limit_is_refused_before_its_body_is_read(
    operator_client, other_shop, settings, target
):
    settings.IMPORT_MAX_BYTES = 10_000
    url = (
        reverse("orders:import", args=[other_shop.code])
        if target == "orders"
        else reverse("orders:stock_import")
    )
    before = stored_uploads(settings)
    response, payload, length = post_file(operator_client, url, 200_000)
    assert payload.bytes_read == 0 < length  # not a byte of the body was read
    assert response.status_code == 302
    page = operator_client.get(response["Location"]).content.decode()
    assert "ファイルが大きすぎます" in page and "10,000 バイト" in page
    assert not ImportJob.objects.exists() and stored_uploads(settings) == before


def test_an_upload_that_grows_past_the_limit_is_stopped_while_it_streams(
    operator_client, other_shop, settings
):
    # Within the multipart allowance, so the header lets it in: the upload handler stops it.
    settings.IMPORT_MAX_BYTES = 10_000
    response, _payload, _length = post_file(
        operator_client, reverse("orders:import", args=[other_shop.code]), 30_000
    )
    assert response.status_code == 302
    assert "ファイルが大きすぎます" in operator_client.get(response["Location"]).content.decode()
    assert not ImportJob.objects.exists() and stored_uploads(settings) == []


def test_an_upload_at_the_limit_is_imported(operator_client, other_shop, settings):
    settings.IMPORT_MAX_BYTES = 10_000
    response, _payload, _length = post_file(
        operator_client, reverse("orders:import", args=[other_shop.code]), 10_000
    )
    assert response.status_code == 302 and ImportJob.objects.count() == 1


def test_create_job_refuses_an_upload_over_the_limit_before_writing(other_shop, settings):
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(jobs.UploadTooLarge):
        jobs.create_job(ImportJob.ORDERS, SimpleUploadedFile("a.csv", b"x" * 101), shop=other_shop)
    assert stored_uploads(settings) == [] and not ImportJob.objects.exists()


@pytest.mark.parametrize("size", [200_000, 30_000])  # declared too large / grows too large
def test_the_api_refuses_an_upload_over_the_limit_before_storing_it(
    operator, other_shop, settings, size
):
    """The API's order import stored the whole body, then answered 500 (UploadTooLarge)."""
    from django.core.cache import cache

    from api import tokens

    cache.clear()
    settings.IMPORT_MAX_BYTES = 10_000
    _token, raw = tokens.issue(operator, "upload")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    url = f"/api/v1/shops/{other_shop.code}/order-imports"
    response, payload, length = post_file(client, url, size)
    assert response.status_code == 413
    assert "ファイルが大きすぎます" in response.json()["detail"]
    if size == 200_000:
        assert payload.bytes_read == 0 < length
    assert not ImportJob.objects.exists() and stored_uploads(settings) == []


# ---- the template zip ------------------------------------------------------------------------


def test_a_user_without_a_role_cannot_download_the_template(client, make_user):
    url = reverse("orders:template")
    nobody = make_user("nobody")
    client.force_login(nobody)
    assert client.get(url).status_code == 403
    client.force_login(with_role(make_user("viewer"), VIEWER))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"


# ---- the per-user limit under concurrency --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_forty_parallel_check_requests_let_exactly_the_limit_through(
    make_user, make_shop, settings, monkeypatch
):
    settings.CHECK_SHOP_INTERVAL = 0
    settings.CHECK_RATE_PER_USER = 20
    monkeypatch.setattr(tasks, "send_checks", lambda ids: None)  # no broker needed
    user = with_role(make_user("racer"), OPERATOR)
    shops = [make_shop("rakuten") for _ in range(40)]
    clients = []
    for _shop in shops:
        c = Client()
        c.force_login(user)
        clients.append(c)
    barrier = threading.Barrier(len(shops))
    statuses, errors = [], []

    def request(client, shop):
        try:
            barrier.wait(timeout=30)
            url = reverse("shops:check", args=[shop.code, "ftp"])
            statuses.append(client.post(url, HTTP_HX_REQUEST="true").status_code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=request, args=pair) for pair in zip(clients, shops, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sorted(statuses) == [202] * 20 + [429] * 20
    assert ConnectionCheck.objects.filter(requested_by=user).count() == 20


# ---- deleting a その他 shop that holds orders ------------------------------------------------


def test_deleting_an_other_shop_with_orders_is_refused_and_records_nothing(
    admin_client, other_shop
):
    Order.objects.create(
        shop=other_shop, order_number="TEL-1", ordered_at=timezone.now(), customer_name="髙橋"
    )
    response = admin_client.post(reverse("shops:delete", args=[other_shop.code]), follow=True)
    assert response.status_code == 200
    assert "取り込み済みの受注があるため削除できません" in response.content.decode()
    assert Shop.objects.filter(pk=other_shop.pk).exists()
    assert not ShopChange.objects.filter(action=ShopChange.DELETE).exists()


# ---- nothing half-saved ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # as in production: the request's own transaction
def test_a_change_whose_history_cannot_be_written_saves_nothing(admin_client, monkeypatch):
    data = post_data(MALLS["rakuten"], **{"rakuten_api.license_issued_on": "2026-11-01"})
    admin_client.post(reverse("shops:create", args=["rakuten"]), data)
    shop = Shop.objects.get()

    def snapshot():
        shop.refresh_from_db()
        return (
            shop.short_name,
            dict(shop.settings),
            shop.secrets,
            list(CredentialExpiry.objects.values_list("credential", "expires_at")),
            ShopChange.objects.count(),
        )

    before = snapshot()

    def history_fails(self, *args, **kwargs):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(ShopChange, "save", history_fails)
    edit = post_data(
        MALLS["rakuten"],
        short_name="新しい略称",
        **{
            "rakuten_api.license_key": "SL-new-license-key-0002",
            "rakuten_api.license_issued_on": "2026-11-20",
            "ftp.user": "changed-user",
        },
    )
    with pytest.raises(DatabaseError):
        admin_client.post(reverse("shops:edit", args=[shop.code]), edit)
    monkeypatch.undo()
    assert snapshot() == before  # the shop, its secrets, its expiries: all as they were


@pytest.mark.parametrize("target", ["orders", "stock"])
def test_the_upload_views_still_check_the_csrf_token(operator, other_shop, target):
    """Their CSRF check runs inside the view, after the upload limit is in place."""
    url = (
        reverse("orders:import", args=[other_shop.code])
        if target == "orders"
        else reverse("orders:stock_import")
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    csv = "商品コード,商品名,想定在庫数\nSAVA-1,さば缶,5\n".encode()
    refused = client.post(url, {"file": SimpleUploadedFile("a.csv", csv, "text/csv")})
    assert refused.status_code == 403 and not ImportJob.objects.exists()
    client.get(reverse("orders:import", args=[other_shop.code]))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        url, {"file": SimpleUploadedFile("a.csv", csv, "text/csv"), "csrfmiddlewaretoken": token}
    )
    assert accepted.status_code == 302 and ImportJob.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("admins", [[], [("Ops", "ops@example.jp")]])
def test_too_many_query_parameters_answer_400_and_at_most_one_mail(settings, mailoutbox, admins):
    """1,001 query parameters (Django's DATA_UPLOAD_MAX_NUMBER_FIELDS is 1,000) made the error
    mail's report read the query string again, raise again at every middleware layer for
    about 18 s of CPU, and end in a 500; with nobody in ADMINS the report was built anyway."""
    settings.ADMINS = admins
    settings.DEBUG = False
    query = "&".join(f"a{i}=1" for i in range(1001))
    response = Client(raise_request_exception=True).get(f"/login/?{query}")
    assert response.status_code == 400
    assert len(mailoutbox) <= len(admins)
    if admins:
        assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in mailoutbox[0].subject


def test_the_bulk_shop_page_still_checks_the_csrf_token(manager):
    """Its CSRF check also runs inside the view, after the upload limit is in place."""
    from shops.models import Shop

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    data = b"mall,name,short_name,url\r\nother,a,b,https://t.example.jp/\r\n"
    url = reverse("shop_import")
    assert client.post(url, {"file": SimpleUploadedFile("s.csv", data)}).status_code == 403
    client.get(url)  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    checked = client.post(
        url, {"file": SimpleUploadedFile("s.csv", data), "csrfmiddlewaretoken": token}
    )
    assert checked.status_code == 200
    assert client.post(url, {"action": "import"}).status_code == 403
    done = client.post(url, {"action": "import", "csrfmiddlewaretoken": token})
    assert done.status_code == 200 and Shop.objects.count() == 1
