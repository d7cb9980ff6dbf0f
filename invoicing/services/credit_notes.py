"""Credit notes: reverse a posted invoice fully or for chosen lines; cancel and correct."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import to_decimal
from salesmkt.core.transitions import lock, retry_on_conflict

from ..actions import INVOICE
from ..models import (
    DOCUMENT_FIELDS,
    CustomerTransaction,
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceLine,
)
from .invoices import _line, _save_lines, invoice_post

Kind = Invoice.Kind


def _credited_so_far(lines) -> dict[int, Decimal]:
    """What posted credit notes credited of each of these invoice lines (one query)."""
    return dict(
        InvoiceLine.objects.filter(
            credited_line__in=[line.pk for line in lines], invoice__status=Invoice.Status.POSTED
        )
        .values("credited_line")
        .annotate(quantity=Sum("quantity"))
        .values_list("credited_line", "quantity")
    )


def credit_note_create(
    *, invoice: Invoice, actor, lines: list[dict[str, Any]] | None = None
) -> Invoice:
    """Draft a credit note of a posted invoice: all of it, or `lines` ({invoice_line, quantity}).
    Refused as `INVOICE`'s `credit` action declares."""
    with transaction.atomic():
        invoice = lock(invoice)
        INVOICE.refuse(invoice, "credit")
        originals = {
            line.pk: line
            for line in invoice.lines.select_related("sales_tax_code").order_by("line_number")
        }
        credited = _credited_so_far(originals.values())
        wanted = (
            [
                {
                    "invoice_line": line,
                    "quantity": line.quantity - credited.get(line.pk, Decimal(0)),
                }
                for line in originals.values()
            ]
            if lines is None
            else lines
        )
        note = Invoice.objects.create(
            kind=Kind.CREDIT_NOTE,
            customer=invoice.customer,
            sales_order=invoice.sales_order,
            currency=invoice.currency,
            credited_invoice=invoice,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **_document_data(invoice),
        )
        if lines is None:  # all of it: its document allowances and charges too
            _copy_allowance_charges(invoice, note)
        new: list[InvoiceLine] = []
        for row in wanted:
            line = originals.get(getattr(row["invoice_line"], "pk", row["invoice_line"]))
            if line is None:
                raise DomainError(
                    _("A line of another invoice was given."),
                    code="line_not_on_invoice",
                    field="lines",
                )
            # A correction line (negative quantity) is credited with a negative quantity.
            sign = -1 if line.quantity < 0 else 1
            quantity = to_decimal(row["quantity"])
            left = line.quantity - credited.get(line.pk, Decimal(0))
            if sign * quantity <= 0 and lines is None:
                continue
            if sign * quantity <= 0 or sign * quantity > sign * left:
                raise ConflictError(
                    _("Line %(line)d: %(quantity)s is more than the %(left)s left to credit.")
                    % {"line": line.line_number, "quantity": quantity, "left": left},
                    code="over_crediting",
                )
            new.append(
                _line(
                    note,
                    len(new) + 1,
                    credited_line=line,
                    order_line_id=line.order_line_id,
                    item_id=line.item_id,
                    ledger_account_id=line.ledger_account_id,
                    description=line.description,
                    quantity=quantity,
                    unit_price=line.unit_price,
                    discount_amount=line.discount_amount,
                    discount_percent=line.discount_percent,
                    price_base_quantity=line.price_base_quantity,
                    unit_code=line.unit_code,
                    sales_tax_code=line.sales_tax_code,
                )
            )
        if not new:
            raise ConflictError(
                _("Nothing is left to credit on the invoice."), code="nothing_to_credit"
            )
        record_event(actor=actor, obj=note, action="created", data={"credits": invoice.number})
        return _save_lines(note, new)


def _document_data(invoice: Invoice) -> dict[str, Any]:
    """What a credit note or a corrected copy keeps of the invoice: the buyer's references and
    where and when the goods went (an intra-community supply's credit note names them too)."""
    return {field: getattr(invoice, field) for field in DOCUMENT_FIELDS}


def _copy_allowance_charges(source: Invoice, target: Invoice) -> None:
    InvoiceAllowanceCharge.objects.bulk_create(
        [
            InvoiceAllowanceCharge(
                invoice=target,
                is_charge=entry.is_charge,
                reason=entry.reason,
                reason_code=entry.reason_code,
                percent=entry.percent,
                base_amount=entry.base_amount,
                amount=entry.amount,
                sales_tax_code=entry.sales_tax_code,
                ledger_account=entry.ledger_account,
            )
            for entry in source.allowance_charges.all()
        ]
    )


def _lock_open_item(invoice: Invoice) -> None:
    # Locked: a payment applied meanwhile waits, and then finds the invoice paid.
    CustomerTransaction.objects.select_for_update().filter(invoice=invoice).first()


@retry_on_conflict
def invoice_cancel(*, invoice: Invoice, actor) -> Invoice:
    """Cancel an unpaid posted invoice: a full credit note is posted and the order lines'
    invoice remainders come back. Refused as `INVOICE`'s `cancel` action declares."""
    with transaction.atomic():
        invoice = lock(invoice)
        _lock_open_item(invoice)
        INVOICE.refuse(invoice, "cancel")
        note = invoice_post(invoice=credit_note_create(invoice=invoice, actor=actor), actor=actor)
        record_event(actor=actor, obj=invoice, action="canceled", data={"credit_note": note.number})
        return note


def invoice_correct(*, invoice: Invoice, actor) -> Invoice:
    """Cancel the invoice and open a new draft copy of it to fix; returns the draft. Refused as
    `INVOICE`'s `correct` action declares."""
    with transaction.atomic():
        locked = lock(invoice)
        _lock_open_item(locked)
        INVOICE.refuse(locked, "correct")
        invoice_cancel(invoice=invoice, actor=actor)
        draft = Invoice.objects.create(
            kind=invoice.kind,
            customer=invoice.customer,
            sales_order=invoice.sales_order,
            currency=invoice.currency,
            notes=invoice.notes,
            prepaid_amount=invoice.prepaid_amount,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **_document_data(invoice),
        )
        _copy_allowance_charges(invoice, draft)
        new = [
            _line(
                draft,
                line.line_number,
                order_line_id=line.order_line_id,
                packing_slip_id=line.packing_slip_id,
                item_id=line.item_id,
                ledger_account_id=line.ledger_account_id,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_amount=line.discount_amount,
                discount_percent=line.discount_percent,
                price_base_quantity=line.price_base_quantity,
                unit_code=line.unit_code,
                sales_tax_code=line.sales_tax_code,
            )
            for line in invoice.lines.select_related("sales_tax_code").order_by("line_number")
        ]
        record_event(actor=actor, obj=draft, action="created", data={"corrects": invoice.number})
        return _save_lines(draft, new)
