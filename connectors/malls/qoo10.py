from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.sections import ORDER, PRODUCT, SECRET, STOCK, Field, Section, SenderMail


@register
class Qoo10(Connector):
    code = "qoo10"
    label = "Qoo10"
    imports_order_mail = False
    order = 90
    sections = (
        Section(
            "qoo10_api",
            _("Qoo10 API settings"),
            (
                Field(
                    "api_key",
                    _("API certification key"),
                    SECRET,
                    required=True,
                    help=_("The API key issued in QSM (Qoo10 Sales Manager)."),
                ),
                Field("user_id", _("ID"), required=True, help=_("Your QSM login ID.")),
                Field(
                    "password",
                    _("Password"),
                    SECRET,
                    required=True,
                    help=_(
                        "Your QSM password. With the key and ID it obtains the seller "
                        "certification key, valid for 1 year."
                    ),
                ),
            ),
            (PRODUCT, STOCK, ORDER),
        ),
        SenderMail(),
    )
