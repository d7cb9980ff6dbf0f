from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from salesmkt.core.ui import Column, RecordViews, simple_views

from .forms import ITEM_FIELDS, WAREHOUSE_FIELDS, ItemForm, WarehouseForm
from .models import Item, ItemDiscountGroup, NegativeStockPolicy, Unit, Warehouse
from .services import items, stock


def _negative_stock_policy_text(item: Item) -> str:
    """The item's own policy, or which warehouse policy it follows."""
    if item.negative_stock_policy:
        return item.get_negative_stock_policy_display()
    return _("The warehouse's policy")


@dataclass(frozen=True)
class WarehouseStock:
    warehouse: Warehouse
    on_hand: Decimal
    policy: str


class ItemViews(RecordViews):
    model = Item
    namespace = "inventory"
    slug = "items"
    icon = "bi-box-seam"
    columns = [
        Column(_("item number"), "item_number", link=True, sort="item_number"),
        Column(_("name"), "name", link=True, sort="name"),
        Column(_("item type"), "item_type", sort="item_type"),
        Column(_("unit"), "unit.code"),
        Column(_("base sales price"), "base_sales_price", align="end", sort="base_sales_price"),
        Column(_("sales tax code"), "sales_tax_code.code"),
        Column(_("discount group"), "discount_group.code"),
    ]
    search_fields = ["item_number", "name", "description"]
    filter_fields = ["item_type", "discount_group", "sales_tax_code", "blocked"]
    detail_fields = [
        *(name for name in ITEM_FIELDS if name != "negative_stock_policy"),
        (_("negative stock policy"), _negative_stock_policy_text),
    ]
    form_class = ItemForm
    create_service = items.item_create
    update_service = items.item_update

    @classmethod
    def related_sections(cls, obj):
        if not obj.is_stocked:
            return []
        rows = [
            WarehouseStock(
                warehouse=warehouse,
                on_hand=on_hand,
                policy=NegativeStockPolicy(obj.negative_stock_policy_in(warehouse)).label,
            )
            for warehouse, on_hand in stock.on_hand_by_warehouse(obj)
        ]
        return [
            {
                "title": _("On hand"),
                "columns": [
                    Column(_("warehouse"), "warehouse"),
                    Column(_("on hand"), "on_hand", align="end"),
                    Column(_("negative stock policy"), "policy"),
                ],
                "rows": rows,
            }
        ]

    @classmethod
    def get_queryset(cls):
        return Item.objects.select_related(
            "unit", "sales_tax_code", "discount_group", "primary_vendor__party"
        )


WarehouseViews = simple_views(
    Warehouse,
    namespace="inventory",
    slug="warehouses",
    fields=WAREHOUSE_FIELDS,
    list_fields=["code", "name", "city", "active", "negative_stock_policy"],
    search_fields=["code", "name", "city"],
    filter_fields=["active", "negative_stock_policy"],
)
WarehouseViews.form_class = WarehouseForm
UnitViews = simple_views(
    Unit,
    namespace="inventory",
    slug="units",
    fields=["code", "name", "un_ece_code"],
    search_fields=["code", "name"],
)
ItemDiscountGroupViews = simple_views(
    ItemDiscountGroup,
    namespace="inventory",
    slug="item-discount-groups",
    fields=["code", "name"],
    search_fields=["code", "name"],
)
