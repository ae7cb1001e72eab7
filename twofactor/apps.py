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
        # Models whose names the libraries leave in English (the admin and its permissions).
        models = {
            ("otp_static", "statictoken"): (_("recovery code"), _("recovery codes")),
            ("django_otp_webauthn", "webauthnattestation"): (
                _("passkey attestation"),
                _("passkey attestations"),
            ),
            ("django_otp_webauthn", "webauthncredential"): (_("passkey"), _("passkeys")),
            ("django_otp_webauthn", "webauthnuserhandle"): (
                _("passkey user handle"),
                _("passkey user handles"),
            ),
        }
        for (label, name), (one, many) in models.items():
            try:
                model = apps.get_model(label, name)
            except LookupError:
                continue
            model._meta.verbose_name, model._meta.verbose_name_plural = one, many
        if apps.is_installed("django_otp_webauthn"):
            apps.get_app_config("django_otp_webauthn").verbose_name = _("Passkeys")
