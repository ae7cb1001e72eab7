"""Amazon: data (SP-API sign-in; MWS values kept as retired)."""

DATA = {
    "url": "https://www.amazon.co.jp/shops/A2EXAMPLE12345",
    "sp_api.seller_id": "A2EXAMPLE12345",
    "sp_api.marketplace_id": "A1VC38T7YXB528",
    "mws.seller_token": "amz-mws-seller-0006",
    "mws.auth_token": "amzn.mws.0007-token",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
}
