from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register


@register
class Rakuten(Connector):
    code = "rakuten"
    label = "楽天市場"
    imports_order_mail = True
    order = 10
    description = _("Links with Rakuten RMS (FTP/SFTP, RMS API).")
