"""Clerk UI of backorders: by item (and one item's page with its projection and chart), by
customer and by vendor. Filters refresh the table in place (htmx); column headers sort."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crm.models import Customer, Vendor
from inventory.models import Item, Warehouse

from .selectors import backorders

VIEW_BACKORDERS = "orders.view_salesorder"
PAGE_SIZE = 25


class BackorderFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    late = forms.BooleanField(label=gettext_lazy("Only late"), required=False)


class ByItemFilter(BackorderFilter):
    warehouse = forms.ModelChoiceField(
        Warehouse.objects.all(), label=gettext_lazy("Warehouse"), required=False
    )
    short = forms.BooleanField(label=gettext_lazy("Only short"), required=False)


class ByCustomerFilter(BackorderFilter):
    customer = forms.ModelChoiceField(
        Customer.objects.select_related("party"), label=gettext_lazy("Customer"), required=False
    )


class ByVendorFilter(BackorderFilter):
    vendor = forms.ModelChoiceField(
        Vendor.objects.select_related("party"), label=gettext_lazy("Vendor"), required=False
    )


class ItemWarehouseFilter(forms.Form):
    warehouse = forms.ModelChoiceField(
        Warehouse.objects.all(),
        label=gettext_lazy("Warehouse"),
        required=False,
        empty_label=gettext_lazy("All warehouses"),
    )


def quantity_text(quantity: Decimal) -> str:
    """A quantity without trailing zeros: 7, 2.5."""
    return format(quantity.normalize(), "f") if quantity else "0"


def _headers(request, columns, ordering: str) -> list[dict]:
    """Column headers; a sortable one links to the list ordered by it (again: reversed)."""
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("o", None)
    base = params.urlencode()
    headers = []
    for label, key, align in columns:
        state = (
            "asc" if key and ordering == key else "desc" if key and ordering == f"-{key}" else ""
        )
        following = f"-{key}" if state == "asc" else key
        headers.append(
            {
                "label": label,
                "align": align,
                "state": state,
                "url": f"?{base}&o={following}" if key else "",
            }
        )
    return headers


# The list filters' names in the UI (short, as they show in the address) and in the selectors.
SELECTOR_FILTERS = {"q": "search", "late": "only_late", "short": "only_short"}


def _list_page(request, *, form_class, select, columns, title, table, icon, due=None):
    """Render a backorder list of the rows `select` gives for the filter form (or, for htmx, its
    table); `due(row)` gives the date whose passing makes a row late, shown as days late."""
    form = form_class(request.GET or None)
    ordering = request.GET.get("o", "")
    filters = {SELECTOR_FILTERS.get(name, name): value for name, value in _cleaned(form).items()}
    rows = select(**filters, ordering=ordering)
    params = request.GET.copy()
    params.pop("page", None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    if due is not None:
        page.object_list = list(page.object_list)
        for row in page.object_list:
            row.days_late = backorders.days_late(due(row), today)
    context = {
        "title": title,
        "icon": icon,
        "form": form,
        "page": page,
        "headers": _headers(request, columns, ordering),
        "querystring": params.urlencode(),
        "list_url": request.path,
        "table_template": table,
        "today": today,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, table, context)
    return render(request, "orders/backorders_list.html", context)


def _cleaned(form) -> dict:
    return form.cleaned_data if form.is_valid() else {}


@login_required
@permission_required(VIEW_BACKORDERS, raise_exception=True)
def backorders_by_item(request):
    """Items with backorders, per warehouse, with stock, expected receipts and shortfall."""
    columns = [
        (_("item"), "item", ""),
        (_("name"), "", ""),
        (_("warehouse"), "warehouse", ""),
        (_("orders"), "orders", "end"),
        (_("demand"), "demand", "end"),
        (_("late"), "late_demand", "end"),
        (_("first requested"), "first_requested", ""),
        (_("on-hand"), "on_hand", "end"),
        (_("reserved"), "reserved", "end"),
        (_("expected"), "expected", "end"),
        (_("next receipt"), "next_receipt", ""),
        (_("shortfall"), "shortfall", "end"),
    ]
    return _list_page(
        request,
        form_class=ByItemFilter,
        select=backorders.backorders_by_item,
        columns=columns,
        title=_("Backorders by item"),
        table="orders/_backorders_by_item.html",
        icon="bi-box-seam",
    )


@login_required
@permission_required(VIEW_BACKORDERS, raise_exception=True)
def backorders_by_customer(request):
    """The lines customers wait for, with their lateness."""
    columns = [
        (_("order"), "order", ""),
        (_("customer"), "customer", ""),
        (_("item"), "item", ""),
        (_("warehouse"), "", ""),
        (_("remaining"), "remaining", "end"),
        (_("requested ship date"), "requested_ship_date", ""),
        (_("confirmed ship date"), "confirmed_ship_date", ""),
        (_("days late"), "days_late", "end"),
        (_("line status"), "status", ""),
        (_("supply"), "supply_type", ""),
        (_("purchase order"), "purchase_order", ""),
    ]
    return _list_page(
        request,
        form_class=ByCustomerFilter,
        select=backorders.backorders_by_customer,
        columns=columns,
        title=_("Backorders by customer"),
        table="orders/_backorders_by_customer.html",
        icon="bi-people",
        due=lambda line: line.order.requested_ship_date,
    )


@login_required
@permission_required(VIEW_BACKORDERS, raise_exception=True)
def backorders_by_vendor(request):
    """Purchase lines not yet received and the sales orders waiting on them."""
    columns = [
        (_("vendor"), "vendor", ""),
        (_("purchase order"), "purchase_order", ""),
        (_("item"), "item", ""),
        (_("warehouse"), "warehouse", ""),
        (_("remaining"), "remaining", "end"),
        (_("expected receipt date"), "expected_receipt_date", ""),
        (_("days late"), "days_late", "end"),
        (_("sales orders waiting on it"), "", ""),
        (_("other backorders of the item"), "waiting_lines", "end"),
    ]
    return _list_page(
        request,
        form_class=ByVendorFilter,
        select=backorders.backorders_by_vendor,
        columns=columns,
        title=_("Backorders by vendor"),
        table="orders/_backorders_by_vendor.html",
        icon="bi-truck",
        due=lambda line: line.expected_receipt_date,
    )


def item_answers(result: backorders.ItemBackorders) -> list[dict]:
    """The item page's three questions answered in words, each with its tone."""
    orders = result.order_count
    answers = [
        {
            "icon": "bi-cart",
            "tone": "secondary",
            "text": ngettext(
                "%(count)d sales order waits for this item.",
                "%(count)d sales orders wait for this item.",
                orders,
            )
            % {"count": orders},
        }
    ]
    late = len(result.late_receipts)
    if not result.receipts:
        text, tone = _("No vendor delivery is expected."), "secondary"
    elif late:
        text = ngettext(
            "%(count)d vendor delivery is late.", "%(count)d vendor deliveries are late.", late
        ) % {"count": late}
        tone = "danger"
    else:
        count = len(result.receipts)
        text = ngettext(
            "%(count)d vendor delivery is still expected, none late.",
            "%(count)d vendor deliveries are still expected, none late.",
            count,
        ) % {"count": count}
        tone = "success"
    answers.append({"icon": "bi-truck", "tone": tone, "text": text})
    if result.must_order_more:
        text = _("Order %(quantity)s more by %(date)s to deliver every order in time.") % {
            "quantity": quantity_text(result.must_order),
            "date": result.first_short.date.isoformat(),
        }
        answers.append({"icon": "bi-exclamation-triangle", "tone": "danger", "text": text})
    elif result.lines:
        text = _("Stock and expected receipts deliver every order in time.")
        answers.append({"icon": "bi-check-circle", "tone": "success", "text": text})
    return answers


@login_required
@permission_required(VIEW_BACKORDERS, raise_exception=True)
def backorder_item(request, item: int):
    """One item's backorders: the waiting lines, stock, expected receipts, the answers and the
    chart of demand against supply over time."""
    item = get_object_or_404(Item.objects.select_related("unit"), pk=item)
    form = ItemWarehouseFilter(request.GET or None)
    warehouse = _cleaned(form).get("warehouse")
    result = backorders.item_backorders(item=item, warehouse=warehouse)
    labels = {
        "demand": _("Cumulative demand"),
        "supply": _("Cumulative supply (on-hand + receipts)"),
        "available": _("Projected available"),
    }
    chart = result.chart()
    chart["datasets"] = [
        {"label": str(labels[dataset["key"]]), "values": dataset["values"]}
        for dataset in chart["datasets"]
    ]
    chart["stepped"] = True
    return render(
        request,
        "orders/backorder_item.html",
        {
            "item": item,
            "warehouse": warehouse,
            "form": form,
            "result": result,
            "answers": item_answers(result),
            "chart": chart,
            "list_url": reverse("orders:backorders-by-item"),
        },
    )
