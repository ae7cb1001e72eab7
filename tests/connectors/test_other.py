"""その他(電話・FAX): data (orders are tested by tests/test_orders.py)."""

DATA = {
    "url": "https://tel.savaway.example.jp/",
    "sender_mail.from_address": "tel@savaway.example.jp",
    "sender_mail.bcc_address": "",
}
