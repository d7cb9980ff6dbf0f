from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from salesmkt.core.api.viewsets import ServiceModelViewSet

from ..models import Item, ItemDiscountGroup, PurchaseOrder, PurchaseOrderLine, Unit, Warehouse
from ..services import items, purchasing
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


class PurchaseOrderViewSet(ServiceModelViewSet):
    """Purchase orders to vendors, lines nested. Receipts, vendor shipments (drop shipments) and
    cancelling are POST actions; a refusal answers 409 with the service's code (over_receipt,
    drop_shipment_mismatch, purchase_order_closed...)."""

    queryset = PurchaseOrder.objects.select_related("vendor__party").prefetch_related(
        Prefetch(
            "lines",
            queryset=PurchaseOrderLine.objects.order_by("line_number").prefetch_related(
                "sales_lines"
            ),
        )
    )
    serializer_class = serializers.PurchaseOrderSerializer
    filterset_fields = {
        "vendor": ["exact"],
        "status": ["exact"],
        "drop_shipment": ["exact"],
        "expected_receipt_date": ["exact", "gte", "lte"],
        "order_date": ["gte", "lte"],
    }
    search_fields = ["number", "vendor__party__name", "vendor__account_number", "vendor_reference"]
    ordering_fields = ["number", "order_date", "expected_receipt_date", "created_at"]
    create_service = purchasing.purchase_order_create
    update_service = purchasing.purchase_order_update
    delete_service = purchasing.purchase_order_delete

    def _respond(self, order):
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(
        request=serializers.ReceiptSerializer,
        responses={200: serializers.PurchaseOrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """Post a receipt into our warehouses: the lines and quantities given, or everything
        still expected. Partial receipts are allowed; over-receipt answers 409 over_receipt."""
        data = self.validated(serializers.ReceiptSerializer)
        return self._respond(
            purchasing.purchase_order_receive(
                order=self.get_object(),
                lines=data.get("lines"),
                on=data.get("date"),
                actor=request.user,
            )
        )

    @extend_schema(
        request=serializers.ReceiptSerializer,
        responses={200: serializers.PurchaseOrderSerializer},
    )
    @action(detail=True, methods=["post"], url_path="register-shipment")
    def register_shipment(self, request, pk=None):
        """A drop shipment's vendor shipped to the customer: the linked sales order lines are
        delivered, nothing moves in our warehouses."""
        data = self.validated(serializers.ReceiptSerializer)
        return self._respond(
            purchasing.purchase_order_register_shipment(
                order=self.get_object(),
                lines=data.get("lines"),
                on=data.get("date"),
                actor=request.user,
            )
        )

    @extend_schema(request=None, responses={200: serializers.PurchaseOrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Nothing more is expected from the vendor."""
        return self._respond(
            purchasing.purchase_order_cancel(order=self.get_object(), actor=request.user)
        )
