"""The TEMPOSTAR-format order CSV (その他モール): its 50 columns, in order, and their rules."""

ORDER_COLUMNS = [
    "ショップ受注番号",
    "受注日時",
    "注文者名",
    "注文者名カナ",
    "注文者郵便番号",
    "注文者住所",
    "注文者電話番号",
    "注文者FAX番号",
    "注文者メールアドレス",
    "支払方法名",
    "支払回数名",
    "デバイスタイプ",
    "ポイント",
    "クーポン",
    "商品計税抜",
    "消費税計",
    "商品計税込",
    "配送料計",
    "決済手数料計",
    "請求金額",
    "入金日付",
    "受注備考",
    "社内備考",
    "倉庫指示",
    "配送先名",
    "配送先名カナ",
    "配送先郵便番号",
    "配送先住所",
    "配送先電話番号",
    "配送先FAX番号",
    "配送方法名",
    "配送時間名",
    "配送毎配送料",
    "配送毎決済手数料",
    "配送毎ポイント",
    "配送毎クーポン",
    "配送毎請求金額",
    "ギフトフラグ",
    "出荷日",
    "配送日",
    "荷物番号",
    "配送毎連絡",
]
LINE_COLUMNS = [
    "商品コード",
    "商品名",
    "項目選択肢",
    "数量",
    "税抜単価",
    "単品消費税",
    "税込単価",
    "商品連絡",
]
COLUMNS = ORDER_COLUMNS + LINE_COLUMNS
assert len(COLUMNS) == 50

REQUIRED = ["ショップ受注番号", "受注日時", "注文者名", "商品コード", "数量"]
DATETIME_COLUMNS = ["受注日時"]
DATE_COLUMNS = ["入金日付", "出荷日", "配送日"]
INTEGER_COLUMNS = [
    "ポイント",
    "クーポン",
    "商品計税抜",
    "消費税計",
    "商品計税込",
    "配送料計",
    "決済手数料計",
    "請求金額",
    "配送毎配送料",
    "配送毎決済手数料",
    "配送毎ポイント",
    "配送毎クーポン",
    "配送毎請求金額",
    "税抜単価",
    "単品消費税",
    "税込単価",
]
DEVICE_TYPES = {"P": "PC", "S": "スマートフォン", "M": "モバイル(フィーチャーフォン)"}
GIFT_FLAGS = {"", "0", "1"}

STOCK_COLUMNS = ["商品コード", "商品名", "想定在庫数"]

# ---- bounds ---------------------------------------------------------------------------------
# Every value is checked against these before anything is saved, the same way on SQLite and
# PostgreSQL (SQLite would store any length or size; PostgreSQL would fail mid-import).

# Identifiers: an invisible character here would make a distinct order or product that looks
# the same, so invisible characters and non-ASCII spaces are refused (not silently removed).
CODE_COLUMNS = ["ショップ受注番号", "商品コード"]
# Free text that may legitimately hold line breaks (and tabs). Every other text column is one
# line: a line break or tab there is refused (it would break labels and documents).
MULTILINE_COLUMNS = ["受注備考", "社内備考", "倉庫指示", "配送毎連絡", "項目選択肢", "商品連絡"]
CHOICE_COLUMNS = ["デバイスタイプ", "ギフトフラグ"]
# Columns stored in a model field of their own: their max_length is the model's.
MODEL_FIELDS = {
    "ショップ受注番号": ("Order", "order_number"),
    "注文者名": ("Order", "customer_name"),
    "商品コード": ("OrderLine", "product_code"),
    "商品名": ("OrderLine", "product_name"),
}
TEXT_MAX = 255  # other one-line text columns (kept in the JSON of the order or line)
MULTILINE_MAX = 2000  # the multi-line columns above
QUANTITY_MAX = 1_000_000  # business maximum for 数量 of one line (the column holds 2^31 - 1)
AMOUNT_MAX = 10**12  # amounts, points and prices: -1兆 .. 1兆 (yen or points)
DATE_MIN, DATE_MAX = "2000-01-01", "2100-12-31"  # 受注日時 and the date columns
INTEGER_FIELD_MAX = 2**31 - 1  # IntegerField / PositiveIntegerField on PostgreSQL
INTEGER_FIELD_MIN = -(2**31)


def max_lengths() -> dict[str, int]:
    """The maximum number of characters of each text column of the order CSV."""
    from . import models

    limits = {}
    for name in COLUMNS:
        if name in MODEL_FIELDS:
            model, field = MODEL_FIELDS[name]
            limits[name] = getattr(models, model)._meta.get_field(field).max_length
        elif name in MULTILINE_COLUMNS:
            limits[name] = MULTILINE_MAX
        elif name not in INTEGER_COLUMNS and name != "数量":
            limits[name] = TEXT_MAX
    return limits


def stock_max_lengths() -> dict[str, int]:
    from .models import Product

    return {
        "商品コード": Product._meta.get_field("code").max_length,
        "商品名": Product._meta.get_field("name").max_length,
    }
