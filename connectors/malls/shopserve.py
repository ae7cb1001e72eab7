from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.sections import SECRET, STOCK, Field, ProductKey, Section, SenderMail, not_testable


@register
class Shopserve(Connector):
    code = "shopserve"
    label = "ショップサーブ"
    imports_order_mail = True
    order = 120
    sections = (
        Section(
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
            (STOCK,),
            checker=not_testable,
        ),
        SenderMail(),
        ProductKey(
            (
                ("item_code", _("Item code")),
                ("option_code", _("Option item code")),
            )
        ),
    )
