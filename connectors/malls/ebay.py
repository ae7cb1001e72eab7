from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.sections import ORDER, PRODUCT, STOCK, OAuthGrant


@register
class Ebay(Connector):
    code = "ebay"
    label = "eBay"
    imports_order_mail = False
    order = 100
    sections = (
        OAuthGrant(
            "ebay_api",
            _("eBay linkage settings"),
            "eBayにログイン",
            provider="ebay",
            lifetime=timedelta(days=548),  # about 18 months; eBay's own figure wins
            renew=_('Press "eBayにログイン" on this page and sign in to eBay.'),
            features=(PRODUCT, STOCK, ORDER),
            note=_(
                'Sign in with "eBayにログイン" and renew the sign-in before it expires '
                "(about 18 months): once it lapses, eBay stops syncing."
            ),
        ),
    )
