"""OAuth sign-in for a shop's section: the flow's state in the session, and the callback.

The protocol (authorization URL, the code's name in the callback, the token exchange) is the
provider's, declared in its connector (connectors.oauth); this module keeps a random `state`
and a PKCE verifier per flow in the session for 15 minutes, and stores the tokens through
shops.store.
"""

from __future__ import annotations

import secrets as pysecrets
from datetime import datetime, timedelta

from authlib.common.security import generate_token
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from connectors.oauth import TokenError

from . import store
from .models import Shop

SESSION_KEY = "oauth_flows"
FLOW_TTL = timedelta(minutes=15)


class OAuthError(Exception):
    """The sign-in cannot complete; the message is safe to show (no token, no secret)."""


def callback_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("oauth_callback")


def start(request, shop: Shop, section) -> str:
    """Remember a new flow in the session and return the provider's authorization URL."""
    provider = section.provider
    state = pysecrets.token_urlsafe(24)
    verifier = generate_token(64) if provider.pkce else None
    url = provider.authorization_url(state=state, callback_url=callback_url(), verifier=verifier)
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
    shop = Shop.objects.filter(code=flow["shop"]).first()
    if shop is None:
        raise OAuthError("state")
    section = shop.connector.section(flow["section"])
    code, extra = section.provider.callback_code(request.GET)
    if not code:
        raise OAuthError("no_code")
    try:
        token = section.provider.exchange(
            code,
            callback_url=callback_url(),
            verifier=flow["verifier"],
            timeout=settings.CONNECTION_CHECK_TIMEOUT,
        )
    except TokenError as exc:
        raise OAuthError(f"token:{exc.error}") from None
    values, secrets = section.token_values(token, timezone.now())
    values.update(section.callback_values(extra))
    shop = store.save_sign_in(shop, section, values, secrets, user=request.user)
    return shop, section
