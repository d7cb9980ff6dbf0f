from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from crm.models import Customer, Party, Vendor
from inventory.models import Item

from .models import AuditEvent

# Areas of DESIGN.md whose issue has not landed yet: their page says so.
PLANNED_AREAS = {
    "agreements": (_("Trade and sales agreements"), _("Sales")),
    "quotations": (_("Quotations"), _("Sales")),
    "orders": (_("Sales orders"), _("Sales")),
    "backorders": (_("Backorders"), _("Sales")),
    "invoices": (_("Invoices"), _("Invoicing")),
    "payments": (_("Payments"), _("Invoicing")),
}


@login_required
def dashboard(request):
    by_group = (
        Customer.objects.values("customer_group__code", "customer_group__name")
        .annotate(count=Count("id"))
        .order_by("customer_group__code")
    )
    by_type = Item.objects.values("item_type").annotate(count=Count("id")).order_by("item_type")
    type_labels = dict(Item.ItemType.choices)
    user = request.user
    context = {
        "kpis": [
            (
                _("Customers"),
                Customer.objects.count(),
                "bi-people",
                user.has_perm("crm.view_customer"),
            ),
            (
                _("Parties"),
                Party.objects.count(),
                "bi-person-vcard",
                user.has_perm("crm.view_party"),
            ),
            (_("Vendors"), Vendor.objects.count(), "bi-truck", user.has_perm("crm.view_vendor")),
            (_("Items"), Item.objects.count(), "bi-box-seam", user.has_perm("inventory.view_item")),
        ],
        "customers_by_group": {
            "labels": [row["customer_group__name"] for row in by_group],
            "values": [row["count"] for row in by_group],
        },
        "items_by_type": {
            "labels": [str(type_labels.get(row["item_type"], row["item_type"])) for row in by_type],
            "values": [row["count"] for row in by_type],
        },
        "events": AuditEvent.objects.select_related("actor", "content_type")[:10]
        if user.has_perm("core.view_auditevent")
        else [],
    }
    return render(request, "core/dashboard.html", context)


@login_required
def planned_area(request, slug: str):
    if slug not in PLANNED_AREAS:
        raise Http404
    title, area = PLANNED_AREAS[slug]
    return render(request, "core/planned_area.html", {"title": title, "area": area})
