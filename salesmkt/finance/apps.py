from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "salesmkt.finance"
    label = "finance"
    verbose_name = _("Finance setup")

    def ready(self):
        from salesmkt.core import documents

        from . import checks  # noqa: F401  (registers the company profile check)
        from .company import printed_company

        documents.company_provider = printed_company
