"""The user groups and what each may do. Data migrations call `sync_role_groups` so that the
groups always hold exactly these permissions; a later area adds its models here and a migration
that calls it again.

Each entry maps a model ("app_label.modelname") to the actions allowed on it: v(iew), a(dd),
c(hange), d(elete). Custom permissions (price override, posting, approval) are listed by
"app_label.codename" with no actions.
"""

from django.db import DEFAULT_DB_ALIAS

CRM_REFERENCE = ["crm.customergroup", "crm.pricegroup", "crm.salestaxgroup", "crm.salesstage"]
INVENTORY = [
    "inventory.item",
    "inventory.warehouse",
    "inventory.unit",
    "inventory.itemdiscountgroup",
]
FINANCE = [
    "finance.currency",
    "finance.paymentterms",
    "finance.salestaxcode",
    "finance.ledgeraccount",
    "finance.postingprofile",
    "finance.companyprofile",
    "finance.companybankaccount",
]
PARTY_DETAILS = ["crm.partyaddress", "crm.contactperson"]
PIPELINE = ["crm.prospect", "crm.lead", "crm.opportunity"]
CAMPAIGNS = ["crm.campaign", "crm.campaigntarget"]
AGREEMENTS = ["agreements.salesagreement", "agreements.salesagreementline"]
INVOICES = ["invoicing.invoice", "invoicing.invoiceline"]
LEDGER = ["invoicing.ledgervoucher", "invoicing.ledgerentry", "invoicing.customertransaction"]
PAYMENTS = ["invoicing.payment", "invoicing.paymentapplication"]
RUNS = ["invoicing.invoicerun", "invoicing.invoiceruncustomer"]
ORDERS = [
    "orders.salesorder",
    "orders.salesorderline",
    "orders.salesquotation",
    "orders.salesquotationline",
    "orders.project",
]
SLIPS = ["orders.packingslip", "orders.packingslipline"]
ALLOCATION = ["orders.allocationrun", "orders.allocationrunline"]
PURCHASES = ["inventory.purchaseorder", "inventory.purchaseorderline"]


def _grant(models: list[str], actions: str) -> dict[str, str]:
    return {model: actions for model in models}


ROLE_GROUPS: dict[str, dict[str, str]] = {
    "sales clerk": {
        "crm.party": "vac",
        **_grant(PARTY_DETAILS, "vacd"),
        "crm.customer": "vac",
        "crm.vendor": "v",
        **_grant(CRM_REFERENCE, "v"),
        **_grant(INVENTORY, "v"),
        **_grant(FINANCE, "v"),
        **_grant(PIPELINE, "vac"),
        "crm.activity": "vacd",
        **_grant(CAMPAIGNS, "v"),
        "crm.customertemplate": "v",
        "agreements.tradeagreement": "v",
        **_grant(AGREEMENTS, "v"),
        "agreements.salesagreementrelease": "v",
        "agreements.sellrule": "v",
        **_grant(ORDERS, "vacd"),
        **_grant(SLIPS, "va"),
        **_grant(ALLOCATION, "v"),
        "inventory.inventorytransaction": "v",
        # orders supply for drop-shipment and special-order lines; receiving is not theirs
        "inventory.purchaseorder": "va",
        "inventory.purchaseorderline": "v",
        **_grant(INVOICES, "v"),
    },
    "sales manager": {
        "crm.party": "vacd",
        **_grant(PARTY_DETAILS, "vacd"),
        "crm.customer": "vacd",
        "crm.vendor": "vac",
        **_grant(CRM_REFERENCE, "vacd"),
        **_grant(INVENTORY, "vacd"),
        **_grant(FINANCE, "v"),
        "core.auditevent": "v",
        **_grant(PIPELINE, "vacd"),
        "crm.activity": "vacd",
        **_grant(CAMPAIGNS, "vacd"),
        "crm.campaigncall": "vac",
        "crm.campaignsend": "v",
        "crm.customertemplate": "vacd",
        "agreements.tradeagreement": "vacd",
        **_grant(AGREEMENTS, "vacd"),
        "agreements.salesagreementrelease": "v",
        "agreements.sellrule": "vacd",
        **_grant(ORDERS, "vacd"),
        **_grant(SLIPS, "va"),
        "orders.override_price": "",
        "orders.approve_documents": "",
        "orders.approvalrule": "vacd",
        **_grant(ALLOCATION, "v"),
        "orders.allocate_stock": "",
        "inventory.inventorytransaction": "v",
        "inventory.purchaseorder": "vacd",
        "inventory.purchaseorderline": "v",
        **_grant(INVOICES, "vacd"),
        **_grant(LEDGER, "v"),
        **_grant(PAYMENTS, "v"),
        **_grant(RUNS, "v"),
    },
    "marketing": {
        "crm.party": "vac",
        **_grant(PARTY_DETAILS, "vacd"),
        "crm.customer": "v",
        **_grant(CRM_REFERENCE, "v"),
        "inventory.item": "v",
        "crm.prospect": "vacd",
        "crm.lead": "vac",
        "crm.opportunity": "v",
        "crm.activity": "vacd",
        **_grant(CAMPAIGNS, "vacd"),
        "crm.campaigncall": "vac",
        "crm.campaignsend": "v",
        "crm.customertemplate": "v",
        "agreements.tradeagreement": "v",
        "agreements.sellrule": "vacd",
    },
    "accountant": {
        "crm.party": "v",
        **_grant(PARTY_DETAILS, "v"),
        "crm.customer": "vc",
        "crm.vendor": "vac",
        **_grant(CRM_REFERENCE, "vacd"),
        **_grant(INVENTORY, "v"),
        **_grant(FINANCE, "vacd"),
        "core.auditevent": "v",
        "core.numberseries": "vc",
        "crm.customertemplate": "vacd",
        "crm.prospect": "v",
        "agreements.tradeagreement": "v",
        **_grant(AGREEMENTS, "v"),
        "agreements.salesagreementrelease": "v",
        **_grant(ORDERS, "v"),
        **_grant(SLIPS, "v"),
        "inventory.inventorytransaction": "v",
        **_grant(PURCHASES, "v"),
        **_grant(INVOICES, "vacd"),
        **_grant(LEDGER, "v"),
        "invoicing.post_invoice": "",
        **_grant(RUNS, "va"),
        **_grant(PAYMENTS, "vac"),
    },
    "integrator": {
        "crm.party": "vacd",
        **_grant(PARTY_DETAILS, "vacd"),
        "crm.customer": "vac",
        "crm.vendor": "vac",
        **_grant(CRM_REFERENCE, "v"),
        **_grant(INVENTORY, "vac"),
        **_grant(FINANCE, "v"),
        **_grant(PIPELINE, "vac"),
        "crm.activity": "vac",
        **_grant(CAMPAIGNS, "v"),
        "agreements.tradeagreement": "vac",
        **_grant(AGREEMENTS, "vac"),
        "agreements.sellrule": "v",
        **_grant(ORDERS, "vac"),
        **_grant(SLIPS, "va"),
        "inventory.inventorytransaction": "v",
        "inventory.purchaseorder": "vac",
        "inventory.purchaseorderline": "v",
        **_grant(INVOICES, "vac"),
    },
}

ACTIONS = {"v": "view", "a": "add", "c": "change", "d": "delete"}


def permission_codes(group: str) -> set[tuple[str, str]]:
    """(app_label, codename) pairs of the group."""
    codes = set()
    for target, actions in ROLE_GROUPS[group].items():
        app_label, name = target.split(".")
        if not actions:  # a custom permission named by its codename
            codes.add((app_label, name))
        for letter in actions:
            codes.add((app_label, f"{ACTIONS[letter]}_{name}"))
    return codes


def sync_role_groups(apps, schema_editor=None) -> None:
    """Create the groups and give each exactly its permissions (runs in data migrations)."""
    from django.contrib.auth.management import create_permissions

    using = schema_editor.connection.alias if schema_editor else DEFAULT_DB_ALIAS
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=using)
        app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ROLE_GROUPS:
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = permission_codes(name)
        permissions = [
            permission
            for permission in Permission.objects.using(using).select_related("content_type")
            if (permission.content_type.app_label, permission.codename) in wanted
        ]
        found = {(p.content_type.app_label, p.codename) for p in permissions}
        missing = wanted - found
        if missing:
            raise RuntimeError(f"group {name!r}: unknown permissions {sorted(missing)}")
        group.permissions.set(permissions)
