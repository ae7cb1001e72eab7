"""Shop search (shops.search): a substring of the name, short name or code in any case, on the
index of each database (pg_trgm on PostgreSQL, FTS5 trigrams on SQLite) or by a scan."""

import pytest
from django.db import connection

from shops import search
from shops.models import Shop

pytestmark = pytest.mark.django_db


def found(query):
    return sorted(Shop.objects.search(query).values_list("short_name", flat=True))


@pytest.fixture
def shops(make_shop):
    make_shop("rakuten", name="Savaway Store 本店", short_name="sava")
    make_shop("rakuten", name="割引50%ショップ", short_name="disc")
    make_shop("other", name="500円ショップ", short_name="five", url="https://5.example.jp/")
    make_shop("other", name="a_b 商店", short_name="under", url="https://u.example.jp/")
    return Shop.objects.order_by("pk")


def test_substring_in_any_case_of_name_short_name_or_code(shops):
    assert found("SAVAWAY store") == ["sava"]
    assert found("way sto") == ["sava"]
    assert found("sav") == ["sava"]  # the short name too
    assert found(shops[2].code.lower()) == ["five"]
    assert found("ショップ") == ["disc", "five"]
    assert found("本") == ["sava"]  # one character: no trigram, a scan
    assert found("") == ["disc", "five", "sava", "under"]


def test_wildcards_and_control_characters_are_plain_text(shops):
    assert found("50%") == ["disc"]
    assert found("a_b") == ["under"]
    assert found("%") == ["disc"]
    assert found('"') == []
    assert found("sava\x00way") == ["sava"]
    assert found("\x00") == ["disc", "five", "sava", "under"]


def test_the_index_follows_changes(shops):
    shop = shops[0]
    shop.name = "まぐろ屋"
    shop.save()
    assert found("savaway") == []
    assert found("まぐろ屋") == ["sava"]
    shop.delete()
    assert found("まぐろ屋") == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers")
def test_a_lost_index_is_rebuilt_after_migrate(shops):
    """SQLite drops a table's triggers when a migration rebuilds the table: after migrate
    (post_migrate) the index is made again from the rows."""
    search.drop_index()
    search.ensure_index()
    assert found("savaway") == ["sava"]
    shops[1].delete()
    assert found("割引") == []
