from django import forms
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Shop

http_url = URLValidator(
    schemes=["http", "https"],
    message=_("Enter a full URL starting with http:// or https://."),
)


def _formfield(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        # "www.example.jp/shop/" becomes "https://www.example.jp/shop/" (Django 6 default).
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class ShopForm(forms.ModelForm):
    """The common record. The mall is fixed by the URL; the code and mail address are assigned."""

    class Meta:
        model = Shop
        formfield_callback = _formfield
        fields = ["name", "short_name", "url", "mobile_url", "manager_name", "genre"]
        widgets = {
            "url": forms.URLInput(attrs={"placeholder": "https://www.example.jp/shop/"}),
            "mobile_url": forms.URLInput(attrs={"placeholder": "https://www.example.jp/shop/"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("url", "mobile_url"):
            field = self.fields[name]
            field.validators = [http_url]
            # The field's own "invalid" message would replace the validator's.
            field.error_messages["invalid"] = http_url.message
