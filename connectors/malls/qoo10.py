"""Qoo10: QSM's QAPI (API key + ID + password obtain the seller certification key)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import CheckResult
from connectors.conf import Endpoint
from connectors.expiry import Expiry
from connectors.fields import ORDER, PRODUCT, SECRET, STOCK, Field
from connectors.sections import Section, SenderMail
from connectors.transports import http

QAPI = Endpoint(
    "QOO10_API_BASE",
    "https://api.qoo10.jp/GMKT.INC.Front.QAPIService/ebayjapan.qapi",
    "Qoo10 QAPI",
)


class Qoo10Api(Section):
    """CertificationAPI.CreateCertificationKey: API key + ID + password -> seller auth key."""

    check_does = "Obtains the seller certification key with the API key, ID and password."
    check_cannot = "Whether each QAPI call is allowed for the seller."

    endpoints = (QAPI,)
    stored_values = ("seller_key_issued_at",)
    stored_secrets = ("seller_key",)

    def check(self, ctx):
        api_key, password = ctx.secrets.get("api_key"), ctx.secrets.get("password")
        user_id = ctx.get("user_id")
        if not (api_key and password and user_id):
            return CheckResult.untested("not_configured", "API key, ID and password")
        response = http.request(
            "POST",
            QAPI.join("CertificationAPI.CreateCertificationKey"),
            headers={"GiosisCertificationKey": api_key, "QAPIVersion": "1.0"},
            data={"user_id": user_id, "pwd": password, "returnType": "application/json"},
            timeout=ctx.timeout,
        )
        if response.status_code != 200:
            return CheckResult.fail("unexpected", f"QAPI: HTTP {response.status_code}")
        try:
            body = response.json()
            code = int(body.get("ResultCode"))
        except (ValueError, TypeError, AttributeError):
            return CheckResult.fail("unexpected", "QAPI: the answer is not JSON")
        if code == 0 and body.get("ResultObject"):
            # The seller auth key (GiosisCertificationKey for later calls) is a secret too.
            return CheckResult.ok(
                "seller certification key issued",
                store={"seller_key_issued_at": timezone.now().isoformat()},
                store_secrets={"seller_key": str(body["ResultObject"])},
            )
        return CheckResult.fail("auth_failed", f"QAPI: ResultCode {code}")


@register
class Qoo10(Connector):
    code = "qoo10"
    label = "Qoo10"
    imports_order_mail = False
    order = 90
    summary = _("Products, stock and orders through the Qoo10 API (API key and QSM login).")
    help_url = "https://qsm.qoo10.jp/gmkt.inc.gsm.web/Login.aspx"
    sections = (
        Qoo10Api(
            "qoo10_api",
            _("Qoo10 API settings"),
            (
                Field(
                    "api_key",
                    _("API certification key"),
                    SECRET,
                    required=True,
                    help=_("The API key issued in QSM (Qoo10 Sales Manager)."),
                ),
                Field("user_id", _("ID"), required=True, help=_("Your QSM login ID.")),
                Field(
                    "password",
                    _("Password"),
                    SECRET,
                    required=True,
                    help=_(
                        "Your QSM password. With the key and ID it obtains the seller "
                        "certification key, valid for 1 year."
                    ),
                ),
            ),
            features=(PRODUCT, STOCK, ORDER),
            help_url="https://doc.image-qoo10.jp/sqm/JP/guide_APItoFTP_JP.pdf",
            expiries=(
                Expiry(
                    "seller_key",
                    _("Seller certification key"),
                    timedelta(days=365),
                    requires="seller_key",
                    issued_from="seller_key_issued_at",
                    renew=_(
                        "Run the connection test on this page: it obtains a new seller "
                        "certification key."
                    ),
                ),
            ),
        ),
        SenderMail(),
    )
