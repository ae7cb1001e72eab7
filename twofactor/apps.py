from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorConfig(AppConfig):
    name = "twofactor"
    verbose_name = _("Two-factor sign-in")

    def ready(self):
        # django-otp's own admin pages, named in the console's language.
        from django.apps import apps

        names = {
            "otp_static": (_("Recovery codes"), _("recovery code set"), _("recovery code sets")),
            "otp_totp": (_("Authenticator apps"), _("authenticator app"), _("authenticator apps")),
        }
        for label, (app_name, one, many) in names.items():
            if apps.is_installed(f"django_otp.plugins.{label}"):
                config = apps.get_app_config(label)
                config.verbose_name = app_name
                for model in config.get_models():
                    if model.__name__.endswith("Device"):
                        model._meta.verbose_name, model._meta.verbose_name_plural = one, many
