"""ポンパレモール: the shop manager's login (認証実行).

Whether ポンパレモール still operates could not be verified from public sources here (only its
2013 launch and the 2017 end of the separate coupon site ポンパレ were found): no closure is
declared (closed_on) until a source for the date is found. The shop manager's 認証実行 has no
public API, so nothing is tested from outside.
"""

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.fields import PRODUCT, SECRET, STOCK, Field
from connectors.sections import NoOutsideCheck, ProductKey, SenderMail


@register
class Ponparemall(Connector):
    code = "ponparemall"
    label = "ポンパレモール"
    imports_order_mail = True
    order = 50
    summary = _("Products and stock with the shop manager's login, and order mails.")
    help_url = "https://www.ponparemall.com/"
    sections = (
        NoOutsideCheck(
            "ponpare",
            _("Ponpare Mall linkage settings"),
            (
                Field(
                    "login_id",
                    _("Shop login ID"),
                    required=True,
                    help=_("The login ID of the Ponpare Mall shop manager."),
                ),
                Field(
                    "password",
                    _("Shop login password"),
                    SECRET,
                    required=True,
                    help=_("The password of the login ID above."),
                ),
            ),
            features=(PRODUCT, STOCK),
            note=_(
                "Set this when you use product or stock management. Enter the shop manager's "
                'login and run "認証実行" after registering.'
            ),
        ),
        SenderMail(),
        ProductKey(
            (
                ("item_manage_id", _("Item management ID")),
                ("item_code", _("Item code")),
            )
        ),
    )
