"""Clerk UI of invoices: list, detail with lines, allowances and charges, totals and the
e-invoice's validation, post; the free text invoice form and the header form of any other draft;
invoice an order; apply a credit note's open credit to the customer's open invoices; download a
posted one's e-invoice."""

import re
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.forms.formsets import BaseFormSet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from orders.models import SalesOrder
from salesmkt.core.badges import money, status_badge
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.ui import Column, RecordAction, RecordFormView, RecordViews, error_text

from .. import cues
from ..actions import INVOICE, open_credit_item
from ..einvoice.checks import einvoice_result, peppol_applies
from ..einvoice.exports import einvoice_file
from ..einvoice.model import has_einvoice
from ..einvoice.validation import ValidatorUnavailable
from ..forms import (
    AllowanceChargeFormSet,
    FreeTextInvoiceForm,
    FreeTextLineFormSet,
    InvoiceHeaderForm,
    allowance_charge_rows,
    entered_forms,
    line_rows,
)
from ..models import Invoice
from ..services import credit_notes, invoices, payments
from .payments import apply_from_form, open_invoice_rows


def open_credit(invoice: Invoice) -> Decimal:
    """What a posted credit note still has to apply (a positive amount; zero when none)."""
    item = open_credit_item(invoice)
    return -item.remaining if item is not None and item.remaining < 0 else Decimal(0)


def record_fields(resource: type[RecordViews], obj) -> list[tuple]:
    """The record's `detail_fields` as the generic detail page lists them."""
    fields = []
    for name in resource.detail_fields:
        display = getattr(obj, f"get_{name}_display", None)
        fields.append(
            (obj._meta.get_field(name).verbose_name, display() if display else getattr(obj, name))
        )
    return fields


def _label(name: str):
    return Invoice._meta.get_field(name).verbose_name


def document_data(invoice: Invoice) -> list[tuple]:
    """The invoice's references, delivery (or period), deliver-to address, prepaid amount,
    payment reference and exchange rate: those it has."""
    rows = [
        (_label(name), getattr(invoice, name))
        for name in ("buyer_reference", "order_reference", "delivery_date")
        if getattr(invoice, name)
    ]
    if invoice.period_start or invoice.period_end:
        period = " – ".join(
            formats.localize(day) if day else "…"
            for day in (invoice.period_start, invoice.period_end)
        )
        rows.append((_("invoicing period"), period))
    city = " ".join(filter(None, [invoice.delivery_postal_code, invoice.delivery_city]))
    address = ", ".join(
        filter(
            None,
            [
                invoice.delivery_name,
                invoice.delivery_street,
                invoice.delivery_street2,
                city,
                invoice.delivery_country,
            ],
        )
    )
    if address:
        rows.append((_label("delivery_name"), address))
    if invoice.prepaid_amount:
        rows.append((_label("prepaid_amount"), invoice.prepaid_amount))
    if invoice.payment_reference:
        rows.append((_label("payment_reference"), invoice.payment_reference))
    if invoice.exchange_rate is not None:
        rate = formats.number_format(
            Decimal(format(invoice.exchange_rate.normalize(), "f")), use_l10n=True
        )
        per = invoice.currency_code or invoice.currency.code
        unit = f"{invoice.tax_currency_code} / {per}" if invoice.tax_currency_code else ""
        rows.append((_label("exchange_rate"), f"{rate} {unit}".strip()))
    if invoice.tax_currency_code:
        rows.append((_label("tax_currency_code"), invoice.tax_currency_code))
    return rows


def allowance_charge_formset(request, instance):
    """The document allowances and charges of the form. A POST without them (an older form, a
    script) leaves the draft's as they are: the formset is then only shown, not bound."""
    posted = request.method == "POST" and "allowance_charges-TOTAL_FORMS" in request.POST
    return AllowanceChargeFormSet(
        request.POST if posted else None,
        instance=instance or Invoice(),
        prefix="allowance_charges",
    )


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
        Column(_("status"), status_badge(), sort="status"),
        Column(_("customer"), "customer.party.name", link=True, sort="customer__party__name"),
        Column(_("invoice date"), "invoice_date", sort="invoice_date"),
        Column(_("due date"), "due_date", sort="due_date"),
        Column(_("total amount"), money("total_amount"), align="end", sort="total_amount"),
        Column(_("payment"), status_badge("payment_state"), sort="payment_state"),
    ]
    search_fields = ["number", "customer__party__name", "customer__account_number"]
    filter_fields = ["kind", "status", "payment_state"]

    @classmethod
    def filterset_class(cls):
        # the work queues the role centre's cues open (`?queue=...`)
        return cues.invoice_filterset(super().filterset_class())

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
    # Each button shows as `INVOICE` (invoicing.actions) declares its action.
    actions = [
        RecordAction(
            "post",
            _("Post"),
            lambda i, user, data: invoices.invoice_post(invoice=i, actor=user),
            permission="invoicing.post_invoice",
            style="success",
            icon="bi-journal-check",
        ),
        RecordAction(
            "credit",
            _("Credit note"),
            lambda i, user, data: credit_notes.credit_note_create(invoice=i, actor=user),
            permission="add",
            icon="bi-arrow-counterclockwise",
            redirect=lambda i, note: reverse("invoicing:invoices-detail", args=[note.pk]),
        ),
        RecordAction(
            "cancel",
            _("Cancel"),
            lambda i, user, data: credit_notes.invoice_cancel(invoice=i, actor=user),
            permission="invoicing.post_invoice",
            style="outline-danger",
            icon="bi-x-circle",
            confirm=_("Cancel the invoice? A full credit note is posted."),
        ),
        RecordAction(
            "correct",
            _("Correct"),
            lambda i, user, data: credit_notes.invoice_correct(invoice=i, actor=user),
            permission="invoicing.post_invoice",
            icon="bi-pencil-square",
            confirm=_("Cancel the invoice and open a corrected draft?"),
            redirect=lambda i, draft: reverse("invoicing:invoices-detail", args=[draft.pk]),
        ),
        RecordAction(
            "apply_credit",
            _("Apply to oldest invoices"),
            lambda i, user, data: payments.credit_note_auto_apply(credit_note=i, actor=user),
            permission="invoicing.add_paymentapplication",
            icon="bi-magic",
        ),
        RecordAction(
            "send",
            _("Send"),
            lambda i, user, data: invoices.invoice_send(invoice=i, actor=user),
            icon="bi-envelope",
        ),
    ]

    @classmethod
    def editable(cls, obj):
        """Edit opens the free text form, lines and all: `INVOICE`'s `edit_lines` action. Any
        other draft's header is edited from its own form (`header_edit_url`)."""
        return INVOICE.refusal(obj, "edit_lines") is None

    @classmethod
    def get_forms(cls, request, instance=None):
        data = request.POST if request.method == "POST" else None
        return {
            "form": FreeTextInvoiceForm(data, instance=instance),
            "lines": FreeTextLineFormSet(data, instance=instance or Invoice(), prefix="lines"),
            "allowance_charges": allowance_charge_formset(request, instance),
        }

    @classmethod
    def forms_to_data(cls, bound, instance=None):
        data = dict(bound["form"].cleaned_data)
        if "lines" in bound:
            data["lines"] = line_rows(bound["lines"])
        if bound["allowance_charges"].is_bound:
            data["allowance_charges"] = allowance_charge_rows(bound["allowance_charges"])
        return data

    @classmethod
    def run_create(cls, data, actor):
        pro_forma = data.pop("pro_forma", False)
        return invoices.free_text_invoice_create(data=data, actor=actor, pro_forma=pro_forma)

    @classmethod
    def run_update(cls, instance, data, actor):
        return invoices.free_text_invoice_update(instance=instance, data=data, actor=actor)

    @classmethod
    def get_queryset(cls):
        return Invoice.objects.select_related(
            "customer__party", "currency", "sales_order", "voucher", "open_item"
        )

    @classmethod
    def detail_context(cls, request, obj):
        lines = list(
            obj.lines.select_related("item__unit", "ledger_account", "sales_tax_code").order_by(
                "line_number"
            )
        )
        charges = list(obj.allowance_charges.select_related("sales_tax_code", "ledger_account"))
        totals = invoices.invoice_totals(obj, lines, charges) if lines else None
        credit = open_credit(obj)
        header_edit = (
            INVOICE.refusal(obj, "update") is None
            and not cls.editable(obj)
            and request.user.has_perm(cls.perm("change"))
        )
        return {
            "fields": [*record_fields(cls, obj), *document_data(obj)],
            "lines": lines,
            "allowance_charges": charges,
            "totals": totals,
            "amount_due": totals.total - obj.prepaid_amount if totals else None,
            "allowance_deduction": -totals.allowance_total if totals else None,
            "prepaid_deduction": -obj.prepaid_amount,
            "show_price_base": any(line.price_base_quantity != 1 for line in lines),
            "einvoice_checked": has_einvoice(obj),
            "header_edit_url": (
                reverse("invoicing:invoices-header", args=[obj.pk]) if header_edit else ""
            ),
            "entries": obj.voucher.entries.select_related("account") if obj.voucher_id else [],
            "open_credit": credit,
            "credit_targets": open_invoice_rows(obj, credit) if credit else [],
            "can_apply_credit": request.user.has_perm("invoicing.add_paymentapplication"),
            "can_view_statement": request.user.has_perm("invoicing.view_customertransaction"),
            "einvoice_refusal": INVOICE.refusal(obj, "einvoice"),
        }


# A service's error key for one row of a formset: `lines[1].quantity`.
ROW_ERROR = re.compile(r"^(?P<rows>lines|allowance_charges)\[(?P<index>\d+)\]\.(?P<field>\w+)$")
ROW_NAMES = {
    "lines": _("Line %(number)d"),
    "allowance_charges": _("Allowance or charge %(number)d"),
}


def place_service_errors(bound: dict, exc: ValidationError) -> None:
    """Show a service's refusal on the form: a header field's error next to the field, a row's
    (`lines[1].quantity`) next to the row's field and, naming the row, above the form; any
    other as the form's own error."""
    form = bound["form"]
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for key, field_errors in errors.items():
        match = ROW_ERROR.match(key or "")
        if key in form.fields:
            for message in field_errors:
                form.add_error(key, message)
            continue
        if match and match["rows"] in bound and bound[match["rows"]].is_bound:
            rows = entered_forms(bound[match["rows"]])
            index, field = int(match["index"]), match["field"]
            row = rows[index] if index < len(rows) else None
            name = ROW_NAMES[match["rows"]] % {"number": index + 1}
            label = row.fields[field].label if row is not None and field in row.fields else field
            for message in field_errors:
                if row is not None and field in row.fields:
                    row.add_error(field, message)
                form.add_error(None, f"{name}, {label}: {message}")
            continue
        for message in field_errors:
            form.add_error(None, message if key in (None, "__all__") else f"{key}: {message}")


class InvoiceFormView(RecordFormView):
    """The free text invoice form (create, edit; its pro forma) or, `header_only`, the header and
    the allowances and charges of any draft: an invoice of an order takes its lines from it."""

    header_only = False

    def get_forms(self, instance):
        if not self.header_only:
            return self.resource.get_forms(self.request, instance)
        data = self.request.POST if self.request.method == "POST" else None
        return {
            "form": InvoiceHeaderForm(data, instance=instance),
            "allowance_charges": allowance_charge_formset(self.request, instance),
        }

    def render_forms(self, bound, instance, status=200):
        context = {
            **self.base_context(),
            "obj": instance,
            "forms": bound,
            "form": bound["form"],
            "lines": bound.get("lines"),
            "allowance_charges": bound["allowance_charges"],
            "header_only": self.header_only,
            "cancel_url": (
                reverse(self.resource.url_name("detail"), args=[instance.pk])
                if instance
                else reverse(self.resource.url_name("list"))
            ),
        }
        return render(self.request, "invoicing/invoice_form.html", context, status=status)

    def refused(self, instance):
        """A posted invoice is not edited; one whose lines come from elsewhere is edited by
        its header form."""
        if instance is None:
            return None
        detail = reverse(self.resource.url_name("detail"), args=[instance.pk])
        refusal = INVOICE.refusal(instance, "update")
        if refusal is not None:
            messages.error(self.request, str(refusal.message))
            return HttpResponseRedirect(detail)
        if not self.header_only and INVOICE.refusal(instance, "edit_lines") is not None:
            return HttpResponseRedirect(reverse("invoicing:invoices-header", args=[instance.pk]))
        return None

    def get(self, request, pk=None):
        instance = self.get_instance()
        return self.refused(instance) or self.render_forms(self.get_forms(instance), instance)

    def post(self, request, pk=None):
        r = self.resource
        instance = self.get_instance()
        bound = self.get_forms(instance)
        shown = [f for f in bound.values() if not (isinstance(f, BaseFormSet) and not f.is_bound)]
        if all([f.is_valid() for f in shown]):  # a list: every form shows its errors
            try:
                data = r.forms_to_data(bound, instance)
                if instance is None:
                    obj = r.run_create(data, request.user)
                    messages.success(request, gettext("%(name)s created.") % {"name": obj})
                else:
                    obj = r.run_update(instance, data, request.user)
                    messages.success(request, gettext("%(name)s saved.") % {"name": obj})
                return HttpResponseRedirect(reverse(r.url_name("detail"), args=[obj.pk]))
            except ValidationError as exc:
                place_service_errors(bound, exc)
            except DomainError as exc:
                form = bound["form"]
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            if instance is not None:
                instance.refresh_from_db()
        return self.render_forms(bound, instance, status=400)


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


@login_required
@permission_required("invoicing.view_invoice", raise_exception=True)
def invoice_einvoice_check(request, pk):
    """The e-invoice panel of a posted invoice or credit note (loaded by htmx after the page):
    its UBL judged by the CEN EN 16931 rules and by Peppol BIS Billing 3.0, whether or not the
    customer receives over Peppol."""
    invoice = get_object_or_404(
        Invoice.objects.select_related("customer__party", "currency"), pk=pk
    )
    context = {"obj": invoice, "result": None, "unavailable": ""}
    if has_einvoice(invoice):
        try:
            result = einvoice_result(invoice, peppol=True)
        except ValidatorUnavailable as exc:
            context["unavailable"] = str(exc)
        else:
            context["result"] = result
            context["rule_sets"] = [
                {
                    "key": rule_set.key,
                    "name": rule_set.name,
                    "ok": rule_set.ok,
                    "fatal": [_shown_rule(message) for message in rule_set.fatal],
                    "warnings": [_shown_rule(message) for message in rule_set.warnings],
                }
                for rule_set in result.rule_sets
            ]
        context["peppol_receiver"] = peppol_applies(invoice)
    return render(request, "invoicing/_einvoice_panel.html", context)


def _shown_rule(message) -> dict:
    """A rule's message for the panel: the CEN rules repeat their id in front of the text."""
    text = re.sub(rf"^\[{re.escape(message.id)}\]\s*-?\s*", "", message.text.strip())
    return {"id": message.id, "text": text, "path": message.path}


def urls():
    forms_of = {
        "invoices-create": InvoiceFormView.as_view(resource=InvoiceViews),
        "invoices-update": InvoiceFormView.as_view(resource=InvoiceViews),
    }
    return [
        *[
            path(str(url.pattern), forms_of[url.name], name=url.name)
            if url.name in forms_of
            else url
            for url in InvoiceViews.urls()
        ],
        path(
            "invoices/<int:pk>/header/",
            InvoiceFormView.as_view(resource=InvoiceViews, header_only=True),
            name="invoices-header",
        ),
        path("invoices/<int:pk>/einvoice/", invoice_einvoice_check, name="invoice-einvoice-check"),
        path("orders/<int:pk>/invoice/", invoice_order, name="invoice-order"),
        path("invoices/<int:pk>/apply-credit/", invoice_apply_credit, name="invoice-apply-credit"),
        path("invoices/<int:pk>/ubl/", invoice_einvoice, {"syntax": "ubl"}, name="invoice-ubl"),
        path("invoices/<int:pk>/cii/", invoice_einvoice, {"syntax": "cii"}, name="invoice-cii"),
    ]
