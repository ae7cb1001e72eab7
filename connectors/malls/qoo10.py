"""Qoo10: QSM's QAPI (API key + ID + password obtain the seller certification key).

Qoo10's QAPI guide (QAPIGuideIndex.aspx) is behind the QSM login; what follows is SECONDARY
(public clients and tool vendors' manuals agree):
- POST https://api.qoo10.jp/GMKT.INC.Front.QAPIService/ebayjapan.qapi/<Method>, form body,
  headers `GiosisCertificationKey` and `QAPIVersion: 1.0`, `returnType=application/json`
  (qiita.com/Mikeinu/items/eef5b88c5e12cc40c34d; yosida001/qoo10-sdk Requester.php).
- CertificationAPI.CreateCertificationKey with the API key as GiosisCertificationKey and
  user_id/pwd returns {"ResultCode": 0, "ResultMsg": "成功", "ResultObject": "<seller key>"}.
  The seller key then stands in for the API key as GiosisCertificationKey on every call, and
  lives 1 year (stockcrew "販売者認証キーの有効期限は 1年間", useresponse, a Korean guide); a QSM
  password change invalidates it, and Qoo10 sends no expiry notice.
- Everything answers HTTP 200. A key Qoo10 does not know gets {"ErrorCode": -90001,
  "ErrorMsg": "存在しないAPIです。"} (ErrorCode/ErrorMsg, not ResultCode/ResultMsg: one
  measured source); a call's own refusal is a negative ResultCode with ResultMsg. The code
  for a wrong ID or password is not public.
- The read-only call: ItemsLookup.GetAllGoodsInfo with ItemStatus=S2 (items on sale; S0,
  S1, S2, S3, S5, S8 are accepted), answered {"ResultCode": 0, "ResultObject": {"TotalItems",
  "TotalPages", "PresentPage", "Items"}} (a public client's fixture).

So the check tests the stored seller key with that read-only call, and obtains a new key only
when there is none, it is older than a year, it was issued for another seller ID, or Qoo10 no
longer knows it (a password change voids it); a new API key or password forgets the stored
key's issue time, so the next test obtains a key with them.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import CheckResult
from connectors.conf import Endpoint
from connectors.expiry import Expiry, parse_moment
from connectors.fields import ORDER, PRODUCT, SECRET, STOCK, Field
from connectors.sections import Section, SenderMail
from connectors.transports import http

QAPI = Endpoint(
    "QOO10_API_BASE",
    "https://api.qoo10.jp/GMKT.INC.Front.QAPIService/ebayjapan.qapi",
    "Qoo10 QAPI",
)
SELLER_KEY_LIFETIME = timedelta(days=365)
UNKNOWN_KEY = -90001  # "存在しないAPIです。": Qoo10 does not know the certification key


class QapiAnswer:
    """A QAPI answer: (code, message, object) from ErrorCode/ErrorMsg or ResultCode/ResultMsg."""

    def __init__(self, response):
        self.http = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.code, self.message, self.object = None, "", None
            return
        if "ErrorCode" in body:
            self.code, self.message = _int(body.get("ErrorCode")), str(body.get("ErrorMsg", ""))
        else:
            self.code, self.message = _int(body.get("ResultCode")), str(body.get("ResultMsg", ""))
        self.object = body.get("ResultObject")
        self.message = self.message[:120]

    @property
    def ok(self) -> bool:
        return self.http == 200 and self.code == 0

    def __str__(self) -> str:
        return f"HTTP {self.http} code {self.code} {self.message}".strip()


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Qoo10Api(Section):
    """A read-only call under the stored seller key; a new key only when it is needed."""

    check_does = (
        "A read-only call (ItemsLookup.GetAllGoodsInfo) under the stored seller certification "
        "key; obtains a new key (CertificationAPI.CreateCertificationKey) only when there is "
        "none, it is a year old, or Qoo10 no longer knows it."
    )
    check_cannot = "Whether each QAPI call (orders, stock updates) is allowed for the seller."

    endpoints = (QAPI,)
    # seller_key_user: the ID the stored key was issued for (a key is one seller's).
    stored_values = ("seller_key_issued_at", "seller_key_user")
    stored_secrets = ("seller_key",)

    def new_secret_values(self, values, changed, today, entered):
        super().new_secret_values(values, changed, today, entered)
        if {"api_key", "password"} & changed:
            values.pop("seller_key_issued_at", None)  # the stored key is no longer trusted

    def check(self, ctx):
        api_key, password = ctx.secrets.get("api_key"), ctx.secrets.get("password")
        user_id = ctx.get("user_id")
        if not (api_key and password and user_id):
            return CheckResult.untested("not_configured", "API key, ID and password")
        seller_key = ctx.secrets.get("seller_key")
        issued = parse_moment(ctx.get("seller_key_issued_at"))
        now = timezone.now()
        for_user = ctx.get("seller_key_user") or user_id  # keys stored before it was kept
        if seller_key and issued and for_user != user_id:
            return self._obtain(api_key, user_id, password, ctx, now, "the seller ID changed")
        if seller_key and issued and now < issued + SELLER_KEY_LIFETIME:
            answer = self._read(seller_key, ctx)
            if answer.ok:
                return CheckResult.ok(f"GetAllGoodsInfo under the stored seller key: {answer}")
            if answer.code != UNKNOWN_KEY:
                return self._refused("GetAllGoodsInfo", answer)
            why = f"stored seller key refused ({answer})"
        else:
            why = "no seller key" if not (seller_key and issued) else "seller key a year old"
        return self._obtain(api_key, user_id, password, ctx, now, why)

    def _obtain(self, api_key, user_id, password, ctx, now, why) -> CheckResult:
        response = http.request(
            "POST",
            QAPI.join("CertificationAPI.CreateCertificationKey"),
            headers={"GiosisCertificationKey": api_key, "QAPIVersion": "1.0"},
            data={"returnType": "application/json", "user_id": user_id, "pwd": password},
            timeout=ctx.timeout,
        )
        answer = QapiAnswer(response)
        if not (answer.ok and isinstance(answer.object, str) and answer.object):
            return self._refused(f"{why}; CreateCertificationKey", answer)
        seller_key = answer.object
        learnt = {
            "store": {"seller_key_issued_at": now.isoformat(), "seller_key_user": user_id},
            "store_secrets": {"seller_key": seller_key},
        }
        read = self._read(seller_key, ctx)
        if not read.ok:
            result = self._refused(f"{why}; new seller key issued; GetAllGoodsInfo", read)
            result.store, result.store_secrets = learnt["store"], learnt["store_secrets"]
            return result
        return CheckResult.ok(f"{why}; new seller key issued; GetAllGoodsInfo: {read}", **learnt)

    @staticmethod
    def _read(seller_key, ctx) -> QapiAnswer:
        response = http.request(
            "POST",
            QAPI.join("ItemsLookup.GetAllGoodsInfo"),
            headers={"GiosisCertificationKey": seller_key, "QAPIVersion": "1.0"},
            data={"returnType": "application/json", "ItemStatus": "S2", "Page": "1"},
            timeout=ctx.timeout,
        )
        return QapiAnswer(response)

    @staticmethod
    def _refused(call, answer: QapiAnswer) -> CheckResult:
        if answer.http != 200 or answer.code is None:
            return CheckResult.fail("unexpected", f"{call}: {answer}")
        return CheckResult.fail("auth_failed", f"{call}: {answer}")


@register
class Qoo10(Connector):
    code = "qoo10"
    label = "Qoo10"
    imports_order_mail = False
    order = 90
    sources = (
        "https://qiita.com/Mikeinu/items/eef5b88c5e12cc40c34d",
        "https://knowledge.stockcrew.co.jp/help/apialignment/qoo10/setting",
    )
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
                        "Run the connection test on this page: once the stored seller "
                        "certification key has expired, it obtains a new one."
                    ),
                ),
            ),
        ),
        SenderMail(),
    )
