from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Connection watch")

    def ready(self):
        from shops.checks import check_recorded

        from . import notify, tasks

        # Every recorded check (a button, a batch, the nightly watch) moves the state.
        check_recorded.connect(tasks.on_check_recorded, dispatch_uid="monitoring.state")
        notify.register_chatwork()
