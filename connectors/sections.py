"""Sections a mall is composed of: one class per kind of section.

A section owns its fields (which are secret, fixed, derived, required), its validation, its
connection check, its expiring credentials, the endpoints it calls (defaults inside, settings
override), what its form needs beyond the fields, and the state it shows (a pinned host key,
a sign-in). Views, forms and templates read these; nothing outside connectors/ branches on a
section's kind or a field's name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .checks import MESSAGES, CheckResult
from .conf import Endpoint
from .expiry import Expiry
from .fields import (
    BOOL,
    CHOICE,
    EMAIL,
    HOST,
    ORDER,
    PORT,
    PRODUCT,
    SECRET,
    STOCK,
    Derive,
    Field,
    interpolate_lazy,
)
from .oauth import OAuthProvider, TokenError, token_response_values
from .transports.ftp import check_ftp
from .transports.guard import checked_address
from .transports.sftp import check_sftp

KEEP = object()  # a stored secret that the user left as it is


@dataclass(frozen=True)
class Status:
    """A line of state a section shows under its fields (a host key, a sign-in)."""

    label: Any
    value: str
    mono: bool = False
    forget: str = ""  # name of the state an administrator may forget ("" = none)
    warning: bool = False  # something the administrator should check (shown as such)


class Section:
    """A group of settings of a mall, with the manual's heading and note."""

    # Values and secrets the section stores itself (not typed by a user): checks and
    # sign-ins may write only these and the section's own fields.
    stored_values: tuple[str, ...] = ()
    # Result codes only this section's check reports, with what a person reads for them
    # (connectors.checks.message_for); the shared codes are in connectors.checks.MESSAGES.
    messages: dict = {}
    stored_secrets: tuple[str, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    # name -> the stored values an administrator's "forget" removes.
    forgettable: dict[str, tuple[str, ...]] = {}
    oauth: Any = ""  # sign-in button label; set by OAuthGrant
    provider: OAuthProvider | None = None
    # What the connection test does and what it cannot know (docs/malls.md).
    check_does: str = ""
    check_cannot: str = ""

    def __init__(
        self,
        key: str,
        title,
        fields: tuple[Field, ...] = (),
        *,
        features: tuple[str, ...] = (),
        note="",
        after_save: bool = False,
        retired: bool = False,
        rules: tuple = (),
        expiries: tuple[Expiry, ...] = (),
        help_url: str = "",
        sources: tuple[str, ...] = (),
    ):
        self.key, self.title, self.fields = key, title, tuple(fields)
        self.features, self.note = tuple(features), note
        self.after_save, self.retired = after_save, retired
        self.rules, self.expiries = tuple(rules), tuple(expiries)
        self.help_url = help_url  # the mall's own page on where to find these values
        self.sources = tuple(sources)  # the documentation its check follows

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key}>"

    # ---- fields ----------------------------------------------------------------------------

    def field_id(self, f: Field) -> str:
        return f"{self.key}.{f.name}"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise LookupError(f"{self.key} has no field {name!r}.")

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    def widget_attrs(self, f: Field) -> dict[str, str]:
        """Extra HTML attributes of a field's input (the browser's helpers read them)."""
        attrs = {"placeholder": f.placeholder} if f.placeholder else {}
        if f.derive:
            attrs.update(
                {"data-derive-pattern": f.derive.pattern, "data-derive-prefix": f.derive.prefix}
            )
        return attrs

    def secret_names(self) -> set[str]:
        return {f.name for f in self.fields if f.secret} | set(self.stored_secrets)

    def value_names(self) -> set[str]:
        return {f.name for f in self.fields if not f.secret} | set(self.stored_values)

    # ---- validation ------------------------------------------------------------------------

    def in_use(self, values: dict) -> bool:
        return any(values.get(f.name) not in (None, "") for f in self.fields if f.marks_use)

    def errors(self, values: dict) -> dict[str, list]:
        """{field name: [messages]} for the section's values (a kept secret counts as set).

        Required fields are required only once the section is in use."""
        errors: dict[str, list] = {}
        in_use = self.in_use(values)
        for f in self.fields:
            value = values.get(f.name)
            if value in (None, ""):
                if in_use and f.required:
                    errors.setdefault(f.name, []).append(_("Required when this section is used."))
                continue
            if value is KEEP:
                continue
            try:
                f.validate(value)
            except ValidationError as exc:
                errors.setdefault(f.name, []).extend(exc.messages)
        if in_use:
            for rule in self.rules:
                for name, message in rule(values).items():
                    errors.setdefault(name, []).append(message)
        return errors

    # ---- connection check ------------------------------------------------------------------

    @property
    def testable(self) -> bool:
        return type(self).check is not Section.check

    def check(self, ctx) -> CheckResult:  # overridden by testable sections
        raise NotImplementedError

    def watch_host(self, values: dict) -> str:
        """The host this section's check calls (lower case; "" when it calls none), so a
        watch of every shop can keep the calls to each host to a few at a time. `values` are
        the section's own values. By default: a host the user entered, else the first
        declared endpoint's host."""
        if self.has_field("host") and values.get("host"):
            return str(values["host"]).strip().lower()
        for endpoint in self.endpoints:
            host = urlsplit(endpoint.url).hostname or ""
            if host and "{" not in host:
                return host.lower()
        return ""

    # ---- expiry ----------------------------------------------------------------------------

    def expiry(self, credential: str) -> Expiry:
        for e in self.expiries:
            if e.credential == credential:
                return e
        raise LookupError(f"{self.key} has no expiring credential {credential!r}.")

    def new_secret_values(self, values: dict, changed: set[str], today: date, entered: set[str]):
        """A new expiring secret starts a new life: its issue date defaults to today (unless
        the user entered one with it), and an expiry date fetched for the old one is
        forgotten. `values` are the section's own values, changed in place."""
        for e in self.expiries:
            if e.requires not in changed:
                continue
            if e.fetched_from:
                values.pop(e.fetched_from, None)
            if e.expires_from and e.expires_from not in entered:
                values.pop(e.expires_from, None)  # the old credential's expiry date
            if self.has_field(e.issued_from) and e.issued_from not in entered:
                values[e.issued_from] = today.isoformat()

    # ---- state shown on the page -----------------------------------------------------------

    def status(self, values: dict, hints: dict) -> list[Status]:
        return []

    def signed_in(self, hints: dict) -> bool:
        return False

    # ---- the registry's start-up checks ----------------------------------------------------

    def declaration_errors(self) -> list[str]:
        problems = []
        for code in self.messages:
            if code in MESSAGES:
                problems.append(f"{self.key}: message {code!r} would change a shared code's text")
            elif not re.fullmatch(r"[a-z][a-z0-9_]*", str(code)):
                problems.append(f"{self.key}: message code {code!r} is not snake_case")
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            problems.append(f"{self.key}: two fields share a name: {names}")
        own = set(names) | set(self.stored_values) | set(self.stored_secrets)
        for e in self.expiries:
            for attr in ("requires", "issued_from", "fetched_from", "expires_from"):
                name = getattr(e, attr)
                if name and name not in own:
                    problems.append(
                        f"{self.key}: expiry {e.credential!r} names {attr}={name!r}, which is "
                        "neither a field nor a stored value of the section"
                    )
        for f in self.fields:
            if f.kind == CHOICE and not f.choices:
                problems.append(f"{self.key}.{f.name}: a choice field without choices")
            if f.default is not None and f.kind == CHOICE:
                if f.default not in dict(f.choices):
                    problems.append(f"{self.key}.{f.name}: default is not one of its choices")
        if self.testable and not (self.check_does and self.check_cannot):
            problems.append(f"{self.key}: a testable section says what its test does and cannot")
        for endpoint in self.endpoints:
            if not endpoint.default.startswith("https://"):
                problems.append(f"{self.key}: endpoint {endpoint.setting} must default to https")
        return problems


# ---- rules -----------------------------------------------------------------------------------


def together(*names: str):
    """All of these fields, or none."""

    def rule(values):
        if any(values.get(n) not in (None, "") for n in names):
            return {
                n: _("Enter this too: it goes together with the other fields of this pair.")
                for n in names
                if values.get(n) in (None, "")
            }
        return {}

    return rule


def required_when(name: str, other: str, value):
    """`name` is required when `other` equals `value`."""

    def rule(values):
        if values.get(other) == value and values.get(name) in (None, ""):
            return {name: _("Required by the choice you made below.")}
        return {}

    return rule


# ---- shared sections ---------------------------------------------------------------------------


class FileTransfer(Section):
    """FTP/SFTP upload settings; host, port and passive mode as the mall fixes them.

    The check logs in and lists the home directory; over SFTP the host key is pinned on the
    first success and a different key fails before the password is sent."""

    check_does = (
        "Logs in over SFTP or FTP and lists the home folder in the configured passive/active "
        "mode; pins the SSH host key on the first success."
    )
    check_cannot = "Whether the upload folder accepts files, and when the password expires."

    stored_values = ("host_key", "host_key_for")
    forgettable = {"host_key": ("host_key", "host_key_for")}
    PROTOCOL_LABELS = {"sftp": "SFTP", "ftp": "FTP", "ftps": "FTPS"}

    def __init__(
        self,
        *,
        host: str | None,
        protocols: dict[str, int],
        passive: bool,
        user_from_url: Derive | None = None,
        features=(PRODUCT, STOCK),
        note=_("Set this when you use product management, or stock management through FTP."),
        user_help=_("The FTP user ID for the host above."),
        password_help=_("The FTP password for the user ID above."),
        expiries: tuple[Expiry, ...] = (),
        extra_fields: tuple[Field, ...] = (),
        help_url: str = "",
    ):
        self.host, self.protocols = host, dict(protocols)
        fields = []
        if len(protocols) > 1:
            fields.append(
                Field(
                    "protocol",
                    _("Protocol"),
                    CHOICE,
                    choices=tuple((p, self.PROTOCOL_LABELS[p]) for p in protocols),
                    default=next(iter(protocols)),
                    fixed=True,
                    help=_(
                        "How files are sent. The port follows the protocol unless you change it."
                    ),
                )
            )
        default_port = next(iter(protocols.values()))
        if host:
            host_help = interpolate_lazy(_("Enter %(host)s for every shop."), {"host": host})
        else:
            host_help = _("The host address the mall gave you.")
        if len(protocols) > 1:
            port_help = interpolate_lazy(
                _("Enter %(ports)s."),
                {"ports": ", ".join(f"{p.upper()} {n}" for p, n in protocols.items())},
            )
        else:
            port_help = interpolate_lazy(
                _("Enter %(port)s for every shop."), {"port": default_port}
            )
        passive_help = (
            _('Select "use" for every shop.')
            if passive
            else _('Select "do not use" for every shop.')
        )
        fields += [
            Field(
                "host",
                _("Host address"),
                HOST,
                required=True,
                default=host,
                fixed=host is not None,
                help=host_help,
            ),
            Field(
                "port",
                _("Port number"),
                PORT,
                required=True,
                default=default_port,
                fixed=True,
                help=port_help,
            ),
            Field("user", _("FTP user ID"), required=True, derive=user_from_url, help=user_help),
            Field("password", _("FTP password"), SECRET, required=True, help=password_help),
            Field(
                "passive", _("Passive mode"), BOOL, default=passive, fixed=True, help=passive_help
            ),
            *extra_fields,
        ]
        super().__init__(
            "ftp",
            _("FTP settings"),
            tuple(fields),
            features=features,
            note=note,
            expiries=expiries,
            help_url=help_url,
        )

    def widget_attrs(self, f: Field) -> dict[str, str]:
        attrs = super().widget_attrs(f)
        if f.name == "protocol":
            # The browser moves the port along with the protocol (static/js/derive.js).
            attrs["data-ports"] = json.dumps(self.protocols)
            attrs["data-port-field"] = f"id_{self.key}__port"
        return attrs

    def status(self, values, hints):
        key = values.get("host_key")
        if not key:
            return []
        return [Status(_("Stored host key"), key, mono=True, forget="host_key")]

    def check(self, ctx):
        host, port, user = ctx.get("host"), ctx.get("port"), ctx.get("user")
        password = ctx.secrets.get("password")
        if not (host and port and user and password):
            return CheckResult.untested("not_configured", "host, port, user ID and password")
        # The mall's own host is pinned; a host the user typed goes through the guard.
        address = checked_address(host, port, pinned=host == self.host)
        protocol = ctx.get("protocol") or next(iter(self.protocols))
        if protocol == "sftp":
            target = f"{host}:{port}"
            known = ctx.get("host_key") if ctx.get("host_key_for") == target else None
            result = check_sftp(address, port, user, password, known_key=known, timeout=ctx.timeout)
            if result.status == "success" and not known:
                result.store = {"host_key": result.info["host_key"], "host_key_for": target}
            return result
        passive = ctx.get("passive")
        if passive is None:
            passive = self.field("passive").default
        return check_ftp(address, port, user, password, passive=bool(passive), timeout=ctx.timeout)


class SenderMail(Section):
    def __init__(self):
        super().__init__(
            "sender_mail",
            _("Sender e-mail settings"),
            (
                Field(
                    "from_address",
                    _("Sender address"),
                    EMAIL,
                    required=True,
                    help=_("The From address of mails sent to buyers."),
                ),
                Field(
                    "bcc_address",
                    _("BCC address"),
                    EMAIL,
                    help=_("A copy of every mail sent to buyers goes to this address."),
                ),
            ),
            features=(ORDER,),
            note=_("Set this when you use order management."),
        )


class ProductKey(Section):
    def __init__(self, choices: tuple[tuple[str, Any], ...]):
        super().__init__(
            "product_key",
            _("Same-product key"),
            (
                Field(
                    "key",
                    _("Same-product key"),
                    CHOICE,
                    choices=choices,
                    default=choices[0][0],
                    help=_("Choose the mall item that becomes the product code in this console."),
                ),
            ),
            features=(PRODUCT, STOCK),
        )


class MailServer(Section):
    """A mail account the console reads (server, user, password, port); not tested."""

    def __init__(self, key, title, *, help_text, features=(ORDER,), note=""):
        super().__init__(
            key,
            title,
            (
                Field("server", _("Server name"), HOST, required=True, help=help_text),
                Field("user", _("User ID"), required=True, help=help_text),
                Field("password", _("Password"), SECRET, required=True, help=help_text),
                Field("port", _("Port"), PORT, required=True, help=help_text),
            ),
            features=features,
            note=note,
        )


class OAuthGrant(Section):
    """An authorization granted by signing in at the mall; the sign-in is possible once the
    shop exists. The grant's tokens are stored secrets; its expiry follows the refresh
    token's lifetime from the sign-in (or the lifetime the provider states).

    The default check refreshes the grant at the provider's token endpoint (RFC 6749
    section 6); a mall with a cheap read-only call overrides `check` to make one too."""

    check_does = "Refreshes the grant at the provider's token endpoint (RFC 6749 section 6)."
    check_cannot = "Whether the mall's API accepts the new token for every feature (scopes, roles)."

    stored_values = ("authorized_at", "access_expires_at", "refresh_expires_at")
    stored_secrets = ("access_token", "refresh_token")

    def __init__(
        self,
        key: str,
        title,
        button,
        *,
        provider: OAuthProvider,
        features,
        fields: tuple[Field, ...] = (),
        note="",
        lifetime=None,
        expiry_label=None,
        renew="",
        expiries: tuple[Expiry, ...] = (),
        rules: tuple = (),
        help_url: str = "",
        sources: tuple[str, ...] = (),
    ):
        grant = ()
        if lifetime is not None:
            grant = (
                Expiry(
                    "refresh_token",
                    expiry_label or title,
                    lifetime,
                    requires="refresh_token",
                    issued_from="authorized_at",
                    fetched_from="refresh_expires_at",
                    renew=renew,
                ),
            )
        super().__init__(
            key,
            title,
            fields,
            features=features,
            note=note,
            after_save=not fields,
            expiries=grant + tuple(expiries),
            rules=rules,
            help_url=help_url,
            sources=sources or provider.sources,
        )
        self.oauth, self.provider = button, provider
        # The provider's endpoints, then any API the subclass declares.
        self.endpoints = (
            provider.authorize_endpoint,
            provider.token_endpoint,
            *type(self).endpoints,
        )

    def signed_in(self, hints: dict) -> bool:
        return "refresh_token" in hints or "access_token" in hints

    def token_values(self, body: dict, now) -> tuple[dict, dict]:
        """What a token response stores on the shop: (values, secrets) of this section."""
        return token_response_values(body, now)

    def callback_values(self, extra: dict) -> dict:
        """Values to keep from the sign-in's callback (Amazon: selling_partner_id)."""
        return {}

    def check(self, ctx):
        return self.refresh_grant(ctx)

    def watch_host(self, values: dict) -> str:
        # The grant is refreshed first, at the provider's token endpoint.
        return (urlsplit(self.provider.token_endpoint.url).hostname or "").lower()

    def refresh_grant(self, ctx) -> CheckResult:
        refresh = ctx.secrets.get("refresh_token")
        if not refresh:
            return CheckResult.untested("not_signed_in")
        missing = self.provider.missing_settings()
        if missing:
            return CheckResult.untested("client_not_configured", ", ".join(missing))
        try:
            body = self.provider.refresh(
                refresh, timeout=ctx.timeout, callback_url=ctx.callback_url
            )
        except TokenError as exc:
            return exc.as_result()
        values, secrets = self.token_values(body, timezone.now())
        values.pop("authorized_at")  # a refresh is not a new sign-in: the grant's age stays
        return CheckResult.ok("token refreshed", store=values, store_secrets=secrets)

    @staticmethod
    def keeping(refreshed: CheckResult, result: CheckResult) -> CheckResult:
        """The result of a call made after a refresh, still storing what the refresh issued
        (a provider that rotates refresh tokens has already retired the old one)."""
        result.store = {**refreshed.store, **result.store}
        result.store_secrets = {**refreshed.store_secrets, **result.store_secrets}
        return result


class NoOutsideCheck(Section):
    """Settings the mall offers no outside check for: the test says so, never claims success."""

    check_does = "Nothing: the mall offers no outside check, and the result says so."
    check_cannot = "Whether the ID and password work."

    def check(self, ctx):
        return CheckResult.untested("not_testable")

    def watch_host(self, values: dict) -> str:
        return ""  # no call goes out
