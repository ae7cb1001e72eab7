"""The shop form: the common record plus the mall's sections, declared by its connector.

The form validates and describes the edit (shops.store.Edit); shops.store writes it.
"""

import re
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from connectors import fields as F
from connectors.sections import KEEP

from .models import Shop
from .store import Edit

http_url = URLValidator(
    schemes=["http", "https"],
    message=_("Enter a full URL starting with http:// or https://."),
)
COMMON_FIELDS = list(Shop.COMMON_FIELDS)


def _formfield(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        # "www.example.jp/shop/" becomes "https://www.example.jp/shop/" (Django 6 default).
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


def _form_field_for(spec: F.Field) -> forms.Field:
    common = {"label": spec.label, "help_text": spec.help, "required": False}
    if spec.kind == F.SECRET:
        return forms.CharField(
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            max_length=spec.max_length,
            **common,
        )
    if spec.kind == F.BOOL:
        return forms.TypedChoiceField(
            choices=[("1", _("Use")), ("0", _("Do not use"))],
            coerce=lambda v: v == "1",
            widget=forms.RadioSelect,
            **common,
        )
    if spec.kind == F.CHOICE:
        return forms.ChoiceField(choices=spec.choices, **common)
    if spec.kind in (F.INT, F.PORT):
        return forms.IntegerField(**common)
    if spec.kind == F.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if spec.kind == F.EMAIL:
        return forms.EmailField(max_length=spec.max_length, **common)
    if spec.kind == F.KEY_PEM:
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 5, "class": "mono"}),
            max_length=spec.max_length,
            **common,
        )
    return forms.CharField(max_length=spec.max_length, **common)


@dataclass
class FieldRow:
    bound: forms.BoundField
    spec: F.Field
    clear: forms.BoundField | None = None
    is_set: bool = False
    hint: str = ""


@dataclass
class SectionGroup:
    section: object  # connectors.sections.Section
    rows: list[FieldRow] = field(default_factory=list)
    features: list = field(default_factory=list)
    # Set by the shop page: the last check, expiry rows, state lines, sign-in state.
    last_check: object = None
    expiries: list = field(default_factory=list)
    status: list = field(default_factory=list)
    signed_in: bool = False


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
            group = SectionGroup(section, features=[F.FEATURE_LABELS[f] for f in section.features])
            for spec in section.fields:
                fid = section.field_id(spec)
                name = self.field_name(section, spec)
                ff = _form_field_for(spec)
                if spec.kind == F.SECRET:
                    ff.initial = ""
                else:
                    value = stored.get(fid, spec.default)
                    if spec.kind == F.BOOL and value is not None:
                        value = "1" if value else "0"
                    ff.initial = value
                ff.widget.attrs.update(section.widget_attrs(spec))
                ff.disabled = not can_edit_credentials
                self.fields[name] = ff
                row = FieldRow(self[name], spec)
                if spec.kind == F.SECRET:
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
                if spec.secret:
                    cleared = cleaned.get(name + "__clear")
                    if not value and not cleared and section.field_id(spec) in hints:
                        value = KEEP  # stored and kept
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
            for fname, messages in section.errors(values).items():
                for message in messages:
                    self.add_error(self.field_name(section, section.field(fname)), message)
        return cleaned

    # ---- the edit -----------------------------------------------------------------------

    def edit(self) -> Edit:
        """What this submit changes, for shops.store."""
        edit = Edit(common={name: self.cleaned_data.get(name, "") for name in COMMON_FIELDS})
        if not self.can_edit_credentials:
            return edit
        for group in self.groups:
            section = group.section
            for row in group.rows:
                spec = row.spec
                fid, name = section.field_id(spec), self.field_name(section, spec)
                value = self.cleaned_data.get(name)
                if spec.secret:
                    if value:
                        edit.secrets[fid] = value
                    elif self.cleaned_data.get(name + "__clear"):
                        edit.clear.add(fid)
                    continue
                edit.values[fid] = value
                if spec.kind == F.DATE and value and name in self.changed_data:
                    edit.entered.add(fid)
        return edit
