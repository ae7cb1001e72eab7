"""楽天市場: RMS (FTP/SFTP upload, RMS WEB SERVICE API).

RMS's own API documentation is behind the RMS login; everything below is SECONDARY (several
independent clients and tool vendors' manuals agree unless said otherwise):
- Authorization: `ESA base64(serviceSecret:licenseKey)` (JakeJP/Rakuten.RMS.Api
  ServiceProvider.cs; RMS's inventory API 2.0 page as copied in public repositories).
- license.expiryDate.get: GET https://api.rms.rakuten.co.jp/es/1.0/license-management/
  license-key/expiry-date?licenseKey=<key>, GET only. The licenseKey is a REQUIRED query
  parameter ("licenseKeyはクエリ必須（無いと400 DR0005）、GETのみ（POSTは405）", RMSKeyAlarm;
  the same URL in JakeJP's LicenseManagementAPI.cs and bfaith's notify-rakuten-license-expiry.js).
  So this one documented call does put the key in a URL: the console keeps the query out of
  every log line (connectors.transports.http hides query strings from urllib3's loggers), and
  out of every result's detail. The answer is {"expiryDate": "2026-11-28T23:59:59"}, with no
  offset: JST (two independent captures); an offset is accepted too.
- The API must be enabled per key (RMS > WEB APIサービス > 利用機能編集 > LicenseManagementAPI,
  ec-masters.net, goqsystem.com/manual/659). What RMS answers when it is not is not
  documented: vendors list "API not enabled" among the causes of `ES01-01 Un-Authorised`. So
  when the license API refuses, the check asks the inventory API (inventories.variants.get
  for an item that does not exist, GET /es/2.0/inventories/manage-numbers/{m}/variants/{v}):
  any answer but 401/403 there means the key works and only the license API is not enabled.
- A licenseKey lives 90 days: issued 8/30, RMS reports expiryDate 11-28T23:59:59 (measured by
  bfaith; ネクストエンジン, LOGILESS and stockcrew say 90 days). An expired key gets HTTP 401
  `ES01-01` "Un-Authorised" on every call (raku2han, sokuhan; one repository saw GA0001).
- A newly issued key takes a while to work: 10-30 minutes per four tool vendors (GoQ
  "10分から30分", 速販 "30分ほど", 楽通2 "約15分", R-とるく "10~30分程度"); the issue that asked
  for this said about 90 minutes. The console waits 30 minutes (ACTIVATION_WINDOW) after a
  key change before calling a refusal a failure.
- SFTP on port 22 at upload.rakuten.ne.jp (scripts in public repositories). The SFTP password
  expires and uploads stop when it lapses (CROSS MALL's manual, support.crossmall.jp
  16820614918425), but no source states the period: the administrator enters its expiry date.
"""

import base64
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import SUCCESS, CheckResult
from connectors.conf import Endpoint
from connectors.expiry import Expiry, parse_moment
from connectors.fields import CARD, DATE, ORDER, SECRET, STOCK, Field, store_id
from connectors.sections import FileTransfer, MailServer, ProductKey, Section, SenderMail
from connectors.transports import http

RMS = Endpoint("RAKUTEN_API_BASE", "https://api.rms.rakuten.co.jp", "RMS WEB SERVICE")
EXPIRY_PATH = "/es/1.0/license-management/license-key/expiry-date"
# inventories.variants.get for an item no shop has: it proves the key authenticates.
PROBE_PATH = "/es/2.0/inventories/manage-numbers/tempostar-check/variants/tempostar-check"
JST = ZoneInfo("Asia/Tokyo")
ACTIVATION_WINDOW = timedelta(minutes=30)


def license_lifetime(values):
    """90 days: a key issued on 8/30 works through 11/28 23:59:59 JST."""
    return timedelta(days=91)  # from the start of the issue day to the end of the 90th day


def parse_expiry(text) -> datetime:
    """RMS's expiryDate as an aware time: no offset means JST."""
    moment = datetime.fromisoformat(str(text).strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=JST)
    moment = moment.astimezone(JST)
    if not 2000 <= moment.year <= 2200:
        raise ValueError("expiryDate out of range")
    return moment


def rms_error(response) -> str:
    """The error code of an RMS answer ({"Results": {"errorCode"}} or {"errors": [{"code"}]})."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    results = body.get("Results")
    if isinstance(results, dict) and results.get("errorCode"):
        return str(results["errorCode"])[:20]
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("code", ""))[:20]
    return ""


class RakutenApi(Section):
    """RMS WEB API: ESA authorization, and the licenseKey's expiry from license management."""

    # Result codes only this section reports, and what a person reads for them.
    messages = {
        "activation_pending": _(
            "Waiting for the new key to be activated: the mall can take a while to activate a "
            "newly issued key. Test again a little later."
        ),
        "expiry_api_disabled": _(
            "Authenticated, but the key is not allowed to read its own expiry date, so the date "
            "shown is calculated from the issue date. Enable the license management API "
            "(license.expiryDate.get) for the key at the mall."
        ),
    }

    check_does = (
        "Reads the licenseKey's expiry date from license management (license.expiryDate.get) "
        "with the ESA header; when RMS refuses, tells an expired key, a key still being "
        "activated and a key without the license API apart (the last by asking the inventory "
        "API)."
    )
    check_cannot = (
        "Whether the order API (楽天ペイ受注API) is enabled for the key, and a refusal's exact "
        "cause when both APIs refuse (a wrong key and a key with neither API enabled look alike)."
    )

    endpoints = (RMS,)
    stored_values = ("license_expires_on", "license_changed_at")

    def new_secret_values(self, values, changed, today, entered):
        super().new_secret_values(values, changed, today, entered)
        if "license_key" in changed:  # the new key's activation window starts now
            values["license_changed_at"] = timezone.now().isoformat()

    def check(self, ctx):
        service_secret = ctx.secrets.get("service_secret")
        license_key = ctx.secrets.get("license_key")
        if not (service_secret and license_key):
            return CheckResult.untested("not_configured", "serviceSecret and licenseKey")
        esa = base64.b64encode(f"{service_secret}:{license_key}".encode()).decode()
        headers = {"Authorization": f"ESA {esa}"}
        response = http.request(
            "GET",
            RMS.join(EXPIRY_PATH),
            params={"licenseKey": license_key},  # documented as required (see above)
            headers=headers,
            timeout=ctx.timeout,
        )
        answer = f"license management: HTTP {response.status_code} {rms_error(response)}"
        if response.status_code in (401, 403):
            return self._refused(ctx, headers, answer.strip())
        if response.status_code != 200:
            return CheckResult.fail("unexpected", answer.strip())
        try:
            expiry = parse_expiry(response.json()["expiryDate"]).date()
        except (ValueError, KeyError, TypeError):
            return CheckResult.fail("unexpected", "RMS: no readable expiryDate in the answer")
        store = {"license_expires_on": expiry.isoformat()}
        if expiry < timezone.now().astimezone(JST).date():
            return CheckResult.fail("key_expired", f"licenseKey expired on {expiry}", store=store)
        return CheckResult.ok(
            f"licenseKey valid until {expiry}",
            store=store,
            info={"expires_on": expiry.isoformat()},
        )

    def _refused(self, ctx, headers, answer) -> CheckResult:
        now = timezone.now()
        known = self.expiry("license_key").expires_at(ctx.values, lambda name: True)
        if known and known[0] <= now:
            ended = timezone.localdate(known[0] - timedelta(microseconds=1))
            return CheckResult.fail("key_expired", f"licenseKey expired on {ended}; {answer}")
        changed = parse_moment(ctx.get("license_changed_at"))
        if changed and timedelta(0) <= now - changed < ACTIVATION_WINDOW:
            minutes = int((now - changed).total_seconds() // 60)
            return CheckResult.untested(
                "activation_pending", f"licenseKey changed {minutes} minutes ago; {answer}"
            )
        probe = http.request("GET", RMS.join(PROBE_PATH), headers=headers, timeout=ctx.timeout)
        code = rms_error(probe)
        probed = f"inventory API: HTTP {probe.status_code} {code}".strip()
        # RMS answered the key itself: the item (or a parameter) is what it objects to.
        if probe.status_code == 200 or (probe.status_code in (400, 404) and code):
            return CheckResult(SUCCESS, "expiry_api_disabled", f"{answer}; {probed}")
        if probe.status_code >= 500:
            return CheckResult.fail("unexpected", f"{answer}; {probed}")
        return CheckResult.fail("auth_failed", f"{answer}; {probed}")


# https://www.rakuten.co.jp/savaway/ -> savaway
RAKUTEN_STORE = store_id(r"rakuten\.co\.jp/([A-Za-z0-9_-]+)")


@register
class Rakuten(Connector):
    code = "rakuten"
    label = "楽天市場"
    imports_order_mail = True
    order = 10
    sources = (
        "https://github.com/JakeJP/Rakuten.RMS.Api",
        "https://support.crossmall.jp/hc/ja/articles/16820614918425",
        "https://goqsystem.com/manual/659",
    )
    summary = _(
        "Products and stock by SFTP or FTP, stock and orders through the RMS API, and order mails."
    )
    help_url = "https://glogin.rms.rakuten.co.jp/"
    description = _("Links with Rakuten RMS (FTP/SFTP, RMS API).")
    sections = (
        # The manual says FTP port 21 + passive; Rakuten now serves SFTP on 22, the default.
        FileTransfer(
            host="upload.rakuten.ne.jp",
            protocols={"sftp": 22, "ftp": 21},
            passive=True,
            user_from_url=RAKUTEN_STORE,
            user_help=_(
                "The store ID part of the shop's top page URL: for "
                "https://www.rakuten.co.jp/savaway/ enter savaway."
            ),
            password_help=_(
                "The FTP password for the user ID above. If you do not know it, issue it "
                "again in RMS."
            ),
            extra_fields=(
                Field(
                    "password_changed_on",
                    _("Password change date"),
                    DATE,
                    help=_(
                        "The day the SFTP password was last changed in RMS. Filled with the "
                        "day you enter a new password; correct it if needed."
                    ),
                ),
                Field(
                    "password_expires_on",
                    _("Password expiry date"),
                    DATE,
                    help=_(
                        "The last day the SFTP password works. Rakuten publishes no fixed "
                        "period, so enter the date RMS gives for this password: uploads stop "
                        "when it lapses, and the console reminds you before."
                    ),
                ),
            ),
            expiries=(
                Expiry(
                    "password",
                    _("SFTP password"),
                    None,
                    requires="password",
                    issued_from="password_changed_on",
                    expires_from="password_expires_on",
                    renew=_(
                        "RMS: change the SFTP password, then enter it and its new expiry "
                        "date on this page."
                    ),
                ),
            ),
        ),
        RakutenApi(
            "rakuten_api",
            _("Rakuten API settings"),
            (
                Field(
                    "store_id",
                    _("Store URL (store ID)"),
                    required=True,
                    derive=RAKUTEN_STORE,
                    pattern=r"[A-Za-z0-9_-]+",
                    pattern_message=_("Enter the store ID only, such as savaway."),
                    help=_(
                        "The store ID part of the shop's top page URL: for "
                        "https://www.rakuten.co.jp/savaway/ enter savaway."
                    ),
                ),
                Field(
                    "service_secret",
                    "serviceSecret",
                    SECRET,
                    required=True,
                    help=_("The serviceSecret issued in RMS (WEB API service)."),
                ),
                Field(
                    "license_key",
                    "licenseKey",
                    SECRET,
                    required=True,
                    help=_(
                        "The licenseKey issued in RMS. It is valid for 90 days: renew it "
                        "before it expires. A new key can take about 30 minutes to start "
                        "working."
                    ),
                ),
                Field(
                    "license_issued_on",
                    _("licenseKey issue date"),
                    DATE,
                    help=_(
                        "The day the licenseKey was issued in RMS. Filled with the day you "
                        "enter a new key; correct it if needed. A connection test reads the "
                        "real expiry date from RMS, which wins."
                    ),
                ),
            ),
            features=(STOCK, ORDER),
            note=_("Set this when stock or order management uses the API."),
            expiries=(
                Expiry(
                    "license_key",
                    "licenseKey",
                    license_lifetime,
                    requires="license_key",
                    issued_from="license_issued_on",
                    fetched_from="license_expires_on",
                    renew=_(
                        "RMS > System settings > WEB API service > licenseKey: issue a "
                        "new key, then enter it on this page."
                    ),
                ),
            ),
        ),
        Section(
            "rakuten_card",
            _("Rakuten API settings (card)"),
            features=(CARD,),
            note=_("Not needed when you use Rakuten Pay (楽天ペイ)."),
        ),
        SenderMail(),
        MailServer(
            "anshin_mail",
            _("Rakuten Anshin mail address service"),
            help_text=_("As shown in R-Login."),
            note=_("Set this when you use order management."),
        ),
        ProductKey(
            (
                ("item_url", _("Item management number (商品管理番号)")),
                ("item_number", _("Item number (商品番号)")),
                ("sku", _("SKU number for system linkage (システム連携用SKU番号)")),
            )
        ),
    )
