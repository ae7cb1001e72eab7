"""eBay: the user's consent through eBay's OAuth (authorization code grant)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.fields import ORDER, PRODUCT, STOCK
from connectors.oauth import OAuthProvider
from connectors.sections import OAuthGrant

EBAY = OAuthProvider(
    "EBAY",
    "eBay",
    authorize_url="https://auth.ebay.com/oauth2/authorize",
    token_url="https://api.ebay.com/identity/v1/oauth2/token",
    scope="https://api.ebay.com/oauth/api_scope/sell.inventory "
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
)


@register
class Ebay(Connector):
    code = "ebay"
    label = "eBay"
    imports_order_mail = False
    order = 100
    summary = _("Products, stock and orders through the eBay API (sign in to eBay).")
    help_url = "https://developer.ebay.com/api-docs/static/oauth-tokens.html"
    sections = (
        OAuthGrant(
            "ebay_api",
            _("eBay linkage settings"),
            "eBayにログイン",
            provider=EBAY,
            lifetime=timedelta(days=548),  # about 18 months; eBay's own figure wins
            renew=_('Press "eBayにログイン" on this page and sign in to eBay.'),
            features=(PRODUCT, STOCK, ORDER),
            note=_(
                'Sign in with "eBayにログイン" and renew the sign-in before it expires '
                "(about 18 months): once it lapses, eBay stops syncing."
            ),
        ),
    )
