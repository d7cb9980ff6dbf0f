"""Clerk UI of sales orders: list, entry with lines, actions, packing slips."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from agreements.services.suggestions import sales_suggestions
from salesmkt.core.badges import money, status_badge, with_lines_total
from salesmkt.core.errors import DomainError
from salesmkt.core.ui import (
    Column,
    RecordAction,
    RecordViews,
    error_text,
    parse_number,
)

from . import list_filters
from .actions import SALES_ORDER, commit_refusal
from .forms import (
    ChangeTypeForm,
    ItemSaleForm,
    ReasonForm,
    SalesOrderForm,
    SalesOrderLineFormSet,
    SalesQuotationForm,
    quotation_line_formset,
)
from .models import Project, SalesOrder, SalesOrderLine, SalesQuotation, SalesQuotationLine
from .selectors.returns import with_returned_quantity
from .services import approval, delivery, orders, projects, quotations, returns, supply
from .services.promising import offered_ship_date
from .views_allocation import ConfirmForm, promising_context

LINE_FIELDS = (
    "item",
    "warehouse",
    "quantity",
    "unit_price",
    "discount_amount",
    "discount_percent",
    "supply_type",
    "returned_line",
)


def line_rows(formset) -> list[dict]:
    """The lines of an order or quotation formset as service input (empty prices: the lookup)."""
    rows = []
    for form in formset.forms:
        if (not form.has_changed() and form.instance.pk is None) or form.cleaned_data.get("DELETE"):
            continue
        row = {k: v for k, v in form.cleaned_data.items() if k in LINE_FIELDS}
        if form.instance.pk is not None:
            row["id"] = form.instance.pk
        rows.append(row)
    return rows


# The approval buttons of quotations and orders.
APPROVAL_ACTIONS = [
    RecordAction(
        "approve",
        _("Approve"),
        lambda d, user, data: approval.approve(d, actor=user),
        permission="orders.approve_documents",
        style="success",
        icon="bi-hand-thumbs-up",
    ),
    RecordAction(
        "reject",
        _("Reject"),
        lambda d, user, data: approval.reject(d, reason=data["reason"], actor=user),
        permission="orders.approve_documents",
        form_class=ReasonForm,
        style="outline-danger",
        icon="bi-hand-thumbs-down",
    ),
]


def _open(order) -> bool:
    """Whether the order's lines may change (`SALES_ORDER`'s update)."""
    return SALES_ORDER.refusal(order, "update") is None


def _can_deliver(order, user) -> bool:
    """The Post packing slip (arrival) button: when the service would post it (`SALES_ORDER`'s
    deliver), for a clerk who may post."""
    return SALES_ORDER.refusal(order, "deliver") is None and user.has_perm("orders.add_packingslip")


class SalesOrderViews(RecordViews):
    model = SalesOrder
    namespace = "orders"
    slug = "sales-orders"
    icon = "bi-cart"
    detail_template = "orders/sales_order_detail.html"
    columns = [
        Column(_("number"), "number", link=True, sort="number"),
        Column(_("customer"), "customer.party.name", link=True, sort="customer__party__name"),
        Column(_("order type"), "order_type", sort="order_type"),
        Column(_("status"), status_badge(), sort="status"),
        Column(_("document status"), "document_status"),
        Column(_("requested ship date"), "requested_ship_date", sort="requested_ship_date"),
        Column(_("RMA number"), "rma_number"),
        Column(_("total"), money("list_total"), align="end", sort="list_total"),
        Column(_("created at"), "created_at", sort="created_at"),
    ]

    @classmethod
    def list_queryset(cls, request, queryset):
        return with_lines_total(queryset, SalesOrderLine, "order")

    search_fields = [
        "number",
        "rma_number",
        "customer__party__name",
        "customer__account_number",
        "customer_reference",
    ]
    filter_fields = ["order_type", "status", "document_status", "customer"]

    @classmethod
    def filterset_class(cls):
        # the work queues the role centre's cues open (`?queue=...`)
        return list_filters.sales_order_filterset(super().filterset_class())

    detail_fields = [
        "number",
        "customer",
        "order_type",
        "status",
        "document_status",
        "approval_status",
        "approval_reason",
        "customer_reference",
        "currency",
        "requested_ship_date",
        "confirmed_ship_date",
        "sales_agreement",
        "rma_number",
        "return_reason",
        "original_invoice_number",
        (
            _("deliver to"),
            lambda o: ", ".join(
                p
                for p in [
                    o.delivery_name,
                    o.delivery_street,
                    f"{o.delivery_postal_code} {o.delivery_city}".strip(),
                    o.delivery_country,
                ]
                if p
            ),
        ),
        "notes",
        "created_at",
        "confirmed_at",
    ]
    create_service = orders.sales_order_create
    update_service = orders.sales_order_update
    delete_service = orders.sales_order_delete
    actions = [
        *APPROVAL_ACTIONS,
        RecordAction(
            "confirm",
            _("Confirm"),
            lambda o, user, data: orders.sales_order_confirm(
                order=o, actor=user, confirmed_ship_date=data.get("confirmed_ship_date")
            ),
            form_class=ConfirmForm,
            style="success",
            icon="bi-check2-circle",
        ),
        RecordAction(
            "picking-list",
            _("Picking list"),
            lambda o, user, data: orders.sales_order_picking_list(order=o, actor=user),
            icon="bi-list-check",
        ),
        RecordAction(
            "change-type",
            _("Change type"),
            lambda o, user, data: orders.sales_order_change_type(
                order=o, order_type=data["order_type"], actor=user
            ),
            form_class=ChangeTypeForm,
            style="outline-secondary",
            icon="bi-arrow-left-right",
        ),
        RecordAction(
            "cancel",
            _("Cancel"),
            lambda o, user, data: orders.sales_order_cancel(order=o, actor=user),
            style="outline-danger",
            icon="bi-x-circle",
            confirm=_("Cancel the order?"),
        ),
        # A draft return of what is invoiced and not returned yet; the clerk lowers its
        # quantities to what comes back on the return's edit page.
        RecordAction(
            "return",
            _("Return"),
            lambda o, user, data: returns.sales_order_create_return(order=o, actor=user),
            permission="add",
            style="outline-secondary",
            icon="bi-arrow-return-left",
            redirect=lambda o, made: reverse("orders:sales-orders-update", args=[made.pk]),
        ),
    ]

    @classmethod
    def get_queryset(cls):
        return SalesOrder.objects.select_related("customer__party", "currency", "sales_agreement")

    @classmethod
    def visible_actions(cls, request, obj):
        """Confirm offers the promised date (the lines' latest, not before the requested date)
        as the confirmed ship date."""
        actions = super().visible_actions(request, obj)
        for entry in actions:
            if entry["action"].name == "confirm":
                entry["form"] = ConfirmForm(
                    prefix="confirm", initial={"confirmed_ship_date": offered_ship_date(obj)}
                )
        return actions

    @classmethod
    def get_forms(cls, request, instance=None):
        data = request.POST if request.method == "POST" else None
        return {
            "form": SalesOrderForm(data, instance=instance),
            "lines": SalesOrderLineFormSet(data, instance=instance or SalesOrder(), prefix="lines"),
        }

    @classmethod
    def forms_to_data(cls, bound, instance=None):
        data = {
            k: v
            for k, v in bound["form"].cleaned_data.items()
            if v not in (None, "") or k in ("notes",)
        }
        if instance is not None:
            data.pop("order_type", None)
        data["lines"] = line_rows(bound["lines"])
        return data

    @classmethod
    def detail_context(cls, request, obj):
        lines = list(
            with_returned_quantity(
                obj.lines.select_related(
                    "item__unit",
                    "warehouse",
                    "sales_tax_code",
                    "purchase_line__order",
                    "returned_line__order",
                    "returned_line__item",
                ).order_by("line_number")
            )
        )
        on_order = {line.item_id for line in lines}
        suggestions = []
        if _open(obj) and request.user.has_perm("orders.change_salesorder"):
            seen = set()
            for line in lines:
                for rule in sales_suggestions(
                    item=line.item,
                    customer=obj.customer,
                    quantity=line.quantity,
                    line_amount=line.line_amount,
                ):
                    if rule.suggested_item_id not in on_order and rule.pk not in seen:
                        seen.add(rule.pk)
                        suggestions.append({"rule": rule, "line": line})
        return {
            "lines": lines,
            "total": sum((line.line_amount for line in lines), Decimal(0)),
            "deliverable": [line for line in lines if line.deliver_remainder > 0],
            "can_deliver": _can_deliver(obj, request.user),
            # Invoicing an order that waits for approval is refused (approval_pending): no button.
            "approval_refusal": approval.approval_refusal(obj),
            "packing_slips": obj.packing_slips.prefetch_related("lines__order_line"),
            "suggestions": suggestions,
            "picking": orders.picking_list(obj)
            if obj.document_status == SalesOrder.DocumentStatus.PICKING_LIST
            else None,
            **_purchase_context(request, obj, lines),
            **promising_context(obj, lines),
        }

    @classmethod
    def urls(cls):
        from .views_entry import OrderEntryView, entry_urls

        return [
            *entry_urls(cls, OrderEntryView),
            *_without_entry_pages(cls, super().urls()),
            path(
                f"{cls.slug}/<int:pk>/packing-slip/",
                post_packing_slip,
                name="sales-orders-packing-slip",
            ),
            path(
                f"{cls.slug}/<int:pk>/add-suggestion/<int:rule>/",
                add_suggestion,
                name="sales-orders-add-suggestion",
            ),
            path(
                f"{cls.slug}/lines/<int:pk>/quantity/",
                line_quantity,
                name="sales-orders-line-quantity",
            ),
            path(
                f"{cls.slug}/lines/<int:pk>/cancel-remainder/",
                cancel_remainder,
                name="sales-orders-cancel-remainder",
            ),
            path(
                f"{cls.slug}/lines/<int:pk>/purchase/",
                purchase_line,
                name="sales-orders-line-purchase",
            ),
        ]


def _without_entry_pages(resource, urls: list) -> list:
    """The generic pages of `resource` but its new and edit pages (the line grid serves them)."""
    entry = {f"{resource.slug}-create", f"{resource.slug}-update"}
    return [url for url in urls if url.name not in entry]


def _detail(pk):
    return HttpResponseRedirect(reverse("orders:sales-orders-detail", args=[pk]))


def _report(request, exc):
    messages.error(request, error_text(exc))


def _delivery_rows(request, order) -> tuple[list[dict], str]:
    """The quantities entered for delivery ({order_line, quantity}), or why they are not."""
    rows = []
    for line in order.lines.select_related("item__unit", "warehouse").order_by("line_number"):
        raw = request.POST.get(f"deliver-{line.pk}", "").strip()
        if not raw:
            continue
        try:
            quantity = parse_number(raw)
        except InvalidOperation:
            return [], gettext("Line %(line)d: not a number.") % {"line": line.line_number}
        if quantity:
            rows.append({"order_line": line, "quantity": quantity})
    return rows, ""


def _packing_slip_review(request, order, rows: list[dict], error: str = ""):
    """What posting will ship (lines, items, warehouses, quantities) and the stock it would take
    below zero: a shortfall that refuses leaves nothing to confirm, one that warns is shipped
    only when the clerk ticks "Ship anyway". The panel for htmx, else a page of its own."""
    from django.shortcuts import render

    from inventory.services import stock

    shortfalls = (
        []
        if order.is_return or error
        else stock.shortfalls(
            (row["order_line"].item, row["order_line"].warehouse, row["quantity"]) for row in rows
        )
    )
    return render(
        request,
        "orders/_packing_slip_review.html" if request.htmx else "orders/packing_slip_review.html",
        {
            "obj": order,
            "rows": [
                {
                    "line": row["order_line"],
                    "quantity": row["quantity"],
                    "left": row["order_line"].deliver_remainder - row["quantity"],
                }
                for row in rows
            ],
            "refused": [s for s in shortfalls if s.policy == "refuse"],
            "warned": [s for s in shortfalls if s.policy == "warn"],
            "error": error,
        },
    )


@login_required
@permission_required("orders.add_packingslip", raise_exception=True)
@require_POST
def post_packing_slip(request, pk):
    """Post the quantities entered on the order page (prefilled with the remainders) in two
    steps: first what will ship is shown (`_packing_slip_review`), and only its own "Confirm and
    post" (`confirm`) posts. So Enter in a field of the page never ships anything."""
    order = get_object_or_404(SalesOrder.objects.select_related("customer__party"), pk=pk)
    rows, error = _delivery_rows(request, order)
    if error or "confirm" not in request.POST:
        return _packing_slip_review(request, order, rows, error)
    try:
        slip = delivery.packing_slip_post(
            order=order,
            lines=rows,
            actor=request.user,
            accept_shortfall=request.POST.get("accept_shortfall") == "1",
        )
    except (DomainError, ValidationError) as exc:
        # e.g. stock taken meanwhile: the confirmation again, with the reason and today's stock
        return _packing_slip_review(request, order, rows, error_text(exc))
    messages.success(request, gettext("Packing slip %(number)s posted.") % {"number": slip.number})
    return _detail(pk)


@login_required
@permission_required("orders.change_salesorder", raise_exception=True)
@require_POST
def add_suggestion(request, pk, rule):
    """Add a suggested item (up-sell or cross-sell) as a new line of the order."""
    from agreements.models import SellRule

    order = get_object_or_404(SalesOrder, pk=pk)
    suggestion = get_object_or_404(SellRule, pk=rule)
    source = order.lines.filter(item=suggestion.item).select_related("warehouse").first()
    try:
        orders.sales_order_line_add(
            order=order,
            data={
                "item": suggestion.suggested_item,
                "warehouse": source.warehouse if source else None,
                "quantity": source.quantity if source else Decimal(1),
            },
            actor=request.user,
        )
    except (DomainError, ValidationError) as exc:
        _report(request, exc)
        return _detail(pk)
    messages.success(request, gettext("%(item)s added.") % {"item": suggestion.suggested_item})
    return _detail(pk)


@login_required
@permission_required("orders.change_salesorder", raise_exception=True)
@require_POST
def cancel_remainder(request, pk):
    line = get_object_or_404(SalesOrderLine, pk=pk)
    try:
        orders.sales_order_cancel_remainder(line=line, actor=request.user)
    except (DomainError, ValidationError) as exc:
        _report(request, exc)
    return _detail(line.order_id)


def _purchase_context(request, order, lines) -> dict:
    """Drop-shipment and special-order lines not purchased yet get a Purchase button (not while
    the order may not commit the company, `commit_refusal`: the service refuses it)."""
    from crm.models import Vendor

    to_purchase = [line.pk for line in lines if supply.line_purchasable(line)]
    can_purchase = (
        bool(to_purchase)
        and supply.order_purchasable(order)
        and commit_refusal(order) is None
        and request.user.has_perms(["orders.change_salesorder", "inventory.add_purchaseorder"])
    )
    return {
        "can_purchase": can_purchase,
        "to_purchase": to_purchase if can_purchase else [],
        "vendors": list(Vendor.objects.select_related("party").filter(blocked=False))
        if can_purchase
        else [],
    }


@login_required
@permission_required(
    ["orders.change_salesorder", "inventory.add_purchaseorder"], raise_exception=True
)
@require_POST
def purchase_line(request, pk):
    """Purchase a drop-shipment or special-order line from its item's primary vendor or the
    vendor chosen."""
    from crm.models import Vendor

    line = get_object_or_404(SalesOrderLine, pk=pk)
    vendor_id = request.POST.get("vendor", "").strip()
    vendor = get_object_or_404(Vendor, pk=vendor_id) if vendor_id.isdigit() else None
    try:
        purchase = supply.sales_line_purchase(line=line, vendor=vendor, actor=request.user)
    except (DomainError, ValidationError) as exc:
        _report(request, exc)
        return _detail(line.order_id)
    messages.success(
        request,
        gettext("Line %(line)d is purchased on %(purchase)s.")
        % {"line": line.line_number, "purchase": purchase.order.number},
    )
    return _detail(line.order_id)


class SalesQuotationViews(RecordViews):
    model = SalesQuotation
    namespace = "orders"
    slug = "quotations"
    icon = "bi-file-earmark-text"
    detail_template = "orders/quotation_detail.html"
    columns = [
        Column(_("number"), "number", link=True, sort="number"),
        Column(_("customer or prospect"), "party.name", link=True, sort="party__name"),
        Column(_("status"), status_badge(), sort="status"),
        Column(_("expiry date"), "expiry_date", sort="expiry_date"),
        Column(_("revision"), "revision", align="end"),
        Column(_("total"), money("list_total"), align="end", sort="list_total"),
        Column(_("sales order"), "sales_order.number"),
        Column(_("created at"), "created_at", sort="created_at"),
    ]

    @classmethod
    def list_queryset(cls, request, queryset):
        return with_lines_total(queryset, SalesQuotationLine, "quotation")

    search_fields = ["number", "party__name", "customer_reference"]
    filter_fields = ["status"]

    @classmethod
    def filterset_class(cls):
        # the work queues the role centre's cues open (`?queue=...`)
        return list_filters.quotation_filterset(super().filterset_class())

    detail_fields = [
        "number",
        "party",
        "status",
        "approval_status",
        "approval_reason",
        "currency",
        "expiry_date",
        "requested_ship_date",
        "customer_reference",
        "revision",
        "lost_reason",
        "sales_order",
        "notes",
        "created_at",
        "sent_at",
        "closed_at",
    ]
    create_service = quotations.quotation_create
    update_service = quotations.quotation_update
    actions = [
        *APPROVAL_ACTIONS,
        RecordAction(
            "send",
            _("Send"),
            lambda q, user, data: quotations.quotation_send(quotation=q, actor=user),
            icon="bi-send",
        ),
        RecordAction(
            "confirm",
            _("Confirm"),
            lambda q, user, data: quotations.quotation_confirm(quotation=q, actor=user),
            style="success",
            icon="bi-check2-circle",
            redirect=lambda q, order: reverse("orders:sales-orders-detail", args=[order.pk]),
        ),
        RecordAction(
            "lose",
            _("Lost"),
            lambda q, user, data: quotations.quotation_lose(
                quotation=q, reason=data["reason"], actor=user
            ),
            form_class=ReasonForm,
            style="outline-danger",
            icon="bi-hand-thumbs-down",
        ),
        RecordAction(
            "cancel",
            _("Cancel"),
            lambda q, user, data: quotations.quotation_cancel(quotation=q, actor=user),
            style="outline-secondary",
            icon="bi-x-circle",
            confirm=_("Cancel the quotation?"),
        ),
    ]

    @classmethod
    def get_queryset(cls):
        return SalesQuotation.objects.select_related("party", "currency", "sales_order")

    @classmethod
    def get_forms(cls, request, instance=None):
        data = request.POST if request.method == "POST" else None
        return {
            "form": SalesQuotationForm(data, instance=instance),
            "lines": quotation_line_formset()(
                data, instance=instance or SalesQuotation(), prefix="lines"
            ),
        }

    @classmethod
    def forms_to_data(cls, bound, instance=None):
        data = {
            k: v
            for k, v in bound["form"].cleaned_data.items()
            if v not in (None, "") or k == "notes"
        }
        data["lines"] = line_rows(bound["lines"])
        return data

    @classmethod
    def detail_context(cls, request, obj):
        lines = list(obj.lines.select_related("item__unit", "warehouse").order_by("line_number"))
        return {"lines": lines, "total": sum((line.line_amount for line in lines), Decimal(0))}

    @classmethod
    def urls(cls):
        from .views_entry import QuotationEntryView, entry_urls

        return [*entry_urls(cls, QuotationEntryView), *_without_entry_pages(cls, super().urls())]


class ProjectViews(RecordViews):
    model = Project
    namespace = "orders"
    slug = "projects"
    icon = "bi-kanban"
    columns = [
        Column(_("number"), "number", link=True, sort="number"),
        Column(_("name"), "name", link=True, sort="name"),
        Column(_("customer"), "customer.party.name", sort="customer__party__name"),
        Column(_("item requirements order"), "item_requirements_order.number"),
    ]
    search_fields = ["number", "name", "customer__party__name"]
    detail_fields = ["number", "name", "customer", "item_requirements_order", "created_at"]
    form_class = None
    create_service = projects.project_create
    actions = [
        RecordAction(
            "record-item-sale",
            _("Record an item sale"),
            lambda p, user, data: projects.project_record_item_sale(project=p, actor=user, **data),
            form_class=ItemSaleForm,
            icon="bi-plus-lg",
        ),
    ]

    @classmethod
    def get_queryset(cls):
        return Project.objects.select_related("customer__party", "item_requirements_order")

    @classmethod
    def get_forms(cls, request, instance=None):
        from django import forms as django_forms

        form = django_forms.modelform_factory(Project, fields=["name", "customer"])
        return {"form": form(request.POST if request.method == "POST" else None, instance=instance)}


@login_required
@permission_required("orders.approve_documents", raise_exception=True)
def approval_queue(request):
    """The sales manager's queue: quotations and orders waiting for approval."""
    from django.shortcuts import render

    return render(
        request,
        "orders/approval_queue.html",
        {
            "orders": SalesOrder.objects.filter(approval_status="pending")
            .select_related("customer__party")
            .order_by("created_at", "pk"),
            "quotations": SalesQuotation.objects.filter(approval_status="pending")
            .select_related("party")
            .order_by("created_at", "pk"),
        },
    )


@login_required
@permission_required("orders.change_salesorder", raise_exception=True)
@require_POST
def line_quantity(request, pk):
    """Change a line's quantity in place (htmx, its own form: Enter saves this quantity and
    nothing else): only that line is written (`sales_order_line_change`), repriced, and its row
    comes back. The service writes the change to the order's history. Without htmx the order page comes back with the outcome."""
    from django.shortcuts import render

    line = get_object_or_404(SalesOrderLine.objects.select_related("order"), pk=pk)
    order = line.order
    error = ""
    try:
        quantity = parse_number(request.POST.get(f"quantity-{pk}", ""))
        orders.sales_order_line_change(line=line, data={"quantity": quantity}, actor=request.user)
    except InvalidOperation:
        error = gettext("Not a number.")
    except (DomainError, ValidationError) as exc:
        error = error_text(exc)
    if not request.htmx:
        if error:
            messages.error(
                request,
                gettext("Line %(line)d: %(error)s") % {"line": line.line_number, "error": error},
            )
        return _detail(order.pk)
    line = SalesOrderLine.objects.select_related("item__unit", "warehouse").get(pk=pk)
    order.refresh_from_db()
    return render(
        request,
        "orders/_line_row.html",
        {
            "line": line,
            "obj": order,
            "can_change": True,
            "editable": SALES_ORDER.refusal(order, "update") is None,
            "can_deliver": _can_deliver(order, request.user),
            "line_error": error,
        },
    )
