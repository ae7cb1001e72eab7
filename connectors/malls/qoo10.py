from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.sections import ORDER, PRODUCT, SECRET, STOCK, Expiry, Field, Section, SenderMail


def check_qoo10_api(section, ctx):
    """CertificationAPI.CreateCertificationKey: API key + ID + password -> seller auth key."""
    from connectors.checks import CheckResult
    from connectors.transports import http

    api_key, password = ctx.secrets.get("api_key"), ctx.secrets.get("password")
    user_id = ctx.get("user_id")
    if not (api_key and password and user_id):
        return CheckResult.untested("not_configured", "API key, ID and password")
    base = settings.MALL_API["qoo10"].rstrip("/")
    response = http.request(
        "POST",
        f"{base}/CertificationAPI.CreateCertificationKey",
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
    sections = (
        Section(
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
            (PRODUCT, STOCK, ORDER),
            checker=check_qoo10_api,
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
