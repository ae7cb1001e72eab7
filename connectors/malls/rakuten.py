"""楽天市場: RMS (FTP/SFTP upload, RMS WEB SERVICE API)."""

import base64
from datetime import date

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import CheckResult
from connectors.conf import Endpoint
from connectors.expiry import Expiry
from connectors.fields import CARD, DATE, ORDER, SECRET, STOCK, Field, store_id
from connectors.sections import FileTransfer, MailServer, ProductKey, Section, SenderMail
from connectors.transports import http

RMS = Endpoint("RAKUTEN_API_BASE", "https://api.rms.rakuten.co.jp", "RMS WEB SERVICE")


class RakutenApi(Section):
    """RMS WEB API: ESA authorization, and the licenseKey's expiry from license management."""

    check_does = (
        "Calls license management with the ESA header and reads the licenseKey's expiry date."
    )
    check_cannot = "Whether each API (stock, orders) is enabled for the key."

    endpoints = (RMS,)
    stored_values = ("license_expires_on",)

    def check(self, ctx):
        service_secret = ctx.secrets.get("service_secret")
        license_key = ctx.secrets.get("license_key")
        if not (service_secret and license_key):
            return CheckResult.untested("not_configured", "serviceSecret and licenseKey")
        esa = base64.b64encode(f"{service_secret}:{license_key}".encode()).decode()
        response = http.request(
            "GET",
            RMS.join("/es/1.0/license-management/license-key/expiry-date"),
            params={"licenseKey": license_key},
            headers={"Authorization": f"ESA {esa}"},
            timeout=ctx.timeout,
        )
        if response.status_code in (401, 403):
            return CheckResult.fail("auth_failed", f"RMS: HTTP {response.status_code}")
        if response.status_code != 200:
            return CheckResult.fail("unexpected", f"RMS: HTTP {response.status_code}")
        try:
            expiry = date.fromisoformat(str(response.json()["expiryDate"])[:10])
        except (ValueError, KeyError, TypeError):
            return CheckResult.fail("unexpected", "RMS: no expiryDate in the answer")
        store = {"license_expires_on": expiry.isoformat()}
        if expiry < timezone.localdate():
            return CheckResult.fail("key_expired", f"licenseKey expired on {expiry}", store=store)
        return CheckResult.ok(
            f"licenseKey valid until {expiry}",
            store=store,
            info={"expires_on": expiry.isoformat()},
        )


# https://www.rakuten.co.jp/savaway/ -> savaway
RAKUTEN_STORE = store_id(r"rakuten\.co\.jp/([A-Za-z0-9_-]+)")


@register
class Rakuten(Connector):
    code = "rakuten"
    label = "楽天市場"
    imports_order_mail = True
    order = 10
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
                        "The licenseKey issued in RMS. It is valid for 3 months: renew "
                        "it before it expires."
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
                    relativedelta(months=3),
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
