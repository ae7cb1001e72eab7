from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When a periodic job last ran ("worker", "recovery", "reminders"), for the health
    checks of any web node (tempostar.health). One row per name."""

    name = models.CharField(max_length=32, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name: str, at=None) -> None:
        cls.objects.update_or_create(name=name, defaults={"at": at or timezone.now()})
