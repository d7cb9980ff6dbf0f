from rest_framework import serializers

from orders.models import PackingSlip, SalesOrder

from ..models import Invoice, InvoiceLine


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "line_number",
            "order_line",
            "packing_slip",
            "item",
            "ledger_account",
            "description",
            "quantity",
            "unit_price",
            "discount_amount",
            "discount_percent",
            "sales_tax_code",
            "line_amount",
        ]
        read_only_fields = ["line_number", "order_line", "packing_slip", "item", "line_amount"]
        extra_kwargs = {
            "discount_amount": {"required": False},
            "discount_percent": {"required": False},
        }


class InvoiceSerializer(serializers.ModelSerializer):
    lines = InvoiceLineSerializer(many=True, required=False)
    customer_name = serializers.CharField(source="customer.party.name", read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "kind",
            "number",
            "status",
            "customer",
            "customer_name",
            "sales_order",
            "packing_slips",
            "currency",
            "invoice_date",
            "due_date",
            "net_amount",
            "tax_amount",
            "total_amount",
            "payment_state",
            "voucher",
            "notes",
            "lines",
            "created_at",
            "posted_at",
        ]
        read_only_fields = [
            "number",
            "status",
            "sales_order",
            "packing_slips",
            "due_date",
            "net_amount",
            "tax_amount",
            "total_amount",
            "payment_state",
            "voucher",
            "created_at",
            "posted_at",
        ]
        extra_kwargs = {"currency": {"required": False}}

    def validate(self, attrs):
        if (
            self.instance is None
            and attrs.get("kind", Invoice.Kind.FREE_TEXT) == Invoice.Kind.CUSTOMER
        ):
            raise serializers.ValidationError(
                {"kind": ["Customer invoices are made from an order or packing slips."]}
            )
        return attrs


class FromOrderSerializer(serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField(queryset=SalesOrder.objects.all())
    ordered_quantities = serializers.BooleanField(default=False)
    pro_forma = serializers.BooleanField(default=False)


class FromPackingSlipsSerializer(serializers.Serializer):
    packing_slips = serializers.PrimaryKeyRelatedField(
        queryset=PackingSlip.objects.all(), many=True
    )


class PostSerializer(serializers.Serializer):
    invoice_date = serializers.DateField(required=False)


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        from ..models import Payment

        model = Payment
        fields = [
            "id",
            "number",
            "customer",
            "date",
            "amount",
            "unapplied",
            "reference",
            "currency",
            "voucher",
            "created_at",
        ]
        read_only_fields = ["number", "unapplied", "voucher", "created_at"]
        extra_kwargs = {"currency": {"required": False}}


class ApplySerializer(serializers.Serializer):
    from ..models import CustomerTransaction

    item = serializers.PrimaryKeyRelatedField(queryset=CustomerTransaction.objects.all())
    amount = serializers.DecimalField(max_digits=20, decimal_places=2, required=False)


class OpenItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    invoice = serializers.CharField(source="invoice.number", default="")
    date = serializers.DateField()
    due_date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    remaining = serializers.DecimalField(max_digits=20, decimal_places=2)


class ReceivablesSerializer(serializers.Serializer):
    balance = serializers.DecimalField(max_digits=20, decimal_places=2)
    unapplied_payments = serializers.DecimalField(max_digits=20, decimal_places=2)
    open_items = OpenItemSerializer(many=True)
    aging = serializers.DictField(child=serializers.DecimalField(max_digits=20, decimal_places=2))


class SendSerializer(serializers.Serializer):
    email_to = serializers.EmailField(required=False, help_text="Empty: the customer's address.")
