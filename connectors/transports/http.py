"""HTTP calls for API checks: timeouts on connect and read, no redirects, no secret in errors.

Mall API base URLs are settings (pinned hosts). A user-entered host goes through the guard and
the request is sent to the checked address, with the original name kept for Host and TLS.

A credential never belongs in a URL, but one documented protocol puts one there (RMS's
license management API takes `?licenseKey=`): urllib3 logs every request line at DEBUG, query
string included and percent-encoded past the log masking, so its loggers here never see a
query string (`QueryHidingFilter`).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from ..checks import CheckResult
from .guard import checked_address

QUERY = re.compile(r"\?[^\s\"')]*")
HIDDEN_QUERY = "?[query hidden]"
URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.poolmanager")


class QueryHidingFilter(logging.Filter):
    """Drops the query string of every URL in a urllib3 log line (its arguments included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = QUERY.sub(HIDDEN_QUERY, record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                QUERY.sub(HIDDEN_QUERY, a) if isinstance(a, str) else _hide(a) for a in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {k: _hide(v) for k, v in record.args.items()}
        return True


def _hide(value):
    if isinstance(value, str):
        return QUERY.sub(HIDDEN_QUERY, value)
    text = repr(value)
    return QUERY.sub(HIDDEN_QUERY, text) if "?" in text else value


_FILTER = QueryHidingFilter()
for _name in URLLIB3_LOGGERS:
    _logger = logging.getLogger(_name)
    if _FILTER not in _logger.filters:
        _logger.addFilter(_FILTER)


class _PinnedAddressAdapter(HTTPAdapter):
    """Send to a fixed IP address while TLS and Host still name the original host."""

    def __init__(self, hostname: str, address: str, **kwargs):
        self.hostname, self.address = hostname, address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["server_hostname"] = self.hostname
        kwargs["assert_hostname"] = self.hostname
        super().init_poolmanager(*args, **kwargs)

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        host = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{host}:{parts.port}" if parts.port else host
        request.headers["Host"] = parts.netloc
        request.url = urlunsplit(parts._replace(netloc=netloc))
        return super().send(request, **kwargs)


class HttpFailure(Exception):
    def __init__(self, result: CheckResult):
        self.result = result


def map_request_exception(exc: requests.exceptions.RequestException) -> CheckResult:
    """A requests error as a result. Its message holds the URL (and query): never shown."""
    if isinstance(exc, requests.exceptions.SSLError):
        return CheckResult.fail("cert_error", "TLS verification failed")
    if isinstance(exc, requests.exceptions.Timeout):
        return CheckResult.fail("timeout", type(exc).__name__, transient=True)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return CheckResult.fail("unreachable", type(exc).__name__, transient=True)
    return CheckResult.fail("unexpected", type(exc).__name__)


# A header carries ASCII only (RFC 9110 section 5.5: anything else is opaque bytes that
# http.client would encode as Latin-1, or fail to). A key or token holding other characters
# was typed or stored wrongly: the check fails with that reason instead of an exception.
def unsendable(where: str = "") -> CheckResult:
    detail = "a credential holds characters an HTTP header cannot carry"
    return CheckResult.fail("invalid_characters", f"{detail} ({where})" if where else detail)


def _unsendable(kwargs) -> str | None:
    """The name of the first header (or basic-auth part) that is not ASCII, if any."""
    for name, value in (kwargs.get("headers") or {}).items():
        if isinstance(value, str) and not value.isascii():
            return str(name)
    auth = kwargs.get("auth")
    if isinstance(auth, tuple) and any(isinstance(v, str) and not v.isascii() for v in auth):
        return "Authorization"
    return None


def request(method: str, url: str, *, timeout: float, pinned: bool = True, **kwargs):
    """requests.request with the console's rules; raises HttpFailure with a mapped result."""
    header = _unsendable(kwargs)
    if header:
        raise HttpFailure(unsendable(header))
    session = requests.Session()
    session.trust_env = False  # no proxies or netrc credentials from the environment
    try:
        if not pinned:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            address = checked_address(parts.hostname, port)
            session.mount(f"{parts.scheme}://", _PinnedAddressAdapter(parts.hostname, address))
        response = session.request(
            method, url, timeout=(timeout, timeout), allow_redirects=False, **kwargs
        )
        if response.is_redirect:
            target = urlsplit(response.headers.get("Location", "")).netloc or "?"
            raise HttpFailure(
                CheckResult.fail("redirected", f"HTTP {response.status_code} to {target}")
            )
        return response
    except requests.exceptions.RequestException as exc:
        raise HttpFailure(map_request_exception(exc)) from None
    except UnicodeEncodeError:  # a header or credential beyond the check above
        raise HttpFailure(unsendable()) from None
    finally:
        session.close()
