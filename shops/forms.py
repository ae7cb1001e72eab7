"""The shop form: the common record plus the mall's sections, declared by its connector.

The form validates and describes the edit (shops.store.Edit); shops.store writes it.
"""

import json
import re
import secrets
import time
from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from connectors import fields as F
from connectors.sections import KEEP
from tempostar import crypto
from tempostar.security import remember_secrets

from .models import Shop
from .store import Edit

http_url = URLValidator(
    schemes=["http", "https"],
    message=_("Enter a full URL starting with http:// or https://."),
)
COMMON_FIELDS = list(Shop.COMMON_FIELDS)

# Secrets typed into a form that came back with an error (see KeptSecrets).
KEPT_FIELD = "kept_secrets"  # the hidden input holding the form's token
KEPT_LIFETIME = 15 * 60  # seconds
KEPT_SESSION_KEY = "shops.kept_secrets"
KEPT_MAX = 5  # forms per session with kept secrets; the oldest goes first


class KeptSecrets:
    """Secrets typed into a shop form that came back with an error, kept until the corrected
    submit so the user does not have to type them again.

    They stay on the server: encrypted with the field encryption keys (tempostar.crypto) in
    the user's session, under a random token that the form carries in a hidden field. A token
    opens only the form it was made for (`form_key`: the mall of a new shop, or the shop's
    code), only in the session that made it, and only for KEPT_LIFETIME seconds (the Fernet
    token's own timestamp is checked too). The values never go back into the HTML.
    """

    def __init__(self, session, form_key: str):
        self.session, self.form_key = session, form_key

    def _live(self) -> dict:
        now = time.time()
        entries = self.session.get(KEPT_SESSION_KEY) or {}
        return {t: e for t, e in entries.items() if e.get("until", 0) > now}

    def load(self, token: str) -> dict[str, str]:
        """The secrets kept under `token` for this form, by field id ("section.field")."""
        entry = self._live().get(token or "")
        if not entry or entry.get("form") != self.form_key:
            return {}
        try:
            raw = crypto.fernet().decrypt(entry["box"].encode("ascii"), ttl=KEPT_LIFETIME)
        except (InvalidToken, KeyError, ValueError):
            return {}
        values = {k: v for k, v in json.loads(raw).items() if isinstance(v, str) and v}
        remember_secrets(values.values())  # masked in this request's error reports
        return values

    def save(self, values: dict[str, str], replaces: str = "") -> str:
        """Keep `values` under a new token (dropping the one they replace); "" if none."""
        entries = self._live()
        entries.pop(replaces or "", None)
        token = ""
        if values:
            token = secrets.token_urlsafe(24)
            entries[token] = {
                "form": self.form_key,
                "until": time.time() + KEPT_LIFETIME,
                "box": crypto.encrypt(json.dumps(values, ensure_ascii=False)),
            }
            for old in sorted(entries, key=lambda t: entries[t]["until"])[:-KEPT_MAX]:
                del entries[old]
        self.session[KEPT_SESSION_KEY] = entries
        return token

    def discard(self, token: str) -> None:
        if token:
            self.save({}, replaces=token)


# ---- typed values: every text a person sends goes through these fields --------------------


class GuardedMixin:
    """Before the field's own parsing: a control character is refused and invisible
    characters are removed (the form warns), with messages naming the field; after it, the
    length is checked against max_length (the database column's) with the same kind of
    message. A disabled field shows its stored value and checks nothing."""

    multiline = False
    strip_invisible = True  # False: refuse them instead (a code that identifies something)
    invisible_removed = False

    def to_python(self, value):
        if isinstance(value, str) and not self.disabled:
            if self.strip_invisible:
                value, self.invisible_removed = F.clean_text(
                    value, self.label, multiline=self.multiline
                )
            else:
                F.check_text(value, self.label, multiline=self.multiline)
        value = super().to_python(value)
        limit = getattr(self, "max_length", None)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            raise F.length_error(self.label, limit, len(value))
        return value


class TextField(GuardedMixin, forms.CharField):
    pass


class StrictTextField(GuardedMixin, forms.CharField):
    strip_invisible = False


class MultilineTextField(GuardedMixin, forms.CharField):
    multiline = True


class URLTextField(GuardedMixin, forms.URLField):
    pass


class EmailTextField(GuardedMixin, forms.EmailField):
    pass


class ChoiceTextField(GuardedMixin, forms.ChoiceField):
    pass


class TypedChoiceTextField(GuardedMixin, forms.TypedChoiceField):
    pass


class NumberField(GuardedMixin, forms.Field):
    """A whole number typed with ASCII or full-width digits (no other script's digits),
    within bounds that every database's column holds."""

    widget = forms.TextInput(attrs={"inputmode": "numeric"})

    def __init__(self, *, min_value: int, max_value: int, **kwargs):
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in (None, ""):
            return None
        if self.disabled:
            return value
        return F.parse_number(value, self.label, min_value=self.min_value, max_value=self.max_value)


class BoundedDateField(GuardedMixin, forms.DateField):
    """A date within connectors.fields.DATE_MIN..DATE_MAX, refused before anything is saved."""

    def __init__(self, **kwargs):
        attrs = {"type": "date", "min": F.DATE_MIN.isoformat(), "max": F.DATE_MAX.isoformat()}
        super().__init__(widget=forms.DateInput(attrs=attrs, format="%Y-%m-%d"), **kwargs)

    def to_python(self, value):
        try:
            value = super().to_python(value)
        except ValidationError as exc:
            if exc.code != "invalid":
                raise
            raise F.date_error(self.label) from None
        if value is not None and not self.disabled:
            F.check_date(value, self.label)
        return value


def _formfield(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        # "www.example.jp/shop/" becomes "https://www.example.jp/shop/" (Django 6 default).
        kwargs["assume_scheme"] = "https"
        kwargs["form_class"] = URLTextField
    elif isinstance(db_field, models.CharField) and db_field.choices:
        kwargs["choices_form_class"] = TypedChoiceTextField
    elif isinstance(db_field, models.CharField):
        kwargs["form_class"] = TextField
    return db_field.formfield(**kwargs)


def _form_field_for(spec: F.Field) -> forms.Field:
    common = {"label": spec.label, "help_text": spec.help, "required": False}
    if spec.kind == F.SECRET:
        return TextField(
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            max_length=spec.max_length,
            **common,
        )
    if spec.kind == F.BOOL:
        return TypedChoiceTextField(
            choices=[("1", _("Use")), ("0", _("Do not use"))],
            coerce=lambda v: v == "1",
            widget=forms.RadioSelect,
            **common,
        )
    if spec.kind == F.CHOICE:
        return ChoiceTextField(choices=spec.choices, **common)
    if spec.kind in (F.INT, F.PORT):
        low, high = spec.bounds
        return NumberField(min_value=low, max_value=high, **common)
    if spec.kind == F.DATE:
        return BoundedDateField(**common)
    if spec.kind == F.EMAIL:
        return EmailTextField(max_length=spec.max_length, **common)
    if spec.kind == F.KEY_PEM:
        return MultilineTextField(
            widget=forms.Textarea(attrs={"rows": 5, "class": "mono"}),
            max_length=spec.max_length,
            **common,
        )
    return TextField(max_length=spec.max_length, **common)


@dataclass
class FieldRow:
    bound: forms.BoundField
    spec: F.Field
    clear: forms.BoundField | None = None
    discard: forms.BoundField | None = None
    is_set: bool = False
    hint: str = ""
    kept: bool = False  # typed into a submit that came back with an error; not saved yet


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


def section_features(section) -> list[str]:
    """The features a section serves, as its heading tags them: (商品)(在庫)(受注)... A title
    that already names its feature (楽天API連携設定(カード)) is not tagged again."""
    labels = [str(F.FEATURE_LABELS[f]) for f in section.features]
    return [label for label in labels if f"({label})" not in str(section.title)]


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

    def __init__(self, *args, connector, can_edit_credentials=True, kept=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connector = connector
        self.can_edit_credentials = can_edit_credentials
        self.warnings: list[str] = []
        # Secrets kept from this form's previous submit (KeptSecrets), by field id.
        self.kept = kept if can_edit_credentials else None
        self.kept_token = ""
        self.kept_values: dict[str, str] = {}
        if self.is_bound and self.kept is not None:
            self.kept_token = str(self.data.get(KEPT_FIELD, ""))[:100]
            self.kept_values = self.kept.load(self.kept_token)
        # A token that opens nothing: its secrets lapsed (or it belongs to another page).
        self.kept_lost = bool(self.kept_token) and not self.kept_values
        for name in ("url", "mobile_url"):
            f = self.fields[name]
            f.validators = [http_url]
            # The field's own "invalid" message would replace the validator's.
            f.error_messages["invalid"] = http_url.message
        if "genre" in self.fields:  # Django's "---------" says nothing to an operator
            genre = self.fields["genre"]
            genre.choices = [("", _("Not chosen")), *[c for c in genre.choices if c[0]]]
        self.is_new = self.instance.pk is None
        stored = self.instance.settings or {}
        hints = self.instance.secret_hints or {}
        self.groups: list[SectionGroup] = []
        for section in connector.sections:
            if section.after_save and self.is_new:
                self.groups.append(SectionGroup(section))
                continue
            group = SectionGroup(section, features=section_features(section))
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
                    self.fields[name + "__discard"] = forms.BooleanField(
                        label=_("Discard what was typed"),
                        required=False,
                        disabled=not can_edit_credentials,
                    )
                    row.discard = self[name + "__discard"]
                    row.kept = fid in self.kept_values
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
        joined = ", ".join(addresses)  # may be longer than what was typed
        limit = Shop._meta.get_field("notify_emails").max_length
        if len(joined) > limit:
            raise F.length_error(self.fields["notify_emails"].label, limit, len(joined))
        return joined

    def common_fields(self):
        """The common record's bound fields, in the manual's order."""
        return [self[name] for name in COMMON_FIELDS]

    @staticmethod
    def field_name(section, spec) -> str:
        return f"{section.key}__{spec.name}"

    # ---- validation ---------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        for name, f in self.fields.items():
            if getattr(f, "invisible_removed", False) and name in cleaned:
                self.warnings.append(F.invisible_warning(f.label))
        if not self.can_edit_credentials:
            return cleaned
        if self.kept_lost:
            # Saving now would silently drop what the user typed before.
            self.add_error(
                None,
                _(
                    "The credentials you typed before were discarded: they are kept for 15 "
                    "minutes only. Type them again, then save."
                ),
            )
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
                    fid = section.field_id(spec)
                    kept = self.kept_values.get(fid)
                    if not value and kept and not cleaned.get(name + "__discard"):
                        value = cleaned[name] = kept  # typed into the previous submit
                    cleared = cleaned.get(name + "__clear")
                    if not value and not cleared and fid in hints:
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
                name = self.field_name(section, section.field(fname))
                if name in self.errors:
                    continue  # the field's own message says what is wrong; one is enough
                for message in messages:
                    self.add_error(name, message)
        return cleaned

    # ---- after an error -----------------------------------------------------------------

    def rows_in_page_order(self):
        """(field name, bound field) of every input, as the page shows them."""
        for name in COMMON_FIELDS:
            yield name, self[name]
        for group in self.groups:
            for row in group.rows:
                yield self.field_name(group.section, row.spec), row.bound

    def keep_secrets(self) -> None:
        """The form came back with an error: keep the secrets it holds (typed now or kept
        from before, each valid) for the corrected submit, and mark their rows."""
        if self.kept is None:
            return
        values = {}
        for group in self.groups:
            for row in group.rows:
                if not row.spec.secret:
                    continue
                value = self.cleaned_data.get(self.field_name(group.section, row.spec))
                if isinstance(value, str) and value:
                    values[group.section.field_id(row.spec)] = value
                row.kept = group.section.field_id(row.spec) in values
        self.kept_token = self.kept.save(values, replaces=self.kept_token)

    def saved(self) -> None:
        """The submit was saved: the kept secrets are no longer needed."""
        if self.kept is not None:
            self.kept.discard(self.kept_token)
            self.kept_token = ""

    def error_list(self) -> list[dict]:
        """Each field's errors in page order, for the summary above the form; the first
        field with an error gets the focus when the page loads."""
        found = []
        for name, bound in self.rows_in_page_order():
            if not bound.errors:
                continue
            attrs = self.fields[name].widget.attrs
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{bound.auto_id}-error"
            if not found:
                attrs["autofocus"] = True
            found.append({"id": bound.id_for_label, "label": bound.label, "errors": bound.errors})
        return found

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
