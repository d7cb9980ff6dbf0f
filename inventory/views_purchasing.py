"""Clerk UI of purchase orders: the list (late lines marked), entry with lines, receipts posted
from the order's page, the vendor's shipment of a drop shipment, cancelling."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from crm.forms import DateInput
from salesmkt.core.errors import DomainError
from salesmkt.core.money import round_money
from salesmkt.core.ui import Column, RecordAction, RecordViews, error_text, parse_number

from .actions import PURCHASE_ORDER
from .forms import PurchaseOrderForm, PurchaseOrderLineFormSet
from .models import PurchaseOrder, PurchaseOrderLine
from .services import purchasing


def _late_badge(order: PurchaseOrder):
    if not getattr(order, "late_lines", 0):
        return ""
    return format_html(
        '<span class="badge text-bg-danger">{}</span>',
        ngettext("%(count)d line late", "%(count)d lines late", order.late_lines)
        % {"count": order.late_lines},
    )


def _ship_to(order: PurchaseOrder) -> str:
    return ", ".join(
        part
        for part in [
            order.ship_to_name,
            order.ship_to_street,
            f"{order.ship_to_postal_code} {order.ship_to_city}".strip(),
            order.ship_to_country,
        ]
        if part
    )


class PurchaseOrderViews(RecordViews):
    model = PurchaseOrder
    namespace = "inventory"
    slug = "purchase-orders"
    icon = "bi-bag"
    detail_template = "inventory/purchase_order_detail.html"
    columns = [
        Column(_("number"), "number", link=True, sort="number"),
        Column(_("vendor"), "vendor.party.name", link=True, sort="vendor__party__name"),
        Column(_("status"), "status", sort="status"),
        Column(_("drop shipment"), "drop_shipment", sort="drop_shipment"),
        Column(_("order date"), "order_date", sort="order_date"),
        Column(_("expected receipt date"), "expected_receipt_date", sort="expected_receipt_date"),
        Column(_("late"), _late_badge, sort="late_lines"),
        Column(_("vendor reference"), "vendor_reference"),
    ]
    search_fields = ["number", "vendor__party__name", "vendor__account_number", "vendor_reference"]
    filter_fields = ["status", "vendor", "drop_shipment"]
    default_ordering = "-order_date"
    detail_fields = [
        "number",
        "vendor",
        "status",
        "drop_shipment",
        "order_date",
        "expected_receipt_date",
        "vendor_reference",
        (_("ship to"), _ship_to),
        "notes",
        "created_by",
        "created_at",
    ]
    create_service = purchasing.purchase_order_create
    update_service = purchasing.purchase_order_update
    delete_service = purchasing.purchase_order_delete
    actions = [
        RecordAction(
            "cancel",
            _("Cancel"),
            lambda o, user, data: purchasing.purchase_order_cancel(order=o, actor=user),
            style="outline-danger",
            icon="bi-x-circle",
            confirm=_("Cancel the purchase order? What has not arrived is no longer expected."),
        ),
    ]

    @classmethod
    def get_queryset(cls):
        late = (
            PurchaseOrderLine.objects.filter(
                order=OuterRef("pk"),
                receive_remainder__gt=0,
                expected_receipt_date__lt=timezone.localdate(),
            )
            .order_by()
            .values("order")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return PurchaseOrder.objects.select_related("vendor__party", "created_by").annotate(
            late_lines=Coalesce(Subquery(late, output_field=IntegerField()), 0)
        )

    @classmethod
    def filterset_class(cls):
        base = super().filterset_class()
        yes_no = forms.Select(choices=[("", "---------"), ("true", _("Yes")), ("false", _("No"))])

        class PurchaseOrderFilter(base):
            expected_from = django_filters.DateFilter(
                field_name="expected_receipt_date",
                lookup_expr="gte",
                label=_("expected from"),
                widget=DateInput(),
            )
            expected_to = django_filters.DateFilter(
                field_name="expected_receipt_date",
                lookup_expr="lte",
                label=_("expected until"),
                widget=DateInput(),
            )
            late = django_filters.BooleanFilter(
                label=_("late"), method="filter_late", widget=yes_no
            )

            def filter_late(self, queryset, name, value):
                if value is None:
                    return queryset
                return queryset.filter(late_lines__gt=0) if value else queryset.filter(late_lines=0)

        return PurchaseOrderFilter

    @classmethod
    def get_forms(cls, request, instance=None):
        data = request.POST if request.method == "POST" else None
        return {
            "form": PurchaseOrderForm(data, instance=instance),
            "lines": PurchaseOrderLineFormSet(
                data, instance=instance or PurchaseOrder(), prefix="lines"
            ),
        }

    @classmethod
    def forms_to_data(cls, bound, instance=None):
        data = {k: v for k, v in bound["form"].cleaned_data.items() if v is not None}
        rows = []
        for form in bound["lines"].forms:
            if (not form.has_changed() and form.instance.pk is None) or form.cleaned_data.get(
                "DELETE"
            ):
                continue
            row = {
                k: v
                for k, v in form.cleaned_data.items()
                if k in purchasing.LINE_FIELDS and v is not None
            }
            if form.instance.pk is not None:
                row["id"] = form.instance.pk
            rows.append(row)
        data["lines"] = rows
        return data

    @classmethod
    def detail_context(cls, request, obj):
        from django.apps import apps

        # The sales lines a purchase supplies belong to orders, which inventory does not import.
        sales_line = apps.get_model("orders", "SalesOrderLine")
        lines = list(
            obj.lines.select_related("item__unit", "warehouse")
            .prefetch_related(
                Prefetch(
                    "sales_lines",
                    queryset=sales_line.objects.select_related("order").order_by("pk"),
                )
            )
            .order_by("line_number")
        )
        # the arrival this order takes (PURCHASE_ORDER's receive or register_shipment): its
        # inputs and button when allowed, the button disabled with the reason when a condition
        # refuses it, nothing when the status does
        arrival = "register_shipment" if obj.drop_shipment else "receive"
        refusal = PURCHASE_ORDER.refusal(obj, arrival)
        may_arrive = request.user.has_perm(PURCHASE_ORDER.permission(arrival))
        return {
            "lines": lines,
            "arrival": arrival.replace("_", "-"),
            "can_arrive": may_arrive and refusal is None,
            "arrival_refusal": refusal if may_arrive and refusal and not refusal.status else None,
            "arrive_url": reverse(
                "inventory:purchase-orders-register-shipment"
                if obj.drop_shipment
                else "inventory:purchase-orders-receive",
                args=[obj.pk],
            ),
            "today": timezone.localdate(),
            "total": round_money(
                sum((line.quantity * line.unit_cost for line in lines), Decimal(0))
            ),
        }

    @classmethod
    def urls(cls):
        return [
            *super().urls(),
            path(f"{cls.slug}/<int:pk>/receive/", receive, name=f"{cls.slug}-receive"),
            path(
                f"{cls.slug}/<int:pk>/register-shipment/",
                register_shipment,
                name=f"{cls.slug}-register-shipment",
            ),
        ]


def _arrival(request, pk: int, *, shipment: bool):
    """Post the quantities entered on the order's page (prefilled with the remainders)."""
    order = get_object_or_404(PurchaseOrder, pk=pk)
    detail = HttpResponseRedirect(reverse("inventory:purchase-orders-detail", args=[pk]))
    on = None
    raw_date = request.POST.get("date", "").strip()
    if raw_date:
        try:
            on = parse_date(raw_date)
        except ValueError:
            on = None
        if on is None:
            messages.error(request, gettext("%(date)s is not a date.") % {"date": raw_date})
            return detail
    rows = []
    for line in order.lines.order_by("line_number"):
        raw = request.POST.get(f"arrive-{line.pk}", "").strip()
        if not raw:
            continue
        try:
            quantity = parse_number(raw)
        except InvalidOperation:
            messages.error(
                request, gettext("Line %(line)d: not a number.") % {"line": line.line_number}
            )
            return detail
        if quantity:
            rows.append({"line": line, "quantity": quantity})
    if not rows:
        messages.error(request, gettext("Enter the quantities that arrived."))
        return detail
    service = (
        purchasing.purchase_order_register_shipment
        if shipment
        else purchasing.purchase_order_receive
    )
    try:
        service(order=order, lines=rows, on=on, actor=request.user)
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
        return detail
    messages.success(
        request,
        gettext("Vendor shipment registered; the sales order lines it serves are delivered.")
        if shipment
        else gettext("Receipt posted."),
    )
    return detail


@login_required
@permission_required("inventory.change_purchaseorder", raise_exception=True)
@require_POST
def receive(request, pk):
    return _arrival(request, pk, shipment=False)


@login_required
@permission_required("inventory.change_purchaseorder", raise_exception=True)
@require_POST
def register_shipment(request, pk):
    return _arrival(request, pk, shipment=True)
