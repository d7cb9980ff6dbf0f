"""The clerk UI's menu: every area of DESIGN.md. A user sees an entry only with its permission."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (area label, icon, [(entry label, url name, permission)])
MENU = [
    (_("Customers"), "bi-people", [
        (_("Customers"), "crm:customers-list", "crm.view_customer"),
        (_("Parties"), "crm:parties-list", "crm.view_party"),
        (_("Vendors"), "crm:vendors-list", "crm.view_vendor"),
        (_("Customer groups"), "crm:customer-groups-list", "crm.view_customergroup"),
        (_("Price groups"), "crm:price-groups-list", "crm.view_pricegroup"),
        (_("Sales tax groups"), "crm:sales-tax-groups-list", "crm.view_salestaxgroup"),
        (_("Customer templates"), "crm:customer-templates-list", "crm.view_customertemplate"),
    ]),
    (_("Marketing"), "bi-megaphone", [
        (_("Prospects"), "crm:prospects-list", "crm.view_prospect"),
        (_("Leads"), "crm:leads-list", "crm.view_lead"),
        (_("Opportunities"), "crm:opportunities-list", "crm.view_opportunity"),
        (_("Pipeline"), "crm:pipeline", "crm.view_opportunity"),
        (_("Sales stages"), "crm:sales-stages-list", "crm.view_salesstage"),
        (_("Campaigns"), "crm:campaigns-list", "crm.view_campaign"),
        (_("My open activities"), "crm:my-activities", "crm.view_activity"),
        (_("Activities"), "crm:activities-list", "crm.view_activity"),
    ]),
    (_("Items"), "bi-box-seam", [
        (_("Items"), "inventory:items-list", "inventory.view_item"),
        (_("Warehouses"), "inventory:warehouses-list", "inventory.view_warehouse"),
        (_("Units"), "inventory:units-list", "inventory.view_unit"),
        (_("Item discount groups"), "inventory:item-discount-groups-list", "inventory.view_itemdiscountgroup"),
        (_("Purchase orders"), "inventory:purchase-orders-list", "inventory.view_purchaseorder"),
    ]),
    (_("Sales"), "bi-cart", [
        (_("Trade agreements"), "agreements:trade-agreements-list", "agreements.view_tradeagreement"),
        (_("Price lookup"), "agreements:price-lookup", "agreements.view_tradeagreement"),
        (_("Sales agreements"), "agreements:sales-agreements-list", "agreements.view_salesagreement"),
        (_("Up-sell and cross-sell rules"), "agreements:sell-rules-list", "agreements.view_sellrule"),
        (_("Quotations"), "orders:quotations-list", "orders.view_salesquotation"),
        (_("Sales orders"), "orders:sales-orders-list", "orders.view_salesorder"),
        (_("Projects"), "orders:projects-list", "orders.view_project"),
        (_("Approval queue"), "orders:approval-queue", "orders.approve_documents"),
        (_("Backorders by item"), "orders:backorders-by-item", "orders.view_salesorder"),
        (_("Backorders by customer"), "orders:backorders-by-customer", "orders.view_salesorder"),
        (_("Backorders by vendor"), "orders:backorders-by-vendor", "orders.view_salesorder"),
        (_("Allocation"), "orders:allocation", "orders.view_allocationrun"),
    ]),
    (_("Invoicing"), "bi-receipt", [
        (_("Invoices"), "invoicing:invoices-list", "invoicing.view_invoice"),
        (_("Packing slips"), "invoicing:posted-packing-slips-list", "orders.view_packingslip"),
        (_("Invoice packing slips"), "invoicing:packing-slips", "invoicing.add_invoice"),
        (_("Invoice runs"), "invoicing:runs-list", "invoicing.view_invoicerun"),
        (_("Payments"), "invoicing:payments-list", "invoicing.view_payment"),
    ]),
    (_("Setup"), "bi-gear", [
        (_("Company"), "finance:company", "finance.view_companyprofile"),
        (_("Sales tax codes"), "finance:sales-tax-codes-list", "finance.view_salestaxcode"),
        (_("Ledger accounts"), "finance:ledger-accounts-list", "finance.view_ledgeraccount"),
        (_("Posting profiles"), "finance:posting-profiles-list", "finance.view_postingprofile"),
        (_("Payment terms"), "finance:payment-terms-list", "finance.view_paymentterms"),
        (_("Currencies"), "finance:currencies-list", "finance.view_currency"),
    ]),
]  # fmt: skip


def menu_for(user, current_path: str = "") -> list[dict]:
    areas = []
    for label, icon, entries in MENU:
        visible = []
        for entry_label, url_name, permission in entries:
            if not user.has_perm(permission):
                continue
            url = reverse(url_name)
            visible.append(
                {"label": entry_label, "url": url, "active": current_path.startswith(url)}
            )
        if visible:
            areas.append(
                {
                    "label": label,
                    "icon": icon,
                    "entries": visible,
                    "active": any(e["active"] for e in visible),
                }
            )
    return areas
