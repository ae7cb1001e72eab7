"""「TEMPOSTAR形式受注CSV(その他モール)」: the zip with the template, a sample and a guide."""

import csv
import io
import zipfile

from . import columns
from .columns import COLUMNS, DATE_COLUMNS, DATETIME_COLUMNS, INTEGER_COLUMNS, REQUIRED

SAMPLE_ROWS = [
    {
        "ショップ受注番号": "TEL-20261126-001",
        "受注日時": "2026/11/26 10:15",
        "注文者名": "髙橋 一郎",
        "注文者名カナ": "ﾀｶﾊｼ ｲﾁﾛｳ",
        "注文者郵便番号": "100-0001",
        "注文者住所": "東京都千代田区千代田1-1 ①号室",
        "注文者電話番号": "03-1234-5678",
        "注文者メールアドレス": "ichiro@example.jp",
        "支払方法名": "代金引換",
        "デバイスタイプ": "P",
        "ポイント": "0",
        "クーポン": "0",
        "商品計税抜": "3000",
        "消費税計": "240",
        "商品計税込": "3240",
        "配送料計": "600",
        "決済手数料計": "330",
        "請求金額": "4170",
        "配送先名": "㈱サバウェイ 髙橋 一郎",
        "配送先住所": "東京都千代田区千代田1-1",
        "配送方法名": "宅配便",
        "配送時間名": "午前中",
        "ギフトフラグ": "0",
        "商品コード": "SAVA-001",
        "商品名": "さば缶 3缶セット～限定版～",
        "数量": "2",
        "税抜単価": "1000",
        "単品消費税": "80",
        "税込単価": "1080",
    },
    {
        "ショップ受注番号": "TEL-20261126-001",
        "受注日時": "2026/11/26 10:15",
        "注文者名": "髙橋 一郎",
        "デバイスタイプ": "P",
        "請求金額": "4170",
        "ギフトフラグ": "0",
        "商品コード": "SAVA-002",
        "商品名": "さば味噌煮",
        "数量": "1",
        "税抜単価": "1000",
        "単品消費税": "80",
        "税込単価": "1080",
    },
    {
        "ショップ受注番号": "FAX-20261126-002",
        "受注日時": "2026/11/26 14:30",
        "注文者名": "山田 花子",
        "支払方法名": "銀行振込",
        "デバイスタイプ": "P",
        "請求金額": "1680",
        "ギフトフラグ": "1",
        "商品コード": "SAVA-001",
        "商品名": "さば缶 3缶セット～限定版～",
        "数量": "1",
        "税抜単価": "1000",
        "単品消費税": "80",
        "税込単価": "1080",
        "配送料計": "600",
    },
]


def to_csv(rows, encoding="cp932") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue().encode(encoding)


def bound(name: str) -> str:
    """The column's bound as the guide states it (the importer's rules, columns.py)."""
    if name == "数量":
        return f"(1~{columns.QUANTITY_MAX:,})"
    if name in INTEGER_COLUMNS:
        return f"(-{columns.AMOUNT_MAX:,}~{columns.AMOUNT_MAX:,})"
    if name == "デバイスタイプ":
        return "(P・S・M)"
    if name == "ギフトフラグ":
        return "(0・1)"
    if name in DATE_COLUMNS or name in DATETIME_COLUMNS:
        return f"({columns.DATE_MIN.replace('-', '/')}~{columns.DATE_MAX.replace('-', '/')})"
    limit = columns.max_lengths()[name]
    breaks = "、改行可" if name in columns.MULTILINE_COLUMNS else ""
    return f"({limit:,}文字まで{breaks})"


def guide() -> str:
    lines = [
        "TEMPOSTAR形式受注CSV(その他モール) 項目説明",
        "",
        "・1行に受注明細1件。受注単位の項目(ショップ受注番号~配送毎連絡)は明細ごとに繰り返します。",
        "・1行目はヘッダー行(列名)です。列の順番・名前を変えないでください。",
        "・文字コードは Shift_JIS(Windows の cp932)または UTF-8。項目はダブルクォートで囲み、"
        "改行は CRLF。",
        "・日時は yyyy/MM/dd HH:mm(yyyy/MM/dd、yyyy-MM-dd HH:mm:ss も可)。",
        "・デバイスタイプは P(PC)、S(スマートフォン)、M(モバイル)。ギフトフラグは 0 または 1。",
        "・商品コードが登録済みの商品は、想定在庫数から数量が差し引かれます。",
        "・取り込み済みのショップ受注番号の受注はスキップされます(同じファイルを2回取り込んでも変わりません)。",
        "・1件でも誤りがあるとファイル全体を取り込みません(行番号と列名を表示します)。",
        "・商品コードとショップ受注番号に見えない文字(ゼロ幅スペースなど)や全角スペースは"
        "使えません。その他の項目の見えない文字は取り除いて取り込みます。",
        "",
        "列番号 列名 必須 形式",
    ]
    for i, name in enumerate(COLUMNS, start=1):
        kind = (
            "日時"
            if name in DATETIME_COLUMNS
            else "日付"
            if name in DATE_COLUMNS
            else "整数"
            if name in INTEGER_COLUMNS or name == "数量"
            else "文字列"
        )
        lines.append(f"{i:>2} {name} {'必須' if name in REQUIRED else '-'} {kind}{bound(name)}")
    return "\r\n".join(lines) + "\r\n"


def template_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("TEMPOSTAR形式受注CSV_テンプレート.csv", to_csv([]))
        z.writestr("TEMPOSTAR形式受注CSV_サンプル.csv", to_csv(SAMPLE_ROWS))
        z.writestr("項目説明.txt", guide().encode("cp932"))
    return buffer.getvalue()
