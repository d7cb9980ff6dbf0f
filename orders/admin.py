from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.admin import TransitionAdminMixin
from salesmkt.core.admin_base import ReadOnlyAdmin, ServiceAdmin

from .models import (
    AllocationRun,
    AllocationRunLine,
    ApprovalRule,
    PackingSlip,
    PackingSlipLine,
    SalesOrder,
    SalesOrderLine,
    SalesQuotation,
    SalesQuotationLine,
)
from .selectors.returns import with_returned_quantity
from .services import approval, orders, quotations


class SalesOrderLineInline(admin.TabularInline):
    model = SalesOrderLine
    extra = 0
    can_delete = False
    fields = [
        "line_number",
        "item",
        "warehouse",
        "quantity",
        "unit_price",
        "discount_percent",
        "line_amount",
        "delivered_quantity",
        "deliver_remainder",
        "invoice_remainder",
        "status",
        "returned_line",
        "returned_quantity",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return with_returned_quantity(
            super()
            .get_queryset(request)
            .select_related("item", "warehouse", "returned_line__order", "returned_line__item")
        )


@admin.register(SalesOrder)
class SalesOrderAdmin(TransitionAdminMixin, admin.ModelAdmin):
    """Orders are entered in the clerk UI or the API (pricing, inventory, agreements); the admin
    shows them and runs their actions."""

    list_display = [
        "number",
        "customer",
        "order_type",
        "status",
        "document_status",
        "requested_ship_date",
        "rma_number",
        "created_at",
    ]
    list_filter = ["order_type", "status", "document_status"]
    search_fields = [
        "number",
        "rma_number",
        "original_invoice_number",
        "customer__party__name",
        "customer__account_number",
        "customer_reference",
    ]
    list_select_related = ["customer__party"]
    readonly_fields = [f.name for f in SalesOrder._meta.fields]
    inlines = [SalesOrderLineInline]
    actions = ["approve", "confirm", "picking_list", "cancel"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Approve the selected orders"), permissions=["approve_documents"])
    def approve(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda o, user: approval.approve(o, actor=user),
            _("%(count)d orders approved."),
        )

    def has_approve_documents_permission(self, request):
        return request.user.has_perm("orders.approve_documents")

    @admin.action(description=_("Confirm the selected orders"))
    def confirm(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda o, user: orders.sales_order_confirm(order=o, actor=user),
            _("%(count)d orders confirmed."),
        )

    @admin.action(description=_("Produce picking lists for the selected orders"))
    def picking_list(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda o, user: orders.sales_order_picking_list(order=o, actor=user),
            _("%(count)d picking lists produced."),
        )

    @admin.action(description=_("Cancel the selected orders"))
    def cancel(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda o, user: orders.sales_order_cancel(order=o, actor=user),
            _("%(count)d orders canceled."),
        )


class PackingSlipLineInline(admin.TabularInline):
    model = PackingSlipLine
    extra = 0
    readonly_fields = ["order_line", "quantity"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PackingSlip)
class PackingSlipAdmin(ReadOnlyAdmin):
    list_display = ["number", "order", "delivery_date", "posted_at", "posted_by", "invoiced"]
    list_filter = ["invoiced", "delivery_date"]
    search_fields = ["number", "order__number"]
    list_select_related = ["order"]
    inlines = [PackingSlipLineInline]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_packingslip")


class SalesQuotationLineInline(admin.TabularInline):
    model = SalesQuotationLine
    extra = 0
    can_delete = False
    fields = [
        "line_number",
        "item",
        "warehouse",
        "quantity",
        "unit_price",
        "discount_percent",
        "line_amount",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SalesQuotation)
class SalesQuotationAdmin(TransitionAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "party",
        "status",
        "expiry_date",
        "revision",
        "sales_order",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["number", "party__name", "customer_reference"]
    list_select_related = ["party", "sales_order"]
    readonly_fields = [f.name for f in SalesQuotation._meta.fields]
    inlines = [SalesQuotationLineInline]
    actions = ["approve", "send", "cancel"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=_("Approve the selected quotations"), permissions=["approve_documents"]
    )
    def approve(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda q, user: approval.approve(q, actor=user),
            _("%(count)d quotations approved."),
        )

    def has_approve_documents_permission(self, request):
        return request.user.has_perm("orders.approve_documents")

    @admin.action(description=_("Send the selected quotations"))
    def send(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda q, user: quotations.quotation_send(quotation=q, actor=user),
            _("%(count)d quotations sent."),
        )

    @admin.action(description=_("Cancel the selected quotations"))
    def cancel(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda q, user: quotations.quotation_cancel(quotation=q, actor=user),
            _("%(count)d quotations canceled."),
        )


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(ServiceAdmin):
    list_display = ["__str__", "customer", "customer_group", "amount_threshold", "active"]
    list_filter = ["active", "customer_group"]
    search_fields = ["customer__party__name", "note"]
    autocomplete_fields = ["customer"]


class AllocationRunLineInline(admin.TabularInline):
    model = AllocationRunLine
    extra = 0
    can_delete = False
    fields = [
        "reference",
        "order_line",
        "warehouse",
        "deliver_remainder",
        "reserved_before",
        "quantity",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AllocationRun)
class AllocationRunAdmin(ReadOnlyAdmin):
    """Allocation runs are made on the allocation page or through the API; here they are shown."""

    list_display = ["__str__", "item", "warehouse", "method", "created_by", "created_at"]
    list_filter = ["method", "warehouse"]
    search_fields = ["item__item_number", "item__name"]
    list_select_related = ["item", "warehouse", "created_by"]
    inlines = [AllocationRunLineInline]
