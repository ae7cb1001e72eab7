from django.contrib import admin

from .models import Shop, ShopCode


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ("code", "mall", "short_name", "name", "url", "order_mail_address")
    list_filter = ("mall",)
    search_fields = ("code", "name", "short_name")
    readonly_fields = ("code", "mall", "order_mail_address", "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        # The mall is chosen once, at creation.
        return self.readonly_fields if obj else ("code", "order_mail_address")


@admin.register(ShopCode)
class ShopCodeAdmin(admin.ModelAdmin):
    list_display = ("id", "mall", "issued_at")

    def has_delete_permission(self, request, obj=None):
        return False
