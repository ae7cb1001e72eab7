"""The change history of a shop (who, when, which fields). Secrets never appear in it."""

from django.utils.translation import gettext as _

from .forms import COMMON_FIELDS
from .models import Shop, ShopChange


def record_change(shop: Shop, user, action: str, changes: list[dict]) -> ShopChange:
    return ShopChange.objects.create(
        shop=shop,
        shop_code=shop.code,
        user=user if user and user.pk else None,
        username=getattr(user, "username", "") or "",
        action=action,
        changes=changes,
    )


def field_labels(connector) -> dict[str, str]:
    labels = {name: str(Shop._meta.get_field(name).verbose_name) for name in COMMON_FIELDS}
    for section, spec in connector.fields():
        labels[section.field_id(spec)] = f"{section.title} / {spec.label}"
    return labels


def describe_changes(connector, entries):
    """History rows with readable field names, for the shop page."""
    labels = field_labels(connector)
    rows = []
    for entry in entries:
        rows.append(
            {
                "at": entry.at,
                "user": entry.username or _("(deleted user)"),
                "action": entry.get_action_display(),
                "changes": [
                    {**c, "label": labels.get(c["field"], c["field"])} for c in entry.changes
                ],
            }
        )
    return rows
