"""楽天市場: data, the RMS license management server, and the checks against it."""

import base64

import pytest

from connectors.malls.rakuten import RMS
from tests.helpers import make_shop, run
from tests.servers import HttpServer

DATA = {
    "url": "https://www.rakuten.co.jp/savaway/",
    "ftp.protocol": "sftp",
    "ftp.host": "upload.rakuten.ne.jp",
    "ftp.port": 22,
    "ftp.user": "savaway",
    "ftp.password": "rk-ftp-pass-0001",
    "ftp.passive": True,
    "rakuten_api.store_id": "savaway",
    "rakuten_api.service_secret": "SP000001_serviceSecretValue01",
    "rakuten_api.license_key": "SL000001_licenseKeyValue0001",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "bcc@savaway.example.jp",
    "anshin_mail.server": "mail.anshin.example.jp",
    "anshin_mail.user": "savaway-anshin",
    "anshin_mail.password": "rk-anshin-pass-0002",
    "anshin_mail.port": 995,
    "product_key.key": "item_number",
}


# ---- the local RMS server -----------------------------------------------------------------


pytestmark = pytest.mark.django_db
SECRET, KEY = "SP123456_rakutenServiceSecret", "SL123456_rakutenLicenseKey"
EXPIRY_PATH = "/es/1.0/license-management/license-key/expiry-date"


def routes(expiry="2099-12-31"):
    good = "ESA " + base64.b64encode(f"{SECRET}:{KEY}".encode()).decode()

    def license_expiry(request):
        if request["headers"].get("Authorization") != good:
            return 401, {}, {"errors": [{"code": "AuthError"}]}
        return 200, {}, {"expiryDate": expiry}

    return {("GET", EXPIRY_PATH): license_expiry}


def shop(secret=SECRET, key=KEY):
    return make_shop(
        "rakuten",
        {"rakuten_api.store_id": "savaway"},
        {"rakuten_api.service_secret": secret, "rakuten_api.license_key": key},
    )


def test_esa_header_and_license_expiry(settings):
    with HttpServer(routes()) as api:
        setattr(settings, RMS.setting, api.url)
        check = run(shop(), "rakuten_api")
    assert check.status == "success", check.detail
    assert check.shop.settings["rakuten_api.license_expires_on"] == "2099-12-31"


def test_wrong_key(settings):
    with HttpServer(routes()) as api:
        setattr(settings, RMS.setting, api.url)
        check = run(shop(key="SL-wrong-license-key"), "rakuten_api")
    assert (check.status, check.code) == ("failed", "auth_failed")
    assert "SL-wrong-license-key" not in check.detail


def test_expired_key(settings):
    with HttpServer(routes(expiry="2001-01-31")) as api:
        setattr(settings, RMS.setting, api.url)
        check = run(shop(), "rakuten_api")
    assert (check.status, check.code) == ("failed", "key_expired")
    assert "有効期限" in check.message
    assert check.shop.settings["rakuten_api.license_expires_on"] == "2001-01-31"


def test_ftp_on_21_is_a_choice(admin_client):
    page = admin_client.get("/shops/new/rakuten/").content.decode()
    assert 'value="sftp" selected' in page or 'value="sftp"' in page
    assert "FTP 21" in page and "SFTP 22" in page
