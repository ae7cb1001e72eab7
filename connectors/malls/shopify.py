"""Shopify (beyond the manual): the Admin API of a store the seller owns.

Sources (checked 2026-11):
- https://shopify.dev/docs/apps/build/authentication-authorization/access-token-types/generate-app-access-tokens-admin
  ("Starting January 1, 2026, you won't be able to create new legacy custom apps. This won't
  impact any existing apps."): an existing custom app's Admin API access token (shpat_...,
  sent as X-Shopify-Access-Token) keeps working, but a new store cannot get one.
- https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant
  : a Dev Dashboard app installed on the seller's own store obtains a token with
  POST https://{shop}.myshopify.com/admin/oauth/access_token, grant_type=client_credentials,
  client_id, client_secret (form). The token lasts 24 hours, with no refresh token.
- https://shopify.dev/docs/api/usage/versioning: quarterly versions (YYYY-MM), each supported
  for at least 12 months; an unsupported one falls forward without an error.
- https://shopify.dev/api/admin-rest/usage/versioning: REST is legacy since 2024-10-01; the
  check therefore asks the GraphQL Admin API `{ shop { name myshopifyDomain } }`.
- A wrong token gets HTTP 401 with {"errors": "[API] Invalid API key or access token ..."}.

So the section takes either the access token of an existing custom app, or the client ID and
secret of a Dev Dashboard app; with the latter, each check obtains a fresh 24-hour token and
keeps none.
"""

from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import CheckResult
from connectors.conf import Endpoint, setting
from connectors.fields import ORDER, PRODUCT, SECRET, STOCK, Field, store_id
from connectors.sections import Section, SenderMail
from connectors.transports import http

# The store's own Admin API host; {domain} is the shop domain entered (xxx.myshopify.com).
ADMIN = Endpoint("SHOPIFY_ADMIN_BASE", "https://{domain}", "Shopify Admin API host")
API_VERSION = "2026-10"  # SHOPIFY_API_VERSION overrides
DOMAIN_RE = r"[a-z0-9][a-z0-9-]*\.myshopify\.com"
SHOP_QUERY = "{ shop { name myshopifyDomain } }"


def _one_of_token_or_client(values):
    token, client_id = values.get("access_token"), values.get("client_id")
    secret = values.get("client_secret")
    if token not in (None, "") or (client_id and secret):
        return {}
    if client_id:
        return {"client_secret": _("Enter the client secret that goes with the client ID.")}
    if secret not in (None, ""):
        return {"client_id": _("Enter the client ID that goes with the client secret.")}
    return {
        "access_token": _(
            "Enter the Admin API access token of your custom app, or the client ID and "
            "client secret of your Dev Dashboard app."
        )
    }


class ShopifyAdmin(Section):
    check_does = (
        "Asks the GraphQL Admin API for the shop, with the custom app's token or a 24-hour "
        "token from the client credentials grant."
    )
    check_cannot = "Whether the app's access scopes cover products, stock and orders."
    endpoints = (ADMIN,)

    def watch_host(self, values):
        domain = str(values.get("shop_domain") or "").strip().lower()
        return (urlsplit(ADMIN.url.format(domain=domain)).hostname or "") if domain else ""

    def check(self, ctx):
        domain = ctx.get("shop_domain")
        token = ctx.secrets.get("access_token")
        client_id, client_secret = ctx.get("client_id"), ctx.secrets.get("client_secret")
        if not domain or not (token or (client_id and client_secret)):
            return CheckResult.untested("not_configured", "shop domain and a token or client")
        base = ADMIN.url.format(domain=domain)
        via = "custom app token"
        if not token:
            token, failure = self._client_credentials_token(base, client_id, client_secret, ctx)
            if failure:
                return failure
            via = "client credentials"
        version = setting("SHOPIFY_API_VERSION", API_VERSION)
        response = http.request(
            "POST",
            f"{base}/admin/api/{version}/graphql.json",
            json={"query": SHOP_QUERY},
            headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"},
            timeout=ctx.timeout,
        )
        if response.status_code in (401, 403):
            return CheckResult.fail("auth_failed", f"Admin API: HTTP {response.status_code}")
        if response.status_code == 404:
            return CheckResult.fail("not_found", f"Admin API: HTTP 404 for {domain}")
        if response.status_code != 200:
            return CheckResult.fail("unexpected", f"Admin API: HTTP {response.status_code}")
        try:
            shop = response.json()["data"]["shop"]
        except (ValueError, KeyError, TypeError):
            return CheckResult.fail("unexpected", "Admin API: no shop in the answer")
        used = response.headers.get("X-Shopify-API-Version", version)
        return CheckResult.ok(
            f"{shop.get('myshopifyDomain', domain)} answered ({via}, API {used})",
            info={"shop_name": str(shop.get("name", ""))[:100]},
        )

    @staticmethod
    def _client_credentials_token(base, client_id, client_secret, ctx):
        response = http.request(
            "POST",
            f"{base}/admin/oauth/access_token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
            },
            timeout=ctx.timeout,
        )
        if response.status_code == 404:
            return None, CheckResult.fail("not_found", "token endpoint: HTTP 404")
        if response.status_code in (400, 401, 403):
            return None, CheckResult.fail("auth_failed", f"token: HTTP {response.status_code}")
        try:
            token = response.json()["access_token"]
        except (ValueError, KeyError, TypeError):
            return None, CheckResult.fail("unexpected", f"token: HTTP {response.status_code}")
        return str(token), None


@register
class Shopify(Connector):
    code = "shopify"
    label = "Shopify"
    imports_order_mail = False
    order = 132
    summary = _(
        "Products, stock and orders through the Shopify Admin API (access token or app "
        "credentials)."
    )
    description = _("Links with your Shopify store through its Admin API.")
    help_url = "https://help.shopify.com/ja/manual/apps/app-types/custom-apps"
    sources = (
        "https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant",
        "https://shopify.dev/docs/api/usage/versioning",
    )
    sections = (
        ShopifyAdmin(
            "shopify_api",
            _("Shopify Admin API settings"),
            (
                Field(
                    "shop_domain",
                    _("Shop domain"),
                    required=True,
                    derive=store_id(f"({DOMAIN_RE})"),
                    pattern=DOMAIN_RE,
                    pattern_message=_(
                        "Enter the store's myshopify.com domain in lower case, such as "
                        "savaway.myshopify.com (not your own domain)."
                    ),
                    placeholder="savaway.myshopify.com",
                    help=_(
                        "Shopify admin > Settings > Domains shows it (xxx.myshopify.com), even "
                        "when the store uses its own domain."
                    ),
                ),
                Field(
                    "access_token",
                    _("Admin API access token"),
                    SECRET,
                    help=_(
                        "The Admin API access token (shpat_...) of a custom app created in the "
                        "store admin before 2026. It does not expire."
                    ),
                ),
                Field(
                    "client_id",
                    _("Client ID"),
                    help=_(
                        "For an app made in the Dev Dashboard and installed on this store: its "
                        "client ID. Leave blank when you entered an access token."
                    ),
                ),
                Field(
                    "client_secret",
                    _("Client secret"),
                    SECRET,
                    help=_(
                        "The Dev Dashboard app's client secret. The console obtains a 24-hour "
                        "token with it whenever it needs one."
                    ),
                ),
            ),
            features=(PRODUCT, STOCK, ORDER),
            rules=(_one_of_token_or_client,),
            help_url="https://help.shopify.com/ja/manual/apps/app-types/custom-apps",
            sources=(
                "https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant",
            ),
        ),
        SenderMail(),
    )
