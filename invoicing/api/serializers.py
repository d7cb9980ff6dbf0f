from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from orders.models import PackingSlip, SalesOrder
from salesmkt.core.api.actions import AllowedActionsField
from salesmkt.core.api.lines import DocumentLines
from salesmkt.core.dates import BoundedDatesMixin

from ..models import (
    DOCUMENT_FIELDS,
    CustomerTransaction,
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceLine,
    Payment,
    PaymentApplication,
)


class _Unresolved:
    """A record named by its primary key, looked up with the others of its lines at once."""

    __slots__ = ("pk",)

    def __init__(self, pk) -> None:
        self.pk = pk


class LookedUpTogetherField(serializers.PrimaryKeyRelatedField):
    """A primary key whose record is looked up together with those of the other lines (one query
    per field for the whole document, `resolve_lines`), not one query per line."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = self.get_queryset().model._meta.pk.to_python(data)
        except (DjangoValidationError, TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if pk is None:
            self.fail("incorrect_type", data_type=type(data).__name__)
        return _Unresolved(pk)


def resolve_lines(serializer: serializers.Serializer, rows: list[dict]) -> list[dict]:
    """Look up the records `rows` (a line each) name by primary key: one query per field of
    `serializer` (the line serializer) for all of them. An unknown key fails its line's field,
    as the field itself would."""
    fields = {
        name: field
        for name, field in serializer.fields.items()
        if isinstance(field, LookedUpTogetherField)
    }
    found = {}
    for name, field in fields.items():
        wanted = {row[name].pk for row in rows if isinstance(row.get(name), _Unresolved)}
        found[name] = field.get_queryset().in_bulk(wanted) if wanted else {}
    errors: list[dict] = []
    for row in rows:
        row_errors = {}
        for name, field in fields.items():
            value = row.get(name)
            if not isinstance(value, _Unresolved):
                continue
            record = found[name].get(value.pk)
            if record is None:
                row_errors[name] = [
                    field.error_messages["does_not_exist"].format(pk_value=value.pk)
                ]
            else:
                row[name] = record
        errors.append(row_errors)
    if any(errors):
        raise serializers.ValidationError(errors)
    return rows


class FreeTextLines(DocumentLines):
    """A document's lines, at most settings.MAX_DOCUMENT_LINES of them, their ledger accounts
    and tax codes looked up together."""

    def to_internal_value(self, data):
        return resolve_lines(self.child, super().to_internal_value(data))


class InvoiceLineSerializer(serializers.ModelSerializer):
    """A line. Given (a free text line), `ledger_account`, `description`, `quantity`,
    `unit_price` and `sales_tax_code` are required."""

    serializer_related_field = LookedUpTogetherField

    def to_internal_value(self, data):
        attrs = super().to_internal_value(data)
        if not isinstance(self.parent, serializers.ListSerializer):  # one line on its own
            try:
                attrs = resolve_lines(self, [attrs])[0]
            except serializers.ValidationError as exc:
                raise serializers.ValidationError(exc.detail[0]) from exc
        return attrs

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
            "price_base_quantity",
            "unit_code",
            "sales_tax_code",
            "line_amount",
        ]
        read_only_fields = ["line_number", "order_line", "packing_slip", "item", "line_amount"]
        extra_kwargs = {
            "discount_amount": {"required": False},
            "discount_percent": {"required": False},
            "price_base_quantity": {"required": False},
            "unit_code": {"required": False},
            "quantity": {
                "help_text": "Negative on a correction line of a free text invoice; never zero."
            },
        }


class AllowanceChargeSerializer(serializers.ModelSerializer):
    """A document-level allowance (`is_charge` false) or charge: `amount`, or `percent` of a
    `base_amount` (the amount is then computed), with a `reason` or `reason_code` (UNTDID 5189
    for allowances, 7161 for charges) and the sales tax code it is taxed with."""

    class Meta:
        model = InvoiceAllowanceCharge
        fields = [
            "id",
            *InvoiceAllowanceCharge.INPUT_FIELDS,
            "tax_rate",
            "tax_category",
        ]
        read_only_fields = ["id", "tax_rate", "tax_category"]
        extra_kwargs = {"amount": {"required": False}}


class InvoiceSerializer(BoundedDatesMixin, serializers.ModelSerializer):
    lines = FreeTextLines(
        child=InvoiceLineSerializer(),
        required=False,
        help_text="The lines of a free text invoice (or its pro forma). On a change (PATCH), "
        "`lines` replaces all the lines: a line left out is deleted, so give them all, or none "
        "to leave them as they are. One line is added at `lines/` and changed or deleted at "
        "`lines/{line_id}/`, leaving the others as they are.",
    )
    allowance_charges = AllowanceChargeSerializer(many=True, required=False, max_length=100)
    seller = serializers.JSONField(
        read_only=True, help_text="The seller as posted: the company profile frozen at posting."
    )
    customer_name = serializers.CharField(source="customer.party.name", read_only=True)
    allowed_actions = AllowedActionsField(Invoice)

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
            *DOCUMENT_FIELDS,
            "prepaid_amount",
            "payment_reference",
            "exchange_rate",
            "tax_currency_code",
            "seller",
            "allowance_charges",
            "lines",
            "created_at",
            "posted_at",
            "chain_hash",
            "previous_hash",
            "allowed_actions",
        ]
        read_only_fields = [
            "payment_reference",
            "exchange_rate",
            "tax_currency_code",
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
            "chain_hash",
            "previous_hash",
        ]
        extra_kwargs = {"currency": {"required": False}}

    def validate(self, attrs):
        kind = attrs.get("kind", Invoice.Kind.FREE_TEXT)
        if self.instance is None and kind == Invoice.Kind.CUSTOMER:
            raise serializers.ValidationError(
                {"kind": ["Customer invoices are made from an order or packing slips."]}
            )
        if self.instance is None and kind == Invoice.Kind.CREDIT_NOTE:
            raise serializers.ValidationError(
                {"kind": [_("Credit notes are made at credit-notes/, of an invoice or a return.")]}
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


class PostSerializer(BoundedDatesMixin, serializers.Serializer):
    invoice_date = serializers.DateField(
        required=False,
        help_text="Empty: the draft's date, else today. Not before the last posted date of its "
        "series (409 `date_out_of_sequence`), nor more than `INVOICE_MAX_DAYS_AHEAD` days ahead "
        "(400 `date_too_far_ahead`).",
    )


class PaymentSerializer(BoundedDatesMixin, serializers.ModelSerializer):
    allowed_actions = AllowedActionsField(Payment)

    class Meta:
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
            "allowed_actions",
        ]
        read_only_fields = ["number", "unapplied", "voucher", "created_at"]
        extra_kwargs = {"currency": {"required": False}}


class ApplySerializer(serializers.Serializer):
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


class BalanceSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    currency = serializers.CharField(help_text="The customer's currency code.")
    balance = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        help_text="Open items less unapplied payments; negative: the customer has credit.",
    )
    open_items_total = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        help_text="Open invoices less open credit notes.",
    )
    unapplied_payments = serializers.DecimalField(max_digits=20, decimal_places=2)


class AgingBucketSerializer(serializers.Serializer):
    bucket = serializers.ChoiceField(
        choices=["current", "1-30", "31-60", "61-90", "over-90"],
        help_text="Days past the due date.",
    )
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)


class AgingSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    as_of = serializers.DateField()
    total = serializers.DecimalField(max_digits=20, decimal_places=2)
    buckets = AgingBucketSerializer(many=True)


class CreditApplySerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(
        queryset=CustomerTransaction.objects.all(),
        help_text="The open item (an invoice of the same customer) to settle.",
    )
    amount = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        required=False,
        help_text="Empty: as much as both the credit and the item allow.",
    )


class ApplicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentApplication
        fields = ["id", "payment", "credit", "transaction", "amount", "applied_at"]
        read_only_fields = fields


class CreditApplicationResultSerializer(serializers.Serializer):
    remaining_credit = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        help_text="The credit note's credit still open (zero or negative).",
    )
    applications = ApplicationSerializer(many=True, help_text="The applications just made.")


class SendSerializer(serializers.Serializer):
    email_to = serializers.EmailField(required=False, help_text="Empty: the customer's address.")
