from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Invoicing and receivables")

    def ready(self):
        from orders.services import approval

        from . import documents  # noqa: F401 - registers the document builders
        from .services.payments import receivables

        def balance(customer):
            return receivables(customer)["balance"] if customer.pk else 0

        if balance not in approval.RECEIVABLES_PROVIDERS:
            approval.RECEIVABLES_PROVIDERS.append(balance)
