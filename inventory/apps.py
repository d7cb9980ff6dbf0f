from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Items and warehouses")

    def ready(self):
        from . import actions  # noqa: F401 - declares what may happen next to its documents
