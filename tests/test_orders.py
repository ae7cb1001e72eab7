"""その他モール: the TEMPOSTAR-format order CSV import and expected stock."""

import codecs
import io
import threading
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from orders.columns import COLUMNS
from orders.importer import ImportRefused, import_orders, import_stock
from orders.models import ImportJob, Order, OrderLine, Product
from orders.templatefiles import SAMPLE_ROWS, to_csv
from shops.models import Shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_shop(db):
    return Shop.objects.create(
        mall="other",
        name="サバウェイ電話注文",
        short_name="電話",
        url="https://tel.savaway.example.jp/",
    )


@pytest.fixture
def products(db):
    return [
        Product.objects.create(code="SAVA-001", name="さば缶", expected_stock=10),
        Product.objects.create(code="SAVA-002", name="さば味噌煮", expected_stock=5),
    ]


def row(**values):
    base = {
        "ショップ受注番号": "TEL-1",
        "受注日時": "2026/11/26 10:15",
        "注文者名": "髙橋 一郎",
        "商品コード": "SAVA-001",
        "数量": "1",
    }
    return {**base, **values}


def stock():
    return dict(Product.objects.values_list("code", "expected_stock"))


def upload(client, shop, data, name="orders.csv"):
    return client.post(
        reverse("orders:import", args=[shop.code]),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
        follow=True,
    )


def test_sample_file_imports_through_the_page(operator_client, other_shop, products):
    response = upload(operator_client, other_shop, to_csv(SAMPLE_ROWS))
    page = response.content.decode()
    assert "取り込みました" in page
    assert stock() == {"SAVA-001": 7, "SAVA-002": 4}
    assert Order.objects.count() == 2 and OrderLine.objects.count() == 3
    assert "10 → 7" in page and "5 → 4" in page
    order = Order.objects.get(order_number="TEL-20261126-001")
    assert order.shop == other_shop and order.customer_name == "髙橋 一郎"
    assert order.columns["注文者住所"].endswith("①号室")
    assert order.columns["配送先名"].startswith("㈱")
    assert order.columns["注文者名カナ"] == "ﾀｶﾊｼ ｲﾁﾛｳ"
    assert order.lines.first().columns["商品名"] == "さば缶 3缶セット～限定版～"
    assert order.total == 4170
    job = ImportJob.objects.get()
    assert job.summary["encoding"] == "cp932" and job.status == "done"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_with_and_without_bom(other_shop, products, encoding):
    summary = import_orders(to_csv(SAMPLE_ROWS, encoding), other_shop)
    assert summary.encoding == encoding and summary.orders == 2
    assert Order.objects.get(order_number="TEL-20261126-001").customer_name == "髙橋 一郎"


def test_importing_the_same_file_twice_changes_nothing(other_shop, products):
    data = to_csv(SAMPLE_ROWS)
    import_orders(data, other_shop)
    second = import_orders(data, other_shop)
    assert (second.orders, second.lines) == (0, 0)
    assert second.skipped_orders == ["FAX-20261126-002", "TEL-20261126-001"]
    assert stock() == {"SAVA-001": 7, "SAVA-002": 4}
    assert Order.objects.count() == 2


def test_unknown_codes_are_imported_and_listed(operator_client, other_shop, products):
    data = to_csv([row(商品コード="NEW-999", 数量="3"), row(数量="2")])
    page = upload(operator_client, other_shop, data).content.decode()
    assert "NEW-999 × 3" in page
    assert stock() == {"SAVA-001": 8, "SAVA-002": 5}
    assert OrderLine.objects.filter(product_code="NEW-999").exists()


def test_dates_in_every_accepted_form(other_shop):
    data = to_csv(
        [
            row(ショップ受注番号="A", 受注日時="2026/11/26 10:15"),
            row(ショップ受注番号="B", 受注日時="2026/11/26"),
            row(ショップ受注番号="C", 受注日時="2026-11-26 10:15:30"),
        ]
    )
    assert import_orders(data, other_shop).orders == 3


def bad(data_or_rows):
    return data_or_rows if isinstance(data_or_rows, bytes) else to_csv(data_or_rows)


def with_line(text_line: bytes) -> bytes:
    good = to_csv([row(ショップ受注番号="OK-1")])
    return good + text_line


GOOD_HEADER = ",".join(f'"{c}"' for c in COLUMNS)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (with_line(b'"X\x81 Y"\r\n'), "3行目: 文字コードを読み取れません"),
        (with_line(b'"X\x80Y"\r\n'), "3行目: 文字化け"),
        (to_csv([row(注文者名="髙橋 \ufffd郎")], "utf-8"), "2行目: 文字化け"),
        (
            GOOD_HEADER.replace('"注文者名",', '"注文社名",').encode("cp932") + b"\r\n",
            "3列目: 「注文社名」は「注文者名」の誤りです",
        ),
        (GOOD_HEADER.replace(',"商品連絡"', "").encode("cp932") + b"\r\n", "列数が 49 です"),
        (with_line('"OK-2","2026/11/26 10:00","山田"\r\n'.encode("cp932")), "3行目: 列数が 3 です"),
        ([row(受注日時="2026/13/45 10:00")], "2行目: 「受注日時」の日時「2026/13/45 10:00」"),
        ([row(), row(ショップ受注番号="T2", 数量="二")], "3行目: 「数量」は 1 以上の整数"),
        ([row(数量="0")], "2行目: 「数量」が 0 です"),
        ([row(数量="-1")], "2行目: 「数量」は 1 以上の整数"),
        ([row(注文者名="")], "2行目: 「注文者名」が空です"),
        ([row(商品コード="")], "2行目: 「商品コード」が空です"),
        ([row(デバイスタイプ="X")], "2行目: 「デバイスタイプ」は P・S・M"),
        ([row(請求金額="千円")], "2行目: 「請求金額」は数字で"),
        ([row(出荷日="来週")], "2行目: 「出荷日」の日付「来週」"),
        (b"", "ファイルが空です"),
        (GOOD_HEADER.encode("cp932") + b"\r\n", "ヘッダー行だけ"),
    ],
)
def test_bad_input_is_refused_whole_with_line_and_column(
    operator_client, other_shop, products, data, message
):
    data = bad(data)
    # A good order before the bad line must not be saved either.
    with pytest.raises(ImportRefused) as refused:
        import_orders(data, other_shop)
    assert any(message in e for e in refused.value.errors), refused.value.errors
    page = upload(operator_client, other_shop, data).content.decode()
    if data:  # (an empty upload is refused by the form itself: 入力されたファイルは空です)
        assert message.split(": ")[-1][:10] in page and "何も保存されていません" in page
    assert Order.objects.count() == 0 and OrderLine.objects.count() == 0
    assert stock() == {"SAVA-001": 10, "SAVA-002": 5}


def test_size_and_row_limits(other_shop, products, settings):
    data = to_csv([row(ショップ受注番号=f"T{i}") for i in range(5)])
    settings.IMPORT_MAX_ROWS = 4
    with pytest.raises(ImportRefused, match="error") as refused:
        import_orders(data, other_shop)
    assert "行数が上限(4 行)を超えています" in refused.value.errors[0]
    settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_BYTES = 100, 100
    with pytest.raises(ImportRefused) as refused:
        import_orders(data, other_shop)
    assert "ファイルが大きすぎます" in refused.value.errors[0]
    assert Order.objects.count() == 0 and stock()["SAVA-001"] == 10


def test_many_errors_are_counted(other_shop):
    data = to_csv([row(ショップ受注番号=f"T{i}", 数量="x") for i in range(80)])
    with pytest.raises(ImportRefused) as refused:
        import_orders(data, other_shop)
    assert refused.value.total == 80
    assert refused.value.errors[-1] == "ほか 30 件のエラーがあります。"


def test_large_file_runs_in_the_worker_with_progress(
    operator_client, other_shop, products, settings, django_capture_on_commit_callbacks
):
    from tempostar.celery import app

    settings.IMPORT_INLINE_MAX_BYTES = 10
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = operator_client.post(
                reverse("orders:import", args=[other_shop.code]),
                {"file": SimpleUploadedFile("big.csv", to_csv(SAMPLE_ROWS))},
            )
    finally:
        app.conf.task_always_eager = False
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("orders:job", args=[job.pk])
    live = operator_client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in live and "<html" not in live and "hx-trigger" not in live
    assert stock() == {"SAVA-001": 7, "SAVA-002": 4}


def test_pending_job_page_shows_a_progress_bar(operator_client, other_shop):
    job = ImportJob.objects.create(
        kind="orders",
        shop=other_shop,
        filename="big.csv",
        path="/nonexistent",
        status="running",
        progress=5000,
    )
    page = operator_client.get(reverse("orders:job", args=[job.pk])).content.decode()
    assert "<progress" in page and "5000" in page


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_never_lose_or_double_stock(other_shop):
    Product.objects.create(code="SAVA-001", name="さば缶", expected_stock=1000)
    file_a = to_csv([row(ショップ受注番号=f"A{i}", 数量="2") for i in range(40)])
    file_b = to_csv([row(ショップ受注番号=f"B{i}", 数量="3") for i in range(40)])
    errors = []
    barrier = threading.Barrier(4)

    def importer(data):
        from django.db import connection

        try:
            barrier.wait()
            import_orders(data, other_shop)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    # Two different files, and each of them twice, all at the same moment.
    threads = [
        threading.Thread(target=importer, args=(d,)) for d in (file_a, file_b, file_a, file_b)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert Order.objects.count() == 80
    assert Product.objects.get(code="SAVA-001").expected_stock == 1000 - 40 * 2 - 40 * 3


def test_cli_import_orders(other_shop, products, tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_bytes(to_csv(SAMPLE_ROWS))
    call_command("import_orders", str(path), "--shop", other_shop.code)
    out = capsys.readouterr().out
    assert "受注 2 件 / 明細 3 行" in out and "SAVA-001: 10 -> 7" in out
    path.write_bytes(to_csv([row(数量="0")]))
    with pytest.raises(CommandError, match="取り込みませんでした"):
        call_command("import_orders", str(path), "--shop", other_shop.code)
    assert "2行目: 「数量」が 0 です" in capsys.readouterr().err
    rakuten = Shop.objects.create(
        mall="rakuten", name="r", short_name="r", url="https://www.rakuten.co.jp/x/"
    )
    with pytest.raises(CommandError, match="その他"):
        call_command("import_orders", str(path), "--shop", rakuten.code)


def stock_csv(rows, encoding="cp932"):
    text = '"商品コード","商品名","想定在庫数"\r\n' + "".join(
        ",".join(f'"{v}"' for v in r) + "\r\n" for r in rows
    )
    return text.encode(encoding)


def test_stock_csv_registers_and_updates(operator_client, products, tmp_path, capsys):
    data = stock_csv([("SAVA-001", "さば缶", "50"), ("NEW-1", "新商品①", "3")])
    response = operator_client.post(
        reverse("orders:stock_import"), {"file": SimpleUploadedFile("stock.csv", data)}, follow=True
    )
    assert "取り込みました" in response.content.decode()
    assert stock() == {"NEW-1": 3, "SAVA-001": 50, "SAVA-002": 5}
    assert Product.objects.get(code="NEW-1").name == "新商品①"
    path = tmp_path / "stock.csv"
    path.write_bytes(stock_csv([("SAVA-002", "x", "7")], "utf-8-sig"))
    call_command("import_stock", str(path))
    assert "0 件登録、1 件更新" in capsys.readouterr().out
    assert stock()["SAVA-002"] == 7


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("SAVA-001", "x", "多い")], "2行目: 「想定在庫数」は 0 以上の整数"),
        ([("SAVA-001", "x", "-3")], "2行目: 「想定在庫数」は 0 以上の整数"),
        ([("A", "x", "1"), ("A", "y", "2")], "3行目: 商品コード「A」が 2行目と重複"),
        ([("", "x", "1")], "2行目: 「商品コード」が空です"),
    ],
)
def test_bad_stock_csv_changes_nothing(products, rows, message):
    with pytest.raises(ImportRefused) as refused:
        import_stock(stock_csv(rows))
    assert any(message in e for e in refused.value.errors), refused.value.errors
    assert stock() == {"SAVA-001": 10, "SAVA-002": 5}


def test_template_zip(operator_client):
    response = operator_client.get(reverse("orders:template"))
    assert response["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(response.content))
    names = z.namelist()
    assert len(names) == 3
    template = z.read(next(n for n in names if "テンプレート" in n))
    assert not template.startswith(codecs.BOM_UTF8)
    header = template.decode("cp932").rstrip("\r\n").split(",")
    assert [h.strip('"') for h in header] == COLUMNS
    assert template.endswith(b"\r\n")
    guide = z.read("項目説明.txt").decode("cp932")
    assert "ショップ受注番号 必須" in guide and "数量 必須 整数" in guide


def test_other_shop_page_links_the_import(operator_client, other_shop):
    page = operator_client.get(reverse("shops:edit", args=[other_shop.code])).content.decode()
    assert reverse("orders:import", args=[other_shop.code]) in page
    assert reverse("orders:template") in page


def test_viewers_cannot_import(client, make_user, other_shop):
    client.force_login(make_user("viewer", "view_shop", "view_order"))
    response = upload(client, other_shop, to_csv(SAMPLE_ROWS))
    assert response.status_code == 403
    assert not Order.objects.exists()
