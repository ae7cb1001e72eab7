"""The read-only shop page and the 受注 page on the server side: who may open them, what a
query string can do to them, and what they leave out. (What they look like is in
test_browser_pages.py.)"""

import pytest
from django.urls import reverse

from connectors.checks import MESSAGES
from scripts.demo_data import populate

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    return populate()


def test_the_shop_page_opens_for_every_role_and_shows_no_secret(client, demo):
    shop = demo["rakuten"]
    url = reverse("shops:detail", args=[shop.code])
    assert client.get(url).status_code == 302  # login first
    for name in ("viewer", "operator", "admin"):
        client.force_login(demo["users"][name])
        page = client.get(url).content.decode()
        assert "サバウェイ楽天" in page
        for secret in shop.get_secrets().values():
            assert secret not in page
        assert "3f9a" not in page  # not even the last characters
        assert ("/edit/" in page) == (name != "viewer")


def test_an_unknown_shop_is_a_404(client, demo):
    client.force_login(demo["users"]["viewer"])
    assert client.get("/shops/S99999/").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"q": "\x00\x1b[31m"},
        {"q": "髙" * 10_000},
        {"q": "\u202e\u200bTEL"},
        {"shop": "'; DROP TABLE orders_order; --"},
        {"shop": "S00001\x00"},
        {"page": "999999"},
        {"page": "-1"},
    ],
)
def test_the_orders_page_takes_any_query_string(client, demo, query):
    client.force_login(demo["users"]["viewer"])
    response = client.get(reverse("orders:list"), query)
    assert response.status_code == 200  # a page number past the end shows the last page


def test_orders_are_searched_by_number_customer_or_product_and_filtered_by_shop(client, demo):
    client.force_login(demo["users"]["viewer"])
    url = reverse("orders:list")

    def numbers(**query):
        return [o.order_number for o in client.get(url, query).context["orders"]]

    assert numbers() == ["FAX-20261126-002", "TEL-20261126-001"]
    assert numbers(q="fax-") == ["FAX-20261126-002"]
    assert numbers(q="髙橋") == ["TEL-20261126-001"]
    assert numbers(q="SAVA-002") == ["TEL-20261126-001"]
    assert numbers(q="さば缶") == ["FAX-20261126-002", "TEL-20261126-001"]
    assert numbers(shop=demo["other"].code) == ["FAX-20261126-002", "TEL-20261126-001"]
    assert numbers(shop=demo["rakuten"].code) == []
    assert numbers(shop="nonsense") == ["FAX-20261126-002", "TEL-20261126-001"]


def test_the_orders_page_queries_do_not_grow_with_the_orders(client, demo):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from orders.models import Order, OrderLine

    client.force_login(demo["users"]["viewer"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("orders:list")).status_code == 200
        return len(captured)

    queries()  # the first request of a session also writes the session
    before = queries()
    for i in range(25):
        order = Order.objects.create(
            shop=demo["other"],
            order_number=f"TEL-{i:04d}",
            ordered_at=timezone.now(),
            customer_name="山田 花子",
        )
        OrderLine.objects.create(order=order, line_no=2, product_code="SAVA-001", quantity=1)
    assert queries() == before


def test_an_unreachable_server_gets_advice_for_any_kind_of_section():
    # The same code answers for FTP hosts and mall APIs: no FTP-only advice.
    message = str(MESSAGES["unreachable"])
    assert "FTP" not in message
    assert "ホストアドレス" in message and "しばらくしてから" in message


@pytest.mark.parametrize(
    "query",
    [{"q": "\x00"}, {"q": "サバ\x00ウェイ"}, {"mall": "\x00"}, {"within": "\x00"}, {"q": "%_\\"}],
)
def test_the_list_pages_take_any_query_string(client, demo, query):
    client.force_login(demo["users"]["viewer"])
    for url in (reverse("shops:list"), reverse("shops:expiries"), reverse("orders:products")):
        assert client.get(url, query).status_code == 200, url


def test_the_product_list_pages_with_its_search_kept(client, demo):
    """One pagination partial serves the lists: the next page keeps the list's own filter."""
    import re

    from orders.models import Product

    Product.objects.bulk_create([Product(code=f"PAGE-{i:03d}", name="頁") for i in range(60)])
    client.force_login(demo["users"]["admin"])
    html = client.get(reverse("orders:products"), {"q": "PAGE-"}).content.decode()
    assert re.search(r'href="\?q=PAGE-&amp;page=2"', html) and "1 / 2 ページ" in html
    html = client.get(reverse("orders:products"), {"q": "PAGE-", "page": "2"}).content.decode()
    assert 'href="?q=PAGE-&amp;page=1"' in html and "PAGE-059" in html
