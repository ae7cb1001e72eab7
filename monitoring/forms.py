from django import forms
from django.utils.translation import gettext_lazy as _

from connectors.base import registry
from shops.models import Shop

from .models import Destination
from .notify import MAX_URL_LENGTH, InvalidURL, check_url

CONTROL_OR_INVISIBLE = __import__("re").compile(
    r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]"
)


class DestinationForm(forms.Form):
    """A chat destination for one shop or one mall. The URL is write-only: it is checked,
    encrypted and never shown again."""

    label = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("For you: the channel or room, such as 「#ec-alerts」."),
    )
    scope = forms.ChoiceField(
        label=_("Alerts of"),
        choices=[("mall", _("every shop of a mall")), ("shop", _("one shop"))],
        initial="mall",
        widget=forms.RadioSelect,
    )
    mall = forms.ChoiceField(label=_("Mall type"), required=False)
    shop = forms.CharField(
        label=_("Shop code"),
        required=False,
        max_length=16,
        help_text=_("The shop code shown in the list, such as S00001."),
    )
    url = forms.CharField(
        label=_("Apprise URL"),
        max_length=MAX_URL_LENGTH,
        strip=False,
        error_messages={"required": _("Enter the destination's URL.")},
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Slack: slack://TokenA/TokenB/TokenC or the webhook's https:// URL; Discord: its "
            "webhook URL; Microsoft Teams: the Workflows webhook URL; LINE: "
            "line://ChannelAccessToken/UserOrGroupID; Chatwork: chatwork://APIToken@RoomID; "
            "your own webhook: json://host/path (JSON POST). It carries a token: it is stored "
            "encrypted and never shown again."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mall"].choices = [("", "---------"), *registry.choices()]

    def clean_label(self):
        label = self.cleaned_data["label"]
        if CONTROL_OR_INVISIBLE.search(label):
            raise forms.ValidationError(_("The name contains control or invisible characters."))
        return label.strip()

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_url(url, must_resolve=False)
        except InvalidURL as exc:
            raise forms.ValidationError(str(exc)) from None
        return url

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope == "mall" and not data.get("mall"):
            self.add_error("mall", _("Choose the mall whose shops this destination follows."))
        if scope == "shop":
            code = (data.get("shop") or "").strip().upper()
            shop = Shop.objects.filter(code=code).first() if code else None
            if shop is None:
                self.add_error("shop", _("No shop has this shop code."))
            data["shop_obj"] = shop
        return data

    def save(self, user) -> Destination:
        data = self.cleaned_data
        destination = Destination(label=data["label"], created_by=user)
        if data["scope"] == "shop":
            destination.shop = data["shop_obj"]
        else:
            destination.mall = data["mall"]
        destination.set_url(data["url"])
        destination.save()
        return destination
