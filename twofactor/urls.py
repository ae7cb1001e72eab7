from django.urls import path

from . import views

app_name = "twofactor"

urlpatterns = [
    path("login/verify/", views.VerifyView.as_view(), name="verify"),
    path("login/setup/", views.EnrollView.as_view(), name="enroll"),
    path("account/two-factor/", views.SettingsView.as_view(), name="settings"),
    path(
        "account/two-factor/recovery-codes/",
        views.RecoveryCodesView.as_view(),
        name="recovery_codes",
    ),
]
