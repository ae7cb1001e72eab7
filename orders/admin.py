from django.contrib import admin

from .models import ImportJob, Order, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "expected_stock", "updated_at")
    search_fields = ("code", "name")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("order_number", "shop", "ordered_at", "customer_name", "total")
    search_fields = ("order_number", "customer_name")
    list_filter = ("shop",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "filename", "status", "progress")
