from django.urls import path

from . import views

app_name = "shops"

urlpatterns = [
    path("", views.ShopListView.as_view(), name="list"),
    path("new/", views.MallPickerView.as_view(), name="pick_mall"),
    path("new/<str:mall>/", views.ShopCreateView.as_view(), name="create"),
    path("<str:code>/edit/", views.ShopUpdateView.as_view(), name="edit"),
    path("<str:code>/delete/", views.ShopDeleteView.as_view(), name="delete"),
    path("<str:code>/check/<str:section>/", views.CheckSectionView.as_view(), name="check"),
    path(
        "<str:code>/forget-host-key/<str:section>/",
        views.ForgetHostKeyView.as_view(),
        name="forget_host_key",
    ),
    path("<str:code>/oauth/<str:section>/", views.OAuthStartView.as_view(), name="oauth_start"),
    path("expiries/", views.ExpiryDashboardView.as_view(), name="expiries"),
    path("checks/all/", views.CheckAllView.as_view(), name="check_all"),
    path("checks/<int:pk>/", views.CheckStatusView.as_view(), name="check_status"),
    path("checks/batch/<int:pk>/", views.CheckBatchView.as_view(), name="check_batch"),
    # Last: a shop code must not shadow the fixed paths above.
    path("<str:code>/", views.ShopDetailView.as_view(), name="detail"),
]
