"""What an outside probe found (issue J's bar, after it closed): each input answered 500, ran for
seconds or slipped through. Every case now gets a clear message and changes nothing."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from api import bulk, tokens
from api.models import ApiToken
from orders.importer import ImportRefused, records
from shops.models import Shop, ShopChange

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_var_dir")]

# EC on secp112r1 and an unknown algorithm: PEM that cryptography cannot load at all.
PEM_EC_SECP112R1 = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MDIwEAYHKoZIzj0CAQYFK4EEAAYDHgAEAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ==\n"
    "-----END PUBLIC KEY-----"
)
PEM_UNKNOWN = "-----BEGIN PUBLIC KEY-----\nMA0wBgYEKgMEBQMDAAEC\n-----END PUBLIC KEY-----"


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    from django.core.cache import cache

    cache.clear()


def api(user):
    _t, raw = tokens.issue(user, "probe")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post_json(client, path, text, method="post"):
    return getattr(client, method)(f"/api/v1{path}", text, content_type="application/json")


def other_shop(**over):
    return {
        "mall": "other",
        "name": "電話注文",
        "short_name": "電話",
        "url": "https://t.example.jp/",
        **over,
    }


@pytest.mark.parametrize(
    "body, message",
    [
        ("[" * 100_000 + "]" * 100_000, "入れ子が深すぎます"),
        ('{"a":' * 50 + "1" + "}" * 50, "入れ子が深すぎます"),
        ('{"mall": "other", "name": ' + "1" * 5000 + "}", "大きすぎる値"),
        ('{"mall": "other", "name": NaN}', "NaN"),
        (
            '{"mall": "other", "name": "a\\ud800", "short_name": "s", "url": "https://t.jp/"}',
            "サロゲート",
        ),
        ('{"mall": "other", "sections": {"x": {"password": "abcd\\udc00efgh"}}}', "サロゲート"),
        ('{"mall": "other",', "1 行目"),
    ],
)
def test_api_bodies_python_reads_but_nothing_can_store(manager, make_shop, body, message):
    shop = make_shop("other")
    client = api(manager)
    for method, path in (("post", "/shops"), ("patch", f"/shops/{shop.code}")):
        response = post_json(client, path, body, method)
        assert response.status_code == 400, (method, response.content[:300])
        assert message in response.json()["detail"]
    assert Shop.objects.count() == 1 and not ShopChange.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"[" * 100_000, "入れ子が深すぎます"),
        (b'[{"mall": "other", "name": ' + b"1" * 5000 + b"}]", "大きすぎる値"),
        (b'[{"mall": "other", "name": "x\\ud800y"}]', "サロゲート"),
        (b'[{"mall": "other", "name": Infinity}]', "Infinity"),
    ],
)
def test_bulk_json_files_python_reads_but_nothing_can_store(manager, data, message):
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops(data, "shops.json")
    assert message in refused.value.errors[0]
    client = Client()
    client.force_login(manager)
    page = client.post(reverse("shop_import"), {"file": SimpleUploadedFile("s.json", data)})
    assert page.status_code == 400 and message in page.content.decode()
    assert not Shop.objects.exists()


@pytest.mark.parametrize("pem", [PEM_EC_SECP112R1, PEM_UNKNOWN])
def test_a_public_key_of_an_unsupported_algorithm_is_refused_on_the_field(manager, pem):
    body = {
        "mall": "yahoo_shopping",
        "name": "n",
        "short_name": "s",
        "url": "https://store.shopping.yahoo.co.jp/savaway/",
        "sections": {"yahoo_api": {"public_key": pem, "public_key_version": 1}},
    }
    response = post_json(api(manager), "/shops", json.dumps(body))
    assert response.status_code == 422
    fields = {e["field"]: e["messages"] for e in response.json()["errors"]}
    assert "公開鍵として読み取れません" in " ".join(fields["sections.yahoo_api.public_key"])
    assert not Shop.objects.exists()


def test_a_public_key_of_an_unsupported_algorithm_fails_the_signature_not_the_check():
    from connectors.malls.yahoo_shopping import SignatureError, sws_signature

    for pem in (PEM_EC_SECP112R1, PEM_UNKNOWN):
        with pytest.raises(SignatureError):
            sws_signature(pem, "store", 1_700_000_000)


@pytest.mark.parametrize("within", ["²", "①", "⁹", "-1", "9" * 40, "\u0663"])
def test_api_expiries_within_other_digits_is_the_default_not_a_500(viewer, within):
    response = api(viewer).get("/api/v1/expiries", {"within": within})
    assert response.status_code == 200


@pytest.mark.parametrize("pk", ["²", "①", "\u0663"])
def test_revoking_a_token_by_another_scripts_digit_is_a_404(operator, pk):
    client = Client()
    client.force_login(operator)
    tokens.issue(operator, "keep")
    response = client.post(reverse("api_tokens"), {"revoke": pk})
    assert response.status_code == 404
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_a_bulk_file_over_its_limit_is_refused_before_it_is_read(manager, settings):
    settings.SHOP_IMPORT_MAX_BYTES = 1000
    data = b"mall,name,short_name,url\r\n" + b"other,a,b,https://t.jp/\r\n" * 100
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops(data, "shops.csv")
    assert "大きすぎます" in refused.value.errors[0]
    client = Client()
    client.force_login(manager)
    page = client.post(
        reverse("shop_import"), {"file": SimpleUploadedFile("s.csv", data)}, follow=True
    )
    assert "ファイルが大きすぎます" in page.content.decode()
    assert not Shop.objects.exists()


def test_a_file_of_many_rows_is_refused_by_count_without_reading_it_all(settings, monkeypatch):
    settings.SHOP_IMPORT_MAX_ROWS = 3
    settings.SHOP_IMPORT_MAX_BYTES = 10**9
    read = []

    def counting(text):
        for record in records(text):
            read.append(record)
            yield record

    monkeypatch.setattr(bulk, "records", counting)
    data = "mall,name,short_name,url\r\n" + "other,a,b,https://t.jp/\r\n" * 200_000
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops(data.encode(), "shops.csv")
    assert "3 件を超えて" in refused.value.errors[0]
    assert len(read) <= 6  # the header, the limit and one past it: not 200,001 records


def test_a_formula_in_a_cell_goes_out_guarded_and_comes_back_as_typed(tmp_path):
    from django.core.management import call_command

    names = ["=cmd|' /C calc'!A0", "@SUM(1+1)", "+1-2", "-3", "'quoted", "普通の店"]
    for i, name in enumerate(names):
        bulk.import_shops(json.dumps([other_shop(short_name=f"店{i}", name=name)]).encode())
    out = tmp_path / "shops.csv"
    call_command("export_shops", "--format", "csv", "-o", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8").lstrip("\ufeff"))))
    exported = [r["name"] for r in rows]
    assert exported == ["'=cmd|' /C calc'!A0", "'@SUM(1+1)", "'+1-2", "'-3", "''quoted", "普通の店"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())
    Shop.objects.all().delete()
    bulk.import_shops(out.read_bytes(), "shops.csv")
    assert sorted(Shop.objects.values_list("name", flat=True)) == sorted(names)


def test_a_huge_csv_cell_is_named_in_japanese(manager):
    data = ("mall,name,short_name,url\r\nother," + "x" * 200_000 + ",b,https://t.jp/\r\n").encode()
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops(data, "shops.csv")
    message = refused.value.errors[0]
    assert "2行目" in message and "項目が長すぎます" in message
    assert "field limit" not in message


def test_the_api_answers_in_japanese_where_ninja_and_pydantic_speak_english(operator, make_shop):
    client = api(operator)
    bad_json = post_json(client, "/check-batches", "{not json")
    assert bad_json.status_code == 400
    assert bad_json.json()["detail"].startswith(
        "本文が正しいJSONではありません。 JSONを読み取れません(1 行目"
    )
    wrong_type = post_json(client, "/check-batches", json.dumps({"shops": "S00001", "x": 1}))
    assert wrong_type.status_code == 422
    messages = " ".join(m for e in wrong_type.json()["errors"] for m in e["messages"])
    assert "リスト" in messages and "受け付けません" in messages
    assert "Input should" not in messages and "Extra inputs" not in messages
    huge = client.get("/api/v1/shops", {"per_page": "9" * 5000})
    assert huge.status_code == 422
    assert huge.json()["errors"][0]["messages"] == ["数が大きすぎます。"]


def test_too_large_or_too_many_fields_get_a_japanese_400_page_and_json_for_the_api(
    manager, settings
):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    page = Client().post(reverse("login"), {f"f{i}": "1" for i in range(10)})
    assert page.status_code == 400 and "リクエストを処理できません" in page.content.decode()
    response = api(manager).get("/api/v1/shops?" + "&".join(f"a{i}=1" for i in range(10)))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("リクエストを処理できません")


def test_invisible_characters_removed_on_import_are_reported_by_row(manager):
    rows = [other_shop(short_name="普通"), other_shop(short_name="見えない\u200b文字")]
    report = bulk.import_shops(json.dumps(rows).encode(), "shops.json", dry_run=True)
    assert len(report.warnings) == 1 and report.warnings[0].startswith("2件目: ")
    assert "見えない文字" in report.warnings[0]
    client = Client()
    client.force_login(manager)
    page = client.post(
        reverse("shop_import"), {"file": SimpleUploadedFile("s.json", json.dumps(rows).encode())}
    )
    assert "2件目: " in page.content.decode()
    client.post(reverse("shop_import"), {"action": "import"})  # consumes the checked file
    assert sorted(Shop.objects.values_list("short_name", flat=True)) == ["普通", "見えない文字"]


def test_an_euc_jp_file_is_refused_instead_of_registered_as_mojibake():
    data = "mall,name,short_name,url\r\nother,株式会社サバウェイ,サバ,https://t.jp/\r\n"
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops(data.encode("euc-jp"), "shops.csv")
    assert "EUC-JP" in refused.value.errors[0]
    assert not Shop.objects.exists()


@pytest.mark.parametrize("name", ["テスト商店", "山田太郎", "あいうえお", "株式会社サバウェイ"])
def test_euc_jp_files_are_refused_whatever_their_words(name):
    data = f"mall,name,short_name,url\r\nother,{name},サバ,https://t.jp/\r\n".encode("euc-jp")
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops(data, "shops.csv", dry_run=True)
    assert "EUC-JP" in refused.value.errors[0] or "外字" in refused.value.errors[0]


@pytest.mark.parametrize("name", ["ｻﾊﾞｳｪｲ", "ﾃｽﾄ商店", "株式会社ｻﾊﾞｳｪｲ", "サバウェイ ｼｮｯﾌﾟ"])
def test_shift_jis_files_with_half_width_katakana_still_import(name):
    data = f"mall,name,short_name,url\r\nother,{name},サバ,https://t.jp/\r\n".encode("cp932")
    report = bulk.import_shops(data, "shops.csv", dry_run=True)
    assert report.encoding == "cp932" and len(report.shops) == 1


def test_a_value_that_starts_with_an_apostrophe_round_trips(tmp_path):
    from django.core.management import call_command

    names = ["'=literal", "'-x", "''=y", "'quoted"]
    for i, name in enumerate(names):
        bulk.import_shops(json.dumps([other_shop(short_name=f"店{i}", name=name)]).encode())
    out = tmp_path / "shops.csv"
    call_command("export_shops", "--format", "csv", "-o", str(out))
    Shop.objects.all().delete()
    bulk.import_shops(out.read_bytes(), "shops.csv")
    assert sorted(Shop.objects.values_list("name", flat=True)) == sorted(names)


def test_a_secret_that_starts_with_an_apostrophe_is_stored_as_typed():
    data = (
        "mall,name,short_name,url,ftp.password\r\n"
        "rakuten,株式会社サバ,サバ,https://www.rakuten.co.jp/sava/,'-pass'=word\r\n"
    ).encode()
    bulk.import_shops(data, "shops.csv")
    assert Shop.objects.get().get_secrets()["ftp.password"] == "'-pass'=word"


def test_overflowing_numbers_are_refused_like_infinity(manager):
    response = post_json(api(manager), "/shops", '{"mall": "other", "name": 1e999}')
    assert response.status_code == 400 and "1e999" in response.json()["detail"]
    with pytest.raises(ImportRefused):
        bulk.import_shops(b'[{"mall": "other", "name": -1e999}]', "s.json")


def test_every_json_body_of_the_api_is_read_strictly(operator):
    response = post_json(api(operator), "/check-batches", '{"shops": ["\\ud800"]}')
    assert response.status_code == 400
    assert "サロゲート" in response.json()["detail"]


def test_the_command_refuses_a_file_over_the_limit_before_reading_it(tmp_path, settings):
    from django.core.management import CommandError, call_command

    settings.SHOP_IMPORT_MAX_BYTES = 100
    big = tmp_path / "shops.csv"
    big.write_bytes(b"mall,name,short_name,url\r\n" + b"other,a,b,https://t.jp/\r\n" * 10)
    with pytest.raises(CommandError, match="大きすぎます"):
        call_command("import_shops", str(big))
    assert not Shop.objects.exists()


def test_a_header_of_a_million_columns_is_refused_in_one_message():
    data = ("mall" + ",x" * 1_000_000 + "\r\n").encode()
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops(data, "shops.csv")
    assert len(refused.value.errors) == 1 and "列" in refused.value.errors[0]
