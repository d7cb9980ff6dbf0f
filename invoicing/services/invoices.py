"""Invoices: drafted from an order or packing slips or as free text, totalled by EN 16931,
posted in one transaction (gapless number, balanced ledger voucher, open item, order
remainders). A posted invoice never changes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.actions import SALES_ORDER
from orders.models import PackingSlip, PackingSlipLine, SalesOrder, SalesOrderLine
from orders.services.invoicing import sales_order_lines_credited, sales_order_lines_invoiced
from orders.services.orders import check_price_fields
from salesmkt.core.audit import record_event
from salesmkt.core.dates import add_days, check_date
from salesmkt.core.documents import document_request
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import refuse_too_large, to_decimal
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_delete, record_save
from salesmkt.core.tax import document_totals
from salesmkt.core.transitions import lock, retry_on_conflict, run_transition
from salesmkt.finance.company import current_company, payment_reference_for, take_exchange_rate

from ..actions import (
    INVOICE,
    NOTHING_TO_INVOICE,
    PACKING_SLIP,
    date_sequence_refusal,
    quantities_to_invoice,
    refuse,
)
from ..einvoice.checks import refuse_invalid
from ..models import (
    DOCUMENT_FIELDS,
    CustomerTransaction,
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceLine,
    LedgerEntry,
    LedgerVoucher,
)
from ..selectors import drafted_quantities, with_draft_flag
from .ledger_chain import chain, last_document, series_of
from .payments import (
    return_credit_apply,
    set_payment_state,
    settle_prepaid,
    update_payment_state,
)

Kind = Invoice.Kind


def _line(invoice: Invoice, number: int, **fields) -> InvoiceLine:
    """A new line, its amount computed; `_save_lines` writes a document's lines at once."""
    line = InvoiceLine(invoice=invoice, line_number=number, **fields)
    line.compute_line_amount()
    return line


def _save_lines(invoice: Invoice, lines: list[InvoiceLine]) -> Invoice:
    InvoiceLine.objects.bulk_create(lines)
    return _set_totals(invoice, lines)


def _from_order_line(order_line, quantity, **extra) -> dict[str, Any]:
    return {
        "order_line": order_line,
        "item": order_line.item,
        "description": order_line.description or order_line.item.name,
        "quantity": quantity,
        "unit_price": order_line.unit_price,
        "discount_amount": order_line.discount_amount,
        "discount_percent": order_line.discount_percent,
        "price_base_quantity": order_line.price_base_quantity,
        "sales_tax_code": order_line.sales_tax_code,
        **extra,
    }


def _from_order(order: SalesOrder, slips=()) -> dict[str, Any]:
    """What an invoice of `order` (and of these packing slips) takes from it: the buyer's
    references, where the goods went and when (the last slip's date)."""
    dates = [slip.delivery_date for slip in slips if slip.delivery_date]
    return {
        "buyer_reference": order.customer_reference,
        "order_reference": order.customer_reference[:50],
        "delivery_date": max(dates) if dates else None,
        "delivery_name": order.delivery_name,
        "delivery_street": order.delivery_street,
        "delivery_postal_code": order.delivery_postal_code,
        "delivery_city": order.delivery_city,
        "delivery_country": order.delivery_country,
    }


@retry_on_conflict
def invoice_from_order(
    *, order: SalesOrder, actor, ordered_quantities: bool = False, pro_forma: bool = False
) -> Invoice:
    """Draft an invoice of what the order delivered and did not invoice yet (or, when invoicing
    ordered quantities, of everything left to invoice). A returned order gets a credit note of
    what arrived. Refused as `SALES_ORDER`'s `invoice` (or `pro_forma`) action declares; when
    invoicing ordered quantities, only its lines tell whether anything is left."""
    with transaction.atomic():
        order = lock(order)
        prefetch_related_objects(
            [order],
            Prefetch(
                "lines",
                queryset=SalesOrderLine.objects.select_related("item", "sales_tax_code").order_by(
                    "line_number"
                ),
            ),
        )
        refuse(
            SALES_ORDER,
            order,
            "pro_forma" if pro_forma else "invoice",
            answered={"nothing_to_invoice"} if ordered_quantities else (),
        )
        lines = list(order.lines.all())
        # A pro forma is an estimate: it commits the company to nothing, drafts hold nothing.
        held = drafted_quantities([line.pk for line in lines]) if not pro_forma else {}
        invoice = Invoice.objects.create(
            kind=Kind.PRO_FORMA
            if pro_forma
            else Kind.CREDIT_NOTE
            if order.is_return
            else Kind.CUSTOMER,
            customer=order.customer,
            sales_order=order,
            currency=order.currency,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **_from_order(order, order.packing_slips.all()),
        )
        new = [
            _line(invoice, number, **_from_order_line(line, quantity))
            for number, (line, quantity) in enumerate(
                quantities_to_invoice(lines, ordered_quantities=ordered_quantities, held=held),
                start=1,
            )
        ]
        if not new:  # ordered quantities: nothing left on the order at all
            raise ConflictError(str(NOTHING_TO_INVOICE), code="nothing_to_invoice")
        if not pro_forma:  # the slips this invoice covers are not offered for invoicing again
            invoice.packing_slips.set(
                order.packing_slips.filter(invoiced=False).exclude(
                    invoices__status=Invoice.Status.DRAFT
                )
            )
        record_event(actor=actor, obj=invoice, action="created", data={"order": order.number})
        return _save_lines(invoice, new)


@retry_on_conflict
def invoice_from_packing_slips(*, packing_slips: list[PackingSlip], actor) -> Invoice:
    """One invoice whose lines are exactly those of the chosen packing slips of one customer;
    a packing slip is invoiced at most once. Each slip is refused as `PACKING_SLIP`'s `invoice`
    action declares."""
    with transaction.atomic():
        # The orders first, as invoicing an order does: a draft of the order and one of its
        # slips are never made at the same moment, each blind to the other.
        chosen = PackingSlip.objects.filter(pk__in=[s.pk for s in packing_slips])
        list(
            SalesOrder.objects.select_for_update()
            .filter(pk__in=chosen.values("order_id"))
            .order_by("pk")
        )
        slips = list(
            with_draft_flag(chosen.select_for_update(of=("self",)))
            .select_related("order")
            .order_by("pk")
        )
        if not slips:
            raise ValidationError({"packing_slips": _("Choose at least one packing slip.")})
        for slip in slips:
            PACKING_SLIP.refuse(slip, "invoice")
        customers = {slip.order.customer_id for slip in slips}
        if len(customers) != 1:
            raise DomainError(
                _("The packing slips belong to different customers."),
                code="several_customers",
                field="packing_slips",
            )
        if len({slip.order.currency_id for slip in slips}) != 1:
            raise DomainError(
                _("The packing slips are of orders in different currencies."),
                code="several_currencies",
                field="packing_slips",
            )
        order = slips[0].order
        invoice = Invoice.objects.create(
            kind=Kind.CUSTOMER,
            customer=order.customer,
            currency=order.currency,
            sales_order=order if len({slip.order_id for slip in slips}) == 1 else None,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **_from_order(order, slips),
        )
        invoice.packing_slips.set(slips)
        slip_lines = (
            PackingSlipLine.objects.filter(packing_slip__in=slips)
            .select_related("order_line__item", "order_line__sales_tax_code")
            .order_by("packing_slip_id", "order_line__line_number")
        )
        new = [
            _line(
                invoice,
                number,
                **_from_order_line(
                    slip_line.order_line,
                    slip_line.quantity,
                    packing_slip_id=slip_line.packing_slip_id,
                ),
            )
            for number, slip_line in enumerate(slip_lines, start=1)
        ]
        record_event(
            actor=actor,
            obj=invoice,
            action="created",
            data={"packing_slips": [s.number for s in slips]},
        )
        return _save_lines(invoice, new)


def free_text_invoice_create(*, data: dict[str, Any], actor, pro_forma: bool = False) -> Invoice:
    """An invoice not tied to an order: lines with a ledger account, a text, quantity, unit
    price and sales tax code, and no item."""
    data = dict(data)
    rows = data.pop("lines", [])
    charges = data.pop("allowance_charges", None)
    with transaction.atomic():
        invoice = Invoice(kind=Kind.PRO_FORMA if pro_forma else Kind.FREE_TEXT, **data)
        if getattr(actor, "is_authenticated", False):
            invoice.created_by = actor  # "our reference" on the printed invoice
        if invoice.currency_id is None:
            invoice.currency = invoice.customer.currency
        _check_header(invoice)
        invoice = record_save(instance=invoice, actor=actor)
        if charges:
            _write_allowance_charges(invoice, charges)
        return _free_text_lines(invoice, rows)


def header_editable(invoice: Invoice) -> bool:
    """Whether a document's header (dates, references, delivery, prepaid, allowances and
    charges) still changes: `INVOICE`'s `update` action (a draft's; a posted invoice never
    changes)."""
    return INVOICE.refusal(invoice, "update") is None


def lines_editable(invoice: Invoice) -> bool:
    """Whether a draft's lines are entered by hand: `INVOICE`'s `edit_lines` action (a free text
    invoice's or its pro forma's)."""
    return INVOICE.refusal(invoice, "edit_lines") is None


# What a draft's header takes from the clerk or the integrator, whatever its kind.
HEADER_FIELDS = ["invoice_date", "notes", *DOCUMENT_FIELDS, "prepaid_amount"]


def free_text_invoice_update(*, instance: Invoice, data: dict[str, Any], actor) -> Invoice:
    """Change a draft: its header (dates, references, delivery, prepaid amount), its document
    allowances and charges when given, and when given, all the lines of a free text invoice
    (or its pro forma; `lines_editable`). A posted invoice never changes."""
    data = dict(data)
    rows = data.pop("lines", None)
    charges = data.pop("allowance_charges", None)
    with transaction.atomic():
        invoice = lock(instance)
        INVOICE.refuse(invoice, "update" if rows is None else "edit_lines")
        for field in HEADER_FIELDS:
            if field in data:
                setattr(invoice, field, data[field])
        _check_header(invoice)
        invoice = record_save(instance=invoice, actor=actor)
        if charges is not None:
            invoice.allowance_charges.all().delete()
            _write_allowance_charges(invoice, charges)
        if rows is None:
            return _set_totals(invoice, list(invoice.lines.select_related("sales_tax_code")))
        invoice.lines.all().delete()
        return _free_text_lines(invoice, rows)


def _check_header(invoice: Invoice) -> None:
    errors = {}
    if invoice.period_start and invoice.period_end and invoice.period_end < invoice.period_start:
        errors["period_end"] = _("The invoicing period ends before it starts.")
    if bool(invoice.period_start) != bool(invoice.period_end):
        field = "period_end" if invoice.period_start else "period_start"
        errors[field] = _("Give the invoicing period's start and end.")
    if errors:
        raise ValidationError(errors)


def _write_allowance_charges(invoice: Invoice, rows: list[dict[str, Any]]) -> None:
    """Document-level allowances and charges: an amount, or a percentage of a base amount (the
    amount is then computed), with a reason and a tax code."""
    entries = []
    for index, row in enumerate(rows):
        entry = InvoiceAllowanceCharge(
            invoice=invoice, **{k: v for k, v in row.items() if k != "id"}
        )
        errors = {}
        if entry.percent is not None and entry.base_amount is None:
            errors["base_amount"] = [_("A percentage needs the base amount it is taken of.")]
        if entry.percent is None and row.get("amount") is None:
            errors["amount"] = [_("Give the amount, or a percentage of a base amount.")]
        if not entry.reason and not entry.reason_code:
            errors["reason"] = [_("Give the reason or its code.")]
        if not errors:
            entry.compute_amount()
            try:
                entry.full_clean(exclude=["invoice"])
            except ValidationError as exc:
                errors = exc.message_dict
        if errors:
            raise ValidationError(
                {
                    f"allowance_charges[{index}].{field}": messages
                    for field, messages in errors.items()
                }
            )
        entries.append(entry)
    InvoiceAllowanceCharge.objects.bulk_create(entries)


def _free_text_lines(invoice: Invoice, rows: list[dict[str, Any]]) -> Invoice:
    if not rows:
        raise ValidationError({"lines": _("A free text invoice needs lines.")})
    new: list[InvoiceLine] = []
    for index, row in enumerate(rows, start=1):
        missing = [
            f
            for f in (
                "ledger_account",
                "description",
                "quantity",
                "unit_price",
                "sales_tax_code",
            )
            if row.get(f) in (None, "")
        ]
        if missing:
            raise ValidationError(
                {f"lines[{index - 1}].{f}": _("This field is required.") for f in missing}
            )
        new.append(
            _line(
                invoice,
                index,
                ledger_account=row["ledger_account"],
                description=row["description"],
                quantity=to_decimal(row["quantity"]),
                unit_price=to_decimal(row["unit_price"]),
                discount_amount=to_decimal(row.get("discount_amount") or 0),
                discount_percent=to_decimal(row.get("discount_percent") or 0),
                price_base_quantity=to_decimal(row.get("price_base_quantity") or 1),
                unit_code=row.get("unit_code") or "C62",
                sales_tax_code=row["sales_tax_code"],
            )
        )
        if new[-1].quantity == 0:
            raise ValidationError(
                {f"lines[{index - 1}].quantity": _("A line needs a quantity other than zero.")}
            )
    for index, line in enumerate(new):
        check_price_fields(line, index)
    return _save_lines(invoice, new)


TOTAL_FIELDS = ["net_amount", "tax_amount", "total_amount"]


def invoice_totals(invoice: Invoice, lines, allowance_charges=None):
    """The invoice's EN 16931 totals: its lines and its document allowances and charges."""
    if allowance_charges is None:
        allowance_charges = list(invoice.allowance_charges.select_related("sales_tax_code"))
    return document_totals(lines, allowance_charges)


def _apply_totals(invoice: Invoice, lines, allowance_charges=None) -> None:
    totals = invoice_totals(invoice, lines, allowance_charges)
    refuse_too_large(totals.total, field="lines")  # before a numeric overflow can
    invoice.net_amount, invoice.tax_amount, invoice.total_amount = (
        totals.net,
        totals.tax,
        totals.total,
    )


def _set_totals(invoice: Invoice, lines) -> Invoice:
    _apply_totals(invoice, lines)
    invoice.save(update_fields=TOTAL_FIELDS)
    return invoice


def invoice_delete(*, instance: Invoice, actor) -> None:
    """Delete a draft (`record_delete` refuses as `INVOICE`'s `delete` action declares)."""
    with transaction.atomic():
        record_delete(instance=lock(instance), actor=actor)


def _open_item(invoice: Invoice, credit: bool, *, actor) -> CustomerTransaction:
    """An invoice opens a receivable; a credit note first settles what is open on the invoice it
    credits, and any rest is the customer's credit."""
    amount = -invoice.total_amount if credit else invoice.total_amount
    remaining = amount
    if credit and invoice.credited_invoice_id:
        original = (
            CustomerTransaction.objects.select_for_update()
            .filter(invoice_id=invoice.credited_invoice_id)
            .first()
        )
        if original is not None and original.remaining > 0:
            settled = min(original.remaining, invoice.total_amount)
            original.remaining -= settled
            original.save(update_fields=["remaining"])
            remaining += settled
        credited = invoice.credited_invoice
        credited_total = sum(
            (n.total_amount for n in credited.credit_notes.filter(status=Invoice.Status.POSTED)),
            Decimal(0),
        )
        if credited_total >= credited.total_amount:
            set_payment_state(
                invoice_id=credited.pk,
                state=Invoice.PaymentState.CREDITED,
                actor=actor,
                data={"credit_note": invoice.number},
            )
        elif original is not None:  # settled in part: partly paid (or paid)
            update_payment_state(original, actor=actor)
    return CustomerTransaction.objects.create(
        customer=invoice.customer,
        invoice=invoice,
        date=invoice.invoice_date,
        due_date=invoice.due_date,
        amount=amount,
        remaining=remaining,
        currency=invoice.currency,
    )


def _voucher(
    invoice: Invoice, lines: list[InvoiceLine], charges: list, reverse: bool = False
) -> LedgerVoucher:
    """Receivable debit on the posting profile's summary account; revenue credits per line
    account (document allowances lower it, charges raise it); tax credits per tax code. Refused
    unless it balances."""
    profile = invoice.customer.posting_profile
    totals = document_totals(lines, charges)
    credits: dict[Any, Decimal] = defaultdict(Decimal)
    for entry in charges:
        account = entry.ledger_account or profile.revenue_account
        if account is None:
            raise ConflictError(
                _("Posting profile %(profile)s has no sales revenue account.")
                % {"profile": profile},
                code="posting_setup_missing",
            )
        credits[account] += entry.signed_amount
    for line in lines:
        account = line.ledger_account or profile.revenue_account
        if account is None:
            raise ConflictError(
                _("Posting profile %(profile)s has no sales revenue account.")
                % {"profile": profile},
                code="posting_setup_missing",
            )
        credits[account] += line.line_amount
    codes = {entry.sales_tax_code.pk: entry.sales_tax_code for entry in [*lines, *charges]}
    for group in totals.breakdown:
        if group.tax:
            account = codes[group.code_id].tax_account
            if account is None:
                raise ConflictError(
                    _("Sales tax code %(code)s has no tax account.") % {"code": group.code},
                    code="posting_setup_missing",
                )
            credits[account] += group.tax
    voucher = LedgerVoucher.objects.create(
        number=next_number("voucher"),
        date=invoice.invoice_date,
        description=f"{invoice.get_kind_display()} {invoice.number}",
    )
    entries = [
        LedgerEntry(
            voucher=voucher,
            account=profile.summary_account,
            debit=totals.total,
            description=invoice.customer.account_number,
        )
    ]
    entries += [
        LedgerEntry(voucher=voucher, account=account, credit=amount)
        for account, amount in credits.items()
    ]
    if reverse:  # a credit note: the same accounts, the other side
        for entry in entries:
            entry.debit, entry.credit = entry.credit, entry.debit
    debit = sum((e.debit for e in entries), Decimal(0))
    credit = sum((e.credit for e in entries), Decimal(0))
    if debit != credit:  # a guard: rounding differences would show here, never silently
        raise ConflictError(_("The voucher does not balance."), code="voucher_unbalanced")
    LedgerEntry.objects.bulk_create(entries)
    return voucher


def _lock_billed_orders(lines: list[InvoiceLine]) -> None:
    """Lock the orders the invoice bills (in pk order) before its `post` action is checked:
    no change sends one back to approval meanwhile. Posting locks them later anyway."""
    order_ids = {line.order_line.order_id for line in lines if line.order_line is not None}
    list(SalesOrder.objects.select_for_update().filter(pk__in=order_ids).order_by("pk"))


def check_posting_date(invoice_date: date) -> None:
    """An invoice or credit note is dated within the bounds of every date
    (`salesmkt.core.dates`) and at most `INVOICE_MAX_DAYS_AHEAD` days after today: 400 naming
    `invoice_date`."""
    check_date(invoice_date, field="invoice_date")
    days = settings.INVOICE_MAX_DAYS_AHEAD
    if invoice_date > add_days(timezone.localdate(), days):
        raise DomainError(
            _("An invoice is dated at most %(days)d days after today.") % {"days": days},
            code="date_too_far_ahead",
            field="invoice_date",
        )


@retry_on_conflict
def invoice_post(*, invoice: Invoice, actor, invoice_date=None) -> Invoice:
    """Post a draft in one transaction: the next gapless number, a balanced voucher, an open
    customer item, the order lines' invoice remainders lowered, and the document chained to the
    previous one of its series (`ledger_chain`). Refused as `INVOICE`'s `post` action declares
    (checked by `run_transition`): a pro forma, a draft without lines, an order it bills that
    waits for approval, was rejected or is not confirmed, a date before the series' last posted
    one (checked again under the series' lock); and with a 400 a date out of bounds or more than
    `INVOICE_MAX_DAYS_AHEAD` days ahead (`check_posting_date`)."""
    with transaction.atomic():
        invoice = lock(invoice)
        posting_date = invoice_date or invoice.invoice_date or timezone.localdate()
        check_posting_date(posting_date)
        if invoice.invoice_date != posting_date:  # what the `post` action's checks read
            invoice.invoice_date = posting_date
            invoice.save(update_fields=["invoice_date"])
        lines = list(
            invoice.lines.select_related(
                "sales_tax_code__tax_account",
                "ledger_account",
                "order_line",
                "item",
                "credited_line",
            ).order_by("line_number")
        )
        credit = invoice.kind == Kind.CREDIT_NOTE
        _lock_billed_orders(lines)
        invoice = run_transition(
            instance=invoice, transition="post", actor=actor, params={"at": timezone.now()}
        )
        series = series_of(invoice)
        invoice.number = next_number(series)
        # Checked again under the series' lock (taken by `next_number`): of two posts at once,
        # the second sees the first's date, so numbers ascend with dates in every series.
        refusal = date_sequence_refusal(invoice.invoice_date, last_document(series))
        if refusal is not None:
            raise refusal.error()
        invoice.due_date = add_days(invoice.invoice_date, invoice.customer.payment_terms.net_days)
        # The legal content is fixed before it is totalled, posted and hashed: from here on
        # the invoice reads its own buyer, tax rates and identifiers, never the master data.
        company = current_company()
        snapshot = invoice.take_snapshot(company)
        for line in lines:
            line.take_snapshot()
        InvoiceLine.objects.bulk_update(lines, InvoiceLine.SNAPSHOT_FIELDS)
        charges = list(invoice.allowance_charges.select_related("sales_tax_code", "ledger_account"))
        for entry in charges:
            entry.take_snapshot()
        if charges:
            InvoiceAllowanceCharge.objects.bulk_update(
                charges, InvoiceAllowanceCharge.SNAPSHOT_FIELDS
            )
        snapshot += take_exchange_rate(invoice, company)
        if not credit:  # the reference the customer pays with (a credit note is not paid)
            invoice.payment_reference = payment_reference_for(
                company,
                invoice_number=invoice.number,
                customer_number=invoice.buyer_account_number,
            )
        _apply_totals(invoice, lines, charges)
        if invoice.prepaid_amount > invoice.total_amount:
            raise ValidationError(
                {"prepaid_amount": _("The prepaid amount is more than the invoice's total.")}
            )
        invoice.voucher = _voucher(invoice, lines, charges, reverse=credit)
        chained = chain(invoice, lines)
        invoice.save(
            update_fields=[
                "number",
                "invoice_date",
                "due_date",
                "voucher",
                "payment_reference",
                *snapshot,
                *TOTAL_FIELDS,
                *chained,
            ]
        )
        # Judged by the official rules as the e-invoice it now is: a document that breaks a
        # fatal one rolls back with everything above (no number is used up).
        refuse_invalid(invoice)
        item = _open_item(invoice, credit, actor=actor)
        if invoice.prepaid_amount:
            settle_prepaid(item=item, amount=invoice.prepaid_amount, actor=actor)
        by_order: dict[int, list] = defaultdict(list)
        for line in lines:
            if line.order_line is None:
                continue
            by_order[line.order_line.order_id].append(
                {"order_line": line.order_line_id, "quantity": line.quantity}
            )
        for order_id, rows in sorted(by_order.items()):
            order = SalesOrder.objects.get(pk=order_id)
            if credit and not order.is_return:
                sales_order_lines_credited(
                    order=order, lines=rows, credit_note_number=invoice.number, actor=actor
                )
            else:
                sales_order_lines_invoiced(
                    order=order, lines=rows, invoice_number=invoice.number, actor=actor
                )
        if credit:  # a return's credit note settles the invoice its goods were sold on
            return_credit_apply(credit_note=invoice, actor=actor)
        invoice.packing_slips.update(invoiced=True)
        document_request(
            obj=invoice,
            kind="invoice",
            title=f"{invoice.get_kind_display()} {invoice.number}",
            language=invoice.customer.party.language,
        )
        record_event(
            actor=actor,
            obj=invoice,
            action="posted",
            data={"number": invoice.number, "total": invoice.total_amount},
        )
        return invoice


def invoice_send(*, invoice: Invoice, actor, email_to: str = ""):
    """Render the invoice (or credit note, or pro forma) and mail it with the PDF attached.
    Refused as `INVOICE`'s `send` action declares (without an address given, the customer's
    must be on file)."""
    invoice = Invoice.objects.select_related("customer__party").get(pk=invoice.pk)
    refuse(INVOICE, invoice, "send", answered={"no_email"} if email_to else ())
    email_to = email_to or invoice.customer.party.email
    if invoice.status == Invoice.Status.POSTED:
        refuse_invalid(
            invoice, message=_("The e-invoice breaks the official rules; it was not sent.")
        )
    with transaction.atomic():
        document = document_request(
            obj=invoice,
            kind="invoice",
            title=f"{invoice.get_kind_display()} {invoice.number or ''}".strip(),
            language=invoice.customer.party.language,
            email_to=email_to,
        )
        record_event(actor=actor, obj=invoice, action="sent", data={"to": email_to})
        return document
