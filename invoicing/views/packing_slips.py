"""Clerk UI of packing slips: the list and page of every posted slip (with its printable PDF),
and the choice of posted slips of one customer to draft one invoice of them."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from crm.forms import DateInput
from crm.models import Customer
from orders.models import PackingSlip
from salesmkt.core.documents import documents_for
from salesmkt.core.errors import DomainError
from salesmkt.core.ui import Column, RecordViews, error_text

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


def _lines_text(slip) -> str:
    return "; ".join(
        f"{number_text(line.quantity)} × {line.order_line.item.name}" for line in slip.lines.all()
    )


def number_text(quantity) -> str:
    from salesmkt.core.history import format_quantity

    return format_quantity(quantity)


# Posted slips never change: they are made by posting a delivery on their order's page.
NOT_HERE = "orders.post_packing_slips_from_their_order"


class PackingSlipViews(RecordViews):
    """The posted packing slips: what left the warehouse, when, for which order; each slip's
    page shows its lines, its PDF (printable) and whether it is invoiced."""

    model = PackingSlip
    namespace = "invoicing"
    slug = "posted-packing-slips"
    icon = "bi-truck"
    detail_template = "invoicing/packing_slip_detail.html"
    columns = [
        Column(_("number"), "number", link=True, sort="number"),
        Column(_("order"), "order.number", sort="order__number"),
        Column(_("customer"), "order.customer.party.name", sort="order__customer__party__name"),
        Column(_("delivery date"), "delivery_date", sort="delivery_date"),
        Column(_("lines"), _lines_text),
        Column(_("invoiced"), "invoiced", sort="invoiced"),
    ]
    search_fields = ["number", "order__number", "order__customer__party__name"]
    filter_fields = ["invoiced"]
    default_ordering = "-posted_at"
    detail_fields = [
        "number",
        (_("order"), lambda slip: slip.order.number),
        (_("customer"), lambda slip: slip.order.customer),
        "delivery_date",
        "posted_at",
        "posted_by",
        "invoiced",
    ]

    @classmethod
    def get_queryset(cls):
        return PackingSlip.objects.select_related(
            "order__customer__party", "posted_by"
        ).prefetch_related("lines__order_line__item__unit")

    @classmethod
    def perm(cls, action: str) -> str:
        if action in ("add", "change", "delete"):
            return NOT_HERE
        return super().perm(action)

    @classmethod
    def editable(cls, obj) -> bool:
        return False

    @classmethod
    def deletable(cls, obj) -> bool:
        return False

    @classmethod
    def related_sections(cls, obj):
        return [
            {
                "title": _("Lines"),
                "columns": [
                    Column(_("line"), "order_line.line_number"),
                    Column(_("item"), lambda line: line.order_line.item),
                    Column(_("quantity"), lambda line: number_text(line.quantity), align="end"),
                    Column(_("unit"), "order_line.item.unit.code"),
                ],
                "rows": list(obj.lines.all()),
            }
        ]

    @classmethod
    def detail_context(cls, request, obj):
        return {
            "order_url": reverse("orders:sales-orders-detail", args=[obj.order_id])
            if request.user.has_perm("orders.view_salesorder")
            else ""
        }

    @classmethod
    def urls(cls) -> list:
        pages = {f"{cls.slug}-list", f"{cls.slug}-detail"}
        made_elsewhere = [
            path(f"{cls.slug}/new/", _to_orders, name=f"{cls.slug}-create"),
            path(f"{cls.slug}/<int:pk>/edit/", _to_slip, name=f"{cls.slug}-update"),
            path(f"{cls.slug}/<int:pk>/delete/", _to_slip, name=f"{cls.slug}-delete"),
        ]
        return [url for url in super().urls() if url.name in pages] + made_elsewhere


@login_required
@permission_required(NOT_HERE, raise_exception=True)
def _to_orders(request):
    """A packing slip is posted from its order's page."""
    return HttpResponseRedirect(reverse("orders:sales-orders-list"))


@login_required
@permission_required(NOT_HERE, raise_exception=True)
def _to_slip(request, pk):
    """A posted packing slip never changes."""
    return HttpResponseRedirect(reverse("invoicing:posted-packing-slips-detail", args=[pk]))


@login_required
@permission_required("orders.view_packingslip", raise_exception=True)
def packing_slip_pdf(request, pk):
    """The slip's PDF, to print: its latest rendered document."""
    slip = get_object_or_404(PackingSlip, pk=pk)
    document = (
        documents_for(slip).filter(kind="packing_slip").exclude(status="failed").order_by("-pk")
    ).first()
    if document is None:
        raise Http404(gettext("The packing slip's PDF is not made yet."))
    return HttpResponseRedirect(reverse("document-pdf", args=[document.pk]))


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
def picking_list_pdf(request, pk):
    """The order's picking list as a PDF to print: what is left to deliver, per warehouse (made
    when asked: it changes with every delivery)."""
    from weasyprint import HTML

    from orders.models import SalesOrder
    from orders.services.orders import picking_list
    from salesmkt.core.documents import company

    order = get_object_or_404(SalesOrder.objects.select_related("customer__party"), pk=pk)
    html = render_to_string(
        "documents/picking_list.html",
        {
            "order": order,
            "picking": picking_list(order),
            "company": company(),
            "title": gettext("Picking list %(number)s") % {"number": order.number},
        },
        request=request,
    )
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="picking-list-{order.number}.pdf"'
    return response


def urls():
    return [
        path("orders/<int:pk>/picking-list.pdf", picking_list_pdf, name="picking-list-pdf"),
        path("packing-slips/", invoice_packing_slips, name="packing-slips"),
        path(
            "posted-packing-slips/<int:pk>/pdf/",
            packing_slip_pdf,
            name="posted-packing-slip-pdf",
        ),
        *PackingSlipViews.urls(),
    ]
