"""Yahoo!オークション (旧ヤフオク!): the auction API (ticket and encryption keys) and the image
upload API sign-in.

ヤフオク! has been called Yahoo!オークション again since 2023-11-01 (LY Corporation:
https://www.lycorp.co.jp/ja/story/20231130/auctions.html, "11月1日、「ヤフオク!」が「Yahoo!オーク
ション」に名称を変更しました。", read through an archive copy). The code yahoo_auction stays.
"""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.fields import CHOICE, ORDER, PRODUCT, SECRET, STOCK, Field
from connectors.malls.yahoo_shopping import YAHOO
from connectors.sections import OAuthGrant, Section, SenderMail, required_when


@register
class YahooAuction(Connector):
    code = "yahoo_auction"
    label = "Yahoo!オークション(旧ヤフオク!)"
    sources = ("https://www.lycorp.co.jp/ja/story/20231130/auctions.html",)
    imports_order_mail = False
    order = 60
    summary = _(
        "Listings, stock and orders through the Yahoo! Auctions API, and image upload with a "
        "Yahoo! JAPAN ID sign-in."
    )
    help_url = "https://developer.yahoo.co.jp/webapi/auctions/"
    sections = (
        Section(
            "auction_api",
            _("Yahoo! Auctions API settings"),
            (
                Field(
                    "enabled",
                    _("API use"),
                    CHOICE,
                    default="use",
                    fixed=True,
                    choices=(("use", _("Use")), ("no", _("Do not use"))),
                    help=_('Select "use" for every shop.'),
                ),
                Field(
                    "yahoo_id",
                    _("Yahoo! JAPAN ID"),
                    required=True,
                    help=_("The store account you use on Yahoo! Auctions."),
                ),
                Field(
                    "business_id",
                    _("Yahoo! JAPAN Business ID"),
                    required=True,
                    help=_("The store account you use on Yahoo! Auctions."),
                ),
                Field(
                    "ticket_id",
                    _("Ticket ID"),
                    SECRET,
                    required=True,
                    help=_("The ticket ID issued on Yahoo! Auctions."),
                ),
                Field(
                    "crypt_key1",
                    _("Encryption key 1"),
                    SECRET,
                    required=True,
                    help=_(
                        "The encryption key issued on Yahoo! Auctions. Entering it in "
                        "key 1, leaving key 2 blank and preferring key 1 is enough."
                    ),
                ),
                Field(
                    "crypt_key2",
                    _("Encryption key 2"),
                    SECRET,
                    help=_("A second key, while you switch keys. Usually blank."),
                ),
                Field(
                    "preferred_key",
                    _("Preferred encryption key"),
                    CHOICE,
                    default="key1",
                    choices=(("key1", _("Encryption key 1")), ("key2", _("Encryption key 2"))),
                    help=_("Which key is used first."),
                ),
            ),
            features=(PRODUCT, STOCK, ORDER),
            rules=(required_when("crypt_key2", "preferred_key", "key2"),),
        ),
        OAuthGrant(
            "image_api",
            _("Yahoo! JAPAN ID linkage (image upload API)"),
            "Yahoo! JAPAN IDでログイン",
            provider=YAHOO,
            lifetime=timedelta(days=28),
            renew=_('Press "Yahoo! JAPAN IDでログイン" on this page and sign in.'),
            features=(PRODUCT,),
            note=_(
                "Set this when you use product management. Sign in and renew the sign-in "
                "before it expires: once it lapses, Yahoo! Auctions stops syncing."
            ),
        ),
        Section(
            "auction_cancel",
            _("Auction cancellation settings"),
            (
                Field(
                    "auto_cancel",
                    _("Automatic cancellation"),
                    CHOICE,
                    default="keep",
                    choices=(("cancel", _("Cancel automatically")), ("keep", _("Do not cancel"))),
                    help=_(
                        'To cancel an auction listed by "automatic relisting" when its '
                        'stock reaches zero, select "cancel automatically".'
                    ),
                ),
            ),
            features=(STOCK,),
        ),
        SenderMail(),
    )
