"""ぐるなび食市場: data; nothing to test."""

import pytest
from django.urls import reverse

from connectors.base import registry
from tests.helpers import make_shop

DATA = {
    "url": "https://gurunavi.example.jp/savaway/",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "bcc@savaway.example.jp",
}


@pytest.mark.django_db
def test_nothing_to_test(admin_client):
    shop = make_shop("gurunavi")
    page = admin_client.get(reverse("shops:edit", args=[shop.code])).content.decode()
    assert "data-check-url" not in page
    assert not [s for s in registry.get("gurunavi").sections if s.testable]
