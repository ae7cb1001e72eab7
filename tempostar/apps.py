from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .crypto import build_fernet


class TempostarConfig(AppConfig):
    name = "tempostar"
    verbose_name = _("TEMPOSTAR console")

    def ready(self):
        # Fail at start-up, not at the first secret, when the key list is unusable.
        build_fernet(settings.FIELD_ENCRYPTION_KEYS)
        # The embedded broker's folders (kombu does not create them), made when the app
        # starts rather than when settings are read.
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            for key in ("data_folder_in", "processed_folder", "control_folder"):
                Path(options[key]).mkdir(parents=True, exist_ok=True)
