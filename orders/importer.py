"""Import the TEMPOSTAR-format order CSV (その他モール) and the stock CSV.

Two passes: the whole file is decoded and validated first, and any error refuses the whole
file (nothing saved, no stock changed) with messages naming the line and column. Then one
transaction inserts the new orders and lines and lowers 想定在庫数 with conditional F()
updates, so concurrent imports never lose or double a stock change. An order number already
imported for the shop is skipped and reported: importing the same file twice changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .columns import (
    COLUMNS,
    DATE_COLUMNS,
    DATETIME_COLUMNS,
    DEVICE_TYPES,
    GIFT_FLAGS,
    INTEGER_COLUMNS,
    LINE_COLUMNS,
    ORDER_COLUMNS,
    REQUIRED,
    STOCK_COLUMNS,
)
from .models import Order, OrderLine, Product

MAX_ERRORS = 50
INDEX = {name: i for i, name in enumerate(COLUMNS)}
# Control characters, the replacement character, and what stray bytes become in cp932
# (C1 controls from 0x80, private-use U+F8F0-U+F8F3 from 0xA0 and 0xFD-0xFF): mojibake.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\uf8f0-\uf8f3]")
DATETIME_FORMATS = [
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
]
DATE_FORMATS = ["%Y/%m/%d", "%Y-%m-%d"]


class ImportRefused(Exception):
    """The file is refused as a whole. `errors` are Japanese messages naming line and column."""

    def __init__(self, errors: list[str], total: int | None = None):
        self.errors = errors
        self.total = total if total is not None else len(errors)
        super().__init__(f"{self.total} error(s)")


@dataclass
class Summary:
    encoding: str = ""
    rows: int = 0
    orders: int = 0
    lines: int = 0
    skipped_orders: list = field(default_factory=list)
    stock_changes: list = field(default_factory=list)
    unknown_codes: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


# ---- decoding -------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and encoding: UTF-8 (with or without BOM) or cp932 (Windows Shift_JIS,
    which also holds ①, 髙, ㈱ and ～). Refuses anything else, naming the line."""
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise ImportRefused(
            [
                f"ファイルが大きすぎます({len(data):,} バイト)。上限は "
                f"{settings.IMPORT_MAX_BYTES:,} バイトです。ファイルを分けて取り込んでください。"
            ]
        )
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = _strict(data[3:], "utf-8", offset=3, whole=data), "utf-8-sig"
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _strict(data, "cp932", whole=data), "cp932"
    bad = CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise ImportRefused(
            [
                f"{line}行目: 文字化けまたは読み取れない文字(U+{ord(bad.group()):04X})があります。"
                "Excel などで「CSV(コンマ区切り)」として保存し直してください。"
            ]
        )
    return text, encoding


def _strict(data: bytes, encoding: str, offset: int = 0, whole: bytes = b"") -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = whole[: exc.start + offset].count(b"\n") + 1
        raise ImportRefused(
            [
                f"{line}行目: 文字コードを読み取れません。Shift_JIS(cp932)か UTF-8 で保存した "
                "CSV を指定してください。"
            ]
        ) from None


def records(text):
    """(line number where the record starts, fields) for each CSV record.

    text: a str, or a text stream opened with newline="" (read lazily)."""
    stream = io.StringIO(text, newline="") if isinstance(text, str) else text
    reader = csv.reader(stream, strict=True)
    start = 1
    try:
        for row in reader:
            yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRefused(
            [
                f"{reader.line_num}行目: CSV の形式が正しくありません({exc})。"
                "ダブルクォートの閉じ忘れがないか確認してください。"
            ]
        ) from None


def check_header(header: list[str], expected: list[str]) -> list[str]:
    header = [h.strip() for h in header]
    if header == expected:
        return []
    errors = []
    if len(header) != len(expected):
        errors.append(
            f"1行目(ヘッダー): 列数が {len(header)} です。{len(expected)} 列の"
            "ヘッダーが必要です。テンプレートのヘッダー行をそのまま使ってください。"
        )
    for i, (got, want) in enumerate(zip(header, expected, strict=False), start=1):
        if got != want:
            errors.append(f"1行目(ヘッダー) {i}列目: 「{got}」は「{want}」の誤りです。")
            if len(errors) >= 10:
                break
    return errors


@functools.lru_cache(maxsize=4096)
def parse_datetime(value: str) -> datetime | None:
    for fmt in DATETIME_FORMATS:
        try:
            return timezone.make_aware(datetime.strptime(value, fmt))
        except ValueError:
            continue
    return None


def parse_date(value: str):
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


# ---- orders ---------------------------------------------------------------------------------
#
# A file of 100,000 lines is about 36 MB: it is never held as one decoded string or as one
# list of rows. It is decoded and parsed as a stream twice: once to validate, once to insert
# in batches, keeping only a dict of order numbers between the passes.


def detect_encoding(data: bytes) -> str:
    """utf-8-sig, utf-8 or cp932, checked chunk by chunk. Refuses undecodable bytes."""
    if len(data) > settings.IMPORT_MAX_BYTES:
        decode(data)  # raises the size message
    if data.startswith(codecs.BOM_UTF8):
        _check_stream(data, "utf-8", offset=3)
        return "utf-8-sig"
    try:
        _check_stream(data, "utf-8")
        return "utf-8"
    except ImportRefused:
        _check_stream(data, "cp932")
        return "cp932"


def _check_stream(data: bytes, encoding: str, offset: int = 0, chunk: int = 1 << 20) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    position = offset
    while position < len(data):
        piece = data[position : position + chunk]
        try:
            decoder.decode(piece, final=position + chunk >= len(data))
        except UnicodeDecodeError as exc:
            line = data[: position + exc.start].count(b"\n") + 1
            raise ImportRefused(
                [
                    f"{line}行目: 文字コードを読み取れません。Shift_JIS(cp932)か UTF-8 で保存した "
                    "CSV を指定してください。"
                ]
            ) from None
        position += chunk


def stream_records(data: bytes, encoding: str):
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    return records(text)


class OrderHead(tuple):
    """(line_no, ordered_at) of an order's first line; a tuple to stay small per order."""

    __slots__ = ()

    def __new__(cls, line_no, ordered_at):
        return super().__new__(cls, (line_no, ordered_at))

    line_no = property(lambda self: self[0])
    ordered_at = property(lambda self: self[1])


def validate_orders(data: bytes, encoding: str, progress=None) -> tuple[dict, int]:
    """Pass 1: every rule, every line. Returns {order number: OrderHead} and the row count."""
    errors: list[str] = []
    error_count = 0
    heads: dict[str, OrderHead] = {}
    rows = 0
    it = stream_records(data, encoding)
    try:
        _, header = next(it)
    except StopIteration:
        raise ImportRefused(["ファイルが空です。"]) from None
    header_errors = check_header(header, COLUMNS)
    if header_errors:
        raise ImportRefused(header_errors)

    def error(line, message):
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_ERRORS:
            errors.append(f"{line}行目: {message}")

    i_qty, i_number = INDEX["数量"], INDEX["ショップ受注番号"]
    for line, row in it:
        if not any(cell.strip() for cell in row):
            continue  # a blank line (for example at the end of the file)
        rows += 1
        if rows > settings.IMPORT_MAX_ROWS:
            raise ImportRefused(
                [
                    f"行数が上限({settings.IMPORT_MAX_ROWS:,} 行)を超えています。"
                    "ファイルを分けて取り込んでください。"
                ]
            )
        if progress and rows % 5000 == 0:
            progress(rows // 2)
        bad_char = CONTROL.search("".join(row))
        if bad_char:
            error(
                line,
                f"文字化けまたは読み取れない文字(U+{ord(bad_char.group()):04X})が"
                "あります。Excel などで「CSV(コンマ区切り)」として保存し直してください。",
            )
            continue
        if len(row) != len(COLUMNS):
            error(line, f"列数が {len(row)} です。{len(COLUMNS)} 列必要です。")
            continue
        cells = [c.strip() for c in row]
        for name in REQUIRED:
            if not cells[INDEX[name]]:
                error(line, f"「{name}」が空です。")
        for name in INTEGER_COLUMNS:
            value = cells[INDEX[name]].replace(",", "")
            if value and not re.fullmatch(r"-?\d+", value):
                error(line, f"「{name}」は数字で入力してください(「{cells[INDEX[name]]}」)。")
        qty = cells[i_qty]
        if qty and not re.fullmatch(r"\d+", qty):
            error(line, f"「数量」は 1 以上の整数で入力してください(「{qty}」)。")
        elif qty and int(qty) == 0:
            error(line, "「数量」が 0 です。1 以上の整数で入力してください。")
        ordered_at = None
        for name in DATETIME_COLUMNS:
            value = cells[INDEX[name]]
            if value:
                ordered_at = parse_datetime(value)
                if ordered_at is None:
                    error(
                        line,
                        f"「{name}」の日時「{value}」を読み取れません。"
                        "yyyy/MM/dd HH:mm の形式で入力してください。",
                    )
        for name in DATE_COLUMNS:
            value = cells[INDEX[name]]
            if value and parse_date(value) is None:
                error(
                    line,
                    f"「{name}」の日付「{value}」を読み取れません。"
                    "yyyy/MM/dd の形式で入力してください。",
                )
        device = cells[INDEX["デバイスタイプ"]]
        if device and device not in DEVICE_TYPES:
            error(line, f"「デバイスタイプ」は P・S・M のいずれかです(「{device}」)。")
        if cells[INDEX["ギフトフラグ"]] not in GIFT_FLAGS:
            error(line, "「ギフトフラグ」は 0 か 1 で入力してください。")
        number = cells[i_number]
        if not number or ordered_at is None:
            continue
        head = heads.get(number)
        if head is None:
            heads[number] = OrderHead(line, ordered_at)
        elif head.ordered_at != ordered_at:
            error(
                line,
                f"受注番号「{number}」の「受注日時」が {head.line_no}行目と違います。"
                "同じ受注の行は同じ受注情報にしてください。",
            )
    if error_count:
        if error_count > len(errors):
            errors.append(f"ほか {error_count - len(errors)} 件のエラーがあります。")
        raise ImportRefused(errors, error_count)
    if not heads:
        raise ImportRefused(["取り込む受注がありません(ヘッダー行だけのファイルです)。"])
    return heads, rows


def import_orders(data: bytes, shop, *, job=None, progress=None) -> Summary:
    """Validate then import. Raises ImportRefused (nothing changed) on any bad input."""
    encoding = detect_encoding(data)
    heads, rows = validate_orders(data, encoding, progress)
    for attempt in range(3):
        summary = Summary(encoding=encoding, rows=rows)
        try:
            with transaction.atomic():
                _insert(data, encoding, heads, shop, summary, job, progress)
            return summary
        except IntegrityError:
            # Another import inserted some of these orders at the same moment: start again;
            # this time they count as already imported.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _chunks(items, size=900):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert(data, encoding, heads, shop, summary, job, progress):
    """Pass 2: orders and lines in batches; then the stock updates."""
    existing = set()
    for chunk in _chunks(heads):
        existing.update(
            Order.objects.filter(shop=shop, order_number__in=chunk).values_list(
                "order_number", flat=True
            )
        )
    summary.skipped_orders = sorted(existing)
    order_ids: dict[str, int] = {}
    pending_orders: list[Order] = []
    pending_lines: list[tuple[str, OrderLine]] = []
    quantities: dict[str, int] = defaultdict(int)
    i_number, i_code, i_qty = INDEX["ショップ受注番号"], INDEX["商品コード"], INDEX["数量"]
    order_fields = [(n, INDEX[n]) for n in ORDER_COLUMNS]
    line_fields = [(n, INDEX[n]) for n in LINE_COLUMNS]

    def flush_orders():
        created = Order.objects.bulk_create(pending_orders)
        for order in created:
            order_ids[order.order_number] = order.pk
        summary.orders += len(created)
        pending_orders.clear()

    def flush_lines():
        flush_orders()  # lines need their orders' ids
        objs = []
        for number, line in pending_lines:
            line.order_id = order_ids[number]
            objs.append(line)
        OrderLine.objects.bulk_create(objs)
        summary.lines += len(objs)
        pending_lines.clear()
        if progress:
            progress(summary.rows // 2 + summary.lines // 2)

    it = stream_records(data, encoding)
    next(it)  # the header, checked in pass 1
    for line, row in it:
        if not any(cell.strip() for cell in row):
            continue
        number = row[i_number].strip()
        if number in existing:
            continue
        if number not in order_ids and heads[number].line_no == line:
            cells = [c.strip() for c in row]
            total = cells[INDEX["請求金額"]].replace(",", "")
            pending_orders.append(
                Order(
                    shop=shop,
                    order_number=number,
                    ordered_at=heads[number].ordered_at,
                    customer_name=cells[INDEX["注文者名"]],
                    total=int(total) if total else None,
                    columns={n: cells[i] for n, i in order_fields if cells[i]},
                    import_job=job,
                )
            )
            order_ids[number] = 0  # reserved; the real id comes with the flush
        code, qty = row[i_code].strip(), int(row[i_qty].strip())
        quantities[code] += qty
        pending_lines.append(
            (
                number,
                OrderLine(
                    line_no=line,
                    product_code=code,
                    product_name=row[INDEX["商品名"]].strip(),
                    quantity=qty,
                    columns={n: row[i].strip() for n, i in line_fields if row[i].strip()},
                ),
            )
        )
        if len(pending_lines) >= 2000:
            flush_lines()
    flush_lines()
    # Lower expected stock of registered products; unknown codes are only reported.
    products = {}
    for chunk in _chunks(quantities):
        products.update(Product.objects.filter(code__in=chunk).in_bulk(field_name="code"))
    for code, qty in sorted(quantities.items()):
        product = products.get(code)
        if product is None:
            summary.unknown_codes[code] = qty
            continue
        Product.objects.filter(pk=product.pk).update(
            expected_stock=F("expected_stock") - qty, updated_at=timezone.now()
        )
        summary.stock_changes.append({"code": code, "name": product.name, "quantity": qty})
    if summary.stock_changes:
        after = {}
        for chunk in _chunks([c["code"] for c in summary.stock_changes]):
            after.update(
                Product.objects.filter(code__in=chunk).values_list("code", "expected_stock")
            )
        for change in summary.stock_changes:
            change["after"] = after[change["code"]]
            change["before"] = change["after"] + change["quantity"]


# ---- stock ----------------------------------------------------------------------------------


def import_stock(data: bytes) -> Summary:
    """商品コード, 商品名, 想定在庫数: register products or set their expected stock."""
    text, encoding = decode(data)
    it = records(text)
    try:
        _, header = next(it)
    except StopIteration:
        raise ImportRefused(["ファイルが空です。"]) from None
    header_errors = check_header(header, STOCK_COLUMNS)
    if header_errors:
        raise ImportRefused(header_errors)
    errors, seen, rows = [], {}, {}
    for line, row in it:
        if not any(c.strip() for c in row):
            continue
        if len(row) != 3:
            errors.append(f"{line}行目: 列数が {len(row)} です。3 列必要です。")
            continue
        code, name, stock = (c.strip() for c in row)
        if not code:
            errors.append(f"{line}行目: 「商品コード」が空です。")
        elif code in seen:
            errors.append(f"{line}行目: 商品コード「{code}」が {seen[code]}行目と重複しています。")
        if not re.fullmatch(r"\d+", stock.replace(",", "")):
            errors.append(
                f"{line}行目: 「想定在庫数」は 0 以上の整数で入力してください(「{stock}」)。"
            )
        if code and code not in seen:
            seen[code] = line
            rows[code] = (
                name,
                int(stock.replace(",", "")) if stock.replace(",", "").isdigit() else 0,
            )
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise ImportRefused(errors)
    if not rows:
        raise ImportRefused(["取り込む商品がありません(ヘッダー行だけのファイルです)。"])
    summary = Summary(encoding=encoding, rows=len(rows))
    with transaction.atomic():
        existing = {}
        for chunk in _chunks(rows):
            existing.update(Product.objects.filter(code__in=chunk).in_bulk(field_name="code"))
        new, changed = [], []
        for code, (name, stock) in rows.items():
            product = existing.get(code)
            if product is None:
                new.append(Product(code=code, name=name, expected_stock=stock))
            else:
                product.name, product.expected_stock = name or product.name, stock
                changed.append(product)
        Product.objects.bulk_create(new, batch_size=2000)
        Product.objects.bulk_update(changed, ["name", "expected_stock"], batch_size=500)
    summary.orders = len(new)  # products created
    summary.lines = len(changed)  # products updated
    return summary
