from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from .models import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    ContactPerson,
    Customer,
    Party,
    PartyAddress,
    Vendor,
)

PARTY_FIELDS = ["party_type", "name", "email", "phone", "vat_number", "language", "email_opt_out"]


class PartyForm(forms.ModelForm):
    class Meta:
        model = Party
        fields = PARTY_FIELDS


AddressFormSet = inlineformset_factory(
    Party, PartyAddress, fields=ADDRESS_FIELDS, extra=1, can_delete=True
)
ContactFormSet = inlineformset_factory(
    Party, ContactPerson, fields=CONTACT_FIELDS, extra=1, can_delete=True
)


def formset_rows(formset) -> list[dict]:
    """The formset as service input: every kept row, existing ones with their id."""
    rows = []
    for form in formset.forms:
        if not form.has_changed() and form.instance.pk is None:
            continue
        if formset.can_delete and form.cleaned_data.get("DELETE"):
            continue
        row = {name: form.cleaned_data[name] for name in form._meta.fields}
        if form.instance.pk is not None:
            row["id"] = form.instance.pk
        rows.append(row)
    return rows


class NewPartyForm(forms.Form):
    """The party part of a new customer or vendor: name, contact data and the first address."""

    legend = _("Party")

    party = forms.ModelChoiceField(
        queryset=Party.objects.all(),
        required=False,
        label=_("Existing party"),
        help_text=_("Pick a party to give it this role, or fill in a new one below."),
    )
    party_type = forms.ChoiceField(label=_("party type"), choices=Party.PartyType.choices)
    name = forms.CharField(label=_("name"), max_length=200, required=False)
    email = forms.EmailField(label=_("email"), required=False)
    phone = forms.CharField(label=_("phone"), max_length=40, required=False)
    vat_number = forms.CharField(label=_("VAT number"), max_length=30, required=False)
    language = forms.ChoiceField(
        label=_("language"), choices=Party._meta.get_field("language").choices
    )
    street = forms.CharField(label=_("street"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("city"), max_length=100, required=False)
    country = forms.CharField(label=_("country"), max_length=2, required=False, initial="NO")

    def clean(self):
        data = super().clean()
        if not data.get("party") and not data.get("name"):
            self.add_error("name", _("Give the new party a name, or pick an existing party."))
        return data

    def to_data(self) -> dict:
        data = self.cleaned_data
        if data.get("party"):
            return {"party": data["party"]}
        party = {
            name: data[name]
            for name in ["party_type", "name", "email", "phone", "vat_number", "language"]
        }
        if data.get("street") or data.get("city"):
            address = {name: data[name] for name in ["street", "postal_code", "city"]}
            address["country"] = (data.get("country") or "").upper()
            party["addresses"] = [
                {"purpose": PartyAddress.Purpose.INVOICE, "is_primary": True, **address},
                {"purpose": PartyAddress.Purpose.DELIVERY, "is_primary": True, **address},
            ]
        return {"party_data": party}


class CustomerForm(forms.ModelForm):
    legend = _("Customer")

    class Meta:
        model = Customer
        fields = [
            "customer_group",
            "payment_terms",
            "credit_limit",
            "currency",
            "sales_tax_group",
            "price_group",
            "posting_profile",
            "on_hold",
        ]


class VendorForm(forms.ModelForm):
    legend = _("Vendor")

    class Meta:
        model = Vendor
        fields = ["currency", "payment_terms", "blocked"]


class PartyBasicsForm(forms.ModelForm):
    """Editing a customer or vendor edits its party's name and contact data alongside."""

    legend = _("Party")

    class Meta:
        model = Party
        fields = ["name", "email", "phone", "vat_number", "language"]
