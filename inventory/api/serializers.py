from rest_framework import serializers

from salesmkt.core.api.actions import AllowedActionsField
from salesmkt.core.api.lines import document_lines

from .. import actions  # noqa: F401  (the declarations `allowed_actions` reads)
from ..models import Item, ItemDiscountGroup, PurchaseOrder, PurchaseOrderLine, Unit, Warehouse


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "code", "name", "un_ece_code"]


class ItemDiscountGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemDiscountGroup
        fields = ["id", "code", "name"]


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = [
            "id",
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
            "negative_stock_policy",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"item_number": {"required": False}}


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = [
            "id",
            "code",
            "name",
            "street",
            "postal_code",
            "city",
            "country",
            "active",
            "negative_stock_policy",
        ]


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)
    is_late = serializers.BooleanField(
        read_only=True, help_text="Something is still expected and its receipt date has passed."
    )
    sales_lines = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text="The sales order lines this line supplies (drop shipments, special orders).",
    )

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "line_number",
            "item",
            "warehouse",
            "quantity",
            "unit_cost",
            "expected_receipt_date",
            "received_quantity",
            "receive_remainder",
            "status",
            "is_late",
            "sales_lines",
        ]
        read_only_fields = ["line_number", "received_quantity", "receive_remainder", "status"]
        extra_kwargs = {
            "unit_cost": {"required": False},
            "expected_receipt_date": {"required": False},
        }


class PurchaseOrderSerializer(serializers.ModelSerializer):
    lines = document_lines(PurchaseOrderLineSerializer(), required=False)
    vendor_name = serializers.CharField(source="vendor.party.name", read_only=True)
    allowed_actions = AllowedActionsField(PurchaseOrder)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "vendor",
            "vendor_name",
            "status",
            "order_date",
            "expected_receipt_date",
            "drop_shipment",
            "ship_to_name",
            "ship_to_street",
            "ship_to_postal_code",
            "ship_to_city",
            "ship_to_country",
            "vendor_reference",
            "notes",
            "lines",
            "allowed_actions",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["number", "status", "created_by", "created_at"]


class ReceiptLineSerializer(serializers.Serializer):
    line = serializers.PrimaryKeyRelatedField(queryset=PurchaseOrderLine.objects.all())
    quantity = serializers.DecimalField(max_digits=20, decimal_places=4)


class ReceiptSerializer(serializers.Serializer):
    """What arrived (or, for a drop shipment, what the vendor shipped)."""

    lines = ReceiptLineSerializer(
        many=True,
        required=False,
        help_text="The lines and quantities; left out: everything still expected.",
    )
    date = serializers.DateField(required=False, help_text="Left out: today.")
