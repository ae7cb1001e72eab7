"""Bulk shop registration from a file, and the export that writes the same formats.

A file is a JSON list of shops in the API's shape, or a CSV with one column per field
(`mall`, the common record's fields, then `<section>.<field>`), in UTF-8 or cp932. Every
row is validated by the console's ShopForm first; any error refuses the whole file with a
message per row naming the field, and nothing is saved. Otherwise every shop is created
through shops.store (via=IMPORT) in one transaction: all of them, or none. A dry run stops
after the validation and says what would be created.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from connectors.base import registry
from orders.importer import ImportRefused, decode, records, show
from shops import store

from . import jsonbody, shapes

MAX_ERRORS = 100


@dataclass
class Report:
    dry_run: bool
    encoding: str = ""
    rows: int = 0
    # (row number, mall label, short name, shop code or "" in a dry run)
    shops: list[tuple] = field(default_factory=list)
    # What was changed on the way in (invisible characters removed), by row.
    warnings: list[str] = field(default_factory=list)


def _row_label(number: int, kind: str) -> str:
    if kind == "csv":
        return _("Line %(n)d") % {"n": number}
    return _("Shop %(n)d") % {"n": number}


def read(data: bytes, filename: str = "") -> tuple[list[tuple[int, dict]], str, str]:
    """[(row number, body)], the format ("json" or "csv") and the encoding. Raises
    ImportRefused for a file that cannot be read."""
    text, encoding = decode(data)
    if encoding == "cp932" and _looks_like_euc_jp(data, text):
        raise ImportRefused(
            [
                _(
                    "The file seems to be in EUC-JP: it would register garbled names. Save it "
                    "as UTF-8 or Shift_JIS and upload it again."
                )
            ]
        )
    private = re.search(r"[\ue000-\uf8ff]", text)
    if private:
        # Shift_JIS's user-defined area decodes to these; so does an EUC-JP or other file read
        # as Shift_JIS, which would register mojibake.
        line = text.count("\n", 0, private.start()) + 1
        raise ImportRefused(
            [
                _(
                    "Line %(n)d: the file holds a character of the private use area (外字). "
                    "Save the file as UTF-8 or Shift_JIS without such characters."
                )
                % {"n": line}
            ]
        )
    stripped = text.lstrip("\ufeff \t\r\n")
    if filename.lower().endswith(".json") or stripped.startswith(("[", "{")):
        return _read_json(stripped), "json", encoding
    return _read_csv(text), "csv", encoding


HALF_WIDTH_KANA = re.compile(r"[\uff61-\uff9f]")
KANA = re.compile(r"[\u3041-\u30ff]")


def _looks_like_euc_jp(data: bytes, as_cp932: str) -> bool:
    """An EUC-JP file is also valid Shift_JIS, read as half-width katakana and odd kanji. It is
    EUC-JP when it reads as EUC-JP too, and that reading holds hiragana or katakana where the
    Shift_JIS one has half-width katakana instead (Japanese text in EUC-JP always does)."""
    if not HALF_WIDTH_KANA.search(as_cp932):
        return False
    try:
        as_euc = data.decode("euc_jp")
    except UnicodeDecodeError:
        return False
    return bool(KANA.search(as_euc)) and not KANA.search(as_cp932)


def _read_json(text: str) -> list[tuple[int, dict]]:
    try:
        items = jsonbody.loads(text)
    except jsonbody.BadJSON as exc:
        raise ImportRefused([str(exc)]) from None
    if not isinstance(items, list):
        raise ImportRefused([_("The JSON file must hold a list of shops: [{...}, {...}].")])
    rows, errors = [], []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(f"{_row_label(i, 'json')}: " + _("Each shop must be a JSON object."))
        else:
            rows.append((i, item))
    if errors:
        raise ImportRefused(errors[:MAX_ERRORS], len(errors))
    return rows


def csv_columns(connectors) -> list[str]:
    """The columns of a CSV for these malls: the common record, then each section field
    that is not a secret (an export) ."""
    columns = ["code", "mall", *shapes.COMMON]
    for connector in connectors:
        for section, spec in connector.fields():
            if section.after_save or spec.secret:
                continue
            column = section.field_id(spec)
            if column not in columns:
                columns.append(column)
    return columns


def template_csv(connector) -> bytes:
    """A CSV to fill in for one mall: every column the import reads for it (secrets
    included, after_save sections aside) and one row with the mall set. UTF-8 with a BOM, so
    that Excel opens it in Japanese; the import reads it as it is."""
    columns = ["mall", *shapes.COMMON]
    for section, spec in connector.fields():
        if not section.after_save:
            columns.append(section.field_id(spec))
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([connector.code, *[""] * (len(columns) - 1)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _known_columns() -> set[str]:
    known = {"mall", *shapes.COMMON, *shapes.READ_ONLY}
    for connector in registry.all():
        for section, spec in connector.fields():
            known.add(section.field_id(spec))
    return known


def _read_csv(text: str) -> list[tuple[int, dict]]:
    # Read no further than one record past the limit: a huge file is refused by its count
    # without being held in memory (import_shops says how many is too many).
    found, filled = [], 0
    for line, cells in records(text):
        if any(c.strip() for c in cells):
            filled += 1
            if filled > settings.SHOP_IMPORT_MAX_ROWS + 2:
                break
        found.append((line, cells))
    if not found:
        raise ImportRefused([_("The file is empty.")])
    _line, header = found[0]
    header = [h.strip() for h in header]
    known = _known_columns()
    if len(header) > len(known):
        raise ImportRefused(
            [
                _("Line 1: %(n)d columns; a shop file has at most %(max)d.")
                % {"n": len(header), "max": len(known)}
            ]
        )
    errors = [
        _(
            "Line 1: the column %(column)s is unknown. Columns are mall, the common fields "
            "(name, short_name, url, ...) and <section>.<field>."
        )
        % {"column": show(h) if h else '""'}
        for h in header
        if h not in known
    ]
    if "mall" not in header:
        errors.append(_("Line 1: the column mall is missing."))
    if len(set(header)) != len(header):
        errors.append(_("Line 1: a column appears twice."))
    if errors:
        raise ImportRefused(errors[:MAX_ERRORS], len(errors))
    secret_columns = {
        section.field_id(spec)
        for connector in registry.all()
        for section, spec in connector.fields()
        if spec.secret
    }
    rows = []
    for line, cells in found[1:]:
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) != len(header):
            errors.append(
                _("Line %(n)d: %(got)d columns where the header has %(want)d.")
                % {"n": line, "got": len(cells), "want": len(header)}
            )
            continue
        body: dict = {"sections": {}}
        for column, value in zip(header, cells, strict=True):
            if value == "":
                continue  # blank: the default, as a new shop's form shows it
            if column not in secret_columns:  # an export writes no secret: never guarded
                value = unguard_cell(value)
            if "." in column:
                section, name = column.split(".", 1)
                body["sections"].setdefault(section, {})[name] = value
            else:
                body[column] = value
        rows.append((line, body))
    if errors:
        raise ImportRefused(errors[:MAX_ERRORS], len(errors))
    return rows


def validate(rows: list[tuple[int, dict]], kind: str) -> tuple[list, list[str]]:
    """[(row number, connector, form)] for valid rows, and a message per error."""
    plans, errors = [], []
    for number, body in rows:
        where = _row_label(number, kind)
        mall = body.get("mall")
        if not isinstance(mall, str) or mall not in registry:
            errors.append(
                f"{where}: "
                + _("mall: %(mall)s is not a mall code. Use one of: %(codes)s.")
                % {
                    "mall": mall if mall not in (None, "") else '""',
                    "codes": ", ".join(registry.codes()),
                }
            )
            continue
        connector = registry.get(mall)
        if kind == "csv":
            # A CSV has every mall's columns: a filled cell must belong to this row's mall.
            body = _only_own_sections(connector, body, errors, where)
        try:
            form = shapes.build_form(connector, body)
        except shapes.BodyError as exc:
            errors += [f"{where}: {line}" for line in shapes.describe_errors(exc.errors)]
            continue
        if not form.is_valid():
            errors += [
                f"{where}: {line}" for line in shapes.describe_errors(shapes.form_errors(form))
            ]
            continue
        plans.append((number, connector, form))
    return plans, errors


def _only_own_sections(connector, body, errors, where):
    own = {section.key for section in connector.sections}
    for key, values in list(body.get("sections", {}).items()):
        if key not in own:
            for name in values:
                errors.append(
                    f"{where}: "
                    + _("%(column)s is not a field of %(mall)s: leave it blank.")
                    % {"column": f"{key}.{name}", "mall": connector.label}
                )
            del body["sections"][key]
    return body


def import_shops(data: bytes, filename: str = "", *, user=None, dry_run=False) -> Report:
    """Validate the whole file, then (unless a dry run) create every shop, all or nothing.

    Raises ImportRefused with a message per error (the first MAX_ERRORS, and the count)."""
    if len(data) > settings.SHOP_IMPORT_MAX_BYTES:
        raise ImportRefused(
            [
                _("The file is too large: the limit is %(limit)s bytes.")
                % {"limit": f"{settings.SHOP_IMPORT_MAX_BYTES:,}"}
            ]
        )
    rows, kind, encoding = read(data, filename)
    if len(rows) > settings.SHOP_IMPORT_MAX_ROWS:
        raise ImportRefused(
            [
                _("The file has more than %(max)d shops; at most %(max)d can be imported at once.")
                % {"max": settings.SHOP_IMPORT_MAX_ROWS}
            ]
        )
    if not rows:
        raise ImportRefused([_("The file holds no shop.")])
    plans, errors = validate(rows, kind)
    if errors:
        raise ImportRefused(errors[:MAX_ERRORS], len(errors))
    report = Report(dry_run=dry_run, encoding=encoding, rows=len(rows))
    report.warnings = [
        f"{_row_label(number, kind)}: {warning}"
        for number, _connector, form in plans
        for warning in form.warnings
    ]
    if dry_run:
        report.shops = [
            (number, connector.label, form.cleaned_data["short_name"], "")
            for number, connector, form in plans
        ]
        return report
    with transaction.atomic():
        for number, connector, form in plans:
            shop = store.create(connector, form.edit(), user=user, via=store.IMPORT)
            report.shops.append((number, connector.label, shop.short_name, shop.code))
    return report


# ---- export ------------------------------------------------------------------------------------


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection). An
# export puts an apostrophe before such a value, as spreadsheets do for text, and the import
# takes it off again, so a round trip keeps the value.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: str) -> str:
    # A value that itself starts with an apostrophe gets one more, so the import's removal of
    # one leaves it as it was.
    return "'" + value if value.startswith((*FORMULA_START, "'")) else value


def unguard_cell(value: str) -> str:
    """One leading apostrophe off a cell that a spreadsheet would otherwise read as a formula
    (or that guard_cell doubled), as Excel treats a typed '=1 as the text =1."""
    if value.startswith("'") and value[1:].startswith((*FORMULA_START, "'")):
        return value[1:]
    return value


def export_json(shops) -> str:
    return json.dumps(
        [shapes.shop_export(s) for s in shops], ensure_ascii=False, indent=2, default=str
    )


def export_csv(shops) -> str:
    shops = list(shops)
    malls = [c for c in registry.all() if any(s.mall == c.code for s in shops)]
    columns = csv_columns(malls)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for shop in shops:
        record = shapes.shop_export(shop)
        row = []
        for column in columns:
            if "." in column:
                section, name = column.split(".", 1)
                value = record["sections"].get(section, {}).get(name)
            else:
                value = record.get(column)
            if isinstance(value, bool):
                value = "1" if value else "0"
            row.append("" if value is None else guard_cell(str(value)))
        writer.writerow(row)
    return out.getvalue()
