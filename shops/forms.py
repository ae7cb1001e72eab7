"""The shop form: the common record plus the mall's sections, declared by its connector."""

import json
import re
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectors import sections as S
from tempostar.crypto import DecryptionError

from .models import Shop

http_url = URLValidator(
    schemes=["http", "https"],
    message=_("Enter a full URL starting with http:// or https://."),
)
MASK, CHANGED = "********", "***CHANGED***"
COMMON_FIELDS = [
    "name",
    "short_name",
    "url",
    "mobile_url",
    "manager_name",
    "genre",
    "notify_emails",
]


def _formfield(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        # "www.example.jp/shop/" becomes "https://www.example.jp/shop/" (Django 6 default).
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


def _form_field_for(spec: S.Field) -> forms.Field:
    common = {"label": spec.label, "help_text": spec.help, "required": False}
    if spec.kind == S.SECRET:
        return forms.CharField(
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            max_length=spec.max_length,
            **common,
        )
    if spec.kind == S.BOOL:
        return forms.TypedChoiceField(
            choices=[("1", _("Use")), ("0", _("Do not use"))],
            coerce=lambda v: v == "1",
            widget=forms.RadioSelect,
            **common,
        )
    if spec.kind == S.CHOICE:
        return forms.ChoiceField(choices=spec.choices, **common)
    if spec.kind in (S.INT, S.PORT):
        return forms.IntegerField(**common)
    if spec.kind == S.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if spec.kind == S.EMAIL:
        return forms.EmailField(max_length=spec.max_length, **common)
    if spec.kind == S.KEY_PEM:
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 5, "class": "mono"}),
            max_length=spec.max_length,
            **common,
        )
    return forms.CharField(max_length=spec.max_length, **common)


@dataclass
class FieldRow:
    bound: forms.BoundField
    spec: S.Field
    clear: forms.BoundField | None = None
    is_set: bool = False
    hint: str = ""


@dataclass
class SectionGroup:
    section: S.Section
    rows: list[FieldRow] = field(default_factory=list)
    features: list = field(default_factory=list)
    last_check: object = None  # set by the edit view
    host_key: str | None = None


class ShopForm(forms.ModelForm):
    """Common record + sections. Secrets are write-only: blank keeps, 削除 clears."""

    class Meta:
        model = Shop
        fields = COMMON_FIELDS
        formfield_callback = _formfield
        widgets = {
            "url": forms.URLInput(attrs={"placeholder": "https://www.example.jp/shop/"}),
            "mobile_url": forms.URLInput(attrs={"placeholder": "https://www.example.jp/shop/"}),
        }

    def __init__(self, *args, connector, can_edit_credentials=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.connector = connector
        self.can_edit_credentials = can_edit_credentials
        self.warnings: list[str] = []
        for name in ("url", "mobile_url"):
            f = self.fields[name]
            f.validators = [http_url]
            # The field's own "invalid" message would replace the validator's.
            f.error_messages["invalid"] = http_url.message
        self.is_new = self.instance.pk is None
        stored = self.instance.settings or {}
        hints = self.instance.secret_hints or {}
        self.groups: list[SectionGroup] = []
        for section in connector.sections:
            if section.after_save and self.is_new:
                self.groups.append(SectionGroup(section))
                continue
            group = SectionGroup(section, features=[S.FEATURE_LABELS[f] for f in section.features])
            for spec in section.fields:
                fid = section.field_id(spec)
                name = self.field_name(section, spec)
                ff = _form_field_for(spec)
                if spec.kind == S.SECRET:
                    ff.initial = ""
                else:
                    value = stored.get(fid, spec.default)
                    if spec.kind == S.BOOL and value is not None:
                        value = "1" if value else "0"
                    ff.initial = value
                if spec.derive:
                    ff.widget.attrs.update(
                        {
                            "data-derive-pattern": spec.derive.pattern,
                            "data-derive-prefix": spec.derive.prefix,
                        }
                    )
                if spec.name == "protocol" and "protocols" in section.extra:
                    # The browser moves the port along with the protocol (static/js/derive.js).
                    ff.widget.attrs["data-ports"] = json.dumps(section.extra["protocols"])
                    ff.widget.attrs["data-port-field"] = f"id_{section.key}__port"
                ff.disabled = not can_edit_credentials
                self.fields[name] = ff
                row = FieldRow(self[name], spec)
                if spec.kind == S.SECRET:
                    row.is_set = fid in hints
                    row.hint = hints.get(fid, "")
                    if row.is_set:
                        self.fields[name + "__clear"] = forms.BooleanField(
                            label=_("Delete"), required=False, disabled=not can_edit_credentials
                        )
                        row.clear = self[name + "__clear"]
                group.rows.append(row)
            self.groups.append(group)

    def clean_notify_emails(self):
        raw = self.cleaned_data.get("notify_emails", "")
        addresses = [a for a in re.split(r"[,\s、]+", raw) if a]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    _("%(address)s is not a valid e-mail address."), params={"address": address}
                ) from None
        return ", ".join(addresses)

    def common_fields(self):
        """The common record's bound fields, in the manual's order."""
        return [self[name] for name in COMMON_FIELDS]

    @staticmethod
    def field_name(section, spec) -> str:
        return f"{section.key}__{spec.name}"

    # ---- validation ---------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        if not self.can_edit_credentials:
            return cleaned
        url = cleaned.get("url") or ""
        hints = self.instance.secret_hints or {}
        for group in self.groups:
            section = group.section
            if not group.rows:
                continue
            values = {}
            for row in group.rows:
                spec, name = row.spec, self.field_name(section, row.spec)
                value = cleaned.get(name)
                if spec.kind == S.SECRET:
                    cleared = cleaned.get(name + "__clear")
                    if not value and not cleared and section.field_id(spec) in hints:
                        value = MASK  # stored and kept
                elif isinstance(value, str):
                    value = value.strip()
                    cleaned[name] = value
                if spec.derive and url:
                    suggested = spec.derive(url)
                    if suggested and not value:
                        value = cleaned[name] = suggested
                    elif suggested and value != suggested:
                        self.warnings.append(
                            _(
                                '%(field)s "%(value)s" differs from "%(suggested)s", '
                                "which the shop URL suggests. Check it."
                            )
                            % {"field": spec.label, "value": value, "suggested": suggested}
                        )
                values[spec.name] = value
            in_use = any(
                values.get(row.spec.name) not in (None, "")
                for row in group.rows
                if row.spec.marks_use
            )
            for row in group.rows:
                spec, name = row.spec, self.field_name(section, row.spec)
                value = values.get(spec.name)
                if value in (None, ""):
                    if in_use and spec.required:
                        self.add_error(name, _("Required when this section is used."))
                    continue
                if spec.kind == S.SECRET and value == MASK:
                    continue
                try:
                    spec.validate(value)
                except ValidationError as exc:
                    self.add_error(name, exc)
            if in_use:
                for fname, message in section.clean(values).items():
                    self.add_error(self.field_name(section, section_field(section, fname)), message)
        return cleaned

    # ---- saving ------------------------------------------------------------------------

    def save(self, commit=True):
        shop = super().save(commit=False)
        if not shop.mall:
            shop.mall = self.connector.code
        self.changes = self._common_changes()
        if self.can_edit_credentials:
            self._apply_sections(shop)
        if commit:
            shop.save()
        return shop

    def _common_changes(self):
        changes = []
        for name in COMMON_FIELDS:
            if self.is_new or name in self.changed_data:
                old = "" if self.is_new else self.initial.get(name, "")
                new = self.cleaned_data.get(name, "")
                if self.is_new and not new:
                    continue
                changes.append({"field": name, "old": old or "", "new": new or ""})
        return changes

    def _apply_sections(self, shop):
        settings_values = dict(shop.settings or {})
        old_hints = dict(shop.secret_hints or {})
        secret_updates, secret_clears = {}, set()
        for group in self.groups:
            for row in group.rows:
                spec, section = row.spec, group.section
                fid, name = section.field_id(spec), self.field_name(section, spec)
                value = self.cleaned_data.get(name)
                if spec.kind == S.SECRET:
                    if value:
                        secret_updates[fid] = value
                    elif self.cleaned_data.get(name + "__clear") and fid in old_hints:
                        secret_clears.add(fid)
                    continue
                if hasattr(value, "isoformat"):
                    value = value.isoformat()  # dates are kept as ISO text in JSON
                if value in (None, ""):
                    settings_values.pop(fid, None)
                else:
                    settings_values[fid] = value
        self._issue_dates(settings_values, secret_updates)
        before = shop.settings or {}
        for group in self.groups:
            for row in group.rows:
                fid = group.section.field_id(row.spec)
                if row.spec.secret or before.get(fid) == settings_values.get(fid):
                    continue
                old, new = before.get(fid, ""), settings_values.get(fid, "")
                self.changes.append({"field": fid, "old": old, "new": new})
        shop.settings = settings_values
        if secret_updates or secret_clears:
            try:
                current = shop.get_secrets()
            except DecryptionError as exc:
                raise SecretsUnreadable() from exc
            current.update(secret_updates)
            for fid in secret_clears:
                current.pop(fid, None)
            shop.set_secrets(current)
        for fid in secret_updates:
            self.changes.append(
                {"field": fid, "old": MASK if fid in old_hints else "", "new": CHANGED}
            )
        for fid in secret_clears:
            self.changes.append({"field": fid, "old": MASK, "new": ""})

    def _issue_dates(self, settings_values, secret_updates):
        """A new expiring secret starts a new life: default its issue date to today, and
        forget an expiry date fetched for the old one."""
        today = timezone.localdate().isoformat()
        for group in self.groups:
            section = group.section
            for expiry in section.expiries:
                if f"{section.key}.{expiry.requires}" not in secret_updates:
                    continue
                if expiry.fetched_from:
                    settings_values.pop(f"{section.key}.{expiry.fetched_from}", None)
                issued = f"{section.key}.{expiry.issued_from}"
                date_field = (
                    self.field_name(section, section_field(section, expiry.issued_from))
                    if any(f.name == expiry.issued_from for f in section.fields)
                    else None
                )
                if (
                    date_field
                    and date_field in self.changed_data
                    and self.cleaned_data.get(date_field)
                ):
                    continue  # the user entered the issue date along with the key
                if date_field:
                    settings_values[issued] = today


class SecretsUnreadable(Exception):
    """The stored secrets cannot be opened with the configured keys."""


def section_field(section, name):
    for spec in section.fields:
        if spec.name == name:
            return spec
    raise LookupError(name)
