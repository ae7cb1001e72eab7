"""Users in the admin: their role, whether a login lockout holds them, and an unlock action."""

from axes.models import AccessAttempt
from axes.utils import reset
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.forms import ModelMultipleChoiceField
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .roles import ROLES, STAFF_ROLES

User = get_user_model()


# Django stores its default permission names in English ("Can add shop", made from the raw
# verbose name), so the admin would show them in English whatever the language. Permissions
# are shown with these words instead, in the reader's language, and a model's own permissions
# (declared with gettext_lazy in Meta.permissions) through their msgid.
DEFAULT_PERMISSION_WORDS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission) -> str:
    content_type = permission.content_type
    model = content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in DEFAULT_PERMISSION_WORDS:
        if model_name == model._meta.model_name:
            name = DEFAULT_PERMISSION_WORDS[action] % {"model": model._meta.verbose_name}
            return f"{content_type} | {name}"
    return f"{content_type} | {gettext(permission.name)}"


class PermissionChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return permission_label(obj)


class TranslatedPermissionsMixin:
    """The permission pickers of users and groups show translated names."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ConsoleUserAdmin(TranslatedPermissionsMixin, UserAdmin):
    list_display = ("username", "role", "locked", "is_active", "is_staff", "last_login")
    list_filter = ("groups", "is_active", "is_staff", "is_superuser")
    actions = ["unlock"]

    @admin.display(description=_("role"))
    def role(self, user):
        names = [g.name for g in user.groups.all() if g.name in ROLES]
        return ", ".join(names) or ("superuser" if user.is_superuser else "-")

    @admin.display(description=_("locked out"), boolean=True)
    def locked(self, user):
        return user.username in self._locked

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    # 管理者 manage users through roles; only a superuser grants superuser status or single
    # permissions, or touches a superuser's account.
    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "is_staff", "user_permissions"]
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        staff = user.is_superuser or user.groups.filter(name__in=STAFF_ROLES).exists()
        if user.is_staff != staff:
            user.is_staff = staff
            user.save(update_fields=["is_staff"])

    def changelist_view(self, request, extra_context=None):
        from django.conf import settings

        self._locked = set(
            AccessAttempt.objects.filter(
                failures_since_start__gte=settings.AXES_FAILURE_LIMIT
            ).values_list("username", flat=True)
        )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Unlock the selected users (clear failed logins)"))
    def unlock(self, request, queryset):
        if not request.user.has_perm("axes.delete_accessattempt"):
            messages.error(request, _("You may not unlock users."))
            return
        count = 0
        for user in queryset:
            count += bool(reset(username=user.get_username()))
        messages.success(
            request,
            ngettext("Unlocked %(count)d user.", "Unlocked %(count)d users.", max(count, 1))
            % {"count": count},
        )


admin.site.unregister(User)
admin.site.register(User, ConsoleUserAdmin)


class ConsoleGroupAdmin(TranslatedPermissionsMixin, GroupAdmin):
    pass


admin.site.unregister(Group)
admin.site.register(Group, ConsoleGroupAdmin)


# The admin's own titles, and django-axes' names (it ships no Japanese): the strings below are
# axes' msgids, listed here so that `make messages` keeps their translations in locale/.
admin.site.site_header = _("TEMPOSTAR administration")
admin.site.site_title = _("TEMPOSTAR administration")
admin.site.index_title = _("Users, login protection and records")
AXES_NAMES = (
    _("access attempt"),
    _("access attempts"),
    _("access log"),
    _("access logs"),
    _("access failure"),
    _("access failures"),
    _("access attempt expiration"),
    _("access attempt expirations"),
    _("Access Attempt"),
    _("User Agent"),
    _("IP Address"),
    _("Username"),
    _("HTTP Accept"),
    _("Path"),
    _("Attempt Time"),
    _("Access lock out"),
    _("GET Data"),
    _("POST Data"),
    _("Failed Logins"),
    _("Expires At"),
    _("Logout Time"),
    _("Locked Out"),
    _("Form Data"),
    _("Meta Data"),
    _("Clean up expired attempts"),
    _("Attempt Remaining"),
    _("Not set"),
)


def _name_axes() -> None:
    from django.apps import apps

    if apps.is_installed("axes"):
        apps.get_app_config("axes").verbose_name = _("Login protection")


_name_axes()
