"""Import the TEMPOSTAR-format order CSV (その他モール) and the stock CSV.

Two passes: the whole file is decoded and validated first, and any error refuses the whole
file (nothing saved, no stock changed) with messages naming the line and column. Every value
is bounded there (lengths, numbers, dates, invisible characters: see RowRules), the same way on
SQLite and PostgreSQL. Then one transaction inserts the new orders and lines and lowers
想定在庫数 with conditional F() updates, so concurrent imports never lose or double a stock
change. An order number already imported for the shop is skipped and reported: importing the
same file twice changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import random
import re
import time as clock
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from . import columns
from .columns import (
    CHOICE_COLUMNS,
    CODE_COLUMNS,
    COLUMNS,
    DATE_COLUMNS,
    DATETIME_COLUMNS,
    DEVICE_TYPES,
    GIFT_FLAGS,
    INTEGER_COLUMNS,
    LINE_COLUMNS,
    MULTILINE_COLUMNS,
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
PROGRESS_EVERY = 5000  # rows between progress reports while validating
LINE_BATCH = 2000  # order lines per INSERT (a progress report after each)
ATTEMPTS = 5  # tries of the insert transaction (see _retrying)
# deadlock_detected, serialization_failure: PostgreSQL gave up on one of two transactions.
RETRY_SQLSTATES = {"40P01", "40001"}
ADVISORY_LOCK_CLASS = 0x4F52  # pg_advisory_xact_lock(class, shop id): one import per shop


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
    warnings: list = field(default_factory=list)  # what was cleaned (invisible characters)
    warning_count: int = 0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


# ---- decoding -------------------------------------------------------------------------------


def decode(data: bytes, *, controls: bool = True) -> tuple[str, str]:
    """The file's text and encoding: UTF-8 (with or without BOM) or cp932 (Windows Shift_JIS,
    which also holds ①, 髙, ㈱ and ～). Refuses anything else, naming the line. With
    controls=False, control characters are left to the caller's cell rules (which also name
    the column)."""
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
    bad = CONTROL.search(text) if controls else None
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
        # Python's own text is English and, for a long cell, points at the wrong cause.
        if "field larger than field limit" in str(exc):
            message = (
                f"{reader.line_num}行目: 1つの項目が長すぎます"
                f"(1項目 {csv.field_size_limit():,} 文字まで)。"
                "ダブルクォートの閉じ忘れで後ろの行までつながっていないかも確認してください。"
            )
        else:
            message = (
                f"{reader.line_num}行目: CSV の形式が正しくありません。"
                "ダブルクォートの閉じ忘れや、項目の途中のダブルクォートがないか確認してください。"
            )
        raise ImportRefused([message]) from None


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
            errors.append(f"1行目(ヘッダー) {i}列目: 「{show(got)}」は「{want}」の誤りです。")
            if len(errors) >= 10:
                break
    return errors


# ---- cell rules -----------------------------------------------------------------------------
#
# Every value is cleaned and bounded here, the same way on SQLite and PostgreSQL, before
# anything is saved (columns.py and the README list the bounds).


def _char_class(codepoints) -> str:
    """A regex character class body matching the given code points (as ranges)."""
    ranges: list[list[int]] = []
    for cp in sorted(codepoints):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


def _invisible_codepoints() -> set[int]:
    # Every format character (Unicode category Cf: zero-width space and joiners, BOM, word
    # joiner, soft hyphen, bidi embeddings, overrides and isolates, tag characters, ...), the
    # combining grapheme joiner and the Hangul fillers: all of them display as nothing.
    planes = (range(0x20000), range(0xE0000, 0xE1000))
    found = {cp for plane in planes for cp in plane if unicodedata.category(chr(cp)) == "Cf"}
    return found | {0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0}


INVISIBLE = re.compile(f"[{_char_class(_invisible_codepoints())}]")
# Line breaks and tabs: allowed only in the multi-line columns.
BREAKS = re.compile("[\t\n\r\u2028\u2029]")
# Spaces other than U+0020 (full-width space, no-break space, ...): refused inside codes.
ODD_SPACE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# A control, invisible, line-break or tab character: the slow path of a record.
SUSPECT = re.compile(f"{CONTROL.pattern}|{INVISIBLE.pattern}|{BREAKS.pattern}")
# Only ASCII and full-width digits are digits (int() would also take '٣' or '໓'); full-width
# digits, comma, minus, slash, colon and space are read as their ASCII forms.
FULLWIDTH = str.maketrans("０１２３４５６７８９，－−／：　", "0123456789,--/: ")
INTEGER = re.compile(r"-?[0-9]+")
DATE_CHARS = re.compile(r"[0-9/: -]+")
DATE_MIN = date.fromisoformat(columns.DATE_MIN)
DATE_MAX = date.fromisoformat(columns.DATE_MAX)


def show(value: str, limit: int = 30) -> str:
    """A value as quoted in a message: shortened, control and invisible characters as
    <U+XXXX> (a right-to-left override must not turn the message around)."""
    short = value if len(value) <= limit else value[:limit] + "…"
    return SUSPECT.sub(lambda m: f"<U+{ord(m.group()):04X}>", short)


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()


@functools.lru_cache(maxsize=8192)
def parse_int(value: str) -> int | None:
    """An integer in ASCII or full-width digits, thousands commas allowed; None otherwise.
    More than 15 significant digits come back as ±10^16 (beyond every bound), never int()ed."""
    text = value.translate(FULLWIDTH).replace(",", "")
    if not INTEGER.fullmatch(text):
        return None
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("-").lstrip("0") or "0"
    return sign * (10**16 if len(digits) > 15 else int(digits))


def _strptime(value: str, formats) -> datetime | None:
    text = value.translate(FULLWIDTH)
    if not DATE_CHARS.fullmatch(text):
        return None
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


@functools.lru_cache(maxsize=4096)
def parse_datetime(value: str) -> datetime | None:
    """A naive datetime in one of DATETIME_FORMATS, or None."""
    return _strptime(value, DATETIME_FORMATS)


@functools.lru_cache(maxsize=4096)
def parse_date(value: str) -> date | None:
    parsed = _strptime(value, DATE_FORMATS)
    return parsed.date() if parsed else None


@functools.lru_cache(maxsize=4096)
def aware(value: str) -> datetime:
    """The shop's local time of a 受注日時 already checked by RowRules."""
    return timezone.make_aware(parse_datetime(value))


@dataclass(frozen=True)
class Number:
    low: int
    high: int


class RowRules:
    """How the cells of one CSV record are cleaned and checked.

    check(row) -> (cells, problems, warnings): the cleaned cells (stripped; invisible characters
    removed from free text; numbers canonical; dates with ASCII digits) and lists of
    (column, message). A record with problems is refused; warnings tell what was removed.
    The common record (no control, invisible, line-break or tab character, every cell short)
    takes a fast path: one regex over the joined record and one max() of the lengths.
    """

    def __init__(
        self, names, *, codes, multiline, limits, numbers, dates=(), datetimes=(), choices=()
    ):
        self.names = list(names)
        index = {name: i for i, name in enumerate(self.names)}
        self.codes = [index[n] for n in codes]
        self.multiline = {index[n] for n in multiline}
        self.limits = [(index[n], n, limit) for n, limit in limits.items()]
        self.shortest = min(limit for _, _, limit in self.limits)
        self.numbers = [(index[n], n, spec) for n, spec in numbers.items()]
        self.dates = [(index[n], n) for n in dates]
        self.datetimes = [(index[n], n) for n in datetimes]
        # Where an invisible character is refused; elsewhere (free text) it is removed.
        self.strict = {index[n] for n in [*codes, *numbers, *dates, *datetimes, *choices]}

    def check(self, row: list[str]):
        problems: list[tuple[str, str]] = []
        warnings: list[tuple[str, str]] = []
        refused: set[int] = set()  # cells with a problem already: no second message
        if SUSPECT.search("".join(row)):
            row = list(row)
            for i, cell in enumerate(row):
                if SUSPECT.search(cell):
                    before = len(problems)
                    row[i] = self._clean(i, cell, problems, warnings)
                    if len(problems) > before:
                        refused.add(i)
        cells = [c.strip() for c in row]
        if max(map(len, cells)) > self.shortest:
            for i, name, limit in self.limits:
                if len(cells[i]) > limit and i not in refused:
                    refused.add(i)
                    problems.append(
                        (
                            name,
                            f"「{name}」が長すぎます({len(cells[i]):,} 文字)。"
                            f"{limit:,} 文字以内で入力してください。",
                        )
                    )
        for i in self.codes:
            if i not in refused and not cells[i].isascii():
                odd = ODD_SPACE.search(cells[i])
                if odd:
                    name = self.names[i]
                    problems.append(
                        (
                            name,
                            f"「{name}」に全角スペースなどの空白({_char_name(odd.group())})"
                            "があります。削除してください。",
                        )
                    )
        for i, name, spec in self.numbers:
            if cells[i] and i not in refused:
                self._number(cells, i, name, spec, problems)
        for i, name in self.datetimes:
            if cells[i] and i not in refused:
                self._date(cells, i, name, parse_datetime, "日時", "yyyy/MM/dd HH:mm", problems)
        for i, name in self.dates:
            if cells[i] and i not in refused:
                self._date(cells, i, name, parse_date, "日付", "yyyy/MM/dd", problems)
        return cells, problems, warnings

    def _clean(self, i, cell, problems, warnings) -> str:
        name = self.names[i]
        bad = CONTROL.search(cell)
        if bad:
            problems.append(
                (
                    name,
                    f"文字化けまたは読み取れない文字(U+{ord(bad.group()):04X})が「{name}」に"
                    "あります。Excel などで「CSV(コンマ区切り)」として保存し直してください。",
                )
            )
            return cell
        invisible = INVISIBLE.search(cell)
        if invisible and i in self.strict:
            problems.append(
                (
                    name,
                    f"「{name}」に見えない文字({_char_name(invisible.group())})があります。"
                    "見た目が同じでも別の値になってしまうため、削除してください。",
                )
            )
            return cell
        if invisible:
            found = "、".join(sorted({f"U+{ord(c):04X}" for c in INVISIBLE.findall(cell)}))
            cell = INVISIBLE.sub("", cell)
            warnings.append((name, f"「{name}」の見えない文字({found})を取り除きました。"))
        if i not in self.multiline and BREAKS.search(cell.strip()):
            problems.append(
                (name, f"「{name}」に改行またはタブがあります。1 行で入力してください。")
            )
        return cell

    def _number(self, cells, i, name, spec: Number, problems) -> None:
        value = cells[i]
        number = parse_int(value)
        if number is None or (spec.low >= 0 and number < 0):
            if spec.low >= 0:
                message = (
                    f"「{name}」は {spec.low} 以上の整数で入力してください(「{show(value)}」)。"
                )
            else:
                message = f"「{name}」は数字で入力してください(「{show(value)}」)。"
        elif number == 0 and spec.low == 1:
            message = f"「{name}」が 0 です。1 以上の整数で入力してください。"
        elif not spec.low <= number <= spec.high:
            message = (
                f"「{name}」は {spec.low:,}〜{spec.high:,} の範囲で入力してください"
                f"(「{show(value)}」)。"
            )
        else:
            cells[i] = str(number)
            return
        problems.append((name, message))

    def _date(self, cells, i, name, parse, what, form, problems) -> None:
        value = cells[i]
        parsed = parse(value)
        if parsed is None:
            problems.append(
                (
                    name,
                    f"「{name}」の{what}「{show(value)}」を読み取れません。"
                    f"{form} の形式で入力してください。",
                )
            )
            return
        day = parsed.date() if isinstance(parsed, datetime) else parsed
        if not DATE_MIN <= day <= DATE_MAX:
            problems.append(
                (
                    name,
                    f"「{name}」の{what}「{show(value)}」は範囲外です。"
                    f"{DATE_MIN:%Y/%m/%d}〜{DATE_MAX:%Y/%m/%d} の{what}を入力してください。",
                )
            )
            return
        cells[i] = value.translate(FULLWIDTH)


@functools.cache
def order_rules() -> RowRules:
    amount = Number(-columns.AMOUNT_MAX, columns.AMOUNT_MAX)
    return RowRules(
        COLUMNS,
        codes=CODE_COLUMNS,
        multiline=MULTILINE_COLUMNS,
        limits=columns.max_lengths(),
        numbers={
            **dict.fromkeys(INTEGER_COLUMNS, amount),
            "数量": Number(1, columns.QUANTITY_MAX),
        },
        dates=DATE_COLUMNS,
        datetimes=DATETIME_COLUMNS,
        choices=CHOICE_COLUMNS,
    )


@functools.cache
def stock_rules() -> RowRules:
    return RowRules(
        STOCK_COLUMNS,
        codes=["商品コード"],
        multiline=[],
        limits=columns.stock_max_lengths(),
        numbers={"想定在庫数": Number(0, columns.INTEGER_FIELD_MAX)},
    )


class Collector:
    """Line-numbered messages: the first MAX_ERRORS kept, all of them counted."""

    def __init__(self):
        self.messages: list[str] = []
        self.count = 0

    def add(self, line, message) -> None:
        self.count += 1
        if len(self.messages) < MAX_ERRORS:
            self.messages.append(f"{line}行目: {message}")

    def listed(self, more="ほか {} 件のエラーがあります。") -> list[str]:
        rest = self.count - len(self.messages)
        return [*self.messages, more.format(rest)] if rest else list(self.messages)

    def summary(self) -> dict:
        """As the warnings of a Summary."""
        return {"warnings": self.listed("ほか {} 件あります。"), "warning_count": self.count}


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


def validate_orders(data: bytes, encoding: str, progress=None) -> tuple[dict, int, Collector]:
    """Pass 1: every rule, every line. Returns {order number: OrderHead}, the row count and
    the warnings (invisible characters removed from free text)."""
    errors, warnings = Collector(), Collector()
    heads: dict[str, OrderHead] = {}
    rows = 0
    rules = order_rules()
    it = stream_records(data, encoding)
    try:
        _, header = next(it)
    except StopIteration:
        raise ImportRefused(["ファイルが空です。"]) from None
    header_errors = check_header(header, COLUMNS)
    if header_errors:
        raise ImportRefused(header_errors)

    i_number, i_device, i_gift = (
        INDEX["ショップ受注番号"],
        INDEX["デバイスタイプ"],
        INDEX["ギフトフラグ"],
    )
    i_ordered_at = INDEX["受注日時"]
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
        if progress and rows % PROGRESS_EVERY == 0:
            progress(rows // 2)
        if len(row) != len(COLUMNS):
            bad_char = CONTROL.search("".join(row))
            if bad_char:
                errors.add(
                    line,
                    f"文字化けまたは読み取れない文字(U+{ord(bad_char.group()):04X})が"
                    "あります。Excel などで「CSV(コンマ区切り)」として保存し直してください。",
                )
            errors.add(line, f"列数が {len(row)} です。{len(COLUMNS)} 列必要です。")
            continue
        cells, problems, cleaned = rules.check(row)
        for _, message in problems:
            errors.add(line, message)
        for _, message in cleaned:
            warnings.add(line, message)
        for name in REQUIRED:
            if not cells[INDEX[name]]:
                errors.add(line, f"「{name}」が空です。")
        device = cells[i_device]
        if device and device not in DEVICE_TYPES:
            errors.add(line, f"「デバイスタイプ」は P・S・M のいずれかです(「{show(device)}」)。")
        if cells[i_gift] not in GIFT_FLAGS:
            errors.add(line, "「ギフトフラグ」は 0 か 1 で入力してください。")
        number = cells[i_number]
        if problems or not number or not cells[i_ordered_at]:
            continue
        ordered_at = aware(cells[i_ordered_at])
        head = heads.get(number)
        if head is None:
            heads[number] = OrderHead(line, ordered_at)
        elif head.ordered_at != ordered_at:
            errors.add(
                line,
                f"受注番号「{number}」の「受注日時」が {head.line_no}行目と違います。"
                "同じ受注の行は同じ受注情報にしてください。",
            )
    if errors.count:
        raise ImportRefused(errors.listed(), errors.count)
    if not heads:
        raise ImportRefused(["取り込む受注がありません(ヘッダー行だけのファイルです)。"])
    return heads, rows, warnings


def import_orders(data: bytes, shop, *, job=None, progress=None) -> Summary:
    """Validate then import. Raises ImportRefused (nothing changed) on any bad input."""
    encoding = detect_encoding(data)
    heads, rows, warnings = validate_orders(data, encoding, progress)

    def attempt() -> Summary:
        summary = Summary(encoding=encoding, rows=rows, **warnings.summary())
        with transaction.atomic():
            _lock_shop(shop)
            _insert(data, encoding, heads, shop, summary, job, progress)
        return summary

    return _retrying(attempt)


def _retrying(attempt):
    """Run attempt() (one transaction) again when it lost a race with another import.

    IntegrityError: another import inserted some of the same orders (or products) at the same
    moment; the next try counts them as already there. Deadlock or serialization failure
    (PostgreSQL): one of two transactions was cancelled; the next try runs after a short random
    pause. Locks are taken in a fixed order (one import per shop, products by code), so these
    are a safety net rather than the normal path."""
    for n in range(1, ATTEMPTS + 1):
        try:
            return attempt()
        except (IntegrityError, OperationalError) as exc:
            if n == ATTEMPTS or not _retryable(exc):
                raise
            if isinstance(exc, OperationalError):
                clock.sleep(random.uniform(0.05, 0.2) * n)
    raise AssertionError("unreachable")


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.__cause__, "sqlstate", None) in RETRY_SQLSTATES


def _lock_shop(shop) -> None:
    """PostgreSQL: one order import per shop at a time, for the rest of the transaction.

    Two imports of the same orders would otherwise insert them in each one's file order and
    could wait on each other (a deadlock). Sorting 100,000 orders would need them all in memory;
    this one lock gives every import of a shop the same order: wait, then see what the other
    one committed as already imported. SQLite has one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)",
                [ADVISORY_LOCK_CLASS, shop.pk % 2**31],
            )


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
    rules = order_rules()
    i_number, i_code, i_qty = INDEX["ショップ受注番号"], INDEX["商品コード"], INDEX["数量"]
    i_name, i_customer, i_total = INDEX["商品名"], INDEX["注文者名"], INDEX["請求金額"]
    order_fields = [(n, INDEX[n]) for n in ORDER_COLUMNS]
    line_fields = [(n, INDEX[n]) for n in LINE_COLUMNS]

    def flush_orders():
        created = Order.objects.bulk_create(pending_orders)
        for order in created:
            order_ids[order.order_number] = order.pk
        summary.orders += len(created)
        pending_orders.clear()

    def flush_lines():
        if not pending_lines:
            return
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
        cells = rules.check(row)[0]  # the same cleaning as in pass 1 (which found no error)
        number = cells[i_number]
        if number in existing:
            continue
        if number not in order_ids and heads[number].line_no == line:
            total = cells[i_total]
            pending_orders.append(
                Order(
                    shop=shop,
                    order_number=number,
                    ordered_at=heads[number].ordered_at,
                    customer_name=cells[i_customer],
                    total=int(total) if total else None,
                    columns={n: cells[i] for n, i in order_fields if cells[i]},
                    import_job=job,
                )
            )
            order_ids[number] = 0  # reserved; the real id comes with the flush
        code, qty = cells[i_code], int(cells[i_qty])
        quantities[code] += qty
        pending_lines.append(
            (
                number,
                OrderLine(
                    line_no=line,
                    product_code=code,
                    product_name=cells[i_name],
                    quantity=qty,
                    columns={n: cells[i] for n, i in line_fields if cells[i]},
                ),
            )
        )
        if len(pending_lines) >= LINE_BATCH:
            flush_lines()
    flush_lines()
    # Lower expected stock of registered products, in code order (so two imports lock them in
    # the same order); unknown codes are only reported.
    products = {}
    for chunk in _chunks(quantities):
        products.update(Product.objects.filter(code__in=chunk).in_bulk(field_name="code"))
    low = columns.INTEGER_FIELD_MIN
    for code, qty in sorted(quantities.items()):
        product = products.get(code)
        if product is None:
            summary.unknown_codes[code] = qty
            continue
        # Refused (and everything rolled back) rather than overflowing the column.
        updated = Product.objects.filter(pk=product.pk, expected_stock__gte=low + qty).update(
            expected_stock=F("expected_stock") - qty, updated_at=timezone.now()
        )
        if not updated:
            raise ImportRefused(
                [
                    f"商品コード「{code}」: 想定在庫数 {product.expected_stock:,} から数量の合計 "
                    f"{qty:,} を引くと下限({low:,})を下回ります。「数量」を確認してください。"
                ]
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
    text, encoding = decode(data, controls=False)  # RowRules names the column
    it = records(text)
    try:
        _, header = next(it)
    except StopIteration:
        raise ImportRefused(["ファイルが空です。"]) from None
    header_errors = check_header(header, STOCK_COLUMNS)
    if header_errors:
        raise ImportRefused(header_errors)
    rules = stock_rules()
    errors, warnings = Collector(), Collector()
    seen, rows = {}, {}
    for line, row in it:
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(STOCK_COLUMNS):
            errors.add(line, f"列数が {len(row)} です。{len(STOCK_COLUMNS)} 列必要です。")
            continue
        (code, name, stock), problems, cleaned = rules.check(row)
        for _, message in problems:
            errors.add(line, message)
        for _, message in cleaned:
            warnings.add(line, message)
        if not code:
            errors.add(line, "「商品コード」が空です。")
        elif code in seen:
            errors.add(line, f"商品コード「{show(code)}」が {seen[code]}行目と重複しています。")
        if not stock and not any(n == "想定在庫数" for n, _ in problems):
            errors.add(line, "「想定在庫数」は 0 以上の整数で入力してください(「」)。")
        if code and code not in seen:
            seen[code] = line
            if not problems and stock:
                rows[code] = (name, int(stock))
    if errors.count:
        raise ImportRefused(errors.listed(), errors.count)
    if not rows:
        raise ImportRefused(["取り込む商品がありません(ヘッダー行だけのファイルです)。"])

    def attempt() -> Summary:
        summary = Summary(encoding=encoding, rows=len(rows), **warnings.summary())
        with transaction.atomic():
            _save_stock(rows, summary)
        return summary

    return _retrying(attempt)


def _save_stock(rows: dict, summary: Summary) -> None:
    """Products locked, updated and created in code order (the order the order import uses)."""
    codes = sorted(rows)
    existing = {}
    for chunk in _chunks(codes):
        existing.update(
            {
                p.code: p
                for p in Product.objects.filter(code__in=chunk).order_by("code").select_for_update()
            }
        )
    new, changed = [], []
    for code in codes:
        name, stock = rows[code]
        product = existing.get(code)
        if product is None:
            new.append(Product(code=code, name=name, expected_stock=stock))
        else:
            product.name, product.expected_stock = name or product.name, stock
            changed.append(product)
    Product.objects.bulk_update(changed, ["name", "expected_stock"], batch_size=500)
    Product.objects.bulk_create(new, batch_size=2000)
    summary.orders = len(new)  # products created
    summary.lines = len(changed)  # products updated
