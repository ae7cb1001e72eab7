"""The three roles, as groups: 閲覧者 (viewer), オペレーター (operator), 管理者 (administrator).

Each role holds the permissions of the one before it. Views check permissions, never group
names, so a site may also grant single permissions. Secrets are write-only for every role:
no page, export or admin screen shows a stored value.
"""

VIEWER, OPERATOR, ADMINISTRATOR = "閲覧者", "オペレーター", "管理者"

_VIEW = {
    "shops": ["view_shop"],
    "orders": ["view_order", "view_product"],
}
_OPERATE = {
    # Register shops (entering the first credentials), edit the common record, test.
    "shops": ["add_shop", "change_shop", "run_connection_check"],
    "orders": ["add_order", "add_product", "change_product"],
}
_ADMINISTER = {
    # Credentials of existing shops, deleting shops, users and login lockouts.
    "shops": ["change_credentials", "delete_shop", "view_shopcode"],
    "orders": ["change_order", "delete_order", "delete_product", "view_importjob"],
    "auth": ["view_user", "add_user", "change_user", "delete_user", "view_group"],
    "axes": ["view_accessattempt", "delete_accessattempt", "view_accesslog"],
}


def _merge(*maps):
    merged: dict[str, list[str]] = {}
    for m in maps:
        for app, codenames in m.items():
            merged.setdefault(app, []).extend(codenames)
    return merged


ROLES = {
    VIEWER: _merge(_VIEW),
    OPERATOR: _merge(_VIEW, _OPERATE),
    ADMINISTRATOR: _merge(_VIEW, _OPERATE, _ADMINISTER),
}
# Administrators reach the Django admin (users, lockouts); the others do not.
STAFF_ROLES = {ADMINISTRATOR}


def sync_roles(apps) -> None:
    """Create the groups and set their permissions (idempotent). `apps` may be historical."""
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for app, codenames in perms.items():
            found = list(
                Permission.objects.filter(content_type__app_label=app, codename__in=codenames)
            )
            missing = set(codenames) - {p.codename for p in found}
            if missing:
                raise RuntimeError(f"role {name}: unknown permissions {app}.{sorted(missing)}")
            wanted += found
        group.permissions.set(wanted)


def assign_role(user, role: str | None) -> None:
    """Make `user` hold exactly one role (None: no role); administrators become staff."""
    from django.contrib.auth.models import Group

    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    if role:
        if not Group.objects.filter(name=role).exists():
            # The migration made the groups; recreate them if they were deleted since.
            from django.apps import apps

            sync_roles(apps)
        user.groups.add(Group.objects.get(name=role))
    user.is_staff = role in STAFF_ROLES or user.is_superuser
    user.save(update_fields=["is_staff"])
