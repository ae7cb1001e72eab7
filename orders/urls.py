from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.OrderListView.as_view(), name="list"),
    path("import/<str:code>/", views.OrderImportView.as_view(), name="import"),
    path("imports/<int:pk>/", views.ImportJobView.as_view(), name="job"),
    path("template.zip", views.TemplateDownloadView.as_view(), name="template"),
    path("products/", views.ProductListView.as_view(), name="products"),
    path("products/new/", views.ProductCreateView.as_view(), name="product_new"),
    path("products/<int:pk>/edit/", views.ProductUpdateView.as_view(), name="product_edit"),
    path("products/import/", views.StockImportView.as_view(), name="stock_import"),
]
