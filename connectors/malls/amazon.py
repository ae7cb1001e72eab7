"""Amazon: Selling Partner API (the website authorization workflow); MWS kept as retired."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.fields import ORDER, PRODUCT, PURCHASE, SECRET, STOCK, Field
from connectors.oauth import OAuthProvider
from connectors.sections import OAuthGrant, Section, SenderMail

JAPAN_MARKETPLACE = "A1VC38T7YXB528"

LWA = OAuthProvider(
    "AMAZON",
    "Login with Amazon",
    authorize_url="https://sellercentral.amazon.co.jp/apps/authorize/consent",
    token_url="https://api.amazon.com/auth/o2/token",
)


@register
class Amazon(Connector):
    code = "amazon"
    label = "Amazon"
    imports_order_mail = False
    order = 40
    summary = _(
        "Products, stock, orders and purchasing through SP-API, authorized in Seller Central "
        "(MWS was retired on 2024-04-01)."
    )
    help_url = "https://sellercentral.amazon.co.jp/"
    description = _("Links with Seller Central through SP-API (MWS was retired on 2024-04-01).")
    sections = (
        OAuthGrant(
            "sp_api",
            _("Amazon SP-API settings"),
            _("Authorize with Amazon"),
            provider=LWA,
            fields=(
                Field(
                    "seller_id",
                    _("Seller ID (merchant token)"),
                    required=True,
                    pattern=r"[A-Z0-9]{10,20}",
                    pattern_message=_(
                        "Enter the seller ID in capital letters and digits, such as A2EXAMPLE12345."
                    ),
                    help=_("Seller Central > Settings > Account info > Merchant token."),
                ),
                Field(
                    "marketplace_id",
                    _("Amazon marketplace ID"),
                    required=True,
                    default=JAPAN_MARKETPLACE,
                    fixed=True,
                    pattern=r"[A-Z0-9]{10,20}",
                    help=_("A1VC38T7YXB528 for Amazon.co.jp."),
                ),
            ),
            features=(PRODUCT, STOCK, ORDER, PURCHASE),
            note=_(
                "Authorize this console in Seller Central (SP-API). The authorization must be "
                "renewed every 365 days."
            ),
            lifetime=timedelta(days=365),
            expiry_label=_("SP-API authorization"),
            renew=_(
                'Press "Authorize with Amazon" on this page and approve the '
                "console in Seller Central."
            ),
        ),
        Section(
            "mws",
            _("MWS settings (retired)"),
            (
                Field(
                    "seller_token",
                    _("Seller token (MWS)"),
                    SECRET,
                    retired=True,
                    help=_("Used by MWS only. Kept for reference."),
                ),
                Field(
                    "auth_token",
                    _("MWS auth token"),
                    SECRET,
                    retired=True,
                    help=_("Used by MWS only. Kept for reference."),
                ),
            ),
            note=_(
                "Amazon shut MWS down on 2024-04-01. These values are no longer used; the "
                "SP-API authorization above replaces them."
            ),
            retired=True,
        ),
        SenderMail(),
    )
