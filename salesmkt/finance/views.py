from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from salesmkt.core.audit import events_for
from salesmkt.core.ui import simple_views

from . import company
from .models import (
    CompanyBankAccount,
    CompanyProfile,
    Currency,
    LedgerAccount,
    PaymentTerms,
    PostingProfile,
    SalesTaxCode,
)

SalesTaxCodeViews = simple_views(
    SalesTaxCode,
    namespace="finance",
    slug="sales-tax-codes",
    fields=["code", "name", "rate", "category", "exemption_reason", "tax_account"],
    list_fields=["code", "name", "rate", "category"],
    search_fields=["code", "name"],
    filter_fields=["category"],
)
LedgerAccountViews = simple_views(
    LedgerAccount,
    namespace="finance",
    slug="ledger-accounts",
    fields=["number", "name", "account_type", "blocked"],
    search_fields=["number", "name"],
    filter_fields=["account_type", "blocked"],
)
PostingProfileViews = simple_views(
    PostingProfile,
    namespace="finance",
    slug="posting-profiles",
    fields=["code", "name", "summary_account"],
    search_fields=["code", "name"],
)
PaymentTermsViews = simple_views(
    PaymentTerms,
    namespace="finance",
    slug="payment-terms",
    fields=["code", "name", "net_days"],
    search_fields=["code", "name"],
)
CurrencyViews = simple_views(
    Currency,
    namespace="finance",
    slug="currencies",
    fields=["code", "name"],
    search_fields=["code", "name"],
)


# --- the company profile: one record, shown and edited on its own pages --------------------
class CompanyForm(forms.ModelForm):
    legend = _("Company")

    class Meta:
        model = CompanyProfile
        fields = [*CompanyProfile.EDITABLE_FIELDS, "logo"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("org_number_scheme", "endpoint_scheme"):
            self.fields[name].widget = forms.Select(choices=company.scheme_choices())


BankAccountFormSet = forms.inlineformset_factory(
    CompanyProfile,
    CompanyBankAccount,
    fields=list(company.BANK_ACCOUNT_FIELDS),
    extra=1,
    can_delete=True,
)


class CompanyProfileView(LoginRequiredMixin, View):
    def get(self, request):
        if not request.user.has_perm("finance.view_companyprofile"):
            raise PermissionDenied
        profile = company.current_company()
        snapshot = company.seller_snapshot(profile, "")
        return render(
            request,
            "finance/company.html",
            {
                "profile": profile,
                "legal_lines": snapshot["legal_lines"],
                "bank_accounts": list(profile.bank_accounts.all()),
                "can_change": request.user.has_perm("finance.change_companyprofile"),
                "history": events_for(profile)[:20],
            },
        )


class CompanyProfileEditView(LoginRequiredMixin, View):
    def _forms(self, request, profile):
        data = request.POST if request.method == "POST" else None
        return (
            CompanyForm(data, request.FILES or None, instance=profile),
            BankAccountFormSet(data, instance=profile, prefix="bank"),
        )

    def _page(self, request, form, formset):
        return render(
            request,
            "ui/record_form.html",
            {
                "obj": form.instance,
                "verbose_name": CompanyProfile._meta.verbose_name,
                "verbose_name_plural": CompanyProfile._meta.verbose_name_plural,
                "list_url": reverse("finance:company"),
                "cancel_url": reverse("finance:company"),
                "plain_forms": [form],
                "formsets": [(_("bank accounts"), formset)],
            },
        )

    def get(self, request):
        if not request.user.has_perm("finance.change_companyprofile"):
            raise PermissionDenied
        return self._page(request, *self._forms(request, company.current_company()))

    def post(self, request):
        if not request.user.has_perm("finance.change_companyprofile"):
            raise PermissionDenied
        form, formset = self._forms(request, company.current_company())
        if not (form.is_valid() and formset.is_valid()):
            return self._page(request, form, formset)
        data = {name: form.cleaned_data[name] for name in form._meta.fields}
        try:
            company.company_profile_update(
                data=data, bank_accounts=_account_rows(formset), actor=request.user
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = field if field in form.fields else None
                for error in errors:
                    form.add_error(target, error)
            return self._page(request, form, formset)
        messages.success(request, _("The company profile was saved."))
        return HttpResponseRedirect(reverse("finance:company"))


def _account_rows(formset) -> list[dict]:
    rows = []
    for row in formset.forms:
        if not row.has_changed() and row.instance.pk is None:
            continue
        if row.cleaned_data.get("DELETE"):
            continue
        rows.append({name: row.cleaned_data[name] for name in company.BANK_ACCOUNT_FIELDS})
    return rows
