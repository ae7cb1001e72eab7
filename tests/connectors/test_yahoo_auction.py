"""Yahoo!オークション(旧ヤフオク!): data."""

DATA = {
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
}
