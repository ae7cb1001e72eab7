from django.contrib import admin

from .models import ImportJob, Order, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "expected_stock", "updated_at")
    search_fields = ("code", "name")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records made by the CSV importers: shown, never made up or changed by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("order_number", "shop", "ordered_at", "customer_name", "total")
    search_fields = ("order_number", "customer_name")
    list_filter = ("shop",)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "filename", "status", "progress", "created_by")
