"""MakeShop: the linkage host and its authentication code."""

import socket
import ssl

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import CheckResult
from connectors.fields import HOST, ORDER, SECRET, STOCK, Field
from connectors.sections import Section, SenderMail
from connectors.transports.guard import checked_address


class MakeshopApi(Section):
    """The host is user-entered: guard it, then complete a verified TLS handshake with it.

    MakeShop publishes no way to test the authentication code from outside, so the result
    says the host answered and the code is untested.
    """

    check_does = (
        "Guards the host the user entered, then completes a verified TLS handshake with it."
    )
    check_cannot = "The authentication code: MakeShop offers no outside check for it."

    def check(self, ctx):
        host = ctx.get("host")
        if not host:
            return CheckResult.untested("not_configured", "host address")
        address = checked_address(host, 443)
        context = ssl.create_default_context()
        with socket.create_connection((address, 443), timeout=ctx.timeout) as sock:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                version = tls.version()
        return CheckResult.untested("reachable_only", f"{host} ({address}) answered with {version}")


@register
class Makeshop(Connector):
    code = "makeshop"
    label = "MakeShop"
    imports_order_mail = False
    order = 110
    summary = _("Orders and stock through the MakeShop API.")
    help_url = "https://developers.makeshop.jp/api/graphql/index.html"
    sections = (
        MakeshopApi(
            "makeshop_api",
            _("MakeShop linkage settings"),
            (
                Field(
                    "host",
                    _("Host address"),
                    HOST,
                    required=True,
                    help=_(
                        "The host address of your MakeShop linkage (a host name such "
                        "as shop.example.jp, without https://)."
                    ),
                ),
                Field(
                    "auth_code",
                    _("Linkage authentication code"),
                    SECRET,
                    required=True,
                    help=_("The authentication code issued for the MakeShop linkage."),
                ),
            ),
            features=(ORDER, STOCK),
        ),
        SenderMail(),
    )
