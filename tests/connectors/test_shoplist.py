"""SHOPLIST: data (FTP is tested by tests/test_connection_checks.py)."""

DATA = {
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
}
