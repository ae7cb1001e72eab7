from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from api import views as api_views
from api.urls import api_urls
from shops.views import OAuthCallbackView
from tempostar.health import healthz, healthz_deep
from twofactor.views import LoginView


def admin_login(request):
    """The admin's own login page would skip the second factor: people are sent to ours; a
    signed-in user who may not use the admin site is told so (403), not asked to log in."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return RedirectView.as_view(pattern_name="login", query_string=True)(request)


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="shops:list", permanent=False)),
    # Django's login; administrators continue with a second factor (twofactor).
    path("login/", LoginView.as_view(), name="login"),
    # The admin's own login page would skip the second factor: it sends people to ours.
    path("admin/login/", login_not_required(admin_login)),
    path("favicon.ico", login_not_required(RedirectView.as_view(url="/static/favicon.svg"))),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language switch also works on the login page.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("twofactor.urls")),
    path("account/passkeys/", include("twofactor.passkeys")),
    path("account/api-tokens/", api_views.TokenListView.as_view(), name="api_tokens"),
    path("shops/import/", api_views.ShopImportView.as_view(), name="shop_import"),
    path(
        "shops/import/template/<str:mall>.csv",
        api_views.ShopImportTemplateView.as_view(),
        name="shop_import_template",
    ),
    path("shops/", include("shops.urls")),
    path("orders/", include("orders.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("oauth/callback/", OAuthCallbackView.as_view(), name="oauth_callback"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("healthz/deep", healthz_deep, name="healthz_deep"),
    path("api/v1/", api_urls()),
]


def bad_request(request, exception):
    """400: the REST API answers in JSON, as its other errors; pages get templates/400.html."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse
        from django.utils.translation import gettext as _

        message = _(
            "The request cannot be handled: it is too large, has too many fields or is "
            "malformed. Nothing was saved."
        )
        return JsonResponse({"detail": message}, status=400)
    from django.views.defaults import bad_request as default

    return default(request, exception)


handler400 = bad_request
