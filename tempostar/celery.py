import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tempostar.settings")

app = Celery("tempostar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _start_with_no_remembered_secrets(**kwargs):
    """Each task masks, in its logs, only the secrets it decrypts itself."""
    from tempostar.security import forget_secrets

    forget_secrets()
