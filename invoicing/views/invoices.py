"""Clerk UI of invoices: list, detail with lines and totals, post; invoice an order; apply a
credit note's open credit to the customer's open invoices; download a posted one's e-invoice."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from orders.models import SalesOrder
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.tax import document_totals
from salesmkt.core.ui import Column, RecordAction, RecordViews, error_text, transition_available

from ..einvoice.exports import einvoice_file
from ..forms import FreeTextInvoiceForm, FreeTextLineFormSet, line_rows
from ..models import CustomerTransaction, Invoice
from ..services import credit_notes, invoices, payments
from .payments import apply_from_form, open_invoice_rows


def open_credit(invoice: Invoice) -> Decimal:
    """What a posted credit note still has to apply (a positive amount; zero when none)."""
    if invoice.kind != Invoice.Kind.CREDIT_NOTE or invoice.status != Invoice.Status.POSTED:
        return Decimal(0)
    remaining = (
        CustomerTransaction.objects.filter(invoice=invoice)
        .values_list("remaining", flat=True)
        .first()
    )
    return -remaining if remaining and remaining < 0 else Decimal(0)


def _posted_invoice(invoice: Invoice) -> bool:
    """Credit, cancel and correct apply to a posted invoice (not to a credit note)."""
    return invoice.status == Invoice.Status.POSTED and invoice.kind != Invoice.Kind.CREDIT_NOTE


class InvoiceViews(RecordViews):
    model = Invoice
    namespace = "invoicing"
    slug = "invoices"
    icon = "bi-receipt"
    detail_template = "invoicing/invoice_detail.html"
    list_template = "invoicing/invoice_list.html"
    columns = [
        Column(_("number"), "number", link=True, sort="number"),
        Column(_("type"), "kind", sort="kind"),
        Column(_("status"), "status", sort="status"),
        Column(_("customer"), "customer.party.name", link=True, sort="customer__party__name"),
        Column(_("invoice date"), "invoice_date", sort="invoice_date"),
        Column(_("due date"), "due_date", sort="due_date"),
        Column(_("total amount"), "total_amount", align="end", sort="total_amount"),
        Column(_("payment"), "payment_state", sort="payment_state"),
    ]
    search_fields = ["number", "customer__party__name", "customer__account_number"]
    filter_fields = ["kind", "status", "payment_state"]
    detail_fields = [
        "number",
        "kind",
        "status",
        "customer",
        "sales_order",
        "currency",
        "invoice_date",
        "due_date",
        "payment_state",
        "voucher",
        "notes",
        "created_at",
        "posted_at",
        "chain_hash",
    ]
    delete_service = invoices.invoice_delete
    actions = [
        RecordAction(
            "post",
            _("Post"),
            lambda i, user, data: invoices.invoice_post(invoice=i, actor=user),
            available=lambda i: (
                transition_available("post")(i) and i.kind != Invoice.Kind.PRO_FORMA
            ),
            permission="invoicing.post_invoice",
            style="success",
            icon="bi-journal-check",
        ),
        RecordAction(
            "credit",
            _("Credit note"),
            lambda i, user, data: credit_notes.credit_note_create(invoice=i, actor=user),
            available=lambda i: _posted_invoice(i) and i.payment_state != "credited",
            permission="add",
            icon="bi-arrow-counterclockwise",
            redirect=lambda i, note: reverse("invoicing:invoices-detail", args=[note.pk]),
        ),
        RecordAction(
            "cancel",
            _("Cancel"),
            lambda i, user, data: credit_notes.invoice_cancel(invoice=i, actor=user),
            available=lambda i: _posted_invoice(i) and i.payment_state == "unpaid",
            permission="invoicing.post_invoice",
            style="outline-danger",
            icon="bi-x-circle",
            confirm=_("Cancel the invoice? A full credit note is posted."),
        ),
        RecordAction(
            "correct",
            _("Correct"),
            lambda i, user, data: credit_notes.invoice_correct(invoice=i, actor=user),
            available=lambda i: _posted_invoice(i) and i.payment_state == "unpaid",
            permission="invoicing.post_invoice",
            icon="bi-pencil-square",
            confirm=_("Cancel the invoice and open a corrected draft?"),
            redirect=lambda i, draft: reverse("invoicing:invoices-detail", args=[draft.pk]),
        ),
        RecordAction(
            "apply_credit",
            _("Apply to oldest invoices"),
            lambda i, user, data: payments.credit_note_auto_apply(credit_note=i, actor=user),
            available=lambda i: open_credit(i) > 0,
            permission="invoicing.add_paymentapplication",
            icon="bi-magic",
        ),
        RecordAction(
            "send",
            _("Send"),
            lambda i, user, data: invoices.invoice_send(invoice=i, actor=user),
            available=lambda i: invoices.sendable(i) and bool(i.customer.party.email),
            icon="bi-envelope",
        ),
    ]

    @classmethod
    def editable(cls, obj):
        return invoices.lines_editable(obj)

    @classmethod
    def get_forms(cls, request, instance=None):
        data = request.POST if request.method == "POST" else None
        return {
            "form": FreeTextInvoiceForm(data, instance=instance),
            "lines": FreeTextLineFormSet(data, instance=instance or Invoice(), prefix="lines"),
        }

    @classmethod
    def forms_to_data(cls, bound, instance=None):
        data = dict(bound["form"].cleaned_data)
        data["lines"] = line_rows(bound["lines"])
        return data

    @classmethod
    def run_create(cls, data, actor):
        pro_forma = data.pop("pro_forma", False)
        return invoices.free_text_invoice_create(data=data, actor=actor, pro_forma=pro_forma)

    @classmethod
    def run_update(cls, instance, data, actor):
        return invoices.free_text_invoice_update(instance=instance, data=data, actor=actor)

    @classmethod
    def deletable(cls, obj):
        return obj.status == Invoice.Status.DRAFT

    @classmethod
    def get_queryset(cls):
        return Invoice.objects.select_related(
            "customer__party", "currency", "sales_order", "voucher"
        )

    @classmethod
    def detail_context(cls, request, obj):
        lines = list(
            obj.lines.select_related("item", "ledger_account", "sales_tax_code").order_by(
                "line_number"
            )
        )
        credit = open_credit(obj)
        return {
            "lines": lines,
            "totals": document_totals(lines) if lines else None,
            "entries": obj.voucher.entries.select_related("account") if obj.voucher_id else [],
            "open_credit": credit,
            "credit_targets": open_invoice_rows(obj, credit) if credit else [],
            "can_apply_credit": request.user.has_perm("invoicing.add_paymentapplication"),
            "can_view_statement": request.user.has_perm("invoicing.view_customertransaction"),
        }


@login_required
@permission_required("invoicing.add_invoice", raise_exception=True)
@require_POST
def invoice_order(request, pk):
    """Draft an invoice of what the order delivered and did not invoice yet."""
    order = get_object_or_404(SalesOrder, pk=pk)
    try:
        invoice = invoices.invoice_from_order(
            order=order, actor=request.user, pro_forma=request.POST.get("pro_forma") == "1"
        )
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
        return HttpResponseRedirect(reverse("orders:sales-orders-detail", args=[pk]))
    messages.success(request, gettext("Invoice drafted."))
    return HttpResponseRedirect(reverse("invoicing:invoices-detail", args=[invoice.pk]))


@login_required
@permission_required("invoicing.add_paymentapplication", raise_exception=True)
@require_POST
def invoice_apply_credit(request, pk):
    """Apply a credit note's open credit to one open invoice of the customer."""
    note = get_object_or_404(Invoice, pk=pk, kind=Invoice.Kind.CREDIT_NOTE)
    return apply_from_form(
        request,
        lambda **chosen: payments.credit_note_apply(credit_note=note, **chosen),
        reverse("invoicing:invoices-detail", args=[pk]),
    )


@login_required
@permission_required("invoicing.view_invoice", raise_exception=True)
def invoice_einvoice(request, pk, syntax):
    """Download the e-invoice XML of a posted invoice or credit note: UBL or Factur-X CII."""
    invoice = get_object_or_404(Invoice.objects.select_related("customer__party"), pk=pk)
    try:
        file = einvoice_file(invoice=invoice, syntax=syntax)
    except ConflictError as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("invoicing:invoices-detail", args=[pk]))
    return HttpResponse(
        file.content,
        content_type=file.content_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


def urls():
    return [
        *InvoiceViews.urls(),
        path("orders/<int:pk>/invoice/", invoice_order, name="invoice-order"),
        path("invoices/<int:pk>/apply-credit/", invoice_apply_credit, name="invoice-apply-credit"),
        path("invoices/<int:pk>/ubl/", invoice_einvoice, {"syntax": "ubl"}, name="invoice-ubl"),
        path("invoices/<int:pk>/cii/", invoice_einvoice, {"syntax": "cii"}, name="invoice-cii"),
    ]
