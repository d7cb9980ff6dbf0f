"""Backorders by item, by customer and by vendor (read-only, paginated, constant queries)."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.models import Customer, Vendor
from inventory.models import Item, Warehouse
from salesmkt.core.api.filters import refuse_unknown_query_parameters
from salesmkt.core.api.permissions import require_perms

from ..selectors import backorders
from ..selectors.backorders import days_late

VIEW_BACKORDERS = "orders.view_salesorder"
QUANTITY = {"max_digits": 20, "decimal_places": 4}


def _ordering_field(keys) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=[*keys, *(f"-{key}" for key in keys)],
        required=False,
        allow_blank=True,
        help_text="The field to order by; a leading `-` orders descending.",
    )


class BackorderQuery(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=100)
    only_late = serializers.BooleanField(
        required=False, default=False, help_text="Only what is past its date."
    )


class ByItemQuery(BackorderQuery):
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, allow_null=True
    )
    only_short = serializers.BooleanField(
        required=False, default=False, help_text="Only items whose stock and purchases fall short."
    )
    ordering = _ordering_field(backorders.BY_ITEM_ORDERING)


class ByCustomerQuery(BackorderQuery):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(), required=False, allow_null=True
    )
    ordering = _ordering_field(backorders.BY_CUSTOMER_ORDERING)


class ByVendorQuery(BackorderQuery):
    vendor = serializers.PrimaryKeyRelatedField(
        queryset=Vendor.objects.all(), required=False, allow_null=True
    )
    ordering = _ordering_field(backorders.BY_VENDOR_ORDERING)


class ItemDetailQuery(serializers.Serializer):
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, allow_null=True
    )


class BackorderItemSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    item_number = serializers.CharField()
    item_name = serializers.CharField()
    warehouse = serializers.IntegerField()
    warehouse_code = serializers.CharField()
    orders = serializers.IntegerField(help_text="Sales orders waiting for the item.")
    lines = serializers.IntegerField()
    demand = serializers.DecimalField(**QUANTITY, help_text="Deliver remainders.")
    late_lines = serializers.IntegerField()
    late_demand = serializers.DecimalField(
        **QUANTITY, help_text="Of the demand, what is past its requested ship date."
    )
    first_requested = serializers.DateField()
    on_hand = serializers.DecimalField(**QUANTITY)
    reserved = serializers.DecimalField(**QUANTITY)
    expected = serializers.DecimalField(**QUANTITY, help_text="Open purchase receipts.")
    next_receipt = serializers.DateField(allow_null=True)
    shortfall = serializers.DecimalField(
        **QUANTITY, help_text="max(0, demand - on-hand - expected)."
    )


class ItemBackorderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    order_number = serializers.CharField(source="order.number")
    line_number = serializers.IntegerField()
    customer = serializers.IntegerField(source="order.customer_id")
    customer_name = serializers.CharField(source="order.customer.party.name")
    warehouse_code = serializers.CharField(source="warehouse.code")
    requested_ship_date = serializers.DateField(source="order.requested_ship_date")
    confirmed_ship_date = serializers.DateField(source="order.confirmed_ship_date", allow_null=True)
    priority = serializers.IntegerField(source="order.priority")
    remaining = serializers.DecimalField(source="deliver_remainder", **QUANTITY)
    reserved = serializers.DecimalField(**QUANTITY)
    supply_type = serializers.CharField()
    days_late = serializers.IntegerField()
    is_late = serializers.BooleanField()


class ExpectedReceiptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    purchase_order = serializers.IntegerField(source="order_id")
    purchase_order_number = serializers.CharField(source="order.number")
    line_number = serializers.IntegerField()
    vendor = serializers.IntegerField(source="order.vendor_id")
    vendor_name = serializers.CharField(source="order.vendor.party.name")
    warehouse_code = serializers.CharField(source="warehouse.code")
    expected_receipt_date = serializers.DateField()
    remaining = serializers.DecimalField(source="receive_remainder", **QUANTITY)
    days_late = serializers.IntegerField()
    is_late = serializers.BooleanField()


class ProjectionPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    demand = serializers.DecimalField(**QUANTITY)
    receipts = serializers.DecimalField(**QUANTITY)
    cumulative_demand = serializers.DecimalField(**QUANTITY)
    cumulative_supply = serializers.DecimalField(**QUANTITY)
    available = serializers.DecimalField(**QUANTITY)
    short = serializers.BooleanField()


class ChartDatasetSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["demand", "supply", "available"])
    values = serializers.ListField(child=serializers.DecimalField(**QUANTITY))


class ChartSerializer(serializers.Serializer):
    labels = serializers.ListField(child=serializers.DateField())
    datasets = ChartDatasetSerializer(many=True)


class ItemBackordersSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item.pk")
    item_number = serializers.CharField(source="item.item_number")
    item_name = serializers.CharField(source="item.name")
    warehouse = serializers.IntegerField(source="warehouse.pk", allow_null=True, default=None)
    order_count = serializers.IntegerField(help_text="Sales orders placed for the item, waiting.")
    demand = serializers.DecimalField(**QUANTITY)
    late_demand = serializers.DecimalField(**QUANTITY)
    on_hand = serializers.DecimalField(**QUANTITY)
    reserved = serializers.DecimalField(**QUANTITY)
    expected = serializers.DecimalField(**QUANTITY)
    shortfall = serializers.DecimalField(**QUANTITY)
    late_receipt_count = serializers.SerializerMethodField(
        help_text="Vendor deliveries past their expected receipt date."
    )
    must_order_more = serializers.BooleanField(
        help_text="Whether the projection goes short on some requested ship date."
    )
    must_order = serializers.DecimalField(
        **QUANTITY, help_text="What more must arrive by `first_short_date` to ship every order."
    )
    first_short_date = serializers.SerializerMethodField()
    lines = ItemBackorderLineSerializer(many=True)
    receipts = ExpectedReceiptSerializer(many=True)
    projection = ProjectionPointSerializer(many=True)
    chart = serializers.SerializerMethodField()

    def get_late_receipt_count(self, obj) -> int:
        return len(obj.late_receipts)

    def get_first_short_date(self, obj) -> str | None:
        point = obj.first_short
        return point.date.isoformat() if point else None

    @extend_schema(responses=ChartSerializer)
    def get_chart(self, obj) -> dict:
        return obj.chart()


class CustomerBackorderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    order_number = serializers.CharField(source="order.number")
    line_number = serializers.IntegerField()
    customer = serializers.IntegerField(source="order.customer_id")
    customer_account = serializers.CharField(source="order.customer.account_number")
    customer_name = serializers.CharField(source="order.customer.party.name")
    item = serializers.IntegerField(source="item_id")
    item_number = serializers.CharField(source="item.item_number")
    item_name = serializers.CharField(source="item.name")
    warehouse_code = serializers.CharField(source="warehouse.code")
    quantity = serializers.DecimalField(**QUANTITY)
    remaining = serializers.DecimalField(source="deliver_remainder", **QUANTITY)
    requested_ship_date = serializers.DateField(source="order.requested_ship_date")
    confirmed_ship_date = serializers.DateField(source="order.confirmed_ship_date", allow_null=True)
    status = serializers.CharField()
    days_late = serializers.SerializerMethodField()
    supply_type = serializers.CharField()
    purchase_order = serializers.SerializerMethodField()
    purchase_expected_date = serializers.SerializerMethodField()

    def get_days_late(self, line) -> int:
        return days_late(line.order.requested_ship_date)

    def get_purchase_order(self, line) -> str | None:
        return line.purchase_line.order.number if line.purchase_line_id else None

    def get_purchase_expected_date(self, line) -> str | None:
        if not line.purchase_line_id:
            return None
        return line.purchase_line.expected_receipt_date.isoformat()


class WaitingSalesLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    order_number = serializers.CharField(source="order.number")
    customer_name = serializers.CharField(source="order.customer.party.name")
    remaining = serializers.DecimalField(source="deliver_remainder", **QUANTITY)
    requested_ship_date = serializers.DateField(source="order.requested_ship_date")
    supply_type = serializers.CharField()


class VendorBackorderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    purchase_order = serializers.IntegerField(source="order_id")
    purchase_order_number = serializers.CharField(source="order.number")
    line_number = serializers.IntegerField()
    vendor = serializers.IntegerField(source="order.vendor_id")
    vendor_account = serializers.CharField(source="order.vendor.account_number")
    vendor_name = serializers.CharField(source="order.vendor.party.name")
    drop_shipment = serializers.BooleanField(source="order.drop_shipment")
    item = serializers.IntegerField(source="item_id")
    item_number = serializers.CharField(source="item.item_number")
    item_name = serializers.CharField(source="item.name")
    warehouse_code = serializers.CharField(source="warehouse.code")
    quantity = serializers.DecimalField(**QUANTITY)
    remaining = serializers.DecimalField(source="receive_remainder", **QUANTITY)
    expected_receipt_date = serializers.DateField()
    days_late = serializers.SerializerMethodField()
    waiting_sales_lines = WaitingSalesLineSerializer(many=True)
    other_backorder_lines = serializers.IntegerField(
        help_text="Other backorder lines of the item in the warehouse waiting for stock."
    )
    other_backorder_quantity = serializers.DecimalField(**QUANTITY)

    def get_days_late(self, line) -> int:
        return days_late(line.expected_receipt_date)


class BackorderListView(ListAPIView):
    """A backorder list: its query parameters (`query_class`) validated and passed to its
    selector."""

    permission_classes = [require_perms(VIEW_BACKORDERS)]
    filter_backends = []
    query_class: type[serializers.Serializer]
    selector: Callable[..., QuerySet]

    def get_queryset(self):
        refuse_unknown_query_parameters(self.request, self, self.query_class)
        query = self.query_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = {key: value for key, value in query.validated_data.items() if value is not None}
        return self.selector(**filters)


@extend_schema(parameters=[ByItemQuery])
class BackordersByItemView(BackorderListView):
    """Items with backorders, per warehouse: orders and lines waiting, demand, late demand,
    on-hand, reserved, expected purchase receipts, next receipt date and shortfall. Drop
    shipments, journals and returns are not backorders."""

    serializer_class = BackorderItemSerializer
    query_class = ByItemQuery
    selector = staticmethod(backorders.backorders_by_item)


@extend_schema(parameters=[ByCustomerQuery])
class BackordersByCustomerView(BackorderListView):
    """The order lines customers still wait for, with their lateness (requested ship date
    passed), supply type and purchase order."""

    serializer_class = CustomerBackorderSerializer
    query_class = ByCustomerQuery
    selector = staticmethod(backorders.backorders_by_customer)


@extend_schema(parameters=[ByVendorQuery])
class BackordersByVendorView(BackorderListView):
    """Purchase lines not yet received, with their lateness and the sales lines waiting on
    them."""

    serializer_class = VendorBackorderSerializer
    query_class = ByVendorQuery
    selector = staticmethod(backorders.backorders_by_vendor)


class BackorderItemView(APIView):
    """One item's backorders (in a warehouse, or all): the waiting lines with their
    reservations, the expected receipts, the time-phased projection (on-hand + receipts up to
    each date - demand up to it), whether and how much more must be ordered, and the chart of
    cumulative demand against cumulative supply."""

    permission_classes = [require_perms(VIEW_BACKORDERS)]

    @extend_schema(parameters=[ItemDetailQuery], responses={200: ItemBackordersSerializer})
    def get(self, request, item: int):
        refuse_unknown_query_parameters(request, self, ItemDetailQuery)
        item = get_object_or_404(Item, pk=item)
        query = ItemDetailQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = backorders.item_backorders(
            item=item, warehouse=query.validated_data.get("warehouse")
        )
        return Response(ItemBackordersSerializer(result).data)
