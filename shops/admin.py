from django.contrib import admin

from .models import Shop, ShopCode


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    """Read-only: shops are registered and edited in the console, whose forms validate every
    mall's rules and guard credentials. The encrypted column is never shown."""

    list_display = ("code", "mall", "short_name", "name", "url", "order_mail_address")
    list_filter = ("mall",)
    search_fields = ("code", "name", "short_name")
    fields = (
        "code",
        "mall",
        "name",
        "short_name",
        "url",
        "order_mail_address",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ShopCode)
class ShopCodeAdmin(admin.ModelAdmin):
    list_display = ("id", "mall", "issued_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
