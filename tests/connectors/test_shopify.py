"""Shopify: data, a local Admin API speaking Shopify's documented protocol, and its tests.

The local server follows shopify.dev (see connectors/malls/shopify.py for the pages):
- POST /admin/api/<version>/graphql.json needs X-Shopify-Access-Token; without a valid one it
  answers 401 {"errors": "[API] Invalid API key or access token (unrecognized login or wrong
  password)"} (the shape seen in Shopify's libraries' fixtures; `errors` is a string).
- POST /admin/oauth/access_token takes a form with grant_type=client_credentials, client_id
  and client_secret and answers {"access_token", "scope", "expires_in": 86399}. The error
  answer for a wrong client is not documented; the server answers 400 {"error":
  "invalid_client"} (an assumption, named as such).
"""

import json
from urllib.parse import parse_qs

import pytest
from django.urls import reverse

from connectors.malls.shopify import ADMIN, API_VERSION
from tests.helpers import make_shop, run
from tests.servers import HttpServer

DATA = {
    "url": "https://savaway.myshopify.com/",
    "shopify_api.shop_domain": "savaway.myshopify.com",
    "shopify_api.access_token": "shpat_shopify-admin-token-0018",
    "shopify_api.client_id": "",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
}
TOKEN, CLIENT_ID, CLIENT_SECRET = "shpat_good-token-1", "dev-app-client", "dev-app-secret-1"
INVALID = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
GRAPHQL = f"/admin/api/{API_VERSION}/graphql.json"

pytestmark = pytest.mark.django_db


class ShopifyServer(HttpServer):
    def __init__(self):
        self.issued = []
        super().__init__(
            {("POST", GRAPHQL): self.graphql, ("POST", "/admin/oauth/access_token"): self.token}
        )

    def graphql(self, request):
        token = request["headers"].get("X-Shopify-Access-Token")
        if token not in (TOKEN, *self.issued):
            return 401, {}, INVALID
        try:
            query = json.loads(request["body"])["query"]
        except (ValueError, KeyError):
            return 400, {}, {"errors": "Parameter Missing or Invalid"}
        if "shop" not in query:
            return 200, {}, {"errors": [{"message": "Field doesn't exist"}]}
        shop = {"name": "サバウェイ", "myshopifyDomain": "savaway.myshopify.com"}
        return 200, {"X-Shopify-API-Version": API_VERSION}, {"data": {"shop": shop}}

    def token(self, request):
        if (
            not request["headers"]
            .get("Content-Type", "")
            .startswith("application/x-www-form-urlencoded")
        ):
            return 400, {}, {"error": "invalid_request"}
        form = {k: v[0] for k, v in parse_qs(request["body"]).items()}
        if form.get("grant_type") != "client_credentials":
            return 400, {}, {"error": "unsupported_grant_type"}
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return 400, {}, {"error": "invalid_client"}
        token = f"shpat_cc-{len(self.issued) + 1}"
        self.issued.append(token)
        return 200, {}, {"access_token": token, "scope": "read_products", "expires_in": 86399}


@pytest.fixture
def shopify(settings):
    with ShopifyServer() as server:
        setattr(settings, ADMIN.setting, server.url)
        yield server


def shop(**values):
    settings_values = {"shopify_api.shop_domain": "savaway.myshopify.com"}
    secrets = {}
    for key, value in values.items():
        (secrets if key in ("access_token", "client_secret") else settings_values)[
            f"shopify_api.{key}"
        ] = value
    return make_shop("shopify", settings_values, secrets)


# ---- the server refuses what Shopify refuses --------------------------------------------------


def test_server_refuses_a_call_without_the_token_header(shopify):
    import requests

    response = requests.post(shopify.url + GRAPHQL, json={"query": "{ shop { name } }"})
    assert response.status_code == 401 and response.json() == INVALID


def test_server_refuses_client_credentials_sent_as_json(shopify):
    import requests

    body = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    response = requests.post(shopify.url + "/admin/oauth/access_token", json=body)
    assert response.status_code == 400


# ---- the check -------------------------------------------------------------------------------


def test_custom_app_token(shopify):
    check = run(shop(access_token=TOKEN), "shopify_api")
    assert check.status == "success", check.detail
    assert check.info["shop_name"] == "サバウェイ" and API_VERSION in check.detail
    assert shopify.requests[0]["headers"]["X-Shopify-Access-Token"] == TOKEN


def test_wrong_token_is_an_authentication_failure(shopify):
    check = run(shop(access_token="shpat_revoked"), "shopify_api")
    assert (check.status, check.code) == ("failed", "auth_failed")
    assert "shpat_revoked" not in check.detail


def test_dev_dashboard_client_gets_a_fresh_token_and_keeps_none(shopify):
    checked = shop(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    check = run(checked, "shopify_api")
    assert check.status == "success", check.detail
    assert "client credentials" in check.detail
    assert shopify.requests[0]["path"] == "/admin/oauth/access_token"
    assert shopify.requests[1]["headers"]["X-Shopify-Access-Token"] == shopify.issued[0]
    assert set(checked.get_secrets()) == {"shopify_api.client_secret"}  # no token stored


def test_wrong_client_secret(shopify):
    check = run(shop(client_id=CLIENT_ID, client_secret="wrong"), "shopify_api")
    assert (check.status, check.code) == ("failed", "auth_failed")
    assert len(shopify.requests) == 1  # never reached the Admin API


# ---- the form --------------------------------------------------------------------------------


def test_domain_follows_the_url_and_a_custom_domain_is_refused(admin_client):
    from tests.mall_data import post_data

    data = post_data({**DATA, "shopify_api.shop_domain": "www.savaway.jp"})
    response = admin_client.post(reverse("shops:create", args=["shopify"]), data)
    assert response.status_code == 200
    assert "myshopify.com" in str(response.context["form"].errors["shopify_api__shop_domain"])
    data = post_data({**DATA, "shopify_api.shop_domain": ""})
    response = admin_client.post(reverse("shops:create", args=["shopify"]), data)
    assert response.status_code == 302
    from shops.models import Shop

    saved = Shop.objects.get(mall="shopify")
    assert saved.settings["shopify_api.shop_domain"] == "savaway.myshopify.com"


def test_a_token_or_a_client_is_required(admin_client):
    from tests.mall_data import post_data

    data = post_data(
        {**DATA, "shopify_api.access_token": "", "shopify_api.client_id": "dev-app-client"}
    )
    response = admin_client.post(reverse("shops:create", args=["shopify"]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "shopify_api__client_secret" in errors
