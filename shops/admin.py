from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Shop, ShopCode


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    """Read-only: shops are registered and edited in the console, whose forms validate every
    mall's rules and guard credentials. The encrypted column is never shown."""

    list_display = ("code", "mall_name", "short_name", "name", "url", "order_mail_address")
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

    def has_delete_permission(self, request, obj=None):
        # Deleted in the console, where the change history records it (shops.store.delete).
        return False

    @admin.display(description=_("mall type"), ordering="mall")
    def mall_name(self, shop):
        return shop.mall_label


@admin.register(ShopCode)
class ShopCodeAdmin(admin.ModelAdmin):
    list_display = ("id", "mall", "issued_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
