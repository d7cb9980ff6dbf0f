from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customers and relationships")

    def ready(self):
        from . import actions  # noqa: F401 - declares what may happen next to its documents
