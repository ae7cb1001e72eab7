"""A shop as the API, the bulk import and the export see it, and the way back into the form.

Validation is the console's own: the JSON body becomes the ShopForm's POST data, so every
rule and every message (Japanese by default) is the one the console shows. Secrets are
write-only: a read says whether one is stored and its last characters, never the value.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from shops.forms import ShopForm
from shops.models import Shop

COMMON = list(Shop.COMMON_FIELDS)
# Control characters (tab and line breaks aside: a PEM key has lines) never belong in a value;
# NUL would even fail on PostgreSQL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Read-only parts of a shop's shape: accepted (and ignored) in an import, never written.
READ_ONLY = ["code", "mall_label", "order_mail_address", "created_at", "updated_at"]


# ---- reading -----------------------------------------------------------------------------------


def secret_state(hints: dict, fid: str) -> dict:
    hint = hints.get(fid)
    return {"set": fid in hints, "hint": f"…{hint}" if hint else ""}


def sections_out(shop: Shop, *, with_secrets: bool = True) -> dict[str, dict[str, Any]]:
    stored, hints = shop.settings or {}, shop.secret_hints or {}
    out: dict[str, dict[str, Any]] = {}
    for section in shop.connector.sections:
        values: dict[str, Any] = {}
        for spec in section.fields:
            fid = section.field_id(spec)
            if spec.secret:
                if with_secrets:
                    values[spec.name] = secret_state(hints, fid)
            else:
                values[spec.name] = stored.get(fid)
        out[section.key] = values
    return out


def shop_out(shop: Shop) -> dict[str, Any]:
    return {
        "code": shop.code,
        "mall": shop.mall,
        "mall_label": str(shop.mall_label),
        **{name: getattr(shop, name) for name in COMMON},
        "order_mail_address": shop.order_mail_address,
        "created_at": shop.created_at,
        "updated_at": shop.updated_at,
        "sections": sections_out(shop),
    }


def shop_export(shop: Shop) -> dict[str, Any]:
    """The shape an import reads back: no secret, not even whether one is stored, and no
    section that a new shop cannot have yet (sign-ins)."""
    return {
        "code": shop.code,
        "mall": shop.mall,
        **{name: getattr(shop, name) for name in COMMON},
        "sections": {
            key: values
            for key, values in sections_out(shop, with_secrets=False).items()
            if values and not shop.connector.section(key).after_save
        },
    }


# ---- writing: the body becomes the form's data ----------------------------------------------


class BodyError(Exception):
    """The body does not fit the shape (unknown field, wrong type); `errors` as form_errors."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def _text(value) -> str | None:
    """A scalar as the browser would post it; None for what no form field takes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return None


def field_label(connector, key: str) -> str:
    """A readable name of a body key ("sections.ftp.user" -> "FTP設定 / FTPユーザーID")."""
    if key.startswith("sections."):
        parts = key.split(".")
        if len(parts) == 3:
            try:
                section = connector.section(parts[1])
                return f"{section.title} / {section.field(parts[2]).label}"
            except LookupError:
                return key
        return key
    try:
        return str(Shop._meta.get_field(key).verbose_name)
    except Exception:
        return key


def _error(connector, key: str, message) -> dict:
    return {"field": key, "label": field_label(connector, key), "messages": [str(message)]}


def _control(connector, key: str, text: str, errors: list) -> bool:
    bad = CONTROL.search(text)
    if bad:
        errors.append(
            _error(
                connector,
                key,
                _("Remove the control character (U+%(code)04X) from this value.")
                % {"code": ord(bad.group())},
            )
        )
    return bool(bad)


def form_data(connector, body: dict, instance: Shop | None = None) -> tuple[dict, set[str]]:
    """The ShopForm POST data for `body` on top of the shop as it is (or a new one).

    Fields the body leaves out keep their stored value (a new shop: the prefilled default,
    as the console's form shows it); a secret set to null is removed; a secret left out is
    kept. Returns (data, section field ids the body names). Raises BodyError."""
    errors: list[dict] = []
    data: dict[str, str] = {}
    stored = (instance.settings or {}) if instance else {}
    for name in COMMON:
        data[name] = _text(getattr(instance, name)) if instance else ""
    for key, value in body.items():
        if key == "sections" or key in READ_ONLY or key == "mall":
            continue
        if key not in COMMON:
            errors.append(_error(connector, key, _("This field is unknown.")))
            continue
        text = _text(value)
        if text is None:
            errors.append(_error(connector, key, _("Enter a single value (text or number).")))
        elif not _control(connector, key, text, errors):
            data[key] = text

    is_new = instance is None
    editable = {}
    for section in connector.sections:
        if section.after_save and is_new:
            continue
        for spec in section.fields:
            editable[(section.key, spec.name)] = (section, spec)
            if not spec.secret:
                value = stored.get(section.field_id(spec), spec.default)
                data[ShopForm.field_name(section, spec)] = _text(value) or ""

    named: set[str] = set()
    sections = body.get("sections") or {}
    if not isinstance(sections, dict):
        errors.append(_error(connector, "sections", _("Enter an object of sections.")))
        sections = {}
    for key, values in sections.items():
        if not isinstance(values, dict):
            errors.append(_error(connector, f"sections.{key}", _("Enter an object of fields.")))
            continue
        for fname, value in values.items():
            where = f"sections.{key}.{fname}"
            found = editable.get((key, fname))
            if found is None:
                message = _("This mall has no such field.")
                if is_new and any(s.key == key and s.after_save for s in connector.sections):
                    message = _("This section can be set after the shop is registered.")
                errors.append(_error(connector, where, message))
                continue
            section, spec = found
            name = ShopForm.field_name(section, spec)
            named.add(section.field_id(spec))
            if spec.secret:
                if value is None:
                    data[name + "__clear"] = "on"
                elif isinstance(value, dict) and set(value) <= {"set", "hint"}:
                    pass  # the read shape sent back as it was: keep the stored secret
                elif isinstance(value, str):
                    if not _control(connector, where, value, errors):
                        data[name] = value
                else:
                    errors.append(_error(connector, where, _("Enter the secret as text.")))
                continue
            text = _text(value)
            if text is None:
                errors.append(_error(connector, where, _("Enter a single value (text or number).")))
            elif not _control(connector, where, text, errors):
                data[name] = text
    if errors:
        raise BodyError(errors)
    return data, named


def form_errors(form: ShopForm) -> list[dict]:
    """The form's errors keyed as the body names them, with the field's label."""
    by_name = {}
    for group in form.groups:
        for row in group.rows:
            name = ShopForm.field_name(group.section, row.spec)
            key = f"sections.{group.section.key}.{row.spec.name}"
            by_name[name] = by_name[name + "__clear"] = key
    out = []
    for name, messages in form.errors.items():
        key = "non_field_errors" if name == "__all__" else by_name.get(name, name)
        out.append(
            {
                "field": key,
                "label": field_label(form.connector, key) if key != "non_field_errors" else "",
                "messages": [str(m) for m in messages],
            }
        )
    return out


def build_form(connector, body: dict, *, instance: Shop | None = None, can_edit_credentials=True):
    """A bound ShopForm for the body. Raises BodyError when the body is not a shop's shape."""
    data, _named = form_data(connector, body, instance)
    return ShopForm(
        data,
        instance=instance,
        connector=connector,
        can_edit_credentials=can_edit_credentials,
    )


def describe_errors(errors: list[dict]) -> list[str]:
    """One line per message: 'label (field): message'."""
    lines = []
    for e in errors:
        named = e.get("label") and e["label"] != e["field"]
        where = f"{e['label']} ({e['field']})" if named else e["field"]
        for m in e["messages"]:
            lines.append(f"{where}: {m}")
    return lines
