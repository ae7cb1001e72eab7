"""The role groups 閲覧者, オペレーター and 管理者 with their permissions (tempostar.roles)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from tempostar.roles import sync_roles

    sync_roles(apps)


def remove_roles(apps, schema_editor):
    from tempostar.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
        ("orders", "0002_row_json_columns"),
        ("shops", "0005_run_connection_check_permission"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
