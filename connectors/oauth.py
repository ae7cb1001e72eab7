"""OAuth 2 providers: the authorization-code flow and token refresh, with authlib.

A provider is declared once, in the module of the mall that uses it, with its documented
endpoints as defaults. Settings named after it override them and hold this console's client
credentials: `<NAME>_AUTHORIZE_URL`, `<NAME>_TOKEN_URL`, `<NAME>_CLIENT_ID`,
`<NAME>_CLIENT_SECRET`, `<NAME>_SCOPE`. A provider whose protocol departs from RFC 6749 (a
consent URL with other parameters, a code under another name, a redirect URI that is not a
URL) says so by overriding one method; the views know nothing of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session

from .checks import CheckResult
from .conf import Endpoint, setting
from .transports.http import HttpFailure, map_request_exception, unsendable

# An RFC 6749 error code (section 5.2) as providers send them: a short snake_case word.
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,59}(?![A-Za-z0-9+/=])")


def error_code(error) -> str:
    """The error code of a token endpoint's answer, never its free text: a server that
    echoes the request (its Authorization header, its body) must not get the client's
    credentials or a token into a stored check detail."""
    match = _ERROR_CODE.match(str(error or "").strip())
    return match.group(0) if match else "unrecognised_error"


class TokenError(Exception):
    """The token endpoint refused: `error` is the RFC 6749 error code, `status` the HTTP one.

    The message is safe to store and show: it never holds a token or a client secret (the
    error is reduced to a code; the description is kept apart and never shown).
    """

    def __init__(
        self,
        error: str,
        status: int | None = None,
        result: CheckResult | None = None,
        description: str = "",
    ):
        self.error, self.status = error_code(error or "unknown"), status
        self.result, self.description = result, str(description or "")[:200]
        super().__init__(f"token endpoint: {self.error}" + (f" (HTTP {status})" if status else ""))

    def as_result(self) -> CheckResult:
        if self.result is not None:
            return self.result
        if self.error == "invalid_grant":
            return CheckResult.fail("key_expired", str(self))
        if self.error in ("invalid_client", "unauthorized_client"):
            return CheckResult.fail("client_rejected", str(self))
        if self.status in (400, 401, 403):
            return CheckResult.fail("auth_failed", str(self))
        return CheckResult.fail("unexpected", str(self))


@dataclass(frozen=True)
class OAuthProvider:
    name: str  # prefix of its settings: YAHOO -> YAHOO_CLIENT_ID, ...
    label: str
    authorize_url: str
    token_url: str
    scope: str = ""
    pkce: bool = False
    # How the client authenticates at the token endpoint (RFC 6749 section 2.3.1).
    client_auth: str = "client_secret_basic"
    # Send the scope with a refresh (RFC 6749 section 6 makes it optional; eBay's SDKs send
    # it, Login with Amazon says not to).
    scope_on_refresh: bool = False
    sources: tuple = ()  # the provider's documentation this follows
    extra_settings: tuple = field(default=())  # further settings it reads (documented)

    # ---- settings ------------------------------------------------------------------------

    @property
    def authorize_endpoint(self) -> Endpoint:
        return Endpoint(f"{self.name}_AUTHORIZE_URL", self.authorize_url, "sign-in page")

    @property
    def token_endpoint(self) -> Endpoint:
        return Endpoint(f"{self.name}_TOKEN_URL", self.token_url, "token endpoint")

    @property
    def client_id(self) -> str:
        return str(setting(f"{self.name}_CLIENT_ID", ""))

    @property
    def client_secret(self) -> str:
        return str(setting(f"{self.name}_CLIENT_SECRET", ""))

    @property
    def scopes(self) -> str:
        return str(setting(f"{self.name}_SCOPE", self.scope))

    def required_settings(self) -> list[str]:
        return [f"{self.name}_CLIENT_ID", f"{self.name}_CLIENT_SECRET"]

    def missing_settings(self) -> list[str]:
        """Settings without which no sign-in can work (the button says which)."""
        return [name for name in self.required_settings() if not setting(name, "")]

    def setting_names(self) -> list[str]:
        names = [
            f"{self.name}_AUTHORIZE_URL",
            f"{self.name}_TOKEN_URL",
            f"{self.name}_CLIENT_ID",
            f"{self.name}_CLIENT_SECRET",
            f"{self.name}_SCOPE",
        ]
        return names + list(self.extra_settings)

    def origin(self) -> str:
        parts = urlsplit(self.authorize_endpoint.url)
        return f"{parts.scheme}://{parts.netloc}"

    def client_secrets(self) -> list[str]:
        """Values to mask in logs and stored details (the console's own credentials)."""
        return [v for v in (self.client_secret,) if v]

    # ---- the flow ------------------------------------------------------------------------

    def redirect_uri(self, callback_url: str) -> str:
        """What goes in redirect_uri: the console's callback URL (eBay: its RuName)."""
        return callback_url

    def session(
        self, callback_url: str | None = None, *, with_scope: bool = True, **kwargs
    ) -> OAuth2Session:
        client = OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=(self.scopes or None) if with_scope else None,
            redirect_uri=self.redirect_uri(callback_url) if callback_url else None,
            code_challenge_method="S256" if self.pkce else None,
            token_endpoint_auth_method=self.client_auth,
            **kwargs,
        )
        client.trust_env = False  # no proxies or netrc credentials from the environment
        return client

    def authorization_url(self, *, state: str, callback_url: str, verifier: str | None) -> str:
        client = self.session(callback_url)
        try:
            url, _state = client.create_authorization_url(
                self.authorize_endpoint.url, state=state, code_verifier=verifier
            )
        finally:
            client.close()
        return url

    def callback_code(self, params) -> tuple[str, dict]:
        """The authorization code of a callback, and values to keep from it."""
        return params.get("code", ""), {}

    def exchange(self, code: str, *, callback_url: str, verifier, timeout: float) -> dict:
        client = self.session(callback_url)
        return self._token_call(
            client,
            lambda **kw: client.fetch_token(
                self.token_endpoint.url, code=code, code_verifier=verifier, **kw
            ),
            timeout,
        )

    def token_error(self, error: str, status, description: str) -> TokenError:
        """The provider's error answer as a TokenError (a provider may map its own codes)."""
        return TokenError(error, status, description=description)

    def refresh(self, refresh_token: str, *, timeout: float, callback_url: str = "") -> dict:
        client = self.session(with_scope=self.scope_on_refresh)
        return self._token_call(
            client,
            lambda **kw: client.refresh_token(
                self.token_endpoint.url, refresh_token=refresh_token, **kw
            ),
            timeout,
        )

    def _token_call(self, client: OAuth2Session, call, timeout: float) -> dict:
        """Run a token request with the console's network rules; map every failure."""
        seen = {}

        def note(response):
            seen["status"] = response.status_code
            if response.is_redirect:
                target = urlsplit(response.headers.get("Location", "")).netloc or "?"
                raise HttpFailure(
                    CheckResult.fail("redirected", f"HTTP {response.status_code} to {target}")
                )
            return response

        client.register_compliance_hook("access_token_response", note)
        client.register_compliance_hook("refresh_token_response", note)
        try:
            token = call(timeout=(timeout, timeout), allow_redirects=False)
        except HttpFailure as failure:
            raise TokenError("redirected", seen.get("status"), failure.result) from None
        except requests.exceptions.RequestException as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None) or seen.get(
                "status"
            )
            if isinstance(exc, requests.exceptions.HTTPError):
                raise TokenError(f"http_{status}", status) from None
            raise TokenError("network", status, map_request_exception(exc)) from None
        except UnicodeEncodeError:
            # authlib sends client_secret_basic as Latin-1: a client ID or secret (or a token
            # in a header) with other characters cannot be sent at all.
            raise TokenError("invalid_characters", None, unsendable("token request")) from None
        except ValueError:  # not a JSON object
            raise TokenError("not_json", seen.get("status")) from None
        except Exception as exc:  # noqa: BLE001 - authlib's OAuthError and relatives
            raise self.token_error(
                getattr(exc, "error", None)
                or re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower(),
                seen.get("status"),
                getattr(exc, "description", ""),
            ) from None
        finally:
            client.close()
        token = dict(token)
        if "access_token" not in token:
            raise TokenError("no_access_token", seen.get("status"))
        return token


def token_response_values(body: dict, now) -> tuple[dict, dict]:
    """Values and secrets to store from an OAuth token response (RFC 6749 section 5.1)."""
    secrets = {"access_token": str(body["access_token"])}
    if body.get("refresh_token"):
        secrets["refresh_token"] = str(body["refresh_token"])
    values = {"authorized_at": now.isoformat()}
    access = _seconds(body.get("expires_in"))
    if access:
        values["access_expires_at"] = (now + timedelta(seconds=access)).isoformat()
    refresh = _seconds(body.get("refresh_token_expires_in"))  # eBay says how long it lasts
    if refresh:
        values["refresh_expires_at"] = (now + timedelta(seconds=refresh)).isoformat()
    return values, secrets


def _seconds(value) -> int | None:
    """A lifetime in seconds from a token response, or None when absent or absurd."""
    try:
        seconds = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return seconds if 0 < seconds <= 20 * 365 * 86400 else None
