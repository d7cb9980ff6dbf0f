"""Clerk UI of a customer's statement: balance, aging chart, open items, recent payments."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Customer

from ..models import Payment
from ..services import payments

BUCKET_LABELS = {
    "current": _("Not due"),
    "1-30": _("1–30 days"),
    "31-60": _("31–60 days"),
    "61-90": _("61–90 days"),
    "over-90": _("Over 90 days"),
}


@login_required
@permission_required("invoicing.view_customertransaction", raise_exception=True)
def customer_statement(request, pk):
    customer = get_object_or_404(Customer.objects.select_related("party", "currency"), pk=pk)
    today = timezone.localdate()
    data = payments.receivables(customer, today=today)
    buckets = [
        {"name": name, "label": BUCKET_LABELS[name], "amount": amount}
        for name, amount in data["aging"].items()
    ]
    context = {
        "customer": customer,
        "today": today,
        "balance": data["balance"],
        "unapplied": data["unapplied_payments"],
        "open_items": [
            {"item": item, "days_overdue": max((today - item.due_date).days, 0)}
            for item in data["open_items"]
        ],
        "buckets": buckets,
        "aging_total": sum((b["amount"] for b in buckets), 0),
        "chart": {
            "labels": [str(b["label"]) for b in buckets],
            "values": [str(b["amount"]) for b in buckets],
        },
        "payments": Payment.objects.filter(customer=customer).order_by("-date", "-id")[:10],
        "register_url": f"{reverse('invoicing:payments-create')}?customer={customer.pk}",
    }
    return render(request, "invoicing/customer_statement.html", context)


def urls():
    return [path("customers/<int:pk>/statement/", customer_statement, name="customer-statement")]
