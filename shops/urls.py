from django.urls import path

from . import views

app_name = "shops"

urlpatterns = [
    path("", views.ShopListView.as_view(), name="list"),
    path("new/", views.MallPickerView.as_view(), name="pick_mall"),
    path("new/<str:mall>/", views.ShopCreateView.as_view(), name="create"),
    path("<str:code>/edit/", views.ShopUpdateView.as_view(), name="edit"),
    path("<str:code>/delete/", views.ShopDeleteView.as_view(), name="delete"),
]
