"""Amazon: Selling Partner API (the website authorization workflow); MWS kept as retired.

Sources:
- SP-API developer guide, "Website authorization workflow" (github.com/amzn/
  selling-partner-api-docs, guides/en-US/developer-guide/SellingPartnerApiDeveloperGuide.md;
  now https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow):
  - Step 1: the browser goes to `{Seller Central URL}/apps/authorize/consent?application_id=
    <SP-API application ID>&state=<state>`; "If you include the version=beta parameter, the
    workflow authorizes an application in Draft state"; redirect_uri is optional (the first
    registered OAuth Redirect URI by default). Japan's Seller Central is
    https://sellercentral.amazon.co.jp.
  - Step 3: Amazon comes back with `state`, `selling_partner_id` and `spapi_oauth_code`
    (`mws_auth_token` only for hybrid apps), not `code`; the code lives 5 minutes.
  - Step 4: POST https://api.amazon.com/auth/o2/token, form body grant_type=
    authorization_code, code, redirect_uri, client_id, client_secret (no Basic). The refresh
    is the same call with grant_type=refresh_token and refresh_token; "If you include
    refresh_token, do not include scope."
- Login with Amazon errors: {"error", "error_description"} (the official SDKs'
  LWAClient); 401 invalid_client in the SDK's tests; invalid_grant's status is not
  documented (400 per RFC 6749 here).
- https://developer-docs.amazon.com/sp-api/docs/renew-authorizations: "the selling partner
  must re-authorize your public application every 365 days".
- The consent page's answer to a request without application_id is not documented (the
  local test server answers 400 with a page, an assumption).

The console's settings: AMAZON_APPLICATION_ID (the SP-API application ID of the consent
URL), AMAZON_APP_DRAFT (true while the application is a draft: adds version=beta),
AMAZON_CLIENT_ID / AMAZON_CLIENT_SECRET (its LWA credentials).
"""

import re
from datetime import timedelta
from urllib.parse import urlencode

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.conf import bool_setting, setting
from connectors.fields import ORDER, PRODUCT, PURCHASE, SECRET, STOCK, Field
from connectors.oauth import OAuthProvider
from connectors.sections import OAuthGrant, Section, SenderMail, Status

JAPAN_MARKETPLACE = "A1VC38T7YXB528"
SELLER_ID = r"[A-Z0-9]{10,20}"


class LoginWithAmazon(OAuthProvider):
    """The website authorization workflow: a consent URL with application_id, a callback
    with spapi_oauth_code, and client credentials in the token request's body."""

    def required_settings(self) -> list[str]:
        return [f"{self.name}_APPLICATION_ID", *super().required_settings()]

    def authorization_url(self, *, state: str, callback_url: str, verifier) -> str:
        query = {
            "application_id": str(setting(f"{self.name}_APPLICATION_ID", "")),
            "state": state,
            "redirect_uri": self.redirect_uri(callback_url),
        }
        if bool_setting(f"{self.name}_APP_DRAFT"):
            query["version"] = "beta"
        return f"{self.authorize_endpoint.url}?{urlencode(query)}"

    def callback_code(self, params) -> tuple[str, dict]:
        partner = str(params.get("selling_partner_id", ""))
        extra = {"selling_partner_id": partner} if re.fullmatch(SELLER_ID, partner) else {}
        return params.get("spapi_oauth_code", ""), extra


LWA = LoginWithAmazon(
    "AMAZON",
    "Login with Amazon",
    authorize_url="https://sellercentral.amazon.co.jp/apps/authorize/consent",
    token_url="https://api.amazon.com/auth/o2/token",
    client_auth="client_secret_post",
    scope_on_refresh=False,
    sources=(
        "https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow",
        "https://github.com/amzn/selling-partner-api-docs",
    ),
    extra_settings=("AMAZON_APPLICATION_ID", "AMAZON_APP_DRAFT"),
)


class SpApiGrant(OAuthGrant):
    """The SP-API authorization; keeps the selling partner ID Amazon named at the callback."""

    check_does = (
        "Refreshes the SP-API authorization at Login with Amazon (form body with the "
        "console's client ID and secret, no scope)."
    )
    check_cannot = (
        "Whether the application's roles allow each SP-API call (orders, listings, reports)."
    )

    stored_values = (*OAuthGrant.stored_values, "selling_partner_id")

    def callback_values(self, extra: dict) -> dict:
        partner = extra.get("selling_partner_id", "")
        return {"selling_partner_id": partner} if partner else {}

    def status(self, values, hints):
        partner = values.get("selling_partner_id")
        if not partner:
            return []
        entered = values.get("seller_id")
        if entered and entered != partner:
            text = gettext(
                "%(partner)s differs from the seller ID entered (%(entered)s): the sign-in "
                "was made with another seller account. Check the seller ID, or authorize "
                "again with the right account."
            ) % {"partner": partner, "entered": entered}
            return [Status(_("Selling partner ID (from Amazon)"), text, warning=True)]
        return [Status(_("Selling partner ID (from Amazon)"), partner, mono=True)]


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
    sources = LWA.sources
    sections = (
        SpApiGrant(
            "sp_api",
            _("Amazon SP-API settings"),
            _("Authorize with Amazon"),
            provider=LWA,
            fields=(
                Field(
                    "seller_id",
                    _("Seller ID (merchant token)"),
                    required=True,
                    pattern=SELLER_ID,
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
                    pattern=SELLER_ID,
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
