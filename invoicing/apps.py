from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Invoicing and receivables")

    def ready(self):
        from orders.services import approval

        from . import actions, documents  # noqa: F401 - registers the actions, document builders
        from .services.payments import receivables

        def balance(customer):
            return receivables(customer)["balance"] if customer.pk else 0

        if balance not in approval.RECEIVABLES_PROVIDERS:
            approval.RECEIVABLES_PROVIDERS.append(balance)

        # Returns name the invoices their goods were sold on: orders ask through this lookup.
        from orders.services import returns

        from .selectors import SalesInvoiceLookup

        returns.register_invoice_lookup(SalesInvoiceLookup())
