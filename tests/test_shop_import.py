"""Bulk shop registration (import_shops, /shops/import/) and export_shops: JSON and CSV,
UTF-8 and cp932, all or nothing with a message per row naming the field, dry run."""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from api import bulk
from orders.importer import ImportRefused
from shops.models import Shop, ShopChange, ShopCode

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_var_dir")]

FTP_SECRET = "imported-ftp-password-0042"


def rakuten(i, **over):
    return {
        "mall": "rakuten",
        "name": f"株式会社サバウェイ {i}号店",
        "short_name": f"サバ{i}",
        "url": f"https://www.rakuten.co.jp/sava{i}/",
        "sections": {
            "ftp": {"password": f"{FTP_SECRET}-{i}"},
            "rakuten_api": {
                "service_secret": f"SP-service-secret-{i:04d}",
                "license_key": f"SL-license-key-{i:04d}",
            },
        },
        **over,
    }


def other(i, **over):
    return {
        "mall": "other",
        "name": f"電話注文 {i}",
        "short_name": f"電話{i}",
        "url": f"https://tel{i}.example.jp/",
        **over,
    }


def as_json(rows) -> bytes:
    return json.dumps(rows, ensure_ascii=False).encode()


def as_csv(rows, encoding="utf-8") -> bytes:
    columns = ["mall", "name", "short_name", "url", "genre"]
    flat = []
    for row in rows:
        record = {k: v for k, v in row.items() if k != "sections"}
        for section, values in row.get("sections", {}).items():
            for name, value in values.items():
                key = f"{section}.{name}"
                if key not in columns:
                    columns.append(key)
                record[key] = value
        flat.append(record)
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(flat)
    return out.getvalue().encode(encoding)


def test_fifty_shops_from_json_all_with_history_and_secrets():
    rows = [rakuten(i) if i % 2 else other(i) for i in range(1, 51)]
    report = bulk.import_shops(as_json(rows), "shops.json")
    assert len(report.shops) == 50 and Shop.objects.count() == 50
    shop = Shop.objects.get(short_name="サバ1")
    assert shop.settings["ftp.user"] == "sava1"  # derived as the form does
    assert shop.get_secrets()["ftp.password"] == f"{FTP_SECRET}-1"
    assert shop.expiries.filter(credential="license_key").exists()
    assert set(ShopChange.objects.values_list("via", flat=True)) == {"import"}
    assert FTP_SECRET not in json.dumps(list(ShopChange.objects.values("changes")))


def test_dry_run_says_what_would_be_created_and_creates_nothing(capsys, tmp_path):
    path = tmp_path / "shops.json"
    path.write_bytes(as_json([rakuten(1), other(2)]))
    call_command("import_shops", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "1: 楽天市場 サバ1" in out and "2: その他" in out
    assert "2 件のショップを登録できます" in out
    assert not Shop.objects.exists() and not ShopCode.objects.exists()
    call_command("import_shops", str(path))
    assert "2 件のショップを登録しました" in capsys.readouterr().out
    assert Shop.objects.count() == 2


def test_one_bad_row_refuses_the_whole_file_naming_row_and_field(tmp_path, capsys):
    rows = [rakuten(1), rakuten(2, url="not a url"), other(3, sections={"ftp": {"user": "x"}})]
    rows[0]["sections"]["ftp"]["port"] = 99999
    path = tmp_path / "shops.json"
    path.write_bytes(as_json(rows))
    with pytest.raises(CommandError, match="5 件のエラー"):
        call_command("import_shops", str(path))
    err = capsys.readouterr().err
    assert "1件目: FTP設定 / ポート番号 (sections.ftp.port): 「ポート番号」には 1 から 65535" in err
    assert "2件目: ショップURL (url): http:// または https://" in err
    assert "3件目: sections.ftp.user: このモールにこの項目はありません。" in err
    assert not Shop.objects.exists() and not ShopChange.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_utf8_or_cp932(encoding):
    rows = [rakuten(1, name="株式会社髙橋①"), other(2, genre="food")]
    report = bulk.import_shops(as_csv(rows, encoding), "shops.csv")
    first, second = [code for *_rest, code in report.shops]
    assert Shop.objects.get(code=first).name == "株式会社髙橋①"
    assert Shop.objects.get(code=second).genre == "food"


def test_csv_errors_name_the_line_and_column():
    data = as_csv([rakuten(1), other(2)])
    data = data.replace(b"\r\nother,", b"\r\nother,", 1)
    text = data.decode()
    # The その他 row fills a 楽天 column.
    lines = text.split("\r\n")
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("ftp.password")] = "oops"
    lines[2] = ",".join(cells)
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops("\r\n".join(lines).encode(), "shops.csv")
    assert refused.value.errors == [
        "3行目: ftp.password はその他(電話・FAX)の項目ではありません。空欄にしてください。"
    ]
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops(b"mall,name,colour\r\nother,x,red\r\n", "shops.csv")
    assert "列 colour は使えません" in refused.value.errors[0]
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops(b"mall,name\r\nother,x,y\r\n", "shops.csv")
    assert refused.value.errors[0].startswith("2行目: 列の数が 3 です")
    assert not Shop.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "ファイル"),
        (b"\xff\xfe\x00bad", "文字化け"),
        (b'mall,name\r\nother,"x\x01y"\r\n', "文字化け"),
        (b'{"mall": "other"}', "リスト"),
        (b"[1]", "JSONオブジェクト"),
        (b"[{]", "JSONを読み取れません"),
        (b'[{"mall": "nowhere", "name": "x"}]', "モールコードではありません"),
        (
            b'[{"mall": "other", "name": "x\\u0007", "short_name": "y", "url": "https://a.jp/"}]',
            "制御文字",
        ),
    ],
)
def test_unreadable_files_are_refused_with_a_message(data, message):
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops(data, "shops.txt")
    assert message in " ".join(refused.value.errors)
    assert not Shop.objects.exists()


def test_row_limit(settings):
    settings.SHOP_IMPORT_MAX_ROWS = 2
    with pytest.raises(ImportRefused) as refused:
        bulk.import_shops(as_json([other(1), other(2), other(3)]))
    assert "2 件まで" in refused.value.errors[0]


@pytest.mark.django_db(transaction=True)
def test_a_failure_while_saving_leaves_nothing(monkeypatch):
    """All or nothing at the database too (runs on SQLite and PostgreSQL)."""
    from shops import store

    real_create, calls = store.create, []

    def failing_create(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_create(*args, **kwargs)

    monkeypatch.setattr(store, "create", failing_create)
    with pytest.raises(RuntimeError):
        bulk.import_shops(as_json([rakuten(1), other(2), other(3), other(4)]))
    assert not Shop.objects.exists()
    assert not ShopChange.objects.exists()


def test_export_round_trips_without_any_secret(tmp_path, capsys):
    bulk.import_shops(as_json([rakuten(1), other(2, manager_name="山田")]))
    for fmt in ("json", "csv"):
        out = tmp_path / f"shops.{fmt}"
        call_command("export_shops", "--format", fmt, "-o", str(out))
        text = out.read_text(encoding="utf-8")
        assert FTP_SECRET not in text and "SP-service" not in text and "SL-license" not in text
        # No secret field at all (ftp.password_changed_on is a date, not the password).
        assert not re.search(r"\bpassword\b|license_key\b", text)
        assert "サバ1" in text and "山田" in text
    exported = json.loads((tmp_path / "shops.json").read_text())
    assert exported[0]["sections"]["ftp"]["user"] == "sava1"
    # The exported files import again (as new shops: codes are assigned, never reused).
    report = bulk.import_shops((tmp_path / "shops.csv").read_bytes(), "shops.csv", dry_run=True)
    assert [name for _n, _m, name, _c in report.shops] == ["サバ1", "電話2"]
    before = set(Shop.objects.values_list("code", flat=True))
    report = bulk.import_shops((tmp_path / "shops.json").read_bytes(), "shops.json")
    assert not {code for *_r, code in report.shops} & before  # new codes, never reused
    call_command(
        "export_shops", "--format", "csv", "--encoding", "cp932", "-o", str(tmp_path / "a.csv")
    )
    assert "サバ1" in (tmp_path / "a.csv").read_bytes().decode("cp932")


def test_upload_page_checks_then_registers(manager, operator):
    client = Client()
    client.force_login(manager)
    url = reverse("shop_import")
    data = as_json([rakuten(1), other(2)])
    response = client.post(url, {"file": SimpleUploadedFile("shops.json", data)})
    assert response.status_code == 200
    assert "2 件のショップを登録します" in response.content.decode()
    assert not Shop.objects.exists()
    response = client.post(url, {"action": "import"})
    assert response.status_code == 200
    assert Shop.objects.count() == 2
    assert set(ShopChange.objects.values_list("username", "via")) == {("manager", "import")}
    # The stored upload was consumed: a second press registers nothing more.
    client.post(url, {"action": "import"})
    assert Shop.objects.count() == 2
    bad = client.post(url, {"file": SimpleUploadedFile("s.json", as_json([other(1, url="x")]))})
    assert bad.status_code == 400 and "1件目: ショップURL (url)" in bad.content.decode()
    operator_client = Client()
    operator_client.force_login(operator)
    assert operator_client.get(url).status_code == 403


def test_the_checked_file_waits_encrypted_and_stale_ones_go(manager, settings):
    import os
    import time

    client = Client()
    client.force_login(manager)
    data = as_json([rakuten(1)])
    client.post(reverse("shop_import"), {"file": SimpleUploadedFile("shops.json", data)})
    stored = list((settings.VAR_DIR / "shop-imports").glob("shops-*"))
    assert len(stored) == 1
    assert FTP_SECRET.encode() not in stored[0].read_bytes()
    old = time.time() - 7200
    os.utime(stored[0], (old, old))
    other = Client()
    other.force_login(manager)
    other.post(reverse("shop_import"), {"file": SimpleUploadedFile("s.json", data)})
    assert not stored[0].exists()  # a file checked two hours ago and never registered


def test_api_writes_need_no_csrf_token_but_a_bearer_token(operator):
    from api import tokens

    _t, raw = tokens.issue(operator, "x")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = json.dumps({"mall": "other", "name": "x", "short_name": "y", "url": "https://a.jp/"})
    response = client.post("/api/v1/shops", body, content_type="application/json")
    assert response.status_code == 201
    # A browser's session cookie alone is no credential for the API.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    assert browser.post("/api/v1/shops", body, content_type="application/json").status_code == 401


@pytest.mark.parametrize("mall", ["rakuten", "yahoo_shopping", "qoo10", "other"])
def test_a_downloaded_csv_filled_in_excel_style_registers(manager, operator, mall):
    """The page's CSV to fill in: every column the import reads for the mall, the mall set;
    filled with the common record only (fixed values left empty), saved by Excel as
    Shift_JIS, it registers the shop with the fixed values the form would have."""
    from connectors.base import registry

    client = Client()
    client.force_login(manager)
    response = client.get(reverse("shop_import_template", args=[mall]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="shops-{mall}.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    header, row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[:2]
    assert header[:4] == ["mall", "name", "short_name", "url"] and row[0] == mall
    connector = registry.get(mall)
    assert set(header[8:]) == {s.field_id(f) for s, f in connector.fields() if not s.after_save}
    filled = dict(zip(header, row, strict=True))
    filled.update(name="株式会社テスト ①店", short_name="テスト", url="https://test.example.jp/")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([header, [filled[c] for c in header]])
    upload = SimpleUploadedFile("shops.csv", out.getvalue().encode("cp932"))
    page = client.post(reverse("shop_import"), {"file": upload})
    assert page.status_code == 200, page.content.decode()[:2000]
    client.post(reverse("shop_import"), {"action": "import"})
    shop = Shop.objects.get()
    assert shop.mall == mall and shop.name == "株式会社テスト ①店"
    for section, spec in connector.fields():
        if spec.fixed and not section.after_save and not spec.secret:
            assert (shop.settings or {}).get(section.field_id(spec)) == spec.default
    # Unknown malls: 404; a role that cannot import: 403.
    assert client.get(reverse("shop_import_template", args=["nope"])).status_code == 404
    other_client = Client()
    other_client.force_login(operator)
    assert other_client.get(reverse("shop_import_template", args=[mall])).status_code == 403


def test_a_checked_file_survives_the_recovery_of_orphaned_uploads(manager):
    """The recovery job deletes unclaimed uploads in imports/ after ten minutes; a checked
    bulk file waits up to an hour for 「この内容で登録する」."""
    import os
    import time

    from orders import tasks as order_tasks

    client = Client()
    client.force_login(manager)
    url = reverse("shop_import")
    client.post(url, {"file": SimpleUploadedFile("s.json", as_json([other(1)]))})
    (pending,) = Path(settings_var_dir()).glob("shop-imports/shops-*.fernet")
    half_an_hour_ago = time.time() - 1800
    os.utime(pending, (half_an_hour_ago, half_an_hour_ago))
    order_tasks.recover_jobs()
    assert pending.exists()
    assert client.post(url, {"action": "import"}).status_code == 200
    assert Shop.objects.count() == 1 and not pending.exists()


def settings_var_dir():
    from django.conf import settings

    return settings.VAR_DIR
