from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from crm.forms import DateInput
from crm.models import Customer
from inventory.models import Item
from salesmkt.core.dates import BoundedDatesFormMixin
from salesmkt.finance.models import Currency

from .models import SalesAgreement, SalesAgreementLine, TradeAgreement


class TradeAgreementForm(BoundedDatesFormMixin, forms.ModelForm):
    class Meta:
        model = TradeAgreement
        fields = [
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
        ]
        widgets = {"valid_from": DateInput(), "valid_to": DateInput()}


class SalesAgreementForm(BoundedDatesFormMixin, forms.ModelForm):
    legend = _("Sales agreement")

    class Meta:
        model = SalesAgreement
        fields = [
            "customer",
            "description",
            "effective_date",
            "expiration_date",
            "commitment_type",
            "total_commitment",
            "currency",
            "over_release_tolerance",
            "owner",
        ]
        widgets = {"effective_date": DateInput(), "expiration_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].required = False
        self.fields["currency"].help_text = _("Empty: the customer's currency.")


SalesAgreementLineFormSet = inlineformset_factory(
    SalesAgreement,
    SalesAgreementLine,
    fields=["item", "committed_quantity", "committed_amount", "unit_price", "discount_percent"],
    extra=2,
    can_delete=True,
)


class PriceLookupForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=_("customer"), queryset=Customer.objects.select_related("party", "currency")
    )
    item = forms.ModelChoiceField(label=_("item"), queryset=Item.objects.all())
    quantity = forms.DecimalField(label=_("quantity"), min_value=0, initial=1, decimal_places=4)
    date = forms.DateField(label=_("date"), required=False, widget=DateInput())
    currency = forms.ModelChoiceField(
        label=_("currency"),
        queryset=Currency.objects.all(),
        required=False,
        help_text=_("Empty: the customer's currency."),
    )
