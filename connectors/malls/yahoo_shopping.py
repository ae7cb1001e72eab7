"""Yahoo!ショッピング: Store Creator Pro (FTP) and the Shopping API (Yahoo! JAPAN ID sign-in).

Sources:
- YConnect v2 (https://developer.yahoo.co.jp/yconnect/v2/authorization_code/ and
  .../token.html): authorization at https://auth.login.yahoo.co.jp/yconnect/v2/authorization,
  tokens at .../yconnect/v2/token; "サーバーサイド・アプリケーションの場合は、Basic認証を用いた
  クライアント認証が必須です"; code_verifier is required when code_challenge was sent (PKCE);
  the refresh is grant_type=refresh_token with Basic authentication.
- Shopping API help (https://developer.yahoo.co.jp/webapi/shopping/help.html): without the
  store's public key, a sign-in used by the order APIs lasts 12 hours; with it, 28 days
  (the 28 days come from integrators' manuals: SECONDARY). The key is valid 1 year.
- The public-key signature is SECONDARY (the official help's text could not be read; six
  independent clients agree, one quoting the official PHP sample, e.g.
  https://teratail.com/questions/bejsxg9q2q5b8g): the plain text "<store account>:<Unix
  time>" is encrypted with the store's RSA public key, PKCS#1 v1.5 padding, then base64, and
  sent as `X-sws-signature` with the key's version as `X-sws-signature-version`, on the
  Shopping API call itself. The answer's `X-SWS-Authorize-Status: authorized` says the
  signature was accepted; the call may still answer HTTP 200 when it was not, so the header
  decides. No other value of the header is documented.
- The read-only call: orderCount (注文ステータス別件数参照API,
  https://developer.yahoo.co.jp/webapi/shopping/orderCount.html), GET
  https://circus.shopping.yahooapis.jp/ShoppingWebService/V1/orderCount?sellerId=<store>, an
  order API (one of those the public key applies to). Errors are XML
  <Error><Message>..</Message><Code>px-…</Code></Error>; a bad token gets HTTP 401 (SECONDARY).
- FTP host ftp.castle.yahoofs.jp: from a tool vendor's manual (SECONDARY); not verified on
  Yahoo's own pages.
"""

import base64
import time
from datetime import timedelta
from xml.etree import ElementTree

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import CheckResult
from connectors.conf import Endpoint
from connectors.expiry import Expiry
from connectors.fields import DATE, INT, KEY_PEM, ORDER, STOCK, Field, store_id
from connectors.oauth import OAuthProvider
from connectors.sections import FileTransfer, OAuthGrant, SenderMail, together
from connectors.transports import http
from connectors.transports.http import HttpFailure

# YConnect v2, shared with Yahoo!オークション.
YAHOO = OAuthProvider(
    "YAHOO",
    "Yahoo! JAPAN ID",
    authorize_url="https://auth.login.yahoo.co.jp/yconnect/v2/authorization",
    token_url="https://auth.login.yahoo.co.jp/yconnect/v2/token",
    scope="openid",
    pkce=True,
    sources=(
        "https://developer.yahoo.co.jp/yconnect/v2/authorization_code/",
        "https://developer.yahoo.co.jp/yconnect/v2/authorization_code/token.html",
    ),
)
SHOPPING_API = Endpoint(
    "YAHOO_SHOPPING_API_BASE",
    "https://circus.shopping.yahooapis.jp/ShoppingWebService/V1",
    "Yahoo! Shopping API",
)
AUTHORIZED = "authorized"


class SignatureError(ValueError):
    """The stored public key cannot encrypt a signature (not an RSA public key)."""


def sws_signature(public_key_pem: str, seller_id: str, unix_time: int) -> str:
    """X-sws-signature: "<seller>:<Unix time>" encrypted with the store's RSA public key
    (PKCS#1 v1.5), base64."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.strip().encode())
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm):
        raise SignatureError("the public key is not a PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("the public key is not an RSA key")
    try:
        encrypted = key.encrypt(f"{seller_id}:{unix_time}".encode(), padding.PKCS1v15())
    except ValueError:
        raise SignatureError("the public key is too short for the signature") from None
    return base64.b64encode(encrypted).decode("ascii")


def _xml_error(content: bytes) -> tuple[str, str]:
    """(code, message) of a Shopping API error answer, or ("", "")."""
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return "", ""
    error = root if root.tag == "Error" else root.find(".//Error")
    if error is None:
        return "", ""
    return (error.findtext("Code") or "").strip()[:20], (error.findtext("Message") or "")[:120]


class ShoppingApiGrant(OAuthGrant):
    """The sign-in, tested by refreshing it and making one signed read-only call."""

    # Result codes only this section reports, and what a person reads for them.
    messages = {
        "signature_refused": _(
            "The mall did not accept the public-key signature: check that the public key and its "
            "version match a key that is active at the mall."
        ),
        "public_key_unreadable": _(
            "The public key cannot be read: paste the whole public key issued by the mall again."
        ),
    }

    check_does = (
        "Refreshes the Yahoo! JAPAN ID sign-in (Basic client authentication), then makes one "
        "read-only Shopping API call (orderCount) signed with the store's public key "
        "(X-sws-signature, PKCS#1 v1.5) and reads X-SWS-Authorize-Status."
    )
    check_cannot = (
        "Whether the stock and item APIs are enabled for the application (only the order "
        "API is called), and when Yahoo! will ask for the public key to be renewed."
    )
    endpoints = (SHOPPING_API,)

    def check(self, ctx):
        if not ctx.get("store_account"):
            return CheckResult.untested("not_configured", "store account")
        refreshed = self.refresh_grant(ctx)
        if refreshed.status != "success":
            return refreshed
        kept = {"store": refreshed.store, "store_secrets": refreshed.store_secrets}
        seller = str(ctx.get("store_account"))
        headers = {"Authorization": f"Bearer {refreshed.store_secrets['access_token']}"}
        key, version = ctx.get("public_key"), ctx.get("public_key_version")
        signed = bool(key and version not in (None, ""))
        if signed:
            try:
                headers["X-sws-signature"] = sws_signature(key, seller, int(time.time()))
            except SignatureError as exc:
                return CheckResult.fail("public_key_unreadable", str(exc), **kept)
            headers["X-sws-signature-version"] = str(version)
        try:
            response = http.request(
                "GET",
                SHOPPING_API.join("orderCount"),
                params={"sellerId": seller},
                headers=headers,
                timeout=ctx.timeout,
            )
        except HttpFailure as failure:
            return self.keeping(refreshed, failure.result)
        status = response.headers.get("X-SWS-Authorize-Status", "")
        code, message = _xml_error(response.content)
        where = f"orderCount: HTTP {response.status_code}" + (f" {code}" if code else "")
        if response.status_code == 200 and not code:
            if not signed:
                return CheckResult.ok(
                    "token refreshed; orderCount answered (unsigned: without a public key "
                    "the sign-in lasts 12 hours)",
                    **kept,
                )
            if status == AUTHORIZED:
                return CheckResult.ok(
                    f"token refreshed; orderCount answered; X-SWS-Authorize-Status: "
                    f"{AUTHORIZED} (public key version {version})",
                    **kept,
                )
            return CheckResult.fail(
                "signature_refused",
                f"{where}; X-SWS-Authorize-Status: {status[:40] or 'missing'} "
                f"(public key version {version})",
                **kept,
            )
        if signed and code == "px-14303":  # "Use of API is not permitted."
            return CheckResult.fail(
                "signature_refused", f"{where} {message} (public key version {version})", **kept
            )
        if response.status_code in (401, 403) or code:
            return CheckResult.fail("auth_failed", f"{where} {message}".strip(), **kept)
        return CheckResult.fail("unexpected", where, **kept)


def yahoo_grant_lifetime(values):
    """28 days with the store's public key and its version registered, 12 hours without."""
    if values.get("public_key") and values.get("public_key_version"):
        return timedelta(days=28)
    return timedelta(hours=12)


# https://store.shopping.yahoo.co.jp/savaway/ -> savaway
YAHOO_STORE = r"store\.shopping\.yahoo\.co\.jp/([A-Za-z0-9_-]+)"


@register
class YahooShopping(Connector):
    code = "yahoo_shopping"
    label = "Yahoo!ショッピング"
    imports_order_mail = True
    order = 20
    sources = (
        *YAHOO.sources,
        "https://developer.yahoo.co.jp/webapi/shopping/help.html",
        "https://developer.yahoo.co.jp/webapi/shopping/orderCount.html",
    )
    summary = _(
        "Products and stock by FTP, orders and stock through the Yahoo! Shopping API (Yahoo! "
        "JAPAN ID sign-in), and order mails."
    )
    help_url = "https://developer.yahoo.co.jp/webapi/shopping/help.html"
    description = _("Links with Store Creator Pro (FTP, Yahoo! JAPAN ID sign-in).")
    sections = (
        FileTransfer(
            host="ftp.castle.yahoofs.jp",
            protocols={"ftp": 21},
            passive=True,
            user_from_url=store_id(YAHOO_STORE, prefix="store-"),
            user_help=_(
                '"store-" followed by the store ID of the shop\'s top page URL: for '
                "https://store.shopping.yahoo.co.jp/savaway/ enter store-savaway."
            ),
            password_help=_(
                "The FTP password for the user ID above. If you do not know it, issue it "
                "again in Store Creator Pro."
            ),
        ),
        SenderMail(),
        ShoppingApiGrant(
            "yahoo_api",
            _("Yahoo! Shopping API settings"),
            "Yahoo! JAPAN IDでログイン",
            provider=YAHOO,
            fields=(
                Field(
                    "store_account",
                    _("Store account to use"),
                    required=True,
                    derive=store_id(YAHOO_STORE),
                    pattern=r"[A-Za-z0-9_-]+",
                    pattern_message=_("Enter the store ID only, such as savaway."),
                    help=_(
                        "The store ID of the shop's top page URL: for "
                        "https://store.shopping.yahoo.co.jp/savaway/ enter savaway."
                    ),
                ),
                Field(
                    "public_key",
                    _("Public key"),
                    KEY_PEM,
                    max_length=4000,
                    help=_(
                        "The public key registered in Store Creator Pro. With a public "
                        "key and its version, a sign-in lasts 28 days instead of 12 "
                        "hours. The key itself is valid for 1 year."
                    ),
                ),
                Field(
                    "public_key_version",
                    _("Public key version"),
                    INT,
                    help=_("The version number shown next to the public key."),
                ),
                Field(
                    "public_key_issued_on",
                    _("Public key registration date"),
                    DATE,
                    help=_("The day the public key was registered. The key is valid for 1 year."),
                ),
            ),
            features=(ORDER, STOCK),
            note=_(
                "Set this when stock or order management uses the API. Sign in with "
                '"Yahoo! JAPAN IDでログイン" and renew the sign-in before it expires: once it '
                "lapses, stock and orders stop syncing."
            ),
            lifetime=yahoo_grant_lifetime,
            expiry_label=_("Yahoo! JAPAN ID sign-in"),
            renew=_(
                'Press "Yahoo! JAPAN IDでログイン" on this page and sign in '
                "with the store's account."
            ),
            expiries=(
                Expiry(
                    "public_key",
                    _("Public key"),
                    timedelta(days=365),
                    requires="public_key",
                    issued_from="public_key_issued_on",
                    renew=_(
                        "Store Creator Pro: register a new public key, then enter it "
                        "and its version here."
                    ),
                ),
            ),
            rules=(together("public_key", "public_key_version"),),
            help_url="https://store-info.yahoo.co.jp/shopping/toolmanual/setup/i/1329.html",
        ),
    )
