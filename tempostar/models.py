from django.db import models
from django.utils import timezone


class Heartbeat(models.Model):
    """When a periodic job last ran ("worker", "recovery", "reminders"), for the health
    checks of any web node (tempostar.health). One row per name."""

    name = models.CharField(max_length=32, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = "heartbeat"

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name: str, at=None) -> None:
        cls.objects.update_or_create(name=name, defaults={"at": at or timezone.now()})
