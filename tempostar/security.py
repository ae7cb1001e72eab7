"""Security plumbing: headers and CSP, client IP, and keeping decrypted secrets out of reports.

Every decrypted or newly entered secret value is remembered for the current request or task
(a context variable, cleared when the next one starts). Log lines, error e-mails and the error
page replace any remembered value with ********, whatever variable or message it hides in; the
field-name based masks below catch what was never decrypted (a POST field, a settings URL).
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import logging
import re
from collections.abc import Iterable
from contextvars import ContextVar
from functools import lru_cache
from urllib.parse import quote, quote_plus

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

MASK = "********"
# Setting, variable, POST-field and dict-key names whose values are masked in error reports.
SENSITIVE_NAME = re.compile(
    r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|COOKIE|CREDENTIAL|PRIVATE|BROKER|_URL$|DSN",
    re.IGNORECASE,
)
MIN_REDACT_LENGTH = 4  # shorter values ("1", "ftp") would mask ordinary words
# Credentials masked by their shape wherever they appear, even if never remembered: an
# Authorization header's value and an API token (api.tokens).
CREDENTIAL_SHAPES = re.compile(
    r"(?i)(?<=\bBearer )[^\s'\",]+|(?<=\bBasic )[^\s'\",]+|tsk_[0-9a-f]{12}_[A-Za-z0-9_-]+"
)

_known: ContextVar[frozenset[str]] = ContextVar("known_secret_values", default=frozenset())


def encoded_forms(value: str) -> set[str]:
    """The value as it may appear in a report, a log line or an echoed answer: itself,
    URL-encoded (path and query styles), JSON-escaped (with and without \\uXXXX, with
    escaped slashes), HTML-escaped, repr-escaped, and each line of a multi-line one (a PEM
    key). Base64 (HTTP Basic of `id:secret`, a mall's own base64 scheme) is found by decoding:
    redact()."""
    raw = value.encode("utf-8", "surrogatepass")  # a lone surrogate must not stop masking
    forms = {
        value,
        quote(raw, safe=""),
        quote(raw),
        quote_plus(raw),
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
        json.dumps(value)[1:-1].replace("/", "\\/"),
        html.escape(value),
        html.escape(value, quote=False),
        repr(value)[1:-1],
    }
    forms |= {form.lower() for form in forms if "%" in form}  # lower-case percent escapes
    if "\n" in value:
        forms.update(line.strip() for line in value.splitlines() if len(line.strip()) >= 8)
    return {form for form in forms if len(form) >= MIN_REDACT_LENGTH}


def remember_secrets(values: Iterable) -> None:
    """Note secret values now in memory so that reports and logs can mask them."""
    new = set()
    for value in values:
        if not isinstance(value, str) or len(value) < MIN_REDACT_LENGTH:
            continue
        new |= encoded_forms(value)
    if new - _known.get():
        _known.set(_known.get() | new)


def forget_secrets() -> None:
    _known.set(frozenset())


# The console's own OAuth client secrets (connectors.oauth.OAuthProvider.client_secrets) are
# masked in every request, task and command, whether or not it remembered them.
_console: dict[str, frozenset[str]] = {}


def console_secrets() -> frozenset[str]:
    if "forms" not in _console:
        from django.apps import apps

        if not apps.ready:  # the registry is not filled yet: nothing to cache
            return frozenset()
        from connectors.base import registry

        forms = set()
        for connector in registry.all():
            for provider in connector.providers():
                for secret in provider.client_secrets():
                    if isinstance(secret, str) and len(secret) >= MIN_REDACT_LENGTH:
                        forms |= encoded_forms(secret)
        _console["forms"] = frozenset(forms)
    return _console["forms"]


@receiver(setting_changed)
def _settings_changed(**kwargs):
    _console.clear()


# Runs of base64 (standard or URL-safe alphabet) long enough to hide a secret.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def _decodings(token: str):
    """What a base64 run may decode to, from each of its four alignments."""
    core = token.rstrip("=").replace("-", "+").replace("_", "/")
    for start in range(4):
        part = core[start:]
        part = part[: len(part) - 1] if len(part) % 4 == 1 else part
        try:
            raw = base64.b64decode(part + "=" * (-len(part) % 4))
        except (ValueError, binascii.Error):
            continue
        yield raw.decode("utf-8", "ignore")
        yield raw.decode("latin-1")


@lru_cache(maxsize=16)
def _pattern(known: frozenset[str], console: frozenset[str]) -> re.Pattern | None:
    """One regular expression for every value to mask, longest first."""
    values = sorted(known | console, key=len, reverse=True)
    return re.compile("|".join(re.escape(v) for v in values)) if values else None


def redact(text: str) -> str:
    """text with every remembered secret value (and the console's client secrets) replaced
    by ********, in any of the encodings of encoded_forms() or inside base64, and every
    credential shape (a Bearer header, an API token) masked."""
    if not isinstance(text, str):
        return text
    text = CREDENTIAL_SHAPES.sub(MASK, text)
    pattern = _pattern(_known.get(), console_secrets())
    if pattern is None:
        return text
    text = pattern.sub(MASK, text)

    def masked(match):
        token = match.group(0)
        for decoded in _decodings(token):
            if pattern.search(decoded):
                return MASK
        return token

    return _BASE64_RUN.sub(masked, text)


# ---- HTTP ------------------------------------------------------------------------------------


class SecurityHeadersMiddleware:
    """Permissions-Policy and no caching of pages shown to a signed-in user; each request
    starts with no remembered secrets. The Content-Security-Policy is django-csp's (settings).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        forget_secrets()
        response = self.get_response(request)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


def csp_nonce(request) -> dict:
    """Template context: {{ csp_nonce }} for the rare inline <script nonce="...">; reading it
    makes django-csp add the nonce to the policy."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


def client_ip(request) -> str | None:
    """The client's address for login lockout and rate limits.

    With TRUSTED_PROXY_COUNT proxies in front, each appending to X-Forwarded-For, the client
    is that many entries from the end; anything before it may be forged by the client."""
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")


# ---- error reports and logs ------------------------------------------------------------------


class _Masked:
    """A frame variable already turned into safe text (the reporter prints its repr)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _mask_structure(value, depth=0):
    if depth > 4:
        return value
    if isinstance(value, dict):
        return {
            k: (
                MASK
                if isinstance(k, str) and SENSITIVE_NAME.search(k)
                else _mask_structure(v, depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):  # a plain list or tuple: subclasses may not rebuild
        masked = [_mask_structure(v, depth + 1) for v in value]
        return masked if isinstance(value, list) else tuple(masked)
    return value


class SecretMaskingFilter(SafeExceptionReporterFilter):
    """Django's filter, active with DEBUG on too, masking by name (settings, variables, POST
    fields, dict keys) and by value (every secret remembered in this request or task)."""

    hidden_settings = SENSITIVE_NAME

    def is_active(self, request):
        return True

    def get_safe_request_meta(self, request):
        """The request's headers with Authorization (an API token) and cookies masked."""
        meta = super().get_safe_request_meta(request)
        for key in ("HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION", "HTTP_COOKIE"):
            if key in meta:
                meta[key] = self.cleansed_substitute
        return meta

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if not params:
            return params
        params = params.copy()
        for key in params:
            if SENSITIVE_NAME.search(key):
                params[key] = MASK
            else:
                params.setlist(key, [redact(v) for v in params.getlist(key)])
        return params

    def get_traceback_frame_variables(self, request, tb_frame):
        cleansed = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if value == self.cleansed_substitute:
                cleansed.append((name, value))
            elif SENSITIVE_NAME.search(name):
                cleansed.append((name, self.cleansed_substitute))
            else:
                try:
                    text = repr(_mask_structure(value))
                except Exception as exc:  # a broken __repr__ must not break the report
                    text = f"<unprintable {type(value).__name__}: {type(exc).__name__}>"
                cleansed.append((name, _Masked(redact(text))))
        return cleansed


class SecretMaskingReporter(ExceptionReporter):
    """The report as a whole, exception message included, with remembered secrets masked."""

    def get_traceback_html(self):
        return redact(super().get_traceback_html())

    def get_traceback_text(self):
        return redact(super().get_traceback_text())


class RedactingFormatter(logging.Formatter):
    """Formats a log record (traceback included) and masks remembered secrets."""

    def format(self, record):
        return redact(super().format(record))


class ClientErrorsWithoutTraceback(logging.Filter):
    """A refused or missing page (4xx) is logged on one line: Django attaches the
    PermissionDenied or Http404 traceback, which says nothing about the console's health."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", 500) < 500:
            record.exc_info, record.exc_text = None, None
        return True


class RedactingAdminEmailHandler(AdminEmailHandler):
    """Error e-mails to ADMINS with remembered secrets masked in the subject and the body."""

    def format_subject(self, subject):
        return super().format_subject(redact(subject))

    def emit(self, record):
        # Django skips the report when there is nobody to send it to, unless send_mail is
        # overridden, as here: skip it too (building it is the costly part).
        if not settings.ADMINS:
            return
        try:
            super().emit(record)
        except Exception:
            # The report itself failed (a request whose query string cannot be read raises
            # again when the report reads it): send the log line alone, and never let the
            # failure escape into the response.
            try:
                bare = logging.makeLogRecord(
                    {**record.__dict__, "exc_info": None, "exc_text": None}
                )
                subject = self.format_subject(f"{record.levelname}: {record.getMessage()}")
                self.send_mail(subject, self.format(bare), fail_silently=True)
            except Exception:
                self.handleError(record)

    def send_mail(self, subject, message, *args, **kwargs):
        kwargs["html_message"] = redact(kwargs.get("html_message") or "") or None
        super().send_mail(redact(subject), redact(message), *args, **kwargs)


def lockout_response(request, credentials, *args, **kwargs):
    """The page shown to a locked-out login (django-axes' AXES_LOCKOUT_CALLABLE): HTTP 429."""
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
