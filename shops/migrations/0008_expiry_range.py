"""Delete expiry rows outside the range every database reads back (issue J).

Before issue J an issue date such as 0001-01-01 was stored, and PostgreSQL keeps its expiry as
a BC timestamp that psycopg cannot read: every page and run that loaded the row failed. The
delete runs in SQL without loading the rows; the next write of the shop recomputes its
expiries from the (bounded) values.
"""

from datetime import UTC, datetime

from django.db import migrations
from django.db.models import Q

LOW = datetime(1900, 1, 1, tzinfo=UTC)  # connectors.expiry.EARLIEST
HIGH = datetime(9000, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)  # connectors.expiry.LATEST


def delete_unreadable(apps, schema_editor):
    CredentialExpiry = apps.get_model("shops", "CredentialExpiry")
    CredentialExpiry.objects.filter(
        Q(expires_at__lt=LOW) | Q(expires_at__gt=HIGH) | Q(issued_at__lt=LOW) | Q(issued_at__gt=HIGH)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("shops", "0007_change_via")]

    operations = [migrations.RunPython(delete_unreadable, migrations.RunPython.noop)]
