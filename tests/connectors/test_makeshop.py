"""MakeShop: data."""

DATA = {
    "url": "https://savaway.makeshop.jp/",
    "makeshop_api.host": "savaway.makeshop.jp",
    "makeshop_api.auth_code": "ms-auth-0015",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
}
