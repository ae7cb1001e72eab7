"""Index the shop search (name, short name, code): pg_trgm GIN indexes on PostgreSQL, an FTS5
trigram table on SQLite (shops.search). Nothing else changes."""

from django.db import migrations


def forwards(apps, schema_editor):
    from shops.search import ensure_index

    ensure_index(schema_editor.connection)


def backwards(apps, schema_editor):
    from shops.search import drop_index

    drop_index(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False  # CREATE EXTENSION and the FTS5 table outside a wrapping transaction

    dependencies = [("shops", "0007_change_via")]

    operations = [migrations.RunPython(forwards, backwards)]
