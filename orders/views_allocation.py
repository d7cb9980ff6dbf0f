"""Clerk UI of allocation: an item's on-hand per warehouse and its backorders in allocation
order, with the proposed split in editable inputs; "Allocate automatically" and "Allocate as
entered" run the allocation service. Also the confirm form of the sales order page, which
offers the promised date as the confirmed ship date."""

from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inventory.models import Item, Warehouse
from salesmkt.core.dates import BoundedDatesFormMixin
from salesmkt.core.errors import DomainError
from salesmkt.core.ui import error_text, parse_number

from .models import AllocationRun
from .services import allocation


class AllocationChoiceForm(forms.Form):
    item = forms.ModelChoiceField(
        label=_("item"), queryset=Item.objects.filter(item_type=Item.ItemType.PRODUCT)
    )
    warehouse = forms.ModelChoiceField(
        label=_("warehouse"),
        queryset=Warehouse.objects.all(),
        required=False,
        empty_label=_("Every warehouse"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with_backorders = allocation.open_backorders().order_by().values("item")
        chosen = self.data.get("item") if self.is_bound else None
        items = Item.objects.filter(pk__in=with_backorders)
        if chosen and str(chosen).isdigit():
            items = items | Item.objects.filter(pk=chosen)
        self.fields["item"].queryset = items.filter(item_type=Item.ItemType.PRODUCT).order_by(
            "item_number"
        )


class ConfirmForm(BoundedDatesFormMixin, forms.Form):
    """The sales order page's Confirm: the confirmed ship date, prefilled with the promise."""

    confirmed_ship_date = forms.DateField(
        label=_("confirmed ship date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Offered: the latest promised date of the lines."),
    )


def _back(item_id, warehouse_id) -> HttpResponseRedirect:
    query = {"item": item_id}
    if warehouse_id:
        query["warehouse"] = warehouse_id
    return HttpResponseRedirect(f"{reverse('orders:allocation')}?{urlencode(query)}")


@login_required
@permission_required("orders.view_allocationrun", raise_exception=True)
def allocation_page(request):
    if request.method == "POST":
        return _allocate(request)
    form = AllocationChoiceForm(request.GET or None)
    splits, item, warehouse = [], None, None
    if form.is_bound and form.is_valid():
        item, warehouse = form.cleaned_data["item"], form.cleaned_data["warehouse"]
        splits = allocation.allocation_proposal(item=item, warehouse=warehouse)
    runs = AllocationRun.objects.select_related("item", "warehouse", "created_by")
    if item is not None:
        runs = runs.filter(item=item).prefetch_related("lines")
    return render(
        request,
        "orders/allocation.html",
        {
            "form": form,
            "item": item,
            "warehouse": warehouse,
            "splits": splits,
            "runs": runs[:20],
            "can_allocate": request.user.has_perm("orders.allocate_stock"),
        },
    )


def _allocate(request):
    if not request.user.has_perm("orders.allocate_stock"):
        raise PermissionDenied
    form = AllocationChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose an item."))
        return HttpResponseRedirect(reverse("orders:allocation"))
    item, warehouse = form.cleaned_data["item"], form.cleaned_data["warehouse"]
    rows = None
    if request.POST.get("method") == "manual":
        rows = []
        for key, raw in request.POST.items():
            if not key.startswith("quantity-") or not key.removeprefix("quantity-").isdigit():
                continue
            try:
                quantity = parse_number(raw.strip() or "0")
            except InvalidOperation:
                messages.error(request, gettext("%(value)s is not a number.") % {"value": raw})
                return _back(item.pk, warehouse and warehouse.pk)
            rows.append({"order_line": int(key.removeprefix("quantity-")), "quantity": quantity})
    try:
        run = allocation.allocation_run(
            item=item, warehouse=warehouse, lines=rows, actor=request.user
        )
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
        return _back(item.pk, warehouse and warehouse.pk)
    lines = list(run.lines.all())
    reserved = sum((line.quantity for line in lines), Decimal(0))
    messages.success(
        request,
        gettext("Allocated: %(quantity)s reserved for %(count)d backorder lines.")
        % {"quantity": f"{reserved.normalize():f}", "count": len(lines)},
    )
    return _back(item.pk, warehouse and warehouse.pk)


def promising_context(order, lines) -> dict:
    """The order page's promising card: each open line's promise, and the date to offer."""
    from .services import promising

    if order.status != order.Status.OPEN or order.is_return:
        return {"promises": []}
    for line in lines:
        line.order = order
    found = promising.promises(lines)
    rows = [(line, found[line.pk]) for line in lines if line.deliver_remainder > 0]
    return {
        "promises": rows,
        "offered_ship_date": promising.offered_ship_date(order, found),
    }
