from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.models import Vendor
from salesmkt.core.api.actions import AllowedActionsField
from salesmkt.core.api.lines import PrimedRelatedField, document_lines
from salesmkt.core.dates import BoundedDatesMixin

from .. import actions  # noqa: F401  (the declarations `allowed_actions` reads)
from ..models import (
    PackingSlip,
    PackingSlipLine,
    SalesOrder,
    SalesOrderLine,
    SalesQuotation,
)
from ..selectors.customers import with_delivery_address

REPLACE_ALL_LINES = _(
    "The document's lines. Left out, the lines stay as they are. Given (PUT or PATCH), they are "
    "the document's lines from now on: a line named by `id` is changed, a line without `id` is "
    "added and every line the list does not name is removed. To change one line, use the "
    "`lines/` endpoints instead."
)


class SalesOrderLineSerializer(serializers.ModelSerializer):
    serializer_related_field = PrimedRelatedField  # all lines' references read at once
    id = serializers.IntegerField(required=False)
    returned_invoice_line = serializers.IntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        min_value=1,
        help_text=_(
            "For a return line, instead of `returned_line`: the posted invoice line the goods "
            "were sold on (its order line becomes `returned_line`)."
        ),
    )
    returned_quantity = serializers.DecimalField(
        max_digits=20,
        decimal_places=4,
        read_only=True,
        help_text=_(
            "What return orders take back of this line, arrived or still expected (canceled "
            "returns take nothing). At most the invoiced quantity."
        ),
    )

    class Meta:
        model = SalesOrderLine
        fields = [
            "id",
            "line_number",
            "item",
            "description",
            "warehouse",
            "quantity",
            "unit_price",
            "discount_amount",
            "discount_percent",
            "sales_tax_code",
            "line_amount",
            "price_source",
            "agreement_line",
            "deliver_remainder",
            "invoice_remainder",
            "delivered_quantity",
            "invoiced_quantity",
            "status",
            "supply_type",
            "purchase_line",
            "returned_line",
            "returned_invoice_line",
            "returned_quantity",
        ]
        read_only_fields = [
            "purchase_line",
            "line_number",
            "line_amount",
            "price_source",
            "agreement_line",
            "deliver_remainder",
            "invoice_remainder",
            "delivered_quantity",
            "invoiced_quantity",
            "status",
        ]
        extra_kwargs = {
            "unit_price": {"required": False},
            "discount_amount": {"required": False},
            "discount_percent": {"required": False},
            "sales_tax_code": {"required": False},
            "description": {"required": False},
            "warehouse": {
                "required": False,
                "help_text": _("Left out: the customer's default warehouse."),
            },
        }


class SalesOrderLineInputSerializer(SalesOrderLineSerializer):
    """One line of an order, on its own (`/sales-orders/{id}/lines/`)."""

    id = serializers.IntegerField(read_only=True)


class SalesOrderSerializer(BoundedDatesMixin, serializers.ModelSerializer):
    lines = document_lines(SalesOrderLineSerializer(), required=False, help_text=REPLACE_ALL_LINES)
    customer_name = serializers.CharField(source="customer.party.name", read_only=True)
    allowed_actions = AllowedActionsField(SalesOrder)

    class Meta:
        model = SalesOrder
        fields = [
            "id",
            "number",
            "order_type",
            "status",
            "document_status",
            "customer",
            "customer_name",
            "customer_reference",
            "currency",
            "requested_ship_date",
            "confirmed_ship_date",
            "priority",
            "delivery_name",
            "delivery_street",
            "delivery_postal_code",
            "delivery_city",
            "delivery_country",
            "sales_agreement",
            "rma_number",
            "return_reason",
            "original_invoice_number",
            "notes",
            "lines",
            "created_at",
            "confirmed_at",
            "approval_status",
            "approval_reason",
            "period",
            "allowed_actions",
        ]
        read_only_fields = [
            "number",
            "status",
            "document_status",
            "rma_number",
            "created_at",
            "confirmed_at",
            "approval_status",
            "approval_reason",
            "period",
        ]
        extra_kwargs = {
            "currency": {"required": False},
            "requested_ship_date": {
                "required": False,
                "help_text": _("Left out: today plus the customer's shipping lead time."),
            },
        }

    def get_fields(self):
        fields = super().get_fields()
        customer = fields.get("customer")
        if isinstance(customer, serializers.PrimaryKeyRelatedField) and not customer.read_only:
            # what the order takes from its customer (party, currency, address) comes with it
            customer.queryset = with_delivery_address(
                customer.queryset.select_related("party", "currency")
            )
        return fields

    def validate(self, attrs):
        if (
            self.instance is not None
            and "order_type" in attrs
            and attrs["order_type"] != self.instance.order_type
        ):
            raise serializers.ValidationError(
                {"order_type": ["Change the type with POST change-type/."]}
            )
        return attrs


class ChangeTypeSerializer(serializers.Serializer):
    order_type = serializers.ChoiceField(choices=SalesOrder.OrderType.choices)


class CancelRemainderSerializer(serializers.Serializer):
    line = serializers.PrimaryKeyRelatedField(queryset=SalesOrderLine.objects.all())


class LinePurchaseSerializer(serializers.Serializer):
    """Purchase what a drop-shipment or special-order line has left to deliver."""

    order_line = serializers.PrimaryKeyRelatedField(queryset=SalesOrderLine.objects.all())
    vendor = serializers.PrimaryKeyRelatedField(
        queryset=Vendor.objects.all(),
        required=False,
        allow_null=True,
        help_text="Left out: the item's primary vendor.",
    )


class PackingSlipLineSerializer(serializers.ModelSerializer):
    serializer_related_field = PrimedRelatedField  # all lines' order lines read at once

    class Meta:
        model = PackingSlipLine
        fields = ["order_line", "quantity"]


class PackingSlipSerializer(BoundedDatesMixin, serializers.ModelSerializer):
    lines = document_lines(PackingSlipLineSerializer())
    allowed_actions = AllowedActionsField(PackingSlip)
    accept_shortfall = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_(
            "Post although the delivery takes an item whose negative stock policy is `warn` "
            "below zero on hand (without it: 409 `stock_shortfall`). An item or warehouse that "
            "refuses negative stock answers 409 `insufficient_stock` whatever this says."
        ),
    )

    class Meta:
        model = PackingSlip
        fields = [
            "id",
            "number",
            "order",
            "delivery_date",
            "posted_at",
            "posted_by",
            "invoiced",
            "lines",
            "accept_shortfall",
            "allowed_actions",
        ]
        read_only_fields = ["number", "posted_at", "posted_by", "invoiced"]
        extra_kwargs = {"delivery_date": {"required": False}}


class ArrivalSerializer(BoundedDatesMixin, serializers.Serializer):
    lines = document_lines(PackingSlipLineSerializer())
    delivery_date = serializers.DateField(required=False)


class PickingLineSerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    line_number = serializers.IntegerField()
    item = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=20, decimal_places=4)


class SalesQuotationLineSerializer(serializers.ModelSerializer):
    serializer_related_field = PrimedRelatedField  # all lines' references read at once
    id = serializers.IntegerField(required=False)

    class Meta:
        from ..models import SalesQuotationLine

        model = SalesQuotationLine
        fields = [
            "id",
            "line_number",
            "item",
            "description",
            "warehouse",
            "quantity",
            "unit_price",
            "discount_amount",
            "discount_percent",
            "sales_tax_code",
            "line_amount",
            "price_source",
        ]
        read_only_fields = ["line_number", "line_amount", "price_source"]
        extra_kwargs = {
            "unit_price": {"required": False},
            "discount_amount": {"required": False},
            "discount_percent": {"required": False},
            "sales_tax_code": {"required": False},
            "description": {"required": False},
            "warehouse": {
                "required": False,
                "help_text": _("Left out: the customer's default warehouse."),
            },
        }


class SalesQuotationLineInputSerializer(SalesQuotationLineSerializer):
    """One line of a quotation, on its own (`/sales-quotations/{id}/lines/`)."""

    id = serializers.IntegerField(read_only=True)


class SalesQuotationSerializer(BoundedDatesMixin, serializers.ModelSerializer):
    lines = document_lines(
        SalesQuotationLineSerializer(), required=False, help_text=REPLACE_ALL_LINES
    )
    party_name = serializers.CharField(source="party.name", read_only=True)
    allowed_actions = AllowedActionsField(SalesQuotation)

    class Meta:
        model = SalesQuotation
        fields = [
            "id",
            "number",
            "party",
            "party_name",
            "status",
            "currency",
            "expiry_date",
            "requested_ship_date",
            "customer_reference",
            "revision",
            "lost_reason",
            "sales_order",
            "notes",
            "lines",
            "created_at",
            "sent_at",
            "closed_at",
            "approval_status",
            "approval_reason",
            "allowed_actions",
        ]
        read_only_fields = [
            "number",
            "status",
            "revision",
            "lost_reason",
            "sales_order",
            "created_at",
            "sent_at",
            "closed_at",
            "approval_status",
            "approval_reason",
        ]
        extra_kwargs = {
            "currency": {"required": False},
            "requested_ship_date": {
                "required": False,
                "help_text": _("Left out: today plus the customer's shipping lead time."),
            },
            "expiry_date": {
                "required": False,
                "help_text": _("Left out: 30 days from today."),
            },
        }


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        from ..models import Project

        model = Project
        fields = ["id", "number", "name", "customer", "item_requirements_order", "created_at"]
        read_only_fields = ["number", "item_requirements_order", "created_at"]


class ItemSaleSerializer(serializers.Serializer):
    from inventory.models import Item, Warehouse

    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all())
    quantity = serializers.DecimalField(
        max_digits=20, decimal_places=4, min_value=Decimal("0.0001")
    )
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all())


class LineSuggestionSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The order line the suggestion is for.")
    line_number = serializers.IntegerField()
    rule = serializers.IntegerField()
    kind = serializers.CharField()
    item = serializers.IntegerField()
    item_number = serializers.CharField()
    item_name = serializers.CharField()
    pitch = serializers.CharField()
