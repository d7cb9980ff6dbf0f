"""Every API resource under /api/v1/, plural kebab-case nouns."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from agreements.api import views as agreements
from crm.api import marketing
from crm.api import views as crm
from inventory.api import views as inventory
from invoicing.api import runs as invoice_runs
from invoicing.api import views as invoicing
from orders.api import allocation, backorders
from orders.api import views as orders
from salesmkt.core.api import auth
from salesmkt.core.api import role_centre as role_centre_api
from salesmkt.finance.api import views as finance

router = DefaultRouter()
router.register("parties", crm.PartyViewSet, basename="party")
router.register("customers", crm.CustomerViewSet, basename="customer")
router.register("vendors", crm.VendorViewSet, basename="vendor")
router.register("customer-groups", crm.CustomerGroupViewSet, basename="customer-group")
router.register("price-groups", crm.PriceGroupViewSet, basename="price-group")
router.register("sales-tax-groups", crm.SalesTaxGroupViewSet, basename="sales-tax-group")
router.register("prospects", marketing.ProspectViewSet, basename="prospect")
router.register("leads", marketing.LeadViewSet, basename="lead")
router.register("opportunities", marketing.OpportunityViewSet, basename="opportunity")
router.register("sales-stages", marketing.SalesStageViewSet, basename="sales-stage")
router.register("activities", marketing.ActivityViewSet, basename="activity")
router.register("campaigns", marketing.CampaignViewSet, basename="campaign")
router.register("campaign-targets", marketing.CampaignTargetViewSet, basename="campaign-target")
router.register(
    "customer-templates", marketing.CustomerTemplateViewSet, basename="customer-template"
)
router.register("trade-agreements", agreements.TradeAgreementViewSet, basename="trade-agreement")
router.register("sales-agreements", agreements.SalesAgreementViewSet, basename="sales-agreement")
router.register("sell-rules", agreements.SellRuleViewSet, basename="sell-rule")
router.register("quotations", orders.SalesQuotationViewSet, basename="quotation")
router.register("sales-orders", orders.SalesOrderViewSet, basename="sales-order")
router.register("packing-slips", orders.PackingSlipViewSet, basename="packing-slip")
router.register("allocations", allocation.AllocationRunViewSet, basename="allocation")
router.register("projects", orders.ProjectViewSet, basename="project")
router.register("invoices", invoicing.InvoiceViewSet, basename="invoice")
router.register("credit-notes", invoicing.CreditNoteViewSet, basename="credit-note")
router.register("payments", invoicing.PaymentViewSet, basename="payment")
router.register("invoice-runs", invoice_runs.InvoiceRunViewSet, basename="invoice-run")
router.register("items", inventory.ItemViewSet, basename="item")
router.register(
    "item-discount-groups", inventory.ItemDiscountGroupViewSet, basename="item-discount-group"
)
router.register("units", inventory.UnitViewSet, basename="unit")
router.register("warehouses", inventory.WarehouseViewSet, basename="warehouse")
router.register("purchase-orders", inventory.PurchaseOrderViewSet, basename="purchase-order")
router.register("currencies", finance.CurrencyViewSet, basename="currency")
router.register("payment-terms", finance.PaymentTermsViewSet, basename="payment-terms")
router.register("ledger-accounts", finance.LedgerAccountViewSet, basename="ledger-account")
router.register("posting-profiles", finance.PostingProfileViewSet, basename="posting-profile")
router.register("sales-tax-codes", finance.SalesTaxCodeViewSet, basename="sales-tax-code")

urlpatterns = [
    path("auth/token/", auth.ObtainTokenView.as_view(), name="auth-token"),
    path("company/", finance.CompanyProfileView.as_view(), name="company"),
    path("role-centre/", role_centre_api.RoleCentreView.as_view(), name="role-centre"),
    path("price-lookup/", agreements.PriceLookupView.as_view(), name="price-lookup"),
    path("receivables/<int:customer>/", invoicing.ReceivablesView.as_view(), name="receivables"),
    path(
        "receivables/<int:customer>/balance/",
        invoicing.ReceivablesBalanceView.as_view(),
        name="receivables-balance",
    ),
    path(
        "receivables/<int:customer>/open-items/",
        invoicing.ReceivablesOpenItemsView.as_view(),
        name="receivables-open-items",
    ),
    path(
        "receivables/<int:customer>/aging/",
        invoicing.ReceivablesAgingView.as_view(),
        name="receivables-aging",
    ),
    path("sales-suggestions/", agreements.SalesSuggestionsView.as_view(), name="sales-suggestions"),
    path(
        "backorders/by-item/", backorders.BackordersByItemView.as_view(), name="backorders-by-item"
    ),
    path(
        "backorders/by-item/<int:item>/",
        backorders.BackorderItemView.as_view(),
        name="backorders-item",
    ),
    path(
        "backorders/by-customer/",
        backorders.BackordersByCustomerView.as_view(),
        name="backorders-by-customer",
    ),
    path(
        "backorders/by-vendor/",
        backorders.BackordersByVendorView.as_view(),
        name="backorders-by-vendor",
    ),
    *router.urls,
]
