from salesmkt.core.api.viewsets import ServiceModelViewSet

from ..models import Item, ItemDiscountGroup, Unit, Warehouse
from ..services import items
from . import serializers


class ItemViewSet(ServiceModelViewSet):
    queryset = Item.objects.all()
    serializer_class = serializers.ItemSerializer
    filterset_fields = [
        "item_type",
        "discount_group",
        "sales_tax_code",
        "primary_vendor",
        "blocked",
    ]
    search_fields = ["item_number", "name", "description"]
    ordering_fields = ["item_number", "name", "base_sales_price", "created_at"]
    create_service = items.item_create
    update_service = items.item_update


class WarehouseViewSet(ServiceModelViewSet):
    queryset = Warehouse.objects.all()
    serializer_class = serializers.WarehouseSerializer
    filterset_fields = ["active", "country"]
    search_fields = ["code", "name", "city"]
    ordering_fields = ["code", "name"]


class UnitViewSet(ServiceModelViewSet):
    queryset = Unit.objects.all()
    serializer_class = serializers.UnitSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code"]


class ItemDiscountGroupViewSet(ServiceModelViewSet):
    queryset = ItemDiscountGroup.objects.all()
    serializer_class = serializers.ItemDiscountGroupSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code"]
