"""eBay: the user's consent through eBay's OAuth (authorization code grant).

Sources:
- https://developer.ebay.com/api-docs/static/oauth-consent-request.html and KB 5075
  (https://developer.ebay.com/support/kb-article?KBid=5075): GET
  https://auth.ebay.com/oauth2/authorize with client_id, redirect_uri=<the application's
  RuName> (not a URL), response_type=code, scope (space separated), state.
- https://developer.ebay.com/api-docs/static/oauth-auth-code-grant-request.html: POST
  https://api.ebay.com/identity/v1/oauth2/token, form body grant_type=authorization_code,
  code, redirect_uri=<RuName>, and "Authorization – The word Basic followed by your
  Base64-encoded OAuth credentials (<client_id>:<client_secret>)".
- https://developer.ebay.com/api-docs/static/oauth-refresh-token-request.html and eBay's
  official SDKs (eBay/ebay-oauth-java-client OAuth2Api.java, eBay/ebay-oauth-python-client
  oauth2api.py): the refresh sends grant_type=refresh_token, refresh_token and the scope.
  Whether a narrower scope is refused is not documented in what could be read (a scope
  beyond the grant is `invalid_scope`, per eBay's error texts quoted by SDK users).
- The token answer carries refresh_token_expires_in (about 18 months), which the console
  stores as the grant's expiry; user access tokens last 2 hours (expires_in 7200).
- Errors: {"error", "error_description"}; invalid_grant "the provided authorization grant
  code is invalid or was issued to another client" (HTTP 400), invalid_client (401): texts
  from SDK issue threads, not eBay's own page.

The console's settings: EBAY_CLIENT_ID, EBAY_CLIENT_SECRET and EBAY_RUNAME (the RuName whose
"auth accepted URL" is this console's callback, SITE_URL + /oauth/callback/).
"""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.conf import setting
from connectors.fields import ORDER, PRODUCT, STOCK
from connectors.oauth import OAuthProvider
from connectors.sections import OAuthGrant


class EbayOAuth(OAuthProvider):
    """redirect_uri is the application's RuName, in the consent request and the exchange."""

    def required_settings(self) -> list[str]:
        return [*super().required_settings(), f"{self.name}_RUNAME"]

    def redirect_uri(self, callback_url: str) -> str:
        return str(setting(f"{self.name}_RUNAME", ""))


EBAY = EbayOAuth(
    "EBAY",
    "eBay",
    authorize_url="https://auth.ebay.com/oauth2/authorize",
    token_url="https://api.ebay.com/identity/v1/oauth2/token",
    scope="https://api.ebay.com/oauth/api_scope/sell.inventory "
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
    scope_on_refresh=True,
    sources=(
        "https://developer.ebay.com/api-docs/static/oauth-consent-request.html",
        "https://developer.ebay.com/api-docs/static/oauth-auth-code-grant-request.html",
        "https://developer.ebay.com/api-docs/static/oauth-refresh-token-request.html",
    ),
    extra_settings=("EBAY_RUNAME",),
)


class EbayGrant(OAuthGrant):
    check_does = (
        "Refreshes the grant at eBay's token endpoint (Basic client authentication, the "
        "console's scopes sent again)."
    )
    check_cannot = "Whether the seller's account allows each Sell API call."


@register
class Ebay(Connector):
    code = "ebay"
    label = "eBay"
    imports_order_mail = False
    order = 100
    sources = EBAY.sources
    summary = _("Products, stock and orders through the eBay API (sign in to eBay).")
    help_url = "https://developer.ebay.com/api-docs/static/oauth-tokens.html"
    sections = (
        EbayGrant(
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
