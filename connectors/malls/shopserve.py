"""ショップサーブ: the shop manager's login and the manager authentication key."""

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.fields import SECRET, STOCK, Field
from connectors.sections import NoOutsideCheck, ProductKey, SenderMail


@register
class Shopserve(Connector):
    code = "shopserve"
    label = "ショップサーブ"
    imports_order_mail = True
    order = 120
    summary = _("Stock with the shop manager's login and API key, and order mails.")
    help_url = "https://help.shopserve.jp/"
    sections = (
        NoOutsideCheck(
            "shopserve",
            _("Shopserve linkage settings"),
            (
                Field(
                    "shop_id",
                    _("Shopserve shop ID"),
                    required=True,
                    help=_("The login ID of the Shopserve shop manager."),
                ),
                Field(
                    "password",
                    _("Shopserve password"),
                    SECRET,
                    required=True,
                    help=_("The password of the login ID above."),
                ),
                Field(
                    "manager_key",
                    _("Manager authentication key"),
                    SECRET,
                    help=_(
                        "The API authentication key issued in the shop manager. It does not expire."
                    ),
                ),
            ),
            features=(STOCK,),
        ),
        SenderMail(),
        ProductKey(
            (
                ("item_code", _("Item code")),
                ("option_code", _("Option item code")),
            )
        ),
    )
