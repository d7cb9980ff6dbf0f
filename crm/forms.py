from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from .models import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    Activity,
    Campaign,
    CampaignCall,
    ContactPerson,
    Customer,
    CustomerGroup,
    CustomerTemplate,
    Lead,
    Opportunity,
    Party,
    PartyAddress,
    Prospect,
    Vendor,
)
from .models.campaigns import TARGET_SOURCES

# A party's identifiers on e-invoices.
IDENTIFIER_FIELDS = [
    "registration_scheme",
    "registration_id",
    "endpoint_scheme",
    "endpoint_id",
    "peppol_receiver",
]

PARTY_FIELDS = [
    "party_type",
    "name",
    "email",
    "phone",
    "vat_number",
    *IDENTIFIER_FIELDS,
    "language",
    "email_opt_out",
]


class IdentifierSchemesMixin:
    """Scheme fields as a choice of the known schemes instead of a code to remember."""

    def __init__(self, *args, **kwargs):
        from salesmkt.finance.company import scheme_choices

        super().__init__(*args, **kwargs)
        for name in ("registration_scheme", "endpoint_scheme"):
            if name in self.fields:
                self.fields[name].widget = forms.Select(choices=scheme_choices())


class PartyForm(IdentifierSchemesMixin, forms.ModelForm):
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


# What a customer template gives a new customer: its account settings.
TEMPLATE_FIELDS = [
    "customer_group",
    "payment_terms",
    "currency",
    "sales_tax_group",
    "price_group",
    "posting_profile",
    "credit_limit",
]


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
            "default_warehouse",
            "shipping_lead_time_days",
        ]


class NewCustomerForm(CustomerForm):
    """A new customer's account settings, filled in from the customer template the clerk picks
    (the default template at first): choosing another fills them again."""

    template = forms.ModelChoiceField(
        label=_("customer template"),
        queryset=CustomerTemplate.objects.all(),
        required=False,
        help_text=_("Choosing a template fills in the account settings below."),
    )

    field_order = ["template"]

    @staticmethod
    def template_values(template: CustomerTemplate) -> dict:
        return {
            name: getattr(template, f"{name}_id", None) or getattr(template, name)
            for name in TEMPLATE_FIELDS
        }


class VendorForm(forms.ModelForm):
    legend = _("Vendor")

    class Meta:
        model = Vendor
        fields = ["currency", "payment_terms", "blocked"]


class PartyBasicsForm(IdentifierSchemesMixin, forms.ModelForm):
    """Editing a customer or vendor edits its party's name and contact data alongside."""

    legend = _("Party")

    class Meta:
        model = Party
        fields = ["name", "email", "phone", "vat_number", *IDENTIFIER_FIELDS, "language"]


# --- relationship flow and campaigns ----------------------------------------------------------
class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        return value.strftime("%Y-%m-%dT%H:%M") if hasattr(value, "strftime") else value


class ProspectForm(forms.ModelForm):
    legend = _("Prospect")

    class Meta:
        model = Prospect
        fields = ["source", "segment", "owner", "customer_template"]


class LeadForm(forms.ModelForm):
    legend = _("Lead")

    class Meta:
        model = Lead
        fields = ["party", "contact", "topic", "source", "campaign", "rating", "owner", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class OpportunityForm(forms.ModelForm):
    legend = _("Opportunity")

    class Meta:
        model = Opportunity
        fields = [
            "party",
            "contact",
            "topic",
            "estimated_revenue",
            "currency",
            "probability",
            "expected_close_date",
            "campaign",
            "owner",
            "notes",
        ]
        widgets = {"expected_close_date": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = [
            "kind",
            "subject",
            "party",
            "lead",
            "opportunity",
            "due_at",
            "owner",
            "done",
            "notes",
        ]
        widgets = {"due_at": DateTimeInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].required = False
        self.fields["owner"].required = False
        self.fields["party"].help_text = _("Filled from the lead or opportunity when left empty.")


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "kind",
            "start_date",
            "end_date",
            "owner",
            "budget",
            "currency",
            "description",
            "subject",
            "body_text",
            "body_html",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 2}),
            "body_text": forms.Textarea(attrs={"rows": 6}),
            "body_html": forms.Textarea(attrs={"rows": 6}),
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


class QualifyForm(forms.Form):
    estimated_revenue = forms.DecimalField(
        label=_("estimated revenue"), min_value=0, decimal_places=2, required=False
    )
    probability = forms.DecimalField(
        label=_("probability (%)"), min_value=0, max_value=100, decimal_places=2, required=False
    )
    expected_close_date = forms.DateField(
        label=_("expected close date"), required=False, widget=DateInput()
    )

    def opportunity_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class WinForm(forms.Form):
    customer_template = forms.ModelChoiceField(
        label=_("customer template"),
        queryset=CustomerTemplate.objects.all(),
        required=False,
        help_text=_(
            "For a party that is not a customer yet; empty: its prospect's or the default."
        ),
    )


class ConvertResponsesForm(forms.Form):
    into = forms.ChoiceField(
        label=_("convert into"), choices=[("lead", _("Leads")), ("opportunity", _("Opportunities"))]
    )


class MergeForm(forms.Form):
    duplicates = forms.ModelMultipleChoiceField(
        label=_("duplicates"),
        queryset=Party.objects.all(),
        help_text=_(
            "Their roles, contacts, leads, opportunities, activities and campaign targets move here; they are removed."
        ),
    )


class AddTargetsForm(forms.Form):
    source = forms.ChoiceField(
        label=_("select from"),
        required=False,
        choices=[("", "---------"), *TARGET_SOURCES],
    )
    customer_group = forms.ModelChoiceField(
        label=_("customer group"), queryset=CustomerGroup.objects.all(), required=False
    )
    language = forms.ChoiceField(
        label=_("language"),
        required=False,
        choices=[("", "---------"), *Party._meta.get_field("language").choices],
    )
    segment = forms.CharField(label=_("segment"), required=False)
    parties = forms.ModelMultipleChoiceField(
        label=_("or choose parties"), queryset=Party.objects.all(), required=False
    )

    def clean(self):
        data = super().clean()
        if not data.get("source") and not data.get("parties"):
            raise forms.ValidationError(_("Choose a source to select from, or parties by hand."))
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        filters = {k: data[k] for k in ("customer_group", "language", "segment") if data.get(k)}
        return {
            "source": data.get("source") or None,
            "filters": filters,
            "parties": list(data.get("parties") or []),
        }


class RecordCallForm(forms.ModelForm):
    class Meta:
        model = CampaignCall
        fields = ["outcome", "follow_up_date", "notes"]
        widgets = {"follow_up_date": DateInput(), "notes": forms.TextInput()}
