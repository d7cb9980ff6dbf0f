"""Clerk UI of payments: register one, see its voucher and applications, apply it to the
customer's open items by hand or automatically."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from crm.forms import DateInput
from salesmkt.core.dates import BoundedDatesFormMixin
from salesmkt.core.errors import DomainError
from salesmkt.core.ui import Column, RecordAction, RecordViews, form_error_messages

from .. import cues
from ..actions import PAYMENT
from ..models import CustomerTransaction, Invoice, Payment
from ..services import payments


class PaymentForm(BoundedDatesFormMixin, forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["customer", "date", "amount", "reference", "currency"]
        widgets = {"date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].required = False
        self.fields["currency"].help_text = _("Empty: the customer's currency.")
        self.fields["customer"].queryset = self.fields["customer"].queryset.select_related("party")


class ApplyForm(forms.Form):
    """One open item and the amount to settle on it (empty: as much as both allow)."""

    item = forms.ModelChoiceField(label=_("open item"), queryset=CustomerTransaction.objects.all())
    amount = forms.DecimalField(
        label=_("amount"),
        max_digits=20,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
    )


def open_invoice_rows(settler: Payment | Invoice, credit: Decimal) -> list[dict]:
    """The open invoices a payment or a credit note can settle (its customer's, in its currency:
    the services refuse any other), each with the amount an apply form suggests."""
    items = (
        CustomerTransaction.objects.filter(
            customer_id=settler.customer_id, currency_id=settler.currency_id, remaining__gt=0
        )
        .select_related("invoice")
        .order_by("due_date", "date", "id")
    )
    return [{"item": item, "suggested": min(credit, item.remaining)} for item in items]


class PaymentViews(RecordViews):
    model = Payment
    namespace = "invoicing"
    slug = "payments"
    icon = "bi-cash-coin"
    detail_template = "invoicing/payment_detail.html"
    columns = [
        Column(_("number"), "number", link=True, sort="number"),
        Column(_("customer"), "customer.party.name", link=True, sort="customer__party__name"),
        Column(_("date"), "date", sort="date"),
        Column(_("amount"), "amount", align="end", sort="amount"),
        Column(_("unapplied"), "unapplied", align="end", sort="unapplied"),
        Column(_("reference"), "reference"),
    ]
    search_fields = ["number", "reference", "customer__party__name", "customer__account_number"]
    filter_fields = ["customer", "currency"]

    @classmethod
    def filterset_class(cls):
        # the work queues the role centre's cues open (`?queue=...`)
        return cues.payment_filterset(super().filterset_class())

    default_ordering = "-date"
    detail_fields = [
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
    form_class = PaymentForm
    create_service = payments.payment_register
    # The button shows, Edit and Delete do not, as `PAYMENT` (invoicing.actions) declares.
    actions = [
        RecordAction(
            "auto_apply",
            _("Auto-apply"),
            lambda p, user, data: payments.payment_auto_apply(payment=p, actor=user),
            # settling open items is its own permission, as on the Apply forms and in the API
            permission="invoicing.add_paymentapplication",
            icon="bi-magic",
        ),
    ]

    @classmethod
    def run_update(cls, instance, data, actor):
        PAYMENT.refuse(instance, "update")  # a registered payment is posted: never edited

    @classmethod
    def run_delete(cls, instance, actor):
        PAYMENT.refuse(instance, "delete")

    @classmethod
    def get_queryset(cls):
        return Payment.objects.select_related("customer__party", "currency", "voucher")

    @classmethod
    def get_forms(cls, request, instance=None):
        if request.method == "POST":
            return {"form": PaymentForm(request.POST)}
        initial = {"date": timezone.localdate()}
        if request.GET.get("customer", "").isdigit():
            initial["customer"] = int(request.GET["customer"])
        # "Register payment" on a posted invoice fills in what is left to pay and its number
        for name in ("amount", "reference"):
            if request.GET.get(name):
                initial[name] = request.GET[name][:100]
        return {"form": PaymentForm(initial=initial)}

    @classmethod
    def detail_context(cls, request, obj):
        return {
            "entries": obj.voucher.entries.select_related("account") if obj.voucher_id else [],
            "applications": obj.applications.select_related("transaction__invoice").order_by("id"),
            "open_items": open_invoice_rows(obj, obj.unapplied) if obj.unapplied > 0 else [],
            "can_apply": request.user.has_perm("invoicing.add_paymentapplication"),
            "apply_url": reverse("invoicing:payment-apply", args=[obj.pk]),
            "statement_url": reverse("invoicing:customer-statement", args=[obj.customer_id]),
        }


@login_required
@permission_required("invoicing.add_paymentapplication", raise_exception=True)
@require_POST
def payment_apply(request, pk):
    """Apply the payment to one open item; a refusal shows its message and changes nothing."""
    payment = get_object_or_404(Payment, pk=pk)
    return apply_from_form(
        request,
        lambda **chosen: payments.payment_apply(payment=payment, **chosen),
        reverse("invoicing:payments-detail", args=[pk]),
    )


def apply_from_form(request, apply, back_url: str):
    """The Apply form of a payment or a credit note: `apply(item=, amount=, actor=)` runs the
    service; its refusal shows as a message and changes nothing."""
    form = ApplyForm(request.POST)
    if not form.is_valid():
        form_error_messages(request, form)
    else:
        try:
            application = apply(
                item=form.cleaned_data["item"],
                amount=form.cleaned_data["amount"],
                actor=request.user,
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request, gettext("%(amount)s applied.") % {"amount": application.amount}
            )
    return HttpResponseRedirect(back_url)


def urls():
    return [
        *PaymentViews.urls(),
        path("payments/<int:pk>/apply/", payment_apply, name="payment-apply"),
    ]
