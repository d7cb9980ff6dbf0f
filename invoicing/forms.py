"""Forms of the invoicing UI: the free text invoice (or its pro forma) with its lines, the header
of any draft (references, delivery, period, prepaid amount) and its document allowances and
charges."""

from decimal import Decimal

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from crm.forms import DateInput
from inventory.models import Unit
from salesmkt.core.dates import BoundedDatesFormMixin

from .models import Invoice, InvoiceAllowanceCharge, InvoiceLine
from .services.invoices import HEADER_FIELDS

DEFAULT_UNIT = "C62"  # one (piece), UN/ECE Recommendation 20


class InvoiceHeaderForm(BoundedDatesFormMixin, forms.ModelForm):
    """What a draft's header takes from the clerk, whatever its kind (`HEADER_FIELDS`)."""

    class Meta:
        model = Invoice
        fields = HEADER_FIELDS
        widgets = {
            "invoice_date": DateInput(),
            "delivery_date": DateInput(),
            "period_start": DateInput(),
            "period_end": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
            # An example of the two-letter ISO 3166 code the field takes, shown while empty.
            "delivery_country": forms.TextInput(attrs={"placeholder": "NO", "maxlength": 2}),
        }
        help_texts = {
            "buyer_reference": _("The buyer's own reference (BT-10), often a cost centre."),
            "order_reference": _("The number of the buyer's purchase order (BT-13)."),
            "delivery_date": _("When the goods were delivered; or give the invoicing period."),
            "prepaid_amount": _(
                "Paid before this invoice: covered at posting by the customer's unapplied "
                "payments, so the amount due is what is left."
            ),
        }

    legend = _("Invoice")
    # The header's fields in groups, as the form shows them: (title, field names).
    fieldsets = [
        (None, ["customer", "invoice_date", "pro_forma", "notes"]),
        (_("Buyer's references"), ["buyer_reference", "order_reference"]),
        (_("Delivery or invoicing period"), ["delivery_date", "period_start", "period_end"]),
        (
            _("Delivery address"),
            [
                "delivery_name",
                "delivery_street",
                "delivery_street2",
                "delivery_postal_code",
                "delivery_city",
                "delivery_country",
            ],
        ),
        (_("Payment"), ["prepaid_amount"]),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prepaid_amount"].required = False

    def clean_delivery_country(self):
        return (self.cleaned_data.get("delivery_country") or "").strip().upper()

    def clean_prepaid_amount(self):
        return self.cleaned_data.get("prepaid_amount") or Decimal("0.00")

    def grouped_fields(self):
        """The fieldsets with this form's bound fields (a group with none of them is left out)."""
        groups = []
        for title, names in self.fieldsets:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                groups.append({"title": title, "fields": fields})
        return groups


class FreeTextInvoiceForm(InvoiceHeaderForm):
    pro_forma = forms.BooleanField(
        label=_("pro forma"),
        required=False,
        help_text=_("An estimate: never posted, no number from the invoice series."),
    )

    class Meta(InvoiceHeaderForm.Meta):
        fields = ["customer", *HEADER_FIELDS]

    legend = _("Free text invoice: lines with a ledger account and no item")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = self.fields["customer"].queryset.select_related("party")
        if self.instance.pk:
            self.fields["customer"].disabled = True
            self.fields["pro_forma"].initial = self.instance.kind == Invoice.Kind.PRO_FORMA
            self.fields["pro_forma"].disabled = True


def unit_choices(current=()) -> list[tuple[str, str]]:
    """The UN/ECE unit codes of the units in use (C62, one, always), each with the units that
    use it, and any code a line already has."""
    names: dict[str, list[str]] = {DEFAULT_UNIT: []}
    for code, unit in Unit.objects.order_by("un_ece_code", "code").values_list(
        "un_ece_code", "code"
    ):
        if code:
            names.setdefault(code.upper(), []).append(unit)
    for code in current:
        if code:
            names.setdefault(code, [])
    return [
        (code, f"{code} ({', '.join(units)})" if units else code) for code, units in names.items()
    ]


class FreeTextLineForm(forms.ModelForm):
    unit_code = forms.ChoiceField(label=_("unit"), required=False)

    class Meta:
        model = InvoiceLine
        fields = [
            "ledger_account",
            "description",
            "quantity",
            "unit_code",
            "unit_price",
            "price_base_quantity",
            "discount_percent",
            "sales_tax_code",
        ]
        help_texts = {
            "quantity": _("Negative on a correction line; never zero."),
            "price_base_quantity": _("The quantity the unit price is for (1, 12, 1,000)."),
        }

    # Shown filled in on a new row, but not what makes a row one the clerk entered.
    DEFAULTED = ("unit_code", "price_base_quantity")

    def __init__(self, *args, unit_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ledger_account"].required = True
        self.fields["discount_percent"].required = False
        self.fields["price_base_quantity"].required = False
        self.fields["unit_code"].choices = unit_choices
        if not self.instance.pk:  # an empty row stays empty (and unchanged) without defaults
            for name in ("quantity", "unit_price", "discount_percent"):
                self.initial[name] = None
            self.initial["unit_code"] = DEFAULT_UNIT
            self.initial["price_base_quantity"] = Decimal("1")

    def has_changed(self):
        return any(name not in self.DEFAULTED for name in self.changed_data)


class UnitChoicesFormSet(BaseInlineFormSet):
    """Asks the database for the units once, not once per row."""

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if not hasattr(self, "_unit_choices"):
            current = {line.unit_code for line in self.get_queryset()} if self.instance.pk else ()
            self._unit_choices = unit_choices(sorted(current))
        kwargs["unit_choices"] = self._unit_choices
        return kwargs


FreeTextLineFormSet = inlineformset_factory(
    Invoice,
    InvoiceLine,
    form=FreeTextLineForm,
    formset=UnitChoicesFormSet,
    extra=3,
    can_delete=True,
)

# A copy: the inline formset adds its foreign key to the form's own list.
LINE_FIELDS = tuple(FreeTextLineForm.Meta.fields)


def entered_forms(formset) -> list:
    """The rows the clerk filled in or kept, in order: the lines (or allowances and charges)
    the service gets, so that the service's `lines[i]` is `entered_forms(formset)[i]`."""
    return [
        form
        for form in formset.forms
        if (form.instance.pk is not None or form.has_changed())
        and not form.cleaned_data.get("DELETE")
    ]


def line_rows(formset) -> list[dict]:
    """The lines of the formset as service input (the unchanged ones too: the service replaces
    all of a draft's lines)."""
    return [
        {name: form.cleaned_data.get(name) for name in LINE_FIELDS}
        for form in entered_forms(formset)
    ]


class AllowanceChargeForm(forms.ModelForm):
    is_charge = forms.TypedChoiceField(
        label=_("allowance or charge"),
        choices=[(False, _("Allowance")), (True, _("Charge"))],
        coerce=lambda value: value in (True, "True", "true", "1", "on"),
        empty_value=False,
        required=False,
    )

    class Meta:
        model = InvoiceAllowanceCharge
        fields = InvoiceAllowanceCharge.INPUT_FIELDS
        help_texts = {
            "reason_code": _(
                "UNTDID 5189 for an allowance (95: discount), 7161 for a charge (FC: freight)."
            ),
            "amount": _("Or a percentage of a base amount: the amount is then computed."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "amount" in self.fields:  # the admin shows a posted invoice's read-only
            self.fields["amount"].required = False
            if not self.instance.pk:
                self.initial["amount"] = None


AllowanceChargeFormSet = inlineformset_factory(
    Invoice,
    InvoiceAllowanceCharge,
    form=AllowanceChargeForm,
    extra=2,
    can_delete=True,
)

ALLOWANCE_CHARGE_FIELDS = tuple(AllowanceChargeForm.Meta.fields)


def allowance_charge_rows(formset) -> list[dict]:
    """The document allowances and charges of the formset as service input (all of them: the
    service replaces the draft's)."""
    return [
        {name: form.cleaned_data.get(name) for name in ALLOWANCE_CHARGE_FIELDS}
        for form in entered_forms(formset)
    ]
