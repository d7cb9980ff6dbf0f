from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Sales orders")

    def ready(self):
        from . import actions, documents  # noqa: F401 - registers the actions, document builders
        from .services import supply

        supply.register_handlers()
