from django import forms
from django.utils.translation import gettext_lazy as _

from salesmkt.core.ui import Column, RecordViews, simple_views

from .models import Item, ItemDiscountGroup, Unit, Warehouse
from .services import items

ITEM_FIELDS = [
    "item_number",
    "name",
    "description",
    "item_type",
    "unit",
    "base_sales_price",
    "cost_price",
    "sales_tax_code",
    "discount_group",
    "primary_vendor",
    "purchase_lead_time_days",
    "blocked",
]


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
    detail_fields = ITEM_FIELDS
    form_class = forms.modelform_factory(Item, fields=ITEM_FIELDS)
    create_service = items.item_create
    update_service = items.item_update

    @classmethod
    def get_queryset(cls):
        return Item.objects.select_related(
            "unit", "sales_tax_code", "discount_group", "primary_vendor__party"
        )


WarehouseViews = simple_views(
    Warehouse,
    namespace="inventory",
    slug="warehouses",
    fields=["code", "name", "street", "postal_code", "city", "country", "active"],
    list_fields=["code", "name", "city", "active"],
    search_fields=["code", "name", "city"],
    filter_fields=["active"],
)
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
