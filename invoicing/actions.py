"""What may happen next to invoices, credit notes, pro formas, invoice runs and packing slips,
and the invoicing actions of a sales order (`salesmkt.core.actions`): each action's conditions,
once. The services refuse with these, the pages show their buttons by them, the admin offers
its actions by them and the API lists them as `allowed_actions`.

Orders never import this module (dependencies run downhill): invoicing adds its actions to the
order's registry, `SALES_ORDER`, and declares the packing slip's, `PACKING_SLIP`, here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.actions import SALES_ORDER, commit_refusal
from orders.models import PackingSlip, SalesOrder, SalesOrderLine
from salesmkt.core.actions import DocumentActions, Refusal, first, never

from .einvoice.exports import NotAnEInvoice
from .einvoice.model import has_einvoice
from .models import CustomerTransaction, Invoice, InvoiceRun, Payment
from .selectors import drafted_quantities, packing_slips_on_drafts
from .services.ledger_chain import last_document, series_of

INVOICE = DocumentActions(Invoice)
INVOICE_RUN = DocumentActions(InvoiceRun)
PACKING_SLIP = DocumentActions(PackingSlip)
PAYMENT = DocumentActions(Payment)

Kind = Invoice.Kind
PaymentState = Invoice.PaymentState

# The codes an order's commit refusal gives (`orders.actions.commit_refusal`).
COMMIT_CODES = ("approval_pending", "approval_rejected", "not_confirmed")


def refuse(actions: DocumentActions, obj, name: str, *, answered: Iterable[str] = ()) -> None:
    """Raise the declared refusal of `name` on `obj` (409 with its code), unless the caller's
    input answers it: `answered` names the refusal codes the input makes moot (an address given
    to send to, ordered quantities asked for)."""
    refusal = actions.refusal(obj, name)
    if refusal is not None and refusal.code not in answered:
        raise refusal.error()


def hiding(check):
    """The refusal of `check`, as one that hides the button (the approval gate: a document
    waiting for a sales manager shows nothing that commits the company)."""

    def hidden(obj) -> Refusal | None:
        refusal = check(obj)
        return replace(refusal, status=True) if refusal is not None else None

    return hidden


# --- invoices, credit notes and pro formas ------------------------------------------------------


def posted(invoice: Invoice) -> Refusal | None:
    if invoice.status != Invoice.Status.DRAFT:
        return Refusal(
            "invoice_posted",
            _("A posted invoice never changes; correct it with a credit note."),
            status=True,
        )
    return None


def lines_not_entered(invoice: Invoice) -> Refusal | None:
    """A draft's lines are entered by hand only on a free text invoice or its pro forma: an
    invoice (or pro forma) of an order or of packing slips takes its lines from them, a credit
    note from the invoice it credits."""
    if invoice.sales_order_id is not None or invoice.kind not in (Kind.FREE_TEXT, Kind.PRO_FORMA):
        return Refusal(
            "invoice_not_editable",
            _("Only a draft free text invoice is edited; post or delete the others."),
            status=True,
        )
    return None


# Edit: a draft's header (dates, references, delivery, prepaid), allowances and charges.
INVOICE.add("update", gettext_lazy("Edit"), check=posted, codes=("invoice_posted",))
# Edit its lines too: a free text invoice's or its pro forma's (the clerk UI's free text form).
INVOICE.add(
    "edit_lines",
    gettext_lazy("Edit lines"),
    check=first(posted, lines_not_entered),
    codes=("invoice_posted", "invoice_not_editable"),
)
INVOICE.add(
    "delete",
    gettext_lazy("Delete"),
    check=posted,
    codes=("invoice_posted",),
    permission="invoicing.delete_invoice",
)


def _lines_prefetched(invoice: Invoice) -> bool:
    return "lines" in getattr(invoice, "_prefetched_objects_cache", {})


def billed_orders(invoice: Invoice) -> list[SalesOrder]:
    """The orders whose lines the invoice bills: from its prefetched lines (the API's lists
    prefetch them with their order lines' orders) or in one query."""
    if _lines_prefetched(invoice):
        found = {
            line.order_line.order_id: line.order_line.order
            for line in invoice.lines.all()
            if line.order_line_id is not None
        }
        return [found[pk] for pk in sorted(found)]
    return list(
        SalesOrder.objects.filter(
            pk__in=SalesOrderLine.objects.filter(invoice_lines__invoice=invoice).values("order_id")
        ).order_by("pk")
    )


def _pro_forma(invoice: Invoice) -> Refusal | None:
    if invoice.kind == Kind.PRO_FORMA:
        return Refusal(
            "pro_forma_not_postable",
            _("A pro forma invoice is an estimate and is never posted."),
            status=True,
        )
    return None


def _no_lines(invoice: Invoice) -> Refusal | None:
    has_lines = (
        bool(list(invoice.lines.all())) if _lines_prefetched(invoice) else invoice.lines.exists()
    )
    if not has_lines:
        return Refusal("invoice_has_no_lines", _("The invoice has no lines."))
    return None


def _orders_uncommitted(invoice: Invoice) -> Refusal | None:
    """The orders an invoice (or a return's credit note) bills must be approved when they need
    approval, and then confirmed. A credit note of a posted invoice corrects what was billed
    and is never held back."""
    credit = invoice.kind == Kind.CREDIT_NOTE
    for order in billed_orders(invoice):
        if credit and not order.is_return:
            continue
        refusal = commit_refusal(order)
        if refusal is not None:
            return refusal
    return None


def date_sequence_refusal(invoice_date: date, last: Invoice | None) -> Refusal | None:
    """Numbers ascend with dates in a series (chronological numbering, as the Norwegian
    bookkeeping regulation, Swedish and Dutch practice ask): a document is not dated before
    `last`, its series' last posted one."""
    if last is None or last.invoice_date is None or invoice_date >= last.invoice_date:
        return None
    return Refusal(
        "date_out_of_sequence",
        _(
            "The date %(date)s is before %(last_date)s, the date of %(last_number)s, the last "
            "posted in its series: date it %(last_date)s or later."
        )
        % {
            "date": date_format(invoice_date),
            "last_date": date_format(last.invoice_date),
            "last_number": last.number,
        },
        params={"last_date": last.invoice_date.isoformat(), "last_number": last.number},
    )


_NOT_PREPARED = object()


@INVOICE.preparer
def _last_posted_of_a_page(invoices: list[Invoice]) -> None:
    """The last posted document of each series a page's drafts would be posted in (one query a
    series for the page)."""
    drafts = [i for i in invoices if i.status == Invoice.Status.DRAFT and i.kind != Kind.PRO_FORMA]
    last = {series: last_document(series) for series in {series_of(i) for i in drafts}}
    for invoice in drafts:
        invoice.last_posted_in_series = last[series_of(invoice)]


def _date_out_of_sequence(invoice: Invoice) -> Refusal | None:
    """Dated (today, when it has no date) before its series' last posted document. The service
    asks again under the series' lock."""
    last = getattr(invoice, "last_posted_in_series", _NOT_PREPARED)
    if last is _NOT_PREPARED:
        last = last_document(series_of(invoice))
    return date_sequence_refusal(invoice.invoice_date or timezone.localdate(), last)


INVOICE.add(
    "post",
    gettext_lazy("Post"),
    transition="post",
    check=first(_pro_forma, _no_lines, _orders_uncommitted, _date_out_of_sequence),
    codes=(
        "pro_forma_not_postable",
        "invoice_has_no_lines",
        *COMMIT_CODES,
        "date_out_of_sequence",
    ),
    permission="invoicing.post_invoice",
)


def _not_sendable(invoice: Invoice) -> Refusal | None:
    """A posted invoice or credit note, or a pro forma, goes to the customer; a draft does not
    (it has no number yet and may still change)."""
    if invoice.status != Invoice.Status.POSTED and invoice.kind != Kind.PRO_FORMA:
        return Refusal(
            "invoice_not_posted",
            _("Only a posted invoice or a pro forma is sent; post the draft first."),
            status=True,
        )
    return None


def _no_email(invoice: Invoice) -> Refusal | None:
    if not invoice.customer.party.email:
        return Refusal("no_email", _("The customer has no email address; give one."))
    return None


# Refused `no_email` only when no address is given: the API's send/ takes one.
INVOICE.add(
    "send",
    gettext_lazy("Send"),
    check=first(_not_sendable, _no_email),
    codes=("invoice_not_posted", "no_email"),
)


def _not_a_posted_invoice(message):
    def check(invoice: Invoice) -> Refusal | None:
        if invoice.status != Invoice.Status.POSTED or invoice.kind == Kind.CREDIT_NOTE:
            return Refusal("not_creditable", message(), status=True)
        return None

    return check


def _credited(invoice: Invoice) -> Refusal | None:
    if invoice.payment_state == PaymentState.CREDITED:
        return Refusal(
            "nothing_to_credit", _("Nothing is left to credit on the invoice."), status=True
        )
    return None


def _open_item(invoice: Invoice) -> CustomerTransaction | None:
    """The posted invoice's open item (joined by the pages and the API's lists), or None."""
    try:
        return invoice.open_item
    except CustomerTransaction.DoesNotExist:
        return None


def _paid(invoice: Invoice) -> Refusal | None:
    """Paid or partly paid: by its payment state, and by its open item, which the service locks
    before it asks (a settlement is what counts)."""
    item = _open_item(invoice)
    settled = item is None or item.remaining != item.amount
    if settled or invoice.payment_state in (PaymentState.PARTLY_PAID, PaymentState.PAID):
        return Refusal(
            "invoice_paid",
            _("The invoice is paid or partly paid: credit it and refund the customer instead."),
            status=True,
        )
    return None


INVOICE.add(
    "credit",
    gettext_lazy("Credit note"),
    check=first(
        _not_a_posted_invoice(lambda: _("Only a posted invoice can be credited.")), _credited
    ),
    codes=("not_creditable", "nothing_to_credit"),
    permission="invoicing.add_invoice",
)

_cancelable = first(
    _not_a_posted_invoice(lambda: _("Only a posted invoice can be canceled.")), _credited, _paid
)
INVOICE.add(
    "cancel",
    gettext_lazy("Cancel"),
    check=_cancelable,
    codes=("not_creditable", "nothing_to_credit", "invoice_paid"),
    permission="invoicing.post_invoice",
)
INVOICE.add(
    "correct",
    gettext_lazy("Correct"),
    check=_cancelable,
    codes=("not_creditable", "nothing_to_credit", "invoice_paid"),
    permission="invoicing.post_invoice",
)


def open_credit_item(invoice: Invoice) -> CustomerTransaction | None:
    """A posted credit note's open item (joined by the API's lists), or None."""
    if invoice.kind != Kind.CREDIT_NOTE or invoice.status != Invoice.Status.POSTED:
        return None
    return _open_item(invoice)


def _no_open_credit(invoice: Invoice) -> Refusal | None:
    item = open_credit_item(invoice)
    if item is None:
        return Refusal(
            "credit_not_open", _("Only a posted credit note has credit to apply."), status=True
        )
    if item.remaining >= 0:
        return Refusal(
            "credit_not_open", _("The credit note has no open credit left."), status=True
        )
    return None


# Apply a posted credit note's open credit: to one open invoice, or to the oldest first.
INVOICE.add(
    "apply_credit",
    gettext_lazy("Apply to oldest invoices"),
    check=_no_open_credit,
    codes=("credit_not_open",),
    permission="invoicing.add_paymentapplication",
)


def _not_an_einvoice(invoice: Invoice) -> Refusal | None:
    if not has_einvoice(invoice):
        return Refusal("not_posted", NotAnEInvoice.default_message, status=True)
    return None


# Download the e-invoice XML (UBL, Factur-X CII): a posted invoice or credit note has one.
INVOICE.add(
    "einvoice",
    gettext_lazy("E-invoice"),
    check=_not_an_einvoice,
    codes=("not_posted",),
    permission="invoicing.view_invoice",
)


# --- payments -----------------------------------------------------------------------------------


# A registered payment is posted: it is settled or refunded, never edited nor deleted.
PAYMENT.add(
    "update",
    gettext_lazy("Edit"),
    check=never("payment_posted", gettext_lazy("A posted payment cannot be changed.")),
    codes=("payment_posted",),
)
PAYMENT.add(
    "delete",
    gettext_lazy("Delete"),
    check=never("payment_posted", gettext_lazy("A posted payment cannot be deleted.")),
    codes=("payment_posted",),
    permission="invoicing.delete_payment",
)


@PAYMENT.action(
    "auto_apply",
    gettext_lazy("Auto-apply"),
    codes=("payment_applied",),
    permission="invoicing.add_paymentapplication",
)
def payment_auto_apply_refusal(payment: Payment) -> Refusal | None:
    if payment.unapplied <= 0:
        return Refusal("payment_applied", _("The payment is applied in full."), status=True)
    return None


# --- invoice runs -------------------------------------------------------------------------------


# A run is the record of what was posted: it is not edited nor deleted.
_RUN_IS_A_RECORD = gettext_lazy("An invoice run is a record of what was posted.")
INVOICE_RUN.add(
    "update",
    gettext_lazy("Edit"),
    check=never("invoice_run_not_editable", _RUN_IS_A_RECORD),
    codes=("invoice_run_not_editable",),
)
INVOICE_RUN.add(
    "delete",
    gettext_lazy("Delete"),
    check=never("invoice_run_not_editable", _RUN_IS_A_RECORD),
    codes=("invoice_run_not_editable",),
    permission="invoicing.delete_invoicerun",
)


@INVOICE_RUN.action(
    "resume",
    gettext_lazy("Resume"),
    codes=("invoice_run_done",),
    permission="invoicing.add_invoicerun",
)
def invoice_run_resume_refusal(run: InvoiceRun) -> Refusal | None:
    if run.status == InvoiceRun.Status.DONE:
        return Refusal(
            "invoice_run_done", _("The invoice run is done: nothing is left to post."), status=True
        )
    return None


# --- packing slips ------------------------------------------------------------------------------


def _slip_invoiced(slip: PackingSlip) -> Refusal | None:
    if slip.invoiced:
        return Refusal(
            "packing_slip_invoiced",
            _("Already invoiced or on a draft invoice: %(slips)s.") % {"slips": slip.number},
            status=True,
        )
    return None


def _slip_of_a_return(slip: PackingSlip) -> Refusal | None:
    if slip.order.is_return:
        return Refusal(
            "order_not_invoiceable", _("Returns are credited, not invoiced."), status=True
        )
    return None


def _slip_on_a_draft(slip: PackingSlip) -> Refusal | None:
    """On a draft invoice: deleting the draft frees it. From the annotation of the lists
    (`selectors.with_draft_flag`) or one query."""
    on_draft = getattr(slip, "on_draft_invoice", None)
    if on_draft is None:
        on_draft = bool(packing_slips_on_drafts([slip.pk]))
    if on_draft:
        return Refusal(
            "packing_slip_invoiced",
            _("Already invoiced or on a draft invoice: %(slips)s.") % {"slips": slip.number},
        )
    return None


def _slip_order_uncommitted(slip: PackingSlip) -> Refusal | None:
    return commit_refusal(slip.order)


@PACKING_SLIP.preparer
def _slips_on_drafts(slips: list[PackingSlip]) -> None:
    """Which slips of a page are on a draft invoice (one query for the page)."""
    on_drafts = packing_slips_on_drafts([slip.pk for slip in slips])
    for slip in slips:
        slip.on_draft_invoice = slip.pk in on_drafts


PACKING_SLIP.add(
    "invoice",
    gettext_lazy("Create invoice"),
    check=first(_slip_invoiced, _slip_of_a_return, _slip_on_a_draft, _slip_order_uncommitted),
    codes=("packing_slip_invoiced", "order_not_invoiceable", *COMMIT_CODES),
    permission="invoicing.add_invoice",
)


# --- sales orders: invoice and pro forma --------------------------------------------------------


def quantities_to_invoice(
    lines: Iterable[SalesOrderLine],
    *,
    ordered_quantities: bool = False,
    held: Mapping[int, Decimal] | None = None,
) -> list[tuple[SalesOrderLine, Decimal]]:
    """What an invoice of the order takes of each line: what was delivered (a return: what
    arrived) and not invoiced, or when invoicing ordered quantities everything left to invoice;
    less what draft invoices `held` already. Lines with nothing to take are left out."""
    held = held or {}
    taken = []
    for line in lines:
        basis = (
            line.invoice_remainder
            if ordered_quantities
            else line.delivered_quantity - line.invoiced_quantity
        )
        quantity = min(basis, line.invoice_remainder) - held.get(line.pk, Decimal(0))
        if quantity > 0:
            taken.append((line, quantity))
    return taken


def _order_not_invoiceable(order: SalesOrder) -> Refusal | None:
    if order.is_journal or order.status == SalesOrder.Status.CANCELED:
        return Refusal("order_not_invoiceable", _("This order cannot be invoiced."), status=True)
    return None


NOTHING_TO_INVOICE = gettext_lazy("Nothing on the order is waiting to be invoiced.")


def _nothing_to_invoice(*, pro_forma: bool):
    """Nothing delivered and not invoiced; for an invoice, nor anything that draft invoices do
    not hold already (a pro forma commits to nothing: drafts do not count). The drafts are asked
    only when the order's lines (prefetched by the lists) show something waiting."""

    def check(order: SalesOrder) -> Refusal | None:
        waiting = quantities_to_invoice(order.lines.all())
        if waiting and not pro_forma:
            lines = [line for line, _quantity in waiting]
            held = getattr(order, "drafted_quantities", None)
            if held is None:
                held = drafted_quantities([line.pk for line in lines])
            waiting = quantities_to_invoice(lines, held=held) if held else waiting
        if not waiting:
            return Refusal("nothing_to_invoice", str(NOTHING_TO_INVOICE))
        return None

    return check


@SALES_ORDER.preparer
def _drafted_quantities_of_a_page(orders: list[SalesOrder]) -> None:
    """What draft invoices hold of the lines of a page of orders (one query for the page)."""
    lines = [
        line.pk for order in orders for line, _quantity in quantities_to_invoice(order.lines.all())
    ]
    held = drafted_quantities(lines) if lines else {}
    for order in orders:
        order.drafted_quantities = held


# Invoice what the order delivered (a return: credit what arrived).
SALES_ORDER.add(
    "invoice",
    gettext_lazy("Invoice delivered quantities"),
    check=first(
        _order_not_invoiceable, hiding(commit_refusal), _nothing_to_invoice(pro_forma=False)
    ),
    codes=("order_not_invoiceable", *COMMIT_CODES, "nothing_to_invoice"),
    permission="invoicing.add_invoice",
)
# A pro forma is an estimate: it commits the company to nothing, so approval does not gate it.
SALES_ORDER.add(
    "pro_forma",
    gettext_lazy("Pro forma invoice"),
    check=first(_order_not_invoiceable, _nothing_to_invoice(pro_forma=True)),
    codes=("order_not_invoiceable", "nothing_to_invoice"),
    permission="invoicing.add_invoice",
)
