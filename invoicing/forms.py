"""Forms of the invoicing UI: the free text invoice (or its pro forma) with its lines."""

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from crm.forms import DateInput

from .models import Invoice, InvoiceLine


class FreeTextInvoiceForm(forms.ModelForm):
    pro_forma = forms.BooleanField(
        label=_("pro forma"),
        required=False,
        help_text=_("An estimate: never posted, no number from the invoice series."),
    )

    class Meta:
        model = Invoice
        fields = ["customer", "invoice_date", "notes"]
        widgets = {"invoice_date": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    legend = _("Free text invoice: lines with a ledger account and no item")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = self.fields["customer"].queryset.select_related("party")
        if self.instance.pk:
            self.fields["customer"].disabled = True
            self.fields["pro_forma"].initial = self.instance.kind == Invoice.Kind.PRO_FORMA
            self.fields["pro_forma"].disabled = True


class FreeTextLineForm(forms.ModelForm):
    class Meta:
        model = InvoiceLine
        fields = [
            "ledger_account",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "sales_tax_code",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ledger_account"].required = True
        self.fields["discount_percent"].required = False
        if not self.instance.pk:  # an empty row stays empty (and unchanged) without defaults
            for name in ("quantity", "unit_price", "discount_percent"):
                self.initial[name] = None


FreeTextLineFormSet = inlineformset_factory(
    Invoice, InvoiceLine, form=FreeTextLineForm, extra=3, can_delete=True
)

LINE_FIELDS = FreeTextLineForm.Meta.fields


def line_rows(formset) -> list[dict]:
    """The filled-in lines of the formset as service input."""
    return [
        {name: form.cleaned_data.get(name) for name in LINE_FIELDS}
        for form in formset.forms
        if form.has_changed() and not form.cleaned_data.get("DELETE")
    ]
