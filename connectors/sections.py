"""Reusable, parameterised sections a mall is composed of.

A Section declares its fields: which are secret, which are fixed by the manual ("一律で"),
which follow from the shop URL, which features need them, and how they are validated. Views
and forms read these declarations; they never know a mall by name.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _


def _interpolate(message, params) -> str:
    return str(message) % params


# "%(x)s" interpolation of a lazy translation, evaluated in the language of the request.
interpolate_lazy = lazy(_interpolate, str)

# Features of the manual's headings: (商品)(在庫)(受注)(カード)(発注)
PRODUCT, STOCK, ORDER, CARD, PURCHASE = "product", "stock", "order", "card", "purchase"
FEATURE_LABELS = {
    PRODUCT: _("Products"),
    STOCK: _("Stock"),
    ORDER: _("Orders"),
    CARD: _("Card"),
    PURCHASE: _("Purchasing"),
}

HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$"
)


@dataclass(frozen=True)
class Derive:
    """A value that follows from the shop URL: the first group of `pattern`, plus a prefix.

    The same pattern runs in Python (on save) and in the browser (as the URL is typed), so
    it must stay within the syntax both understand.
    """

    pattern: str
    prefix: str = ""
    do_not_call_in_templates = True  # templates test it, they must not call it

    def __call__(self, url: str) -> str:
        match = re.search(self.pattern, url or "")
        return f"{self.prefix}{match.group(1)}" if match else ""


def store_id(pattern: str, prefix: str = "") -> Derive:
    return Derive(pattern, prefix)


# Field kinds and how they validate.
TEXT, SECRET, INT, BOOL, CHOICE, EMAIL, HOST, PORT, KEY_PEM, INFO, DATE = (
    "text",
    "secret",
    "int",
    "bool",
    "choice",
    "email",
    "host",
    "port",
    "pem",
    "info",
    "date",
)


def validate_host(value: str) -> None:
    try:
        ipaddress.ip_address(value)
        return
    except ValueError:
        pass
    if not HOSTNAME_RE.match(value):
        raise ValidationError(
            _("Enter a host name such as ftp.example.jp (no scheme, path or spaces).")
        )


def validate_port(value: int) -> None:
    if not 1 <= value <= 65535:
        raise ValidationError(_("Enter a port number from 1 to 65535."))


def validate_pem_public_key(value: str) -> None:
    text = value.strip()
    if not (
        re.match(r"^-----BEGIN [A-Z ]*PUBLIC KEY-----", text)
        and re.search(r"-----END [A-Z ]*PUBLIC KEY-----$", text)
    ):
        raise ValidationError(
            _(
                "Paste the whole public key, including the -----BEGIN PUBLIC KEY----- and "
                "-----END PUBLIC KEY----- lines."
            )
        )


@dataclass(frozen=True)
class Field:
    name: str
    label: Any
    kind: str = TEXT
    help: Any = ""
    required: bool = False  # required whenever the section is in use
    default: Any = None  # prefilled; for fixed values, what the manual says to enter
    fixed: bool = False  # the manual fixes the value ("一律で")
    choices: tuple = ()
    derive: Derive | None = None
    max_length: int = 255
    retired: bool = False  # kept for reference, no longer used by the mall
    pattern: str = ""  # extra regex the value must match
    pattern_message: Any = ""

    @property
    def secret(self) -> bool:
        return self.kind == SECRET

    @property
    def marks_use(self) -> bool:
        """A value here means the operator is setting the section up."""
        return (
            self.default is None
            and self.derive is None
            and not self.retired
            and self.kind not in (BOOL, INFO, DATE)
        )

    def validate(self, value) -> None:
        if value in (None, ""):
            return
        if self.kind == EMAIL:
            validate_email(value)
        elif self.kind == HOST:
            validate_host(value)
        elif self.kind == PORT:
            validate_port(value)
        elif self.kind == KEY_PEM:
            validate_pem_public_key(value)
        if self.pattern and isinstance(value, str) and not re.fullmatch(self.pattern, value):
            raise ValidationError(self.pattern_message or _("Enter a valid value."))


@dataclass(frozen=True)
class Expiry:
    """A credential of a section that expires, and how its expiry date is known.

    The expiry is, in order of preference: a date fetched from the mall (`fetched_from`, a
    settings key written by a connection test or the token endpoint), or the issue date
    (`issued_from`: a date the user enters, or the time of an OAuth sign-in) plus the lifetime.
    Tracked only while `requires` (a secret or value of the section) is set.
    """

    credential: str
    label: Any
    lifetime: Any  # timedelta or dateutil.relativedelta, or callable(values) -> one of those
    requires: str
    issued_from: str = ""
    fetched_from: str = ""
    renew: Any = ""  # the renewal steps, for the page and the reminder e-mail

    def expires_at(self, values: dict, has_secret) -> tuple[Any, Any, str] | None:
        """(expires_at, issued_at, source) or None when not tracked. Datetimes are aware."""
        from datetime import date, datetime, time

        from django.utils import timezone

        if not (values.get(self.requires) or has_secret(self.requires)):
            return None

        def parse(value):
            if not value:
                return None
            if isinstance(value, datetime):
                parsed = value
            elif isinstance(value, date):
                parsed = datetime.combine(value, time.min)
            else:
                text = str(value)
                parsed = (
                    datetime.fromisoformat(text)
                    if "T" in text or " " in text
                    else datetime.combine(date.fromisoformat(text[:10]), time.min)
                )
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed)
            return parsed

        issued = parse(values.get(self.issued_from)) if self.issued_from else None
        if self.fetched_from and values.get(self.fetched_from):
            fetched = parse(values[self.fetched_from])
            text = str(values[self.fetched_from])
            if len(text) <= 10:  # a date: the credential works through that whole day
                fetched = fetched + timedelta(days=1)
            return fetched, issued, "fetched"
        if issued is None:
            return None
        lifetime = self.lifetime(values) if callable(self.lifetime) else self.lifetime
        source = "entered" if self.issued_from.endswith("_on") else "computed"
        return issued + lifetime, issued, source


@dataclass(frozen=True)
class Section:
    key: str
    title: Any
    fields: tuple[Field, ...] = ()
    features: tuple[str, ...] = ()
    note: Any = ""  # the manual's "※ ... 利用時は設定します" line
    after_save: bool = False  # the whole section appears only once the shop exists
    oauth: Any = ""  # sign-in button label; sign-in is possible only once the shop exists
    retired: bool = False
    rules: tuple = ()  # callables(values) -> {field name: message}, for cross-field checks
    extra: dict = field(default_factory=dict)
    # check(section, CheckContext) -> CheckResult: the 接続確認 of this section, run by a
    # worker. None: nothing in this section can be tested.
    checker: Any = None
    expiries: tuple = ()  # Expiry declarations of the section's expiring credentials

    def field_id(self, f: Field) -> str:
        return f"{self.key}.{f.name}"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise LookupError(f"{self.key} has no field {name!r}.")

    @property
    def testable(self) -> bool:
        return self.checker is not None

    def clean(self, values: dict[str, Any]) -> dict[str, Any]:
        """Cross-field checks on the section's values (secrets count as set when stored)."""
        errors = {}
        for rule in self.rules:
            errors.update(rule(values))
        return errors


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


# ---- shared sections ------------------------------------------------------------------------


def FileTransfer(
    *,
    host: str | None,
    protocols: dict[str, int],
    passive: bool,
    user_from_url: Derive | None = None,
    features=(PRODUCT, STOCK),
    note=_("Set this when you use product management, or stock management through FTP."),
    user_help=_("The FTP user ID for the host above."),
    password_help=_("The FTP password for the user ID above."),
) -> Section:
    """FTP/SFTP upload settings; host, port and passive mode as the mall fixes them."""
    fields = []
    if len(protocols) > 1:
        labels = {"sftp": "SFTP", "ftp": "FTP", "ftps": "FTPS"}
        fields.append(
            Field(
                "protocol",
                _("Protocol"),
                CHOICE,
                choices=tuple((p, labels[p]) for p in protocols),
                default=next(iter(protocols)),
                fixed=True,
                help=_("How files are sent. The port follows the protocol unless you change it."),
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
        port_help = interpolate_lazy(_("Enter %(port)s for every shop."), {"port": default_port})
    passive_help = (
        _('Select "use" for every shop.') if passive else _('Select "do not use" for every shop.')
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
        Field("passive", _("Passive mode"), BOOL, default=passive, fixed=True, help=passive_help),
    ]
    return Section(
        "ftp",
        _("FTP settings"),
        tuple(fields),
        features,
        note,
        extra={"protocols": protocols, "host": host},
        checker=check_file_transfer,
    )


def check_file_transfer(section: Section, ctx):
    """Log in over SFTP or FTP as configured; pin the SSH host key on the first success."""
    from .checks import CheckResult
    from .transports.ftp import check_ftp
    from .transports.guard import checked_address
    from .transports.sftp import check_sftp

    protocols = section.extra["protocols"]
    host, port, user = ctx.get("host"), ctx.get("port"), ctx.get("user")
    password = ctx.secrets.get("password")
    if not (host and port and user and password):
        return CheckResult.untested("not_configured", "host, port, user ID and password")
    # The mall's own host is pinned; a host the user typed goes through the guard.
    address = checked_address(host, port, pinned=host == section.extra["host"])
    protocol = ctx.get("protocol") or next(iter(protocols))
    if protocol == "sftp":
        target = f"{host}:{port}"
        known = ctx.get("host_key") if ctx.get("host_key_for") == target else None
        result = check_sftp(address, port, user, password, known_key=known, timeout=ctx.timeout)
        if result.status == "success" and not known:
            result.store = {"host_key": result.info["host_key"], "host_key_for": target}
        return result
    passive = ctx.get("passive")
    if passive is None:
        passive = section.field("passive").default
    return check_ftp(address, port, user, password, passive=bool(passive), timeout=ctx.timeout)


def SenderMail() -> Section:
    return Section(
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
        (ORDER,),
        _("Set this when you use order management."),
    )


def ProductKey(choices: tuple[tuple[str, Any], ...]) -> Section:
    return Section(
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
        (PRODUCT, STOCK),
    )


def OAuthGrant(
    key: str,
    title,
    button,
    *,
    provider: str,
    features,
    note="",
    checker=None,
    lifetime=None,
    renew="",
) -> Section:
    """An authorization granted by signing in at the mall; usable after the first save.

    lifetime: how long the grant (refresh token) lasts from the sign-in; None if it does not
    expire.
    """
    expiries = ()
    if lifetime is not None:
        expiries = (
            Expiry(
                "refresh_token",
                title,
                lifetime,
                requires="refresh_token",
                issued_from="authorized_at",
                fetched_from="refresh_expires_at",
                renew=renew,
            ),
        )
    return Section(
        key,
        title,
        (),
        features,
        note,
        after_save=True,
        oauth=button,
        extra={"provider": provider},
        checker=checker or check_oauth_refresh,
        expiries=expiries,
    )


def not_testable(section: Section, ctx):
    """For sections the mall offers no outside check for: say so, never claim success."""
    from .checks import CheckResult

    return CheckResult.untested("not_testable")


def check_oauth_refresh(section: Section, ctx):
    """Refresh the stored grant at the provider's token endpoint (RFC 6749 section 6)."""

    from django.conf import settings
    from django.utils import timezone

    from .checks import CheckResult
    from .transports import http

    refresh = ctx.secrets.get("refresh_token")
    if not refresh:
        return CheckResult.untested("not_signed_in")
    provider = settings.OAUTH_PROVIDERS[section.extra["provider"]]
    response = http.request(
        "POST",
        provider["token_url"],
        timeout=ctx.timeout,
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=(provider["client_id"], provider["client_secret"]),
    )
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 400 and body.get("error") == "invalid_grant":
        return CheckResult.fail("key_expired", "token endpoint: invalid_grant")
    if response.status_code in (400, 401):
        return CheckResult.fail(
            "auth_failed",
            f"token endpoint: HTTP {response.status_code} {body.get('error', '')}".strip(),
        )
    if response.status_code != 200 or "access_token" not in body:
        return CheckResult.fail("unexpected", f"token endpoint: HTTP {response.status_code}")
    store, secrets = token_response_values(body, timezone.now())
    store.pop("authorized_at")  # a refresh is not a new sign-in: the grant's age stays
    return CheckResult.ok("token refreshed", store=store, store_secrets=secrets)


def token_response_values(body: dict, now) -> tuple[dict, dict]:
    """Settings and secrets to store from an OAuth token response (RFC 6749 section 5.1)."""
    secrets = {"access_token": body["access_token"]}
    if body.get("refresh_token"):
        secrets["refresh_token"] = body["refresh_token"]
    store = {"authorized_at": now.isoformat()}
    if body.get("expires_in"):
        store["access_expires_at"] = (now + timedelta(seconds=int(body["expires_in"]))).isoformat()
    if body.get("refresh_token_expires_in"):  # eBay says how long the refresh token lasts
        store["refresh_expires_at"] = (
            now + timedelta(seconds=int(body["refresh_token_expires_in"]))
        ).isoformat()
    return store, secrets
