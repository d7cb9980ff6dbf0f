from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from salesmkt.core.ui import Column, RecordAction, RecordViews, simple_views

from .. import selectors
from ..forms import (
    AddressFormSet,
    ContactFormSet,
    CustomerForm,
    MergeForm,
    NewCustomerForm,
    NewPartyForm,
    PartyBasicsForm,
    PartyForm,
    VendorForm,
    formset_rows,
)
from ..models import (
    Customer,
    CustomerGroup,
    CustomerTemplate,
    Party,
    PriceGroup,
    SalesTaxGroup,
    Vendor,
)
from ..services import merge, parties

ADDRESS_COLUMNS = [
    Column(_("purpose"), "purpose"),
    Column(_("primary"), "is_primary"),
    Column(_("address"), str),
]
CONTACT_COLUMNS = [
    Column(_("name"), str),
    Column(_("job title"), "job_title"),
    Column(_("email"), "email"),
    Column(_("phone"), "phone"),
]


def party_sections(party):
    return [
        {"title": _("Addresses"), "columns": ADDRESS_COLUMNS, "rows": list(party.addresses.all())},
        {
            "title": _("Contact persons"),
            "columns": CONTACT_COLUMNS,
            "rows": list(party.contacts.all()),
        },
    ]


class PartyViews(RecordViews):
    model = Party
    namespace = "crm"
    slug = "parties"
    columns = [
        Column(_("name"), "name", link=True, sort="name"),
        Column(_("party type"), "party_type", sort="party_type"),
        Column(_("email"), "email"),
        Column(_("phone"), "phone"),
        Column(_("VAT number"), "vat_number"),
        Column(_("roles"), lambda p: ", ".join(str(r) for r in party_roles(p))),
    ]
    search_fields = ["name", "email", "phone", "vat_number"]
    filter_fields = ["party_type", "language"]
    detail_fields = [
        "party_type",
        "name",
        "email",
        "phone",
        "vat_number",
        "registration_scheme",
        "registration_id",
        "endpoint_scheme",
        "endpoint_id",
        "peppol_receiver",
        "language",
        (_("roles"), lambda p: ", ".join(str(r) for r in party_roles(p))),
    ]
    create_service = parties.party_create
    update_service = parties.party_update
    delete_service = parties.party_delete
    actions = [
        RecordAction(
            "merge",
            _("Merge duplicates into this party"),
            lambda party, user, data: merge.party_merge(
                survivor=party, duplicates=list(data["duplicates"]), actor=user
            ),
            permission="delete",
            form_class=MergeForm,
            style="outline-secondary",
            icon="bi-union",
        ),
    ]

    @classmethod
    def get_queryset(cls):
        return selectors.party_list()

    @classmethod
    def get_forms(cls, request, instance=None):
        data = request.POST if request.method == "POST" else None
        return {
            "form": PartyForm(data, instance=instance),
            "addresses": AddressFormSet(data, instance=instance or Party(), prefix="addresses"),
            "contacts": ContactFormSet(data, instance=instance or Party(), prefix="contacts"),
        }

    @classmethod
    def forms_to_data(cls, bound, instance=None):
        data = dict(bound["form"].cleaned_data)
        data["addresses"] = formset_rows(bound["addresses"])
        data["contacts"] = formset_rows(bound["contacts"])
        return data

    @classmethod
    def related_sections(cls, obj):
        return party_sections(obj)


def party_roles(party) -> list:
    roles = []
    if hasattr(party, "customer"):
        roles.append(_("customer"))
    if hasattr(party, "vendor"):
        roles.append(_("vendor"))
    return roles


class RoleViews(RecordViews):
    """Customers and vendors: created with a new or existing party, edited with its basics."""

    role_form = None

    @classmethod
    def get_forms(cls, request, instance=None):
        data = request.POST if request.method == "POST" else None
        if instance is None:
            return {"party": NewPartyForm(data, prefix="party"), "form": cls.role_form(data)}
        return {
            "party": PartyBasicsForm(data, instance=instance.party, prefix="party"),
            "form": cls.role_form(data, instance=instance),
        }

    @classmethod
    def forms_to_data(cls, bound, instance=None):
        data = dict(bound["form"].cleaned_data)
        if instance is None:
            data.update(bound["party"].to_data())
        else:
            data["party_data"] = dict(bound["party"].cleaned_data)
        return data

    @classmethod
    def related_sections(cls, obj):
        return party_sections(obj.party)


class CustomerViews(RoleViews):
    model = Customer
    namespace = "crm"
    slug = "customers"
    icon = "bi-people"
    detail_template = "crm/customer_detail.html"
    role_form = CustomerForm
    columns = [
        Column(_("account number"), "account_number", link=True, sort="account_number"),
        Column(_("name"), "party.name", link=True, sort="party__name"),
        Column(_("customer group"), "customer_group.name", sort="customer_group__name"),
        Column(_("city"), lambda c: getattr(c.party.invoice_address, "city", "")),
        Column(_("currency"), "currency.code"),
        Column(_("credit limit"), "credit_limit", align="end", sort="credit_limit"),
        Column(_("on hold"), "on_hold"),
    ]
    search_fields = ["account_number", "party__name", "party__email", "party__vat_number"]
    filter_fields = ["customer_group", "currency", "on_hold", "price_group"]
    detail_fields = [
        "account_number",
        (_("name"), lambda c: c.party.name),
        (_("email"), lambda c: c.party.email),
        (_("phone"), lambda c: c.party.phone),
        (_("VAT number"), lambda c: c.party.vat_number),
        (_("language"), lambda c: c.party.get_language_display()),
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
    create_service = parties.customer_create
    update_service = parties.customer_update

    @classmethod
    def get_queryset(cls):
        return selectors.customer_overview()

    @classmethod
    def get_forms(cls, request, instance=None):
        """A new customer's form starts from the default customer template; choosing another
        template asks for the form again (htmx, with what the clerk typed so far) filled from
        it."""
        if instance is not None or request.method == "POST":
            forms = super().get_forms(request, instance)
            if instance is None:
                forms["form"] = NewCustomerForm(request.POST)
                cls._fill_on_change(forms["form"])
            return forms
        chosen = request.GET.get("template", "")
        template = (
            CustomerTemplate.objects.filter(pk=chosen).first()
            if chosen.isdigit()
            else CustomerTemplate.objects.filter(is_default=True).first()
        )
        typed = {
            key.removeprefix("party-"): value
            for key, value in request.GET.items()
            if key.startswith("party-")
        }
        initial = {
            name: request.GET[name]
            for name in NewCustomerForm.base_fields
            if request.GET.get(name) and name != "template"
        }
        if template is not None:
            initial.update(NewCustomerForm.template_values(template), template=template.pk)
        form = NewCustomerForm(initial=initial)
        cls._fill_on_change(form)
        return {"party": NewPartyForm(initial=typed or None, prefix="party"), "form": form}

    @classmethod
    def _fill_on_change(cls, form):
        form.fields["template"].widget.attrs.update(
            {
                "hx-get": reverse(cls.url_name("create")),
                "hx-include": "closest form",
                "hx-target": "closest form",
                "hx-select": "form[novalidate]",
                "hx-swap": "outerHTML",
                "data-customer-template": "",
            }
        )

    @classmethod
    def forms_to_data(cls, bound, instance=None):
        data = super().forms_to_data(bound, instance)
        data.pop("template", None)  # its values are in the fields it filled
        return data


class VendorViews(RoleViews):
    model = Vendor
    namespace = "crm"
    slug = "vendors"
    role_form = VendorForm
    columns = [
        Column(_("account number"), "account_number", link=True, sort="account_number"),
        Column(_("name"), "party.name", link=True, sort="party__name"),
        Column(_("currency"), "currency.code", sort="currency__code"),
        Column(_("payment terms"), "payment_terms"),
        Column(_("blocked"), "blocked"),
    ]
    search_fields = ["account_number", "party__name", "party__email"]
    filter_fields = ["currency", "blocked"]
    detail_fields = [
        "account_number",
        (_("name"), lambda v: v.party.name),
        (_("email"), lambda v: v.party.email),
        "currency",
        "payment_terms",
        "blocked",
    ]
    create_service = parties.vendor_create
    update_service = parties.vendor_update

    @classmethod
    def get_queryset(cls):
        return selectors.vendor_overview()


def _code_name(model, slug):
    return simple_views(
        model, namespace="crm", slug=slug, fields=["code", "name"], search_fields=["code", "name"]
    )


CustomerGroupViews = _code_name(CustomerGroup, "customer-groups")
PriceGroupViews = _code_name(PriceGroup, "price-groups")
SalesTaxGroupViews = _code_name(SalesTaxGroup, "sales-tax-groups")


CustomerTemplateViews = simple_views(
    CustomerTemplate,
    namespace="crm",
    slug="customer-templates",
    fields=[
        "code",
        "name",
        "is_default",
        "customer_group",
        "payment_terms",
        "currency",
        "sales_tax_group",
        "price_group",
        "posting_profile",
        "credit_limit",
    ],
    list_fields=["code", "name", "is_default", "customer_group"],
    search_fields=["code", "name"],
)
