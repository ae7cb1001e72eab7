"""Hostile dates and periods: issue dates bounded to 2000-01-01..2100-12-31 in the form, an
out-of-range value already stored never breaks a page, the expiry computation never overflows,
and the 有効期限 page's ?within= survives any number (issue J, items 2 and 9)."""

import importlib
import re
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from connectors.base import registry
from shops import store
from shops.models import CredentialExpiry, Shop, ShopChange, ShopCode
from tests.helpers import make_shop
from tests.mall_data import MALLS, post_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_remembered_secrets")]


NOW = timezone.make_aware(timezone.datetime(2026, 11, 26, 10, 0))
ISSUE_FIELD = "rakuten_api__license_issued_on"


def rakuten_post(**overrides):
    return post_data(MALLS["rakuten"], **overrides)


@pytest.mark.parametrize(
    "value", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31", "99999-01-01", "2025-02-30"]
)
def test_an_issue_date_out_of_range_is_refused_before_anything_is_saved(admin_client, value):
    response = admin_client.post(
        reverse("shops:create", args=["rakuten"]),
        rakuten_post(**{"rakuten_api.license_issued_on": value}),
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[ISSUE_FIELD])
    assert "「licenseKey 発行日」" in errors and "2000-01-01 から 2100-12-31" in errors
    assert not Shop.objects.exists() and not ShopCode.objects.exists()
    assert not ShopChange.objects.exists() and not CredentialExpiry.objects.exists()


def test_editing_to_an_extreme_date_changes_nothing(admin_client):
    admin_client.post(reverse("shops:create", args=["rakuten"]), rakuten_post())
    shop = Shop.objects.get()
    before = (dict(shop.settings), shop.secrets, ShopChange.objects.count())
    expiry = list(CredentialExpiry.objects.values_list("expires_at", flat=True))
    response = admin_client.post(
        reverse("shops:edit", args=[shop.code]),
        rakuten_post(url=shop.url, **{"rakuten_api.license_issued_on": "9999-12-31"}),
    )
    assert response.status_code == 200 and ISSUE_FIELD in response.context["form"].errors
    shop.refresh_from_db()
    assert (shop.settings, shop.secrets, ShopChange.objects.count()) == before
    assert list(CredentialExpiry.objects.values_list("expires_at", flat=True)) == expiry


@pytest.mark.parametrize(
    ("value", "last_day"), [("2000-01-01", "2000-03-31"), ("2100-12-31", "2101-03-31")]
)
def test_the_bounds_themselves_are_accepted(admin_client, value, last_day):
    admin_client.post(
        reverse("shops:create", args=["rakuten"]),
        rakuten_post(**{"rakuten_api.license_issued_on": value}),
    )
    row = CredentialExpiry.objects.get(credential="license_key")
    # Issued 8/30, a licenseKey works through 11/28 (RMS): the last day is 90 days later.
    last = timezone.localdate(row.expires_at - timedelta(microseconds=1))
    assert last.isoformat() == last_day


# ---- values stored before the bounds existed ------------------------------------------------


@pytest.mark.parametrize("stored", ["0001-01-01", "9999-12-31", "not a date", "2025-13-45"])
def test_a_stored_out_of_range_issue_date_never_breaks_a_save_or_a_page(admin_client, stored):
    shop = make_shop(
        "rakuten",
        {"rakuten_api.license_issued_on": stored},
        {"rakuten_api.license_key": "SL-legacy-license-1"},
    )
    # Any write of the shop recomputes its expiries from the stored value.
    shop, changes = store.update(shop, store.Edit(common={"short_name": "改名"}))
    assert changes and Shop.objects.get().short_name == "改名"
    assert not CredentialExpiry.objects.exists()  # an unusable date tracks nothing
    assert admin_client.get(reverse("shops:expiries") + "?within=all").status_code == 200
    assert admin_client.get(reverse("shops:edit", args=[shop.code])).status_code == 200
    assert admin_client.get(reverse("shops:list")).status_code == 200


def _write_unreadable_expiry(row_id: int) -> None:
    """What the code before issue J wrote for an issue date of 0001-01-01 (JST)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL keeps it as 0001-12-31 15:00 BC: psycopg cannot read it back.
            value = "0001-01-01 00:00:00+09"
        else:
            value = "0000-12-31 15:00:00"  # the same moment in UTC, as SQLite text
        cursor.execute(
            "UPDATE shops_credentialexpiry SET expires_at = %s, issued_at = %s WHERE id = %s",
            [value, value, row_id],
        )


def test_a_stored_unreadable_expiry_row_breaks_no_page_and_heals_on_the_next_write(
    admin_client,
):
    good = make_shop(
        "rakuten",
        {"rakuten_api.license_issued_on": "2026-11-01"},
        {"rakuten_api.license_key": "SL-good-license-1"},
        short_name="まとも",
    )
    bad = make_shop(
        "rakuten",
        {"rakuten_api.license_issued_on": "2026-11-01"},
        {"rakuten_api.license_key": "SL-legacy-license-2"},
        short_name="壊れた期限",
    )
    for shop in (good, bad):
        store.update(shop, store.Edit(common={"manager_name": "山田"}))  # expiry rows
    _write_unreadable_expiry(CredentialExpiry.objects.get(shop=bad).pk)

    with time_machine.travel(NOW, tick=False):
        dashboard = admin_client.get(reverse("shops:expiries") + "?within=all")
        assert dashboard.status_code == 200
        assert "まとも" in dashboard.content.decode()
        assert admin_client.get(reverse("shops:edit", args=[bad.code])).status_code == 200
        assert admin_client.get(reverse("shops:list")).status_code == 200
    # The next write replaces the unreadable row with the right one.
    store.update(Shop.objects.get(pk=bad.pk), store.Edit(common={"manager_name": "佐藤"}))
    row = CredentialExpiry.objects.get(shop=bad)
    assert timezone.localdate(row.expires_at).isoformat() == "2027-01-31"  # 90 days of use


def test_the_migration_deletes_unreadable_expiry_rows(admin_client):
    from django.apps import apps

    shop = make_shop(
        "rakuten",
        {"rakuten_api.license_issued_on": "2026-11-01"},
        {"rakuten_api.license_key": "SL-legacy-license-3"},
    )
    store.update(shop, store.Edit(common={"manager_name": "山田"}))
    _write_unreadable_expiry(CredentialExpiry.objects.get().pk)
    migration = importlib.import_module("shops.migrations.0008_expiry_range")
    migration.delete_unreadable(apps, None)
    assert not CredentialExpiry.objects.exists()


@pytest.mark.parametrize(
    "values",
    [
        {"license_issued_on": "9999-12-31"},
        {"license_issued_on": "0001-01-01"},
        {"license_issued_on": "garbage"},
        {"license_issued_on": "2026-11-01", "license_expires_on": "9999-12-31"},
        {"license_issued_on": "2026-11-01", "license_expires_on": "0001-01-01"},
        {"license_issued_on": "2026-11-01", "license_expires_on": "not a date"},
    ],
)
def test_the_expiry_computation_never_raises(values):
    expiry = registry.get("rakuten").section("rakuten_api").expiry("license_key")
    result = expiry.expires_at({**values, "license_key": "x"}, lambda name: True)
    if values["license_issued_on"] == "2026-11-01":  # an unusable fetched date is ignored
        assert timezone.localdate(result[0]) == date(2027, 1, 31) and result[2] == "entered"
    else:
        assert result is None


# ---- ?within= ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("within", "shown"),
    [
        ("30", False),
        ("３００", True),  # full-width digits are digits
        ("99999999999999999999999999", True),  # beyond a century: all
        ("-5", False),  # the default (30 days)
        ("٣٠٠", False),  # Arabic-Indic digits are not digits here: the default
        ("²", False),
        ("1e9", False),
        ("", False),
        ("all", True),
    ],
)
def test_within_takes_any_value_without_an_error(admin_client, within, shown):
    shop = make_shop(
        "rakuten",
        {"rakuten_api.license_issued_on": "2026-09-01"},
        {"rakuten_api.license_key": "SL-within-license"},
        short_name="百日後",
    )
    store.update(shop, store.Edit(common={"manager_name": "山田"}))
    with time_machine.travel(NOW - timedelta(days=100), tick=False):  # expires in ~190 days
        response = admin_client.get(reverse("shops:expiries"), {"within": within})
    assert response.status_code == 200
    # The list of the chosen window (the 120-day timeline above it does not follow `within`).
    table = re.search(r'<table[^>]*id="expiries".*?</table>', response.content.decode(), re.S)
    assert (table is not None and "百日後" in table.group(0)) is shown
