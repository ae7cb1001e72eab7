import importlib
import pkgutil

from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Mall connectors"

    def ready(self):
        # Import every module under connectors/malls so each mall registers itself, then
        # check what they declare together.
        from . import malls
        from .base import registry

        for info in pkgutil.iter_modules(malls.__path__):
            importlib.import_module(f"{malls.__name__}.{info.name}")
        registry.validate()
