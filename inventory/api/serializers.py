from rest_framework import serializers

from ..models import Item, ItemDiscountGroup, Unit, Warehouse


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
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"item_number": {"required": False}}


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "street", "postal_code", "city", "country", "active"]
