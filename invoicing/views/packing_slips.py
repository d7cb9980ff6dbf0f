"""Clerk UI: choose posted packing slips of one customer and draft one invoice of them."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from crm.forms import DateInput
from crm.models import Customer
from orders.models import PackingSlip
from salesmkt.core.errors import DomainError
from salesmkt.core.ui import error_text

from ..actions import PACKING_SLIP
from ..selectors import invoiceable_packing_slips, packing_slip_net_amount
from ..services import invoices

# More rows than a clerk can check by hand; a narrower filter shows the rest.
MAX_ROWS = 500


class PackingSlipFilterForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=_("customer"),
        queryset=Customer.objects.select_related("party").order_by("party__name"),
        required=False,
    )
    q = forms.CharField(label=_("Search"), required=False)
    delivered_from = forms.DateField(label=_("delivered from"), required=False, widget=DateInput())
    delivered_to = forms.DateField(label=_("delivered to"), required=False, widget=DateInput())


@login_required
@permission_required("invoicing.add_invoice", raise_exception=True)
def invoice_packing_slips(request):
    """GET: the packing slips waiting for an invoice, filtered. POST: one draft invoice of the
    checked slips (of one customer), then its page."""
    page_url = reverse("invoicing:packing-slips")
    if request.method == "POST":
        filters = QueryDict(request.POST.get("filters", "")).urlencode()  # back to the same list
        back = f"{page_url}?{filters}" if filters else page_url
        chosen = list(PackingSlip.objects.filter(pk__in=request.POST.getlist("slips")))
        if not chosen:
            messages.error(request, gettext("Choose at least one packing slip."))
            return HttpResponseRedirect(back)
        try:
            invoice = invoices.invoice_from_packing_slips(packing_slips=chosen, actor=request.user)
        except (DomainError, ValidationError) as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(back)
        messages.success(
            request,
            ngettext(
                "Invoice drafted of %(count)d packing slip.",
                "Invoice drafted of %(count)d packing slips.",
                len(chosen),
            )
            % {"count": len(chosen)},
        )
        return HttpResponseRedirect(reverse("invoicing:invoices-detail", args=[invoice.pk]))

    form = PackingSlipFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    slips = list(
        invoiceable_packing_slips(
            customer=filters.get("customer"),
            delivered_from=filters.get("delivered_from"),
            delivered_to=filters.get("delivered_to"),
            search=(filters.get("q") or "").strip(),
            approved_only=True,  # invoicing an order waiting for approval is refused
        )[: MAX_ROWS + 1]
    )
    truncated = len(slips) > MAX_ROWS
    rows = [
        {
            "slip": slip,
            "line_count": len(slip.lines.all()),
            "net_amount": packing_slip_net_amount(slip),
            # Listed but refused (an approved order not confirmed yet): shown, not chosen.
            "refusal": PACKING_SLIP.refusal(slip, "invoice"),
        }
        for slip in slips[:MAX_ROWS]
    ]
    return render(
        request,
        "invoicing/packing_slips.html",
        {
            "form": form,
            "rows": rows,
            "truncated": truncated,
            "max_rows": MAX_ROWS,
            "filters": request.GET.urlencode(),
        },
    )


def urls():
    return [path("packing-slips/", invoice_packing_slips, name="packing-slips")]
