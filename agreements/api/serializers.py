from rest_framework import serializers

from crm.models import Customer
from inventory.models import Item
from salesmkt.core.api.actions import AllowedActionsField
from salesmkt.core.api.lines import document_lines
from salesmkt.core.dates import BoundedDatesMixin
from salesmkt.finance.models import Currency

from .. import actions  # noqa: F401  (the declarations `allowed_actions` reads)
from ..models import SalesAgreement, SalesAgreementLine, SellRule, TradeAgreement


class TradeAgreementSerializer(BoundedDatesMixin, serializers.ModelSerializer):
    class Meta:
        model = TradeAgreement
        fields = [
            "id",
            "kind",
            "customer_scope",
            "customer",
            "price_group",
            "item_scope",
            "item",
            "discount_group",
            "quantity_from",
            "quantity_to",
            "amount",
            "percent",
            "currency",
            "valid_from",
            "valid_to",
            "note",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class SalesAgreementLineSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)

    class Meta:
        model = SalesAgreementLine
        fields = [
            "id",
            "item",
            "committed_quantity",
            "committed_amount",
            "unit_price",
            "discount_percent",
            "released_quantity",
            "released_amount",
            "delivered_quantity",
            "delivered_amount",
            "invoiced_quantity",
            "invoiced_amount",
        ]
        read_only_fields = [
            "released_quantity",
            "released_amount",
            "delivered_quantity",
            "delivered_amount",
            "invoiced_quantity",
            "invoiced_amount",
        ]


class FulfilmentSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=["quantity", "amount"])
    committed = serializers.DecimalField(max_digits=20, decimal_places=4)
    released = serializers.DecimalField(max_digits=20, decimal_places=4)
    delivered = serializers.DecimalField(max_digits=20, decimal_places=4)
    invoiced = serializers.DecimalField(max_digits=20, decimal_places=4)
    remaining = serializers.DecimalField(max_digits=20, decimal_places=4)


class SalesAgreementSerializer(BoundedDatesMixin, serializers.ModelSerializer):
    lines = document_lines(SalesAgreementLineSerializer(), required=False)
    customer_name = serializers.CharField(source="customer.party.name", read_only=True)
    fulfilment = serializers.SerializerMethodField()
    allowed_actions = AllowedActionsField(SalesAgreement)

    class Meta:
        model = SalesAgreement
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "description",
            "status",
            "effective_date",
            "expiration_date",
            "commitment_type",
            "total_commitment",
            "currency",
            "over_release_tolerance",
            "owner",
            "lines",
            "fulfilment",
            "allowed_actions",
            "created_at",
            "closed_at",
        ]
        read_only_fields = ["number", "status", "created_at", "closed_at"]
        extra_kwargs = {"currency": {"required": False}}

    def get_fulfilment(self, agreement) -> FulfilmentSerializer:
        from ..services.sales_agreements import fulfilment

        summary = fulfilment(agreement)
        total = summary["total"]
        keys = ("committed", "released", "delivered", "invoiced", "remaining")
        return FulfilmentSerializer(
            {"measure": summary["measure"], **{key: total[key] for key in keys}}
        ).data


class SellRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = SellRule
        fields = [
            "id",
            "item",
            "kind",
            "suggested_item",
            "customer_group",
            "min_quantity",
            "min_line_amount",
            "pitch",
            "priority",
            "active",
        ]


class PriceLookupQuerySerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.select_related("currency")
    )
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all())
    quantity = serializers.DecimalField(max_digits=20, decimal_places=4, min_value=0, default=1)
    date = serializers.DateField(required=False)
    currency = serializers.SlugRelatedField(
        slug_field="code", queryset=Currency.objects.all(), required=False
    )
    sales_agreement = serializers.PrimaryKeyRelatedField(
        queryset=SalesAgreement.objects.all(), required=False
    )


class PriceLookupResultSerializer(serializers.Serializer):
    unit_price = serializers.DecimalField(max_digits=20, decimal_places=4)
    discount_amount = serializers.DecimalField(max_digits=20, decimal_places=4)
    discount_percent = serializers.DecimalField(max_digits=7, decimal_places=2)
    line_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    currency = serializers.CharField()
    price_source = serializers.ChoiceField(
        choices=["sales_agreement", "trade_agreement", "base_price"]
    )
    price_record = serializers.IntegerField(allow_null=True)
    discount_source = serializers.ChoiceField(
        choices=["sales_agreement", "trade_agreement", "none"]
    )
    discount_record = serializers.IntegerField(allow_null=True)


class SuggestionQuerySerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all())
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all(), required=False)
    quantity = serializers.DecimalField(max_digits=20, decimal_places=4, min_value=0, default=1)
    line_amount = serializers.DecimalField(max_digits=20, decimal_places=2, required=False)


class SuggestionSerializer(serializers.Serializer):
    rule = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    item = serializers.IntegerField(source="suggested_item.pk")
    item_number = serializers.CharField(source="suggested_item.item_number")
    item_name = serializers.CharField(source="suggested_item.name")
    pitch = serializers.CharField()
    priority = serializers.IntegerField()
