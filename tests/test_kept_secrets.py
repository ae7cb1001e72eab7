"""Secrets typed into a shop form that comes back with an error are kept on the server for
the corrected submit: encrypted, tied to that form and session, for 15 minutes, never in the
page. (The browser side is in test_browser_forms.py.)"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shops.forms import KEPT_MAX
from shops.models import Shop

pytestmark = pytest.mark.django_db

FORM = {
    "name": "株式会社サバウェイ",
    "short_name": "サバウェイ楽天",
    "url": "https://www.rakuten.co.jp/savaway/",
    "ftp__protocol": "sftp",
    "ftp__host": "upload.rakuten.ne.jp",
    "ftp__port": "22",
    "ftp__passive": "1",
    "product_key__key": "item_url",
}
SECRET = "typed-once-ftp-password"


def token_of(response) -> str:
    return re.search(r'name="kept_secrets" value="([^"]*)"', response.content.decode()).group(1)


def raw_sessions() -> str:
    return " ".join(s.session_data for s in Session.objects.all())


def submit(client, url, **fields):
    return client.post(url, {**FORM, **fields})


def test_a_kept_secret_is_saved_with_the_corrected_submit_and_never_shown(operator_client):
    url = reverse("shops:create", args=["rakuten"])
    now = timezone.now()  # the session lives on the real clock: move relative to it
    with time_machine.travel(now, tick=False):
        response = submit(operator_client, url, ftp__password=SECRET, short_name="")
    assert response.status_code == 200 and not Shop.objects.exists()
    page = response.content.decode()
    assert SECRET not in page
    assert "入力済み(未保存)" in page
    token = token_of(response)
    assert len(token) >= 30
    # Kept on the server, encrypted: the session store never holds the value in clear.
    assert SECRET not in raw_sessions()
    assert "shops.kept_secrets" in operator_client.session

    with time_machine.travel(now + timedelta(minutes=14), tick=False):
        response = submit(operator_client, url, kept_secrets=token, ftp__password="")
    assert response.status_code == 302
    shop = Shop.objects.get()
    assert shop.get_secrets() == {"ftp.password": SECRET}
    # Used once: the kept value is gone from the session.
    assert operator_client.session.get("shops.kept_secrets") == {}


def test_a_kept_secret_lapses_after_15_minutes(operator_client):
    url = reverse("shops:create", args=["rakuten"])
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        token = token_of(submit(operator_client, url, ftp__password=SECRET, short_name=""))
    with time_machine.travel(now + timedelta(minutes=16), tick=False):
        response = submit(operator_client, url, kept_secrets=token, ftp__password="")
    # Saving now would drop the password without a word: the form asks for it again.
    assert response.status_code == 200 and not Shop.objects.exists()
    page = response.content.decode()
    assert "入力済み(未保存)" not in page
    assert "15分" in page


def test_a_token_opens_only_its_own_form_in_its_own_session(operator, operator_client, make_shop):
    new_rakuten = reverse("shops:create", args=["rakuten"])
    token = token_of(submit(operator_client, new_rakuten, ftp__password=SECRET, short_name=""))
    # Another form (an existing shop's page) does not open it...
    shop = make_shop("rakuten")
    edit = reverse("shops:edit", args=[shop.code])
    response = operator_client.post(edit, {**FORM, "kept_secrets": token, "short_name": ""})
    assert response.status_code == 200  # the form again, with its error
    assert "入力済み(未保存)" not in response.content.decode()
    shop.refresh_from_db()
    assert shop.get_secrets().get("ftp.password") != SECRET
    # ...nor does another session of the same user on the same form: nothing is saved, and
    # the page says the typed credentials are gone.
    other = Client()
    other.force_login(operator)
    response = other.post(new_rakuten, {**FORM, "kept_secrets": token})
    assert response.status_code == 200
    assert Shop.objects.count() == 1
    page = response.content.decode()
    assert "入力済み(未保存)" not in page and "15分" in page


def test_a_kept_secret_can_be_discarded(operator_client):
    url = reverse("shops:create", args=["rakuten"])
    token = token_of(submit(operator_client, url, ftp__password=SECRET, short_name=""))
    response = submit(operator_client, url, kept_secrets=token, ftp__password__discard="on")
    assert response.status_code == 302
    assert Shop.objects.get().get_secrets() == {}


def test_the_session_keeps_only_the_newest_forms(operator_client):
    url = reverse("shops:create", args=["rakuten"])
    tokens = [
        token_of(submit(operator_client, url, ftp__password=f"{SECRET}-{i}", short_name=""))
        for i in range(KEPT_MAX + 2)
    ]
    kept = operator_client.session["shops.kept_secrets"]
    assert len(kept) == KEPT_MAX
    assert set(kept) == set(tokens[-KEPT_MAX:])


@pytest.mark.parametrize("token", ["\x00\x1b", "x" * 100_000, "' OR 1=1 --", "髙" * 50])
def test_a_forged_token_opens_nothing_and_saves_nothing(operator_client, token):
    response = submit(
        operator_client, reverse("shops:create", args=["rakuten"]), kept_secrets=token
    )
    assert response.status_code == 200 and not Shop.objects.exists()
    page = response.content.decode()
    assert "入力済み(未保存)" not in page and "15分" in page
