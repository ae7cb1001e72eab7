"""Shared helpers of the suite: shops with given settings and secrets, checks run in-process,
and pointing a connector's declared endpoints and providers at local servers."""

from __future__ import annotations

from connectors.base import registry
from shops.checks import execute_check
from shops.models import ConnectionCheck, Shop


def make_shop(mall, settings=None, secrets=None, **fields):
    defaults = {"name": "テスト", "short_name": "テスト", "url": "https://example.jp/"}
    shop = Shop(mall=mall, **{**defaults, **fields})
    shop.settings = settings or {}
    shop.set_secrets(secrets or {})
    shop.save()
    return shop


def run(shop, section_key):
    """Create a check and run it in this process, as the worker would."""
    check = ConnectionCheck.objects.create(shop=shop, section=section_key)
    execute_check(check.pk)
    check.refresh_from_db()
    shop.refresh_from_db()
    return check


def point_endpoints(settings, url, malls=None):
    """Every API endpoint the connectors declare (or those of `malls`) at one local URL."""
    for connector in registry.all():
        if malls and connector.code not in malls:
            continue
        for endpoint in connector.endpoints():
            setattr(settings, endpoint.setting, url)


def configure_provider(
    settings,
    provider,
    base_url,
    *,
    authorize="/authorize",
    token="/token",
    client_id="console-client",
    client_secret="console-secret",
):
    """A provider's sign-in and token endpoints at a local server, with client credentials."""
    setattr(settings, f"{provider.name}_AUTHORIZE_URL", base_url + authorize)
    setattr(settings, f"{provider.name}_TOKEN_URL", base_url + token)
    setattr(settings, f"{provider.name}_CLIENT_ID", client_id)
    setattr(settings, f"{provider.name}_CLIENT_SECRET", client_secret)
