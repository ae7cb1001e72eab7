"""ショップサーブ: the shop manager's login and the management API's manager key.

Sources (SECONDARY: Shopserve's API reference is given to shops only):
- The management API at https://management.api.shopserve.jp/v2/ takes HTTP Basic
  authentication with the shop ID and the マネージャー認証キー (public clients, e.g.
  `CURLOPT_USERPWD, $USERID.":".$MANAGERKEY`; ネクストエンジン's manual
  https://manual.next-engine.net/main/orders/ord_torikomi-shori/juchu_torikomi/juchu_shopserve/12334/
  : "「マネージャー認証キー」が本システムに登録する認証キー").
- The key does not expire; it is issued again on demand (https://assist-tencho.com/faq/?p=3339
  "※認証キーに有効期限なし").
- No documented "who am I" call exists (GET /v2/shop is nowhere in public): the check uses an
  item search seen in public clients, POST /v2/items/_search with {"size": 1}, read-only and
  the data stock management needs. The error body for a bad key is not public: the check
  goes by the HTTP status (401/403 refused).

SHOPSERVE_API_BASE overrides the API's base URL.
"""

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import CheckResult
from connectors.conf import Endpoint
from connectors.fields import SECRET, STOCK, Field
from connectors.sections import ProductKey, Section, SenderMail
from connectors.transports import http

MANAGEMENT_API = Endpoint(
    "SHOPSERVE_API_BASE", "https://management.api.shopserve.jp/v2", "Shopserve management API"
)


class ShopserveApi(Section):
    check_does = (
        "One read-only item search (POST /v2/items/_search, size 1) on the management API "
        "with Basic authentication (shop ID and manager key)."
    )
    check_cannot = "Whether the shop manager's login password works (only the manager key is used)."
    endpoints = (MANAGEMENT_API,)

    def check(self, ctx):
        shop_id, key = ctx.get("shop_id"), ctx.secrets.get("manager_key")
        if not (shop_id and key):
            return CheckResult.untested("not_configured", "shop ID and manager key")
        response = http.request(
            "POST",
            MANAGEMENT_API.join("items/_search"),
            json={"size": 1},
            auth=(str(shop_id), key),
            timeout=ctx.timeout,
        )
        where = f"items/_search: HTTP {response.status_code}"
        if response.status_code == 200:
            return CheckResult.ok(where)
        if response.status_code in (401, 403):
            return CheckResult.fail("auth_failed", where)
        return CheckResult.fail("unexpected", where)


@register
class Shopserve(Connector):
    code = "shopserve"
    label = "ショップサーブ"
    imports_order_mail = True
    order = 120
    sources = (
        "https://manual.next-engine.net/main/orders/ord_torikomi-shori/juchu_torikomi/juchu_shopserve/12334/",
        "https://assist-tencho.com/faq/?p=3339",
    )
    summary = _("Stock with the shop manager's login and API key, and order mails.")
    help_url = "https://help.shopserve.jp/"
    sections = (
        ShopserveApi(
            "shopserve",
            _("Shopserve linkage settings"),
            (
                Field(
                    "shop_id",
                    _("Shopserve shop ID"),
                    required=True,
                    help=_("The login ID of the Shopserve shop manager."),
                ),
                Field(
                    "password",
                    _("Shopserve password"),
                    SECRET,
                    required=True,
                    help=_("The password of the login ID above."),
                ),
                Field(
                    "manager_key",
                    _("Manager authentication key"),
                    SECRET,
                    required=True,
                    help=_(
                        "The manager authentication key (マネージャー認証キー) shown in the shop "
                        "manager's Shopserve API screen. It does not expire."
                    ),
                ),
            ),
            features=(STOCK,),
        ),
        SenderMail(),
        ProductKey(
            (
                ("item_code", _("Item code")),
                ("option_code", _("Option item code")),
            )
        ),
    )
