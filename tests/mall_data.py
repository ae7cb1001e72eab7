"""Complete settings for every mall, with a distinct value for every secret."""

PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "-----END PUBLIC KEY-----"
)

COMMON = {
    "name": "株式会社サバウェイ 本店",
    "short_name": "サバウェイ",
    "mobile_url": "",
    "manager_name": "山田 太郎",
    "genre": "food",
}

MALLS = {
    "rakuten": {
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
    },
    "yahoo_shopping": {
        "url": "https://store.shopping.yahoo.co.jp/savaway/",
        "ftp.host": "ftp.castle.yahoofs.jp",
        "ftp.port": 21,
        "ftp.user": "store-savaway",
        "ftp.password": "yh-ftp-pass-0003",
        "ftp.passive": True,
        "sender_mail.from_address": "shop@savaway.example.jp",
        "sender_mail.bcc_address": "",
        "yahoo_api.store_account": "savaway",
        "yahoo_api.public_key": PEM,
        "yahoo_api.public_key_version": 3,
    },
    "au_pay_market": {
        "url": "http://www.dena-ec.com/user/1234567",
        "ftp.host": "csv.manager.wowma.jp",
        "ftp.port": 21,
        "ftp.user": "u1234567",
        "ftp.password": "au-ftp-pass-0004",
        "ftp.passive": False,
        "wowma_api.shop_id": "1234567",
        "wowma_api.api_key": "au-api-key-0005-abcdef",
        "sender_mail.from_address": "shop@savaway.example.jp",
        "sender_mail.bcc_address": "",
        "product_key.key": "lot_number",
    },
    "amazon": {
        "url": "https://www.amazon.co.jp/shops/A2EXAMPLE12345",
        "sp_api.seller_id": "A2EXAMPLE12345",
        "sp_api.marketplace_id": "A1VC38T7YXB528",
        "mws.seller_token": "amz-mws-seller-0006",
        "mws.auth_token": "amzn.mws.0007-token",
        "sender_mail.from_address": "shop@savaway.example.jp",
        "sender_mail.bcc_address": "",
    },
    "ponparemall": {
        "url": "https://store.ponparemall.com/savaway/",
        "ponpare.login_id": "savaway-pon",
        "ponpare.password": "pon-pass-0008",
        "sender_mail.from_address": "shop@savaway.example.jp",
        "sender_mail.bcc_address": "",
        "product_key.key": "item_code",
    },
    "yahoo_auction": {
        "url": "https://auctions.yahoo.co.jp/seller/savaway",
        "auction_api.enabled": "use",
        "auction_api.yahoo_id": "savaway_yid",
        "auction_api.business_id": "savaway_biz",
        "auction_api.ticket_id": "ya-ticket-0009",
        "auction_api.crypt_key1": "ya-crypt-key1-0010",
        "auction_api.crypt_key2": "ya-crypt-key2-0011",
        "auction_api.preferred_key": "key2",
        "auction_cancel.auto_cancel": "cancel",
        "sender_mail.from_address": "shop@savaway.example.jp",
        "sender_mail.bcc_address": "",
    },
    "shoplist": {
        "url": "https://shop-list.com/women/savaway/",
        "ftp.host": "ftp.shop-list.com",
        "ftp.port": 21,
        "ftp.user": "savaway_sl",
        "ftp.password": "sl-ftp-pass-0012",
        "ftp.passive": True,
        "shoplist.shop_code": "SL0042",
        "sender_mail.from_address": "shop@savaway.example.jp",
        "sender_mail.bcc_address": "",
        "product_key.key": "jan_code",
    },
    "gurunavi": {
        "url": "https://gurunavi.example.jp/savaway/",
        "sender_mail.from_address": "shop@savaway.example.jp",
        "sender_mail.bcc_address": "bcc@savaway.example.jp",
    },
    "qoo10": {
        "url": "https://www.qoo10.jp/shop/savaway",
        "qoo10_api.api_key": "qoo10-api-key-0013",
        "qoo10_api.user_id": "savaway_q",
        "qoo10_api.password": "qoo10-pass-0014",
        "sender_mail.from_address": "shop@savaway.example.jp",
        "sender_mail.bcc_address": "",
    },
    "ebay": {"url": "https://www.ebay.com/str/savaway"},
    "makeshop": {
        "url": "https://savaway.makeshop.jp/",
        "makeshop_api.host": "savaway.makeshop.jp",
        "makeshop_api.auth_code": "ms-auth-0015",
        "sender_mail.from_address": "shop@savaway.example.jp",
        "sender_mail.bcc_address": "",
    },
    "shopserve": {
        "url": "https://www.savaway.example.jp/",
        "shopserve.shop_id": "savaway-ss",
        "shopserve.password": "ss-pass-0016",
        "shopserve.manager_key": "ss-manager-key-0017",
        "sender_mail.from_address": "shop@savaway.example.jp",
        "sender_mail.bcc_address": "",
        "product_key.key": "option_code",
    },
    "colorme": {
        "url": "https://savaway.shop-pro.jp/",
        "sender_mail.from_address": "shop@savaway.example.jp",
        "sender_mail.bcc_address": "",
    },
    "other": {
        "url": "https://tel.savaway.example.jp/",
        "sender_mail.from_address": "tel@savaway.example.jp",
        "sender_mail.bcc_address": "",
    },
}


def post_data(values: dict, **overrides) -> dict:
    """Form POST data from "section.field" values (booleans as the radio's 1/0)."""
    data = dict(COMMON)
    for key, value in {**values, **overrides}.items():
        if isinstance(value, bool):
            value = "1" if value else "0"
        data[key.replace(".", "__")] = "" if value is None else value
    return data


def secret_values(connector, values: dict) -> dict:
    return {
        section.field_id(f): values[section.field_id(f)]
        for section, f in connector.fields()
        if f.secret and values.get(section.field_id(f))
    }
