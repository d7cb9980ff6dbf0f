from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from crm.forms import DateInput

from .models import Item, NegativeStockPolicy, PurchaseOrder, PurchaseOrderLine, Warehouse

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
    "negative_stock_policy",
]
WAREHOUSE_FIELDS = [
    "code",
    "name",
    "street",
    "postal_code",
    "city",
    "country",
    "active",
    "negative_stock_policy",
]


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = ITEM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["negative_stock_policy"].choices = [
            ("", _("The warehouse's policy")),
            *NegativeStockPolicy.choices,
        ]


class WarehouseForm(forms.ModelForm):
    class Meta:
        model = Warehouse
        fields = WAREHOUSE_FIELDS


class PurchaseOrderForm(forms.ModelForm):
    legend = _("Purchase order")

    class Meta:
        model = PurchaseOrder
        fields = [
            "vendor",
            "order_date",
            "expected_receipt_date",
            "drop_shipment",
            "vendor_reference",
            "ship_to_name",
            "ship_to_street",
            "ship_to_postal_code",
            "ship_to_city",
            "ship_to_country",
            "notes",
        ]
        widgets = {
            "order_date": DateInput(),
            "expected_receipt_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_receipt_date"].help_text = _("Lines without a date of their own.")
        self.fields["ship_to_name"].help_text = _("A drop shipment's customer address.")
        if self.instance.pk and self.instance.has_receipts():
            for name in ("vendor", "drop_shipment"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed: the order has receipts.")


class PurchaseOrderLineForm(forms.ModelForm):
    class Meta:
        model = PurchaseOrderLine
        fields = ["item", "warehouse", "quantity", "unit_cost", "expected_receipt_date"]
        widgets = {"expected_receipt_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit_cost"].required = False
        self.fields["unit_cost"].help_text = _("Empty: the item's cost price.")
        self.fields["expected_receipt_date"].required = False
        self.fields["expected_receipt_date"].help_text = _("Empty: the order's date.")
        if not self.instance.pk:  # an empty extra row stays unchanged, and is skipped
            self.initial["unit_cost"] = None
            self.initial["quantity"] = None
        elif self.instance.received_quantity:
            for name in ("item", "warehouse"):
                self.fields[name].disabled = True


PurchaseOrderLineFormSet = inlineformset_factory(
    PurchaseOrder, PurchaseOrderLine, form=PurchaseOrderLineForm, extra=3, can_delete=True
)
