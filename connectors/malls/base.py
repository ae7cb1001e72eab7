"""BASE (beyond the manual): BASE API, authorized through BASE's OAuth 2.

Sources: BASE's official API documentation, github.com/baseinc/api-docs (2019; now at
https://docs.thebase.in/docs/api/):
- base_api_v1_oauth_authorize.md: GET https://api.thebase.in/1/oauth/authorize with
  response_type=code, client_id, redirect_uri, scope (space separated), state.
- base_api_v1_oauth_access_token.md: POST https://api.thebase.in/1/oauth/token with
  grant_type=authorization_code, client_id, client_secret, code, redirect_uri in the form
  ("Basic認証を使った client_id と client_secret の検証もサポートしています").
- base_api_v1_oauth_refresh_token.md: grant_type=refresh_token, client_id, client_secret,
  refresh_token and redirect_uri (必須). The access token lasts 1 hour (expires_in 3600),
  the refresh token 30 days ("有効期限は30日"), and each refresh issues a new one.
- README.md: every error is HTTP 400 {"error": ..., "error_description": ...}; an expired or
  invalid code or refresh token is `invalid_request` (not RFC 6749's invalid_grant), an
  unknown client `unauthorized_client`.
- base_api_v1_users_me.md: GET https://api.thebase.in/1/users/me with a Bearer token returns
  {"user": {"shop_id", "shop_name", "shop_url", ...}}.
"""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import CheckResult
from connectors.conf import Endpoint
from connectors.fields import ORDER, PRODUCT, STOCK
from connectors.oauth import OAuthProvider, TokenError
from connectors.sections import OAuthGrant, SenderMail
from connectors.transports import http
from connectors.transports.http import HttpFailure

REFRESH_LIFETIME = timedelta(days=30)
API = Endpoint("BASE_API_BASE", "https://api.thebase.in", "BASE API")


class BaseProvider(OAuthProvider):
    """BASE's token endpoint wants redirect_uri on refresh too, and says invalid_request
    for an expired or unknown refresh token."""

    def refresh(self, refresh_token: str, *, timeout: float, callback_url: str = "") -> dict:
        client = self.session(callback_url, with_scope=self.scope_on_refresh)
        return self._token_call(
            client,
            lambda **kw: client.refresh_token(
                self.token_endpoint.url,
                refresh_token=refresh_token,
                redirect_uri=self.redirect_uri(callback_url),
                **kw,
            ),
            timeout,
        )

    def token_error(self, error, status, description):
        expired = "トークン" in description or "認可コード" in description
        if error == "invalid_request" and expired:
            return TokenError("invalid_grant", status, description=description)
        return super().token_error(error, status, description)


BASE_OAUTH = BaseProvider(
    "BASE",
    "BASE",
    authorize_url="https://api.thebase.in/1/oauth/authorize",
    token_url="https://api.thebase.in/1/oauth/token",
    scope="read_users read_items read_orders write_items",
    client_auth="client_secret_post",
    sources=("https://github.com/baseinc/api-docs",),
)


class BaseApi(OAuthGrant):
    """Refresh the grant (which also renews the 30-day refresh token), then read the shop."""

    check_does = (
        "Refreshes the grant (which renews the 30-day refresh token), then reads the shop "
        "(GET /1/users/me)."
    )
    check_cannot = "Whether the scopes cover every feature."

    endpoints = (API,)

    def token_values(self, body, now):
        values, secrets = super().token_values(body, now)
        if body.get("refresh_token"):  # a new refresh token lives 30 days from now
            values["refresh_expires_at"] = (now + REFRESH_LIFETIME).isoformat()
        return values, secrets

    def check(self, ctx):
        result = self.refresh_grant(ctx)
        if result.status != "success":
            return result
        try:
            response = http.request(
                "GET",
                API.join("/1/users/me"),
                headers={"Authorization": f"Bearer {result.store_secrets['access_token']}"},
                timeout=ctx.timeout,
            )
        except HttpFailure as failure:  # the refresh retired the old refresh token: keep it
            return self.keeping(result, failure.result)
        if response.status_code != 200:
            return CheckResult.fail(
                "auth_failed" if response.status_code in (400, 401) else "unexpected",
                f"users/me: HTTP {response.status_code}",
                store=result.store,
                store_secrets=result.store_secrets,
            )
        try:
            shop_name = str(response.json()["user"].get("shop_name", ""))[:100]
        except (ValueError, KeyError, TypeError, AttributeError):
            shop_name = ""
        result.detail = "token refreshed; users/me answered"
        result.info = {"shop_name": shop_name}
        return result


@register
class Base(Connector):
    code = "base"
    label = "BASE"
    imports_order_mail = False
    order = 134
    summary = _("Products, stock and orders through the BASE API (sign in to BASE).")
    description = _("Links with your BASE shop through the BASE API.")
    help_url = "https://developers.thebase.in/"
    sources = BASE_OAUTH.sources
    sections = (
        BaseApi(
            "base_api",
            _("BASE API settings"),
            _("Sign in with BASE"),
            provider=BASE_OAUTH,
            lifetime=REFRESH_LIFETIME,
            expiry_label=_("BASE sign-in"),
            renew=_('Press "Sign in with BASE" on this page and approve the console.'),
            features=(PRODUCT, STOCK, ORDER),
            note=_(
                "Sign in with BASE after registering. The console renews the sign-in every "
                "hour; if it cannot for 30 days, the sign-in lapses and must be done again."
            ),
        ),
        SenderMail(),
    )
