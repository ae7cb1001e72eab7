"""Yahoo!ショッピング: data and the local YConnect (Yahoo! JAPAN ID) provider."""

import base64
import hashlib
from urllib.parse import parse_qs

import pytest

from connectors.malls.yahoo_shopping import YAHOO
from tests.helpers import configure_provider
from tests.servers import HttpServer

DATA = {
    "url": "https://store.shopping.yahoo.co.jp/savaway/",
    "ftp.host": "ftp.castle.yahoofs.jp",
    "ftp.port": 21,
    "ftp.user": "store-savaway",
    "ftp.password": "yh-ftp-pass-0003",
    "ftp.passive": True,
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
    "yahoo_api.store_account": "savaway",
    "yahoo_api.public_key": "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "-----END PUBLIC KEY-----",
    "yahoo_api.public_key_version": 3,
}


# ---- the local YConnect provider ------------------------------------------------------------


def provider_routes(store):
    def token(request):
        form = {k: v[0] for k, v in parse_qs(request["body"]).items()}
        store.setdefault("token_requests", []).append(form)
        if form.get("grant_type") == "authorization_code":
            if form.get("code") != "auth-code-1":
                return 400, {}, {"error": "invalid_grant"}
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .decode()
                .rstrip("=")
            )
            if challenge != store["challenge"]:
                return 400, {}, {"error": "invalid_grant", "error_description": "PKCE"}
            return (
                200,
                {},
                {
                    "access_token": "yahoo-access-1",
                    "refresh_token": "yahoo-refresh-1",
                    "expires_in": 3600,
                    "token_type": "Bearer",
                },
            )
        if form.get("grant_type") == "refresh_token":
            return (
                200,
                {},
                {"access_token": "yahoo-access-2", "expires_in": 3600, "token_type": "Bearer"},
            )
        return 400, {}, {"error": "unsupported_grant_type"}

    return {("POST", "/token"): token}


@pytest.fixture
def yahoo_provider(settings):
    store = {}
    with HttpServer(provider_routes(store)) as server:
        configure_provider(settings, YAHOO, server.url)
        settings.SITE_URL = "http://testserver"
        store["server"] = server
        yield store
