from django.contrib import admin

from salesmkt.core.admin_base import ReadOnlyAdmin, ServiceAdmin

from .models import InventoryTransaction, Item, ItemDiscountGroup, Unit, Warehouse
from .services import items


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
    ]
    list_filter = ["item_type", "discount_group", "sales_tax_code", "blocked"]
    search_fields = ["item_number", "name", "description"]
    list_select_related = ["unit", "sales_tax_code", "discount_group"]
    autocomplete_fields = ["primary_vendor"]
    create_service = items.item_create
    update_service = items.item_update


@admin.register(Warehouse)
class WarehouseAdmin(ServiceAdmin):
    list_display = ["code", "name", "city", "country", "active"]
    list_filter = ["active", "country"]
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
