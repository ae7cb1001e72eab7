"""Hostile values in the order and stock CSVs: every value is bounded before anything is saved,
the same way on SQLite and PostgreSQL, and refused with a message naming line and column."""

import re
import unicodedata

import pytest
from django.db import transaction
from django.utils.timezone import localtime
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orders import columns
from orders.columns import COLUMNS
from orders.importer import ImportRefused, import_orders, import_stock
from orders.models import Order, OrderLine, Product
from orders.templatefiles import to_csv
from shops.models import Shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    return Shop.objects.create(
        mall="other", name="サバウェイ電話注文", short_name="電話", url="https://tel.example.jp/"
    )


@pytest.fixture
def product(db):
    return Product.objects.create(code="SAVA-001", name="さば缶", expected_stock=10)


def row(**values):
    base = {
        "ショップ受注番号": "TEL-1",
        "受注日時": "2026/11/26 10:15",
        "注文者名": "髙橋 一郎",
        "商品コード": "SAVA-001",
        "数量": "1",
    }
    return {**base, **values}


def utf8(*rows):
    # UTF-8: cp932 cannot even write most of these characters.
    return to_csv(list(rows), "utf-8")


def max_length(model, field):
    return model._meta.get_field(field).max_length


def refused(data, shop, *expected):
    """Import data, expect it refused with every expected fragment in one message each, and
    nothing saved."""
    stock_before = dict(Product.objects.values_list("code", "expected_stock"))
    with pytest.raises(ImportRefused) as caught:
        import_orders(data, shop)
    errors = caught.value.errors
    for fragment in expected:
        assert any(fragment in e for e in errors), (fragment, errors)
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert dict(Product.objects.values_list("code", "expected_stock")) == stock_before
    return errors


# ---- 1. lengths, numbers, dates, line breaks ----------------------------------------------


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        ("注文者名", max_length(Order, "customer_name")),
        ("ショップ受注番号", max_length(Order, "order_number")),
        ("商品コード", max_length(OrderLine, "product_code")),
        ("商品名", max_length(OrderLine, "product_name")),
        ("注文者住所", columns.TEXT_MAX),
        ("受注備考", columns.MULTILINE_MAX),
    ],
)
def test_text_longer_than_its_column_is_refused(shop, product, column, limit):
    refused(
        utf8(row(**{column: "あ" * (limit + 1)})),
        shop,
        f"2行目: 「{column}」が長すぎます({limit + 1:,} 文字)。{limit:,} 文字以内",
    )
    # Exactly the limit is fine, on PostgreSQL too (characters, not bytes).
    import_orders(utf8(row(**{column: "あ" * limit})), shop)
    order = Order.objects.get()
    stored = {**order.columns, **order.lines.get().columns}
    assert stored[column] == "あ" * limit


def test_max_lengths_come_from_the_models():
    limits = columns.max_lengths()
    assert limits["注文者名"] == max_length(Order, "customer_name") == 200
    assert limits["商品コード"] == 100 and limits["商品名"] == 255
    assert limits["ショップ受注番号"] == 100
    assert "数量" not in limits and "請求金額" not in limits


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"数量": "1000001"}, "2行目: 「数量」は 1〜1,000,000 の範囲"),
        ({"数量": "2147483648"}, "2行目: 「数量」は 1〜1,000,000 の範囲"),
        ({"数量": "9" * 5000}, "2行目: 「数量」は 1〜1,000,000 の範囲"),
        ({"請求金額": "1000000000001"}, "2行目: 「請求金額」は -1,000,000,000,000〜"),
        ({"ポイント": "-1000000000001"}, "2行目: 「ポイント」は -1,000,000,000,000〜"),
        ({"税込単価": "1" * 5000}, "2行目: 「税込単価」は -1,000,000,000,000〜"),
        ({"請求金額": "99999999999999999999"}, "2行目: 「請求金額」は -1,000,000,000,000〜"),
        ({"受注日時": "0001/01/01"}, "2行目: 「受注日時」の日時「0001/01/01」は範囲外です"),
        ({"受注日時": "1999/12/31 23:59"}, "2行目: 「受注日時」の日時「1999/12/31 23:59」は範囲外"),
        ({"受注日時": "2101/01/01"}, "2000/01/01〜2100/12/31 の日時を入力してください"),
        ({"出荷日": "9999/12/31"}, "2行目: 「出荷日」の日付「9999/12/31」は範囲外です"),
        ({"入金日付": "0001-01-01"}, "2行目: 「入金日付」の日付「0001-01-01」は範囲外です"),
        ({"注文者名": "山田\n花子"}, "2行目: 「注文者名」に改行またはタブがあります"),
        ({"配送先住所": "東京都\t千代田区"}, "2行目: 「配送先住所」に改行またはタブ"),
        ({"商品名": "さば缶\u2028限定"}, "2行目: 「商品名」に改行またはタブがあります"),
        ({"商品コード": "SAVA\r\n001"}, "2行目: 「商品コード」に改行またはタブがあります"),
        (
            {"注文者名": "山田\x1b[31m"},
            "2行目: 文字化けまたは読み取れない文字(U+001B)が「注文者名」",
        ),
    ],
)
def test_values_out_of_bounds_are_refused(shop, product, values, message):
    refused(
        utf8(row(ショップ受注番号="OK-1"), row(**values)), shop, message.replace("2行目", "3行目")
    )


def test_values_at_the_bounds_are_imported(shop, product):
    data = utf8(
        row(
            ショップ受注番号="A",
            受注日時="2000/01/01 00:00",
            数量="1000000",
            請求金額="1,000,000,000,000",
            ポイント="-1000000000000",
            出荷日="2100/12/31",
            受注備考="午前中希望\r\n置き配可",
            項目選択肢="カラー:赤\nサイズ:M",
        ),
        row(ショップ受注番号="B", 受注日時="2100/12/31 23:59"),
    )
    import_orders(data, shop)
    a = Order.objects.get(order_number="A")
    assert a.total == 10**12 and a.columns["ポイント"] == "-1000000000000"
    assert a.columns["受注備考"] == "午前中希望\r\n置き配可"
    assert a.lines.get().columns["項目選択肢"] == "カラー:赤\nサイズ:M"
    assert a.lines.get().quantity == 1_000_000
    assert Product.objects.get().expected_stock == 10 - 1_000_000 - 1
    # Read back as the admin list does (0001/01/01 used to make it fail on PostgreSQL).
    years = [localtime(o.ordered_at).year for o in Order.objects.order_by("ordered_at")]
    assert years == [2000, 2100]


def test_stock_never_overflows_its_column(shop):
    low = columns.INTEGER_FIELD_MIN
    Product.objects.create(code="SAVA-001", name="さば缶", expected_stock=low + 1)
    refused(utf8(row(数量="2")), shop, "商品コード「SAVA-001」", "下限(-2,147,483,648)を下回ります")
    assert Product.objects.get().expected_stock == low + 1
    import_orders(utf8(row(数量="1")), shop)
    assert Product.objects.get().expected_stock == low


# ---- 2. invisible characters and foreign digits -------------------------------------------

INVISIBLES = [
    "\u200b",  # zero-width space
    "\ufeff",  # BOM / zero-width no-break space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\u00ad",  # soft hyphen
    "\u202a",  # left-to-right embedding
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u2069",  # pop directional isolate
    "\U000e0041",  # tag latin capital A
    "\u3164",  # Hangul filler
]


@pytest.mark.parametrize("char", INVISIBLES, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("column", ["商品コード", "ショップ受注番号"])
def test_invisible_characters_in_codes_are_refused(shop, product, column, char):
    value = {"商品コード": "SAVA-001", "ショップ受注番号": "TEL-1"}[column]
    for hostile in (value + char, char + value, value[:4] + char + value[4:]):
        errors = refused(
            utf8(row(**{column: hostile})),
            shop,
            f"2行目: 「{column}」に見えない文字(U+{ord(char):04X}",
        )
        assert char not in "".join(errors)  # shown as U+XXXX, never as itself
    assert Product.objects.get().expected_stock == 10  # no second "SAVA-001"


def test_invisible_characters_in_free_text_are_removed_with_a_warning(shop, product):
    data = utf8(
        row(
            注文者名="山田\u200b花子\ufeff",
            配送先住所="東京都\u202e千代田区",
            受注備考="\u2060午前中\u200d希望",
            商品名="さば缶\u00ad",
        )
    )
    summary = import_orders(data, shop)
    order = Order.objects.get()
    assert order.customer_name == "山田花子"
    assert order.columns["配送先住所"] == "東京都千代田区"
    assert order.columns["受注備考"] == "午前中希望"
    line = order.lines.get()
    assert line.product_name == "さば缶" and line.columns["商品名"] == "さば缶"
    assert summary.warning_count == 4
    assert "2行目: 「注文者名」の見えない文字(U+200B、U+FEFF)を取り除きました。" in summary.warnings
    assert any("「配送先住所」" in w and "U+202E" in w for w in summary.warnings)
    assert Product.objects.get().expected_stock == 9


def test_a_name_of_only_invisible_characters_is_empty(shop):
    refused(utf8(row(注文者名="\u200b\u200b")), shop, "2行目: 「注文者名」が空です")


@pytest.mark.parametrize("column", ["商品コード", "ショップ受注番号"])
@pytest.mark.parametrize("space", ["\u3000", "\u00a0", "\u2003"])
def test_odd_spaces_inside_codes_are_refused(shop, product, column, space):
    refused(
        utf8(row(**{column: f"SAVA{space}001"})),
        shop,
        f"2行目: 「{column}」に全角スペースなどの空白(U+{ord(space):04X}",
    )


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("数量", "\u0663"),  # ARABIC-INDIC DIGIT THREE: int() reads 3
        ("数量", "\U0001d7d1"),  # MATHEMATICAL BOLD DIGIT THREE
        ("数量", "\u0e53"),  # THAI DIGIT THREE
        ("請求金額", "\u0661\u0660\u0660"),
        ("ポイント", "\u09e7"),  # BENGALI DIGIT ONE
        ("数量", "1\u200b"),
        ("請求金額", "\u00b2"),  # SUPERSCRIPT TWO
    ],
)
def test_only_ascii_and_full_width_digits_are_numbers(shop, product, column, value):
    refused(utf8(row(**{column: value})), shop, f"2行目: 「{column}」")


def test_full_width_digits_are_read_as_ascii(shop, product):
    data = utf8(
        row(
            数量="２",
            請求金額="４，１７０",
            受注日時="２０２６/１１/２６ １０:１５",
            出荷日="２０２６/１１/２７",
        )
    )
    import_orders(data, shop)
    order = Order.objects.get()
    assert order.total == 4170 and order.columns["請求金額"] == "4170"
    assert order.columns["受注日時"] == "2026/11/26 10:15"
    assert order.columns["出荷日"] == "2026/11/27"
    assert localtime(order.ordered_at).strftime("%d %H:%M") == "26 10:15"
    line = order.lines.get()
    assert line.quantity == 2 and line.columns["数量"] == "2"
    assert Product.objects.get().expected_stock == 8


def test_header_with_an_invisible_character_is_named(shop):
    data = to_csv([row()], "utf-8").replace("注文者名".encode(), "注文者\u200b名".encode(), 1)
    errors = refused(data, shop, "3列目: 「注文者<U+200B>名」は「注文者名」の誤りです")
    assert "\u200b" not in "".join(errors)


# ---- 3. the stock CSV -----------------------------------------------------------------------


def stock_csv(*rows):
    text = '"商品コード","商品名","想定在庫数"\r\n' + "".join(
        ",".join('"' + v.replace('"', '""') + '"' for v in r) + "\r\n" for r in rows
    )
    return text.encode("utf-8")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (("A", "x", "2147483648"), "2行目: 「想定在庫数」は 0〜2,147,483,647 の範囲"),
        (("A", "x", "9" * 5000), "2行目: 「想定在庫数」は 0〜2,147,483,647 の範囲"),
        (("A", "x", "\u0663"), "2行目: 「想定在庫数」は 0 以上の整数"),
        (("A", "x", "-1"), "2行目: 「想定在庫数」は 0 以上の整数"),
        (("A" * 101, "x", "1"), "2行目: 「商品コード」が長すぎます(101 文字)。100 文字以内"),
        (("A", "あ" * 256, "1"), "2行目: 「商品名」が長すぎます(256 文字)。255 文字以内"),
        (("SAVA-001\u200b", "x", "1"), "2行目: 「商品コード」に見えない文字(U+200B"),
        (("\ufeffSAVA-001", "x", "1"), "2行目: 「商品コード」に見えない文字(U+FEFF"),
        (("SAVA\u3000001", "x", "1"), "2行目: 「商品コード」に全角スペースなどの空白"),
        (("A", "さば\n缶", "1"), "2行目: 「商品名」に改行またはタブがあります"),
        (("A", "さば\x07缶", "1"), "2行目: 文字化けまたは読み取れない文字(U+0007)が「商品名」"),
        (("A\x00", "x", "1"), "2行目: 文字化けまたは読み取れない文字(U+0000)が「商品コード」"),
    ],
)
def test_stock_csv_values_out_of_bounds_are_refused(product, values, message):
    with pytest.raises(ImportRefused) as caught:
        import_stock(stock_csv(values))
    assert any(message in e for e in caught.value.errors), caught.value.errors
    assert dict(Product.objects.values_list("code", "expected_stock")) == {"SAVA-001": 10}


def test_stock_csv_bounds_and_cleaning(product):
    summary = import_stock(
        stock_csv(
            ("SAVA-001", "さば缶\u200b", "2147483647"),
            ("NEW-1", "新商品\u202e", "１２"),
            ("NEW-2", "", "0"),
        )
    )
    assert dict(Product.objects.values_list("code", "expected_stock")) == {
        "NEW-1": 12,
        "NEW-2": 0,
        "SAVA-001": 2147483647,
    }
    assert Product.objects.get(code="SAVA-001").name == "さば缶"
    assert Product.objects.get(code="NEW-1").name == "新商品"
    assert summary.warning_count == 2 and summary.warnings[0].startswith("2行目: 「商品名」")


# ---- property: any hostile value in any column ---------------------------------------------

LIMITS = columns.max_lengths()
NUMERIC = {*columns.INTEGER_COLUMNS, "数量"}
ALL_DATES = {*columns.DATE_COLUMNS, *columns.DATETIME_COLUMNS}
FILLERS = "\u034f\u115f\u1160\u3164\uffa0"
DIGITS = str.maketrans("０１２３４５６７８９－−", "0123456789--")


def is_invisible(char):
    return unicodedata.category(char) == "Cf" or char in FILLERS


hostile_chars = st.sampled_from(
    [
        *INVISIBLES,
        "\x00",
        "\x07",
        "\t",
        "\n",
        "\r",
        "\x85",
        "\x9f",
        "\u2028",
        "\u3000",
        "\u00a0",
        "\ufffd",
        "\u0663",
        "\U0001d7d1",
        "１",
        "－",
        "，",
        "髙",
        "①",
        "ｱ",
        "😀",
        '"',
        ",",
    ]
)
hostile_text = st.one_of(
    st.text(alphabet=st.one_of(hostile_chars, st.characters(codec="utf-8")), max_size=40),
    st.builds(lambda c, n: c * n, st.sampled_from(["あ", "A", "😀"]), st.integers(90, 2100)),
)
hostile_number = st.one_of(
    st.integers(-(10**14), 10**14).map(str),
    st.integers(-(10**13), 10**13).map(lambda n: f"{n:,}"),
    st.integers(0, 10**7).map(
        lambda n: str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    ),
    st.integers(1, 6000).map(lambda n: "9" * n),
)
hostile_date = st.one_of(
    st.datetimes().map(lambda d: d.strftime("%Y/%m/%d %H:%M").rjust(16, "0")),
    st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
    st.sampled_from(["0001/01/01", "9999/12/31 23:59", "2000/01/01", "2100/12/31 23:59"]),
)


def expected_text(value):
    """What a free-text value is stored as: invisible characters removed, then stripped."""
    return "".join(c for c in value if not is_invisible(c)).strip()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    column=st.sampled_from(COLUMNS),
    data=st.data(),
)
def test_any_hostile_value_is_stored_within_bounds_or_refused_by_line_and_column(
    shop, column, data
):
    if column in NUMERIC:
        value = data.draw(st.one_of(hostile_number, hostile_text))
    elif column in ALL_DATES:
        value = data.draw(st.one_of(hostile_date, hostile_text))
    else:
        value = data.draw(hostile_text)
    csv_bytes = utf8(row(**{column: value}))
    with transaction.atomic():
        Product.objects.create(code="SAVA-001", name="さば缶", expected_stock=10)
        try:
            import_orders(csv_bytes, shop)
        except ImportRefused as refused_:
            event("refused")
            assert refused_.errors
            assert all(e.startswith("2行目: ") for e in refused_.errors), refused_.errors
            assert any(f"「{column}」" in e for e in refused_.errors), refused_.errors
            assert not Order.objects.exists() and not OrderLine.objects.exists()
            assert Product.objects.get().expected_stock == 10
        else:
            event("imported")
            check_stored(column, value)
        transaction.set_rollback(True)


def check_stored(column, value):
    order = Order.objects.get()
    line = order.lines.get()
    stored = {**order.columns, **line.columns}.get(column, "")
    assert localtime(order.ordered_at).year in range(2000, 2101)
    assert 1 <= line.quantity <= columns.QUANTITY_MAX
    sold = line.quantity if line.product_code == "SAVA-001" else 0
    assert Product.objects.get().expected_stock == 10 - sold
    for text in (order.order_number, order.customer_name, line.product_code, line.product_name):
        assert not any(is_invisible(c) for c in text)
    if column in NUMERIC | ALL_DATES and not value.strip():
        assert stored == ""
    elif column in NUMERIC:
        number = int(value.strip().translate(DIGITS).replace(",", "").replace("，", ""))
        assert stored == str(number)
        low = 1 if column == "数量" else -columns.AMOUNT_MAX
        high = columns.QUANTITY_MAX if column == "数量" else columns.AMOUNT_MAX
        assert low <= number <= high
    elif column in ALL_DATES:
        assert re.fullmatch(r"[0-9/: -]+", stored)
        year = int(re.split("[/-]", stored)[0])
        assert 2000 <= year <= 2100
    elif column in ("デバイスタイプ", "ギフトフラグ"):
        assert stored in ("", "P", "S", "M", "0", "1")
    else:
        assert stored == expected_text(value)
        assert len(stored) <= LIMITS[column]
        if column not in columns.MULTILINE_COLUMNS:
            assert not re.search("[\t\n\r\u2028\u2029]", stored)
        assert not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in stored)


def test_the_cli_prints_what_was_removed(shop, product, tmp_path, capsys):
    from django.core.management import call_command

    path = tmp_path / "orders.csv"
    path.write_bytes(utf8(row(注文者名="山田\u200b花子")))
    call_command("import_orders", str(path), "--shop", shop.code)
    assert (
        "注意: 2行目: 「注文者名」の見えない文字(U+200B)を取り除きました。"
        in capsys.readouterr().out
    )
    path.write_bytes(stock_csv(("NEW-1", "新商品\u2060", "1")))
    call_command("import_stock", str(path))
    assert (
        "注意: 2行目: 「商品名」の見えない文字(U+2060)を取り除きました。" in capsys.readouterr().out
    )


def test_the_column_guide_states_the_bounds():
    from orders.templatefiles import guide

    text = guide()
    assert "注文者名 必須 文字列(200文字まで)" in text
    assert "受注備考 - 文字列(2,000文字まで、改行可)" in text
    assert "数量 必須 整数(1~1,000,000)" in text
    assert "受注日時 必須 日時(2000/01/01~2100/12/31)" in text
    text.encode("cp932")
