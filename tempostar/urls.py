from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from shops.views import OAuthCallbackView
from tempostar.health import healthz, healthz_deep

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="shops:list", permanent=False)),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language switch also works on the login page.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("shops/", include("shops.urls")),
    path("orders/", include("orders.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("oauth/callback/", OAuthCallbackView.as_view(), name="oauth_callback"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("healthz/deep", healthz_deep, name="healthz_deep"),
]
