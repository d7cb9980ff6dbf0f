from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.admin import TransitionAdminMixin
from salesmkt.core.admin_base import ReadOnlyAdmin, ServiceAdmin

from .models import (
    InventoryTransaction,
    Item,
    ItemDiscountGroup,
    PurchaseOrder,
    PurchaseOrderLine,
    Unit,
    Warehouse,
)
from .services import items, purchasing


@admin.register(Item)
class ItemAdmin(ServiceAdmin):
    list_display = [
        "item_number",
        "name",
        "item_type",
        "unit",
        "base_sales_price",
        "sales_tax_code",
        "discount_group",
        "blocked",
        "negative_stock_policy",
    ]
    list_filter = [
        "item_type",
        "discount_group",
        "sales_tax_code",
        "blocked",
        "negative_stock_policy",
    ]
    search_fields = ["item_number", "name", "description"]
    list_select_related = ["unit", "sales_tax_code", "discount_group"]
    autocomplete_fields = ["primary_vendor"]
    create_service = items.item_create
    update_service = items.item_update


@admin.register(Warehouse)
class WarehouseAdmin(ServiceAdmin):
    list_display = ["code", "name", "city", "country", "active", "negative_stock_policy"]
    list_filter = ["active", "country", "negative_stock_policy"]
    search_fields = ["code", "name", "city"]


@admin.register(Unit)
class UnitAdmin(ServiceAdmin):
    list_display = ["code", "name", "un_ece_code"]
    search_fields = ["code", "name"]


@admin.register(ItemDiscountGroup)
class ItemDiscountGroupAdmin(ServiceAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(InventoryTransaction)
class InventoryTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "date",
        "item",
        "warehouse",
        "quantity",
        "status",
        "reference",
        "invoice_number",
    ]
    list_filter = ["status", "warehouse"]
    search_fields = ["reference", "item__item_number", "item__name", "invoice_number"]
    list_select_related = ["item", "warehouse"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("inventory.view_inventorytransaction")


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    can_delete = False
    fields = [
        "line_number",
        "item",
        "warehouse",
        "quantity",
        "unit_cost",
        "expected_receipt_date",
        "received_quantity",
        "receive_remainder",
        "status",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(TransitionAdminMixin, ServiceAdmin):
    """Purchase orders are entered with their lines in the clerk UI or the API; here the header
    is edited (through the service) and receipts, vendor shipments and cancelling run as
    actions."""

    list_display = [
        "number",
        "vendor",
        "status",
        "drop_shipment",
        "order_date",
        "expected_receipt_date",
        "vendor_reference",
    ]
    list_filter = ["status", "drop_shipment", "expected_receipt_date"]
    search_fields = ["number", "vendor__party__name", "vendor__account_number", "vendor_reference"]
    list_select_related = ["vendor__party"]
    readonly_fields = ["number", "vendor", "status", "drop_shipment", "created_by", "created_at"]
    inlines = [PurchaseOrderLineInline]
    actions = ["receive", "register_shipment", "cancel"]
    update_service = purchasing.purchase_order_update

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_formset(self, request, form, formset, change):
        """The lines are read-only here; they change through the service only."""

    @admin.action(description=_("Receive everything still expected on the selected orders"))
    def receive(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda o, user: purchasing.purchase_order_receive(order=o, actor=user),
            _("%(count)d purchase orders received."),
            action="receive",
        )

    @admin.action(description=_("Register the vendor's shipment of the selected drop shipments"))
    def register_shipment(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda o, user: purchasing.purchase_order_register_shipment(order=o, actor=user),
            _("%(count)d vendor shipments registered."),
            action="register_shipment",
        )

    @admin.action(description=_("Cancel the selected purchase orders"))
    def cancel(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda o, user: purchasing.purchase_order_cancel(order=o, actor=user),
            _("%(count)d purchase orders canceled."),
            action="cancel",
        )
