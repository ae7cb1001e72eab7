from django import forms
from django.utils.translation import gettext_lazy as _

from connectors.base import registry
from shops.forms import KeptSecrets
from shops.models import Shop

from .models import Destination
from .notify import MAX_URL_LENGTH, InvalidURL, check_url

CONTROL_OR_INVISIBLE = __import__("re").compile(
    r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]"
)


KEPT_FIELD = "kept_url"  # the hidden input holding the form's KeptSecrets token
KEPT_FORM = "monitoring.destination"  # KeptSecrets' form key (no mall or shop code has a dot)


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
        required=False,  # may come from the previous submit (KeptSecrets); see clean_url
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Slack: slack://TokenA/TokenB/TokenC or the webhook's https:// URL; Discord: its "
            "webhook URL; Microsoft Teams: the Workflows webhook URL; LINE: "
            "line://ChannelAccessToken/UserOrGroupID; Chatwork: chatwork://APIToken@RoomID; "
            "your own webhook: json://host/path (JSON POST). It carries a token: it is stored "
            "encrypted and never shown again."
        ),
    )

    discard_url = forms.BooleanField(required=False, label=_("Discard what was typed"))

    def __init__(self, *args, session=None, **kwargs):
        kwargs.setdefault("label_suffix", "")  # labels without Django's ":", as on every page
        super().__init__(*args, **kwargs)
        self.fields["mall"].choices = [("", _("Choose a mall")), *registry.choices()]
        # A URL typed into a submit that came back with an error is kept on the server for
        # the corrected submit, as a shop form keeps its secrets (never written into the HTML).
        self.kept = KeptSecrets(session, KEPT_FORM) if session is not None else None
        self.kept_token, self.kept_url = "", ""
        if self.is_bound and self.kept is not None:
            self.kept_token = str(self.data.get(KEPT_FIELD, ""))[:100]
            self.kept_url = self.kept.load(self.kept_token).get("url", "")
        self.kept_lost = bool(self.kept_token) and not self.kept_url

    @property
    def url_kept(self) -> bool:
        """The URL field shows 入力済み(未保存): a URL waits on the server for this form."""
        return bool(self.kept_url)

    def clean_label(self):
        label = self.cleaned_data["label"]
        if CONTROL_OR_INVISIBLE.search(label):
            raise forms.ValidationError(_("The name contains control or invisible characters."))
        return label.strip()

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url and self.kept_url and not self.data.get("discard_url"):
            url = self.kept_url  # typed into the previous submit
        if not url:
            if self.kept_lost:
                raise forms.ValidationError(
                    _(
                        "The URL you typed before was discarded: it is kept for 15 minutes "
                        "only. Type it again, then add."
                    )
                )
            raise forms.ValidationError(_("Enter the destination's URL."))
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

    def keep(self) -> None:
        """The form came back with an error: keep a URL that passed its own checks, and give
        the first field in error the focus (the browser scrolls to it)."""
        first = True
        for bound in self:
            if bound.errors:
                attrs = self.fields[bound.name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{bound.auto_id}-error"
                if first:
                    attrs["autofocus"], first = True, False
        if self.kept is None:
            return
        url = self.cleaned_data.get("url") if "url" not in self.errors else ""
        self.kept_token = self.kept.save({"url": url} if url else {}, replaces=self.kept_token)
        self.kept_url = url or ""
        self.kept_lost = False

    def forget(self) -> None:
        """Added: the kept URL is no longer needed."""
        if self.kept is not None:
            self.kept.discard(self.kept_token)
            self.kept_token, self.kept_url = "", ""

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
