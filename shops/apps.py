from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _ensure_search_index(sender, using, **kwargs):
    from django.db import connections

    from .search import ensure_index

    ensure_index(connections[using])


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = _("Linked shops")

    def ready(self):
        from django.db.models.signals import post_migrate

        # SQLite drops a table's triggers when a migration rebuilds it: put them back.
        post_migrate.connect(_ensure_search_index, sender=self)
