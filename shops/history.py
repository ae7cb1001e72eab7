"""The change history of a shop as the page shows it. Secrets never appear in it.

Rows are written by shops.store; here they are described: each field by its label and each
value as the form showed it (食品, SFTP, 使用する, 商品管理番号), not as stored.
"""

from django.utils.translation import gettext as _

from .genres import GENRE_CHOICES
from .models import Shop
from .store import CHANGED, MASK


def _common_labels() -> dict:
    return {name: str(Shop._meta.get_field(name).verbose_name) for name in Shop.COMMON_FIELDS}


def describe_value(spec, value) -> str:
    # A secret: only whether it was set, and that a new one was saved.
    if value == MASK:
        return _("Set")
    if value == CHANGED:
        return _("new value (not shown)")
    return spec.display(value) if spec is not None else str(value)


def describe_changes(connector, entries):
    """History rows with readable field names and values, for the shop page."""
    labels = _common_labels()
    specs = {}
    for section, spec in connector.fields():
        labels[section.field_id(spec)] = f"{section.title} / {spec.label}"
        specs[section.field_id(spec)] = spec
    for section in connector.sections:
        if section.oauth:
            labels[f"{section.key}.sign_in"] = f"{section.title} / {section.oauth}"
        for name in section.forgettable:
            labels.setdefault(f"{section.key}.{name}", f"{section.title} / {name}")
    genres = dict(GENRE_CHOICES)
    rows = []
    for entry in entries:
        changes = []
        for c in entry.changes:
            spec = specs.get(c["field"])
            if c["field"] == "genre":
                old, new = genres.get(c["old"], c["old"]), genres.get(c["new"], c["new"])
            else:
                old, new = describe_value(spec, c["old"]), describe_value(spec, c["new"])
            changes.append(
                {
                    "field": c["field"],
                    "label": labels.get(c["field"], c["field"]),
                    "old": str(old),
                    "new": str(new),
                }
            )
        rows.append(
            {
                "at": entry.at,
                "user": entry.username or _("(deleted user)"),
                "action": entry.get_action_display(),
                "via": entry.get_via_display(),
                "via_code": entry.via,
                "changes": changes,
            }
        )
    return rows
