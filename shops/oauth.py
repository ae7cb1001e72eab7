"""OAuth sign-in for mall sections (authorization-code flow with state, PKCE where supported).

Uses authlib's OAuth2Session. The provider endpoints and client credentials are settings
(OAUTH_PROVIDERS); tokens are stored encrypted with the shop's other secrets.
"""

from __future__ import annotations

import secrets as pysecrets
from datetime import datetime, timedelta

from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from connectors.sections import token_response_values

from .expiry import sync_expiries
from .models import Shop

SESSION_KEY = "oauth_flows"
FLOW_TTL = timedelta(minutes=15)


class OAuthError(Exception):
    """The sign-in cannot complete; the message is safe to show (no token, no secret)."""


def redirect_uri() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("oauth_callback")


def _client(provider: dict, **kwargs) -> OAuth2Session:
    return OAuth2Session(
        provider["client_id"],
        provider["client_secret"],
        scope=provider["scope"] or None,
        redirect_uri=redirect_uri(),
        code_challenge_method="S256" if provider["pkce"] else None,
        **kwargs,
    )


def start(request, shop: Shop, section) -> str:
    """Remember a new flow in the session and return the provider's authorization URL."""
    provider = settings.OAUTH_PROVIDERS[section.extra["provider"]]
    state = pysecrets.token_urlsafe(24)
    verifier = generate_token(64) if provider["pkce"] else None
    client = _client(provider)
    url, _state = client.create_authorization_url(
        provider["authorize_url"], state=state, code_verifier=verifier
    )
    flows = {
        k: v
        for k, v in request.session.get(SESSION_KEY, {}).items()
        if datetime.fromisoformat(v["started"]) > timezone.now() - FLOW_TTL
    }
    flows[state] = {
        "shop": shop.code,
        "section": section.key,
        "verifier": verifier,
        "started": timezone.now().isoformat(),
    }
    request.session[SESSION_KEY] = flows
    return url


def finish(request) -> tuple[Shop, object]:
    """Exchange the code of the callback for tokens and store them. Raises OAuthError."""
    state = request.GET.get("state", "")
    flows = request.session.get(SESSION_KEY, {})
    flow = flows.pop(state, None) if state else None
    request.session[SESSION_KEY] = flows
    if flow is None or datetime.fromisoformat(flow["started"]) < timezone.now() - FLOW_TTL:
        raise OAuthError("state")
    if request.GET.get("error"):
        raise OAuthError("denied")
    code = request.GET.get("code")
    if not code:
        raise OAuthError("no_code")
    shop = Shop.objects.get(code=flow["shop"])
    section = shop.connector.section(flow["section"])
    provider = settings.OAUTH_PROVIDERS[section.extra["provider"]]
    client = _client(provider, state=state)
    try:
        token = client.fetch_token(
            provider["token_url"],
            code=code,
            code_verifier=flow["verifier"],
            timeout=settings.CONNECTION_CHECK_TIMEOUT,
        )
    except Exception as exc:  # noqa: BLE001 - authlib and requests errors alike
        raise OAuthError(f"token:{type(exc).__name__}") from None
    finally:
        client.close()
    if "access_token" not in token:
        raise OAuthError("token:no_access_token")
    store_tokens(shop, section, dict(token), timezone.now())
    return shop, section


def store_tokens(shop: Shop, section, body: dict, now) -> None:
    values, new_secrets = token_response_values(body, now)
    with transaction.atomic():
        shop = Shop.objects.select_for_update().get(pk=shop.pk)
        settings_values = dict(shop.settings or {})
        for key in ("refresh_expires_at", "access_expires_at"):
            settings_values.pop(f"{section.key}.{key}", None)  # belongs to the old grant
        settings_values.update({f"{section.key}.{k}": v for k, v in values.items()})
        shop.settings = settings_values
        current = shop.get_secrets()
        current.update({f"{section.key}.{k}": v for k, v in new_secrets.items()})
        shop.set_secrets(current)
        shop.save(update_fields=["settings", "secrets", "secret_hints", "updated_at"])
        sync_expiries(shop)


def refresh_due_tokens(now=None) -> int:
    """Refresh access tokens that lapse within 15 minutes; returns how many were refreshed."""
    from connectors.runner import run_check

    from .checks import record_result_values

    now = now or timezone.now()
    soon = now + timedelta(minutes=15)
    refreshed = 0
    for shop in Shop.objects.exclude(secrets="").iterator():
        for section in shop.connector.sections:
            expires = (shop.settings or {}).get(f"{section.key}.access_expires_at")
            if not section.oauth or not expires or datetime.fromisoformat(expires) > soon:
                continue
            result = run_check(
                section,
                shop.settings,
                shop.get_secrets(),
                shop_code=shop.code,
                timeout=settings.CONNECTION_CHECK_TIMEOUT,
            )
            if result.status == "success":
                record_result_values(shop.pk, section, result)
                refreshed += 1
    return refreshed
