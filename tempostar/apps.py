from django.apps import AppConfig


class TempostarConfig(AppConfig):
    name = "tempostar"
    verbose_name = "TEMPOSTAR console"

    def ready(self):
        # Fail at start-up, not at the first secret, when the key list is unusable.
        from django.conf import settings

        from .crypto import build_fernet

        build_fernet(settings.FIELD_ENCRYPTION_KEYS)
