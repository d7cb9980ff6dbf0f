"""Invoices: drafted from an order or packing slips or as free text, totalled by EN 16931,
posted in one transaction (gapless number, balanced ledger voucher, open item, order
remainders). A posted invoice never changes.

Set-based: a document costs the same number of queries whatever its number of lines. Lines are
written in one insert, the snapshot at posting in one UPDATE, the voucher's entries in one
insert, and posting writes one audit event that sums its lines up. The invoice's number (a
gapless, locked counter) and the voucher's are taken last, after all the work: the series stays
locked only for the few statements that need the number."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max, Prefetch, Sum, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Customer
from orders.actions import SALES_ORDER
from orders.models import PackingSlip, PackingSlipLine, SalesOrder, SalesOrderLine
from orders.services.invoicing import sales_order_lines_credited, sales_order_lines_invoiced
from orders.services.orders import check_price_fields
from salesmkt.core.audit import record_event
from salesmkt.core.bulk import update_from_values
from salesmkt.core.dates import add_days, check_date
from salesmkt.core.documents import document_request
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import refuse_too_large, to_decimal
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_delete, record_save
from salesmkt.core.tax import Totals, document_totals
from salesmkt.core.transitions import lock, retry_on_conflict
from salesmkt.finance.company import current_company, payment_reference_for, take_exchange_rate
from salesmkt.finance.models import SalesTaxCode

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
        draft = _draft_from_packing_slips(packing_slips, actor=actor)
        record_event(
            actor=actor,
            obj=draft.invoice,
            action="created",
            data={"packing_slips": [s.number for s in draft.slips]},
        )
        return _save_lines(draft.invoice, draft.lines)


@retry_on_conflict
def invoice_post_packing_slips(
    *,
    packing_slips: list[PackingSlip],
    actor,
    invoice_date: date | None = None,
    lookups: PostingLookups | None = None,
    event_data: dict[str, Any] | None = None,
) -> Invoice:
    """Invoice the chosen packing slips of one customer and post the invoice at once, in one
    transaction (an invoice run's customer): the draft is never seen, so its lines are written
    once, with their snapshot, and the posting's one event names the slips (and `event_data`).
    Refused as `invoice_from_packing_slips` and `invoice_post` are. Inside a caller's
    transaction it takes no savepoint of its own: a refusal rolls back to the caller's (an
    invoice run's row has its own)."""
    with transaction.atomic(savepoint=False):
        draft = _draft_from_packing_slips(packing_slips, actor=actor, lookups=lookups)
        # Its date is checked once, under the series' lock (`_post`): in a run the series is
        # busy with the run's own postings, so a check before the lock would only repeat it.
        draft.invoice.last_posted_in_series = None
        # Its lines, in memory with their locked orders, are what the `post` action checks.
        _cache_related(draft.invoice, "lines", draft.lines)
        return _post(
            draft.invoice,
            draft.lines,
            [],
            actor=actor,
            invoice_date=invoice_date,
            lookups=lookups,
            orders=draft.orders,
            lines_written=False,
            event_data={"packing_slips": [s.number for s in draft.slips], **(event_data or {})},
        )


def _locked_orders():
    """Orders locked for posting (the caller's, for the rest of its transaction), with what
    their audit events show (`SalesOrder.LOCK_RELATED`), unlocked."""
    return SalesOrder.objects.select_related(*SalesOrder.LOCK_RELATED).select_for_update(
        of=("self",)
    )


@dataclass
class _Draft:
    invoice: Invoice
    lines: list[InvoiceLine]
    slips: list[PackingSlip]
    orders: dict[int, SalesOrder]


def _draft_from_packing_slips(
    packing_slips: list[PackingSlip], *, actor, lookups: PostingLookups | None = None
) -> _Draft:
    """The header of an invoice of the packing slips, written, and its lines, not yet written.
    With `lookups`, the lines take their tax codes (and the header its customer) from them."""
    # The orders first, as invoicing an order does: a draft of the order and one of its
    # slips are never made at the same moment, each blind to the other.
    chosen = PackingSlip.objects.filter(pk__in=[s.pk for s in packing_slips])
    orders = {
        order.pk: order
        for order in _locked_orders().filter(pk__in=chosen.values("order_id")).order_by("pk")
    }
    slips = list(with_draft_flag(chosen.select_for_update(of=("self",))).order_by("pk"))
    if not slips:
        raise ValidationError({"packing_slips": _("Choose at least one packing slip.")})
    for slip in slips:
        slip.order = orders[slip.order_id]
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
    invoice = Invoice(
        kind=Kind.CUSTOMER,
        customer_id=order.customer_id,
        currency_id=order.currency_id,
        sales_order=order if len(orders) == 1 else None,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **_from_order(order, slips),
    )
    if lookups is not None:
        invoice.customer = lookups.customer(order.customer_id)
        if invoice.customer.currency_id == invoice.currency_id:
            invoice.currency = invoice.customer.currency
    invoice.save(force_insert=True)
    Invoice.packing_slips.through.objects.bulk_create(
        [Invoice.packing_slips.through(invoice_id=invoice.pk, packingslip_id=s.pk) for s in slips]
    )
    slip_lines = PackingSlipLine.objects.filter(packing_slip__in=slips).order_by(
        "packing_slip_id", "order_line__line_number"
    )
    if lookups is None:
        slip_lines = slip_lines.select_related("order_line__item", "order_line__sales_tax_code")
    else:  # the tax codes (with their accounts) are the run's
        slip_lines = slip_lines.select_related("order_line__item__unit")
    lines = []
    for number, slip_line in enumerate(slip_lines, start=1):
        order_line = slip_line.order_line
        order_line.order = orders[order_line.order_id]
        if lookups is not None:
            order_line.sales_tax_code = lookups.tax_code(order_line.sales_tax_code_id)
        lines.append(
            _line(
                invoice,
                number,
                **_from_order_line(
                    order_line, slip_line.quantity, packing_slip_id=slip_line.packing_slip_id
                ),
            )
        )
    return _Draft(invoice=invoice, lines=lines, slips=slips, orders=orders)


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
        if rows is None:  # the lines are not touched; the allowances may change the totals
            return _update_totals(invoice)
        _delete_lines(invoice)
        return _free_text_lines(invoice, rows)


def _delete_lines(invoice: Invoice) -> None:
    """A draft's lines in one DELETE. Nothing refers to them (only a posted invoice's lines are
    credited), so Django's deletion, which reads them first to look for what does and then
    deletes them a hundred at a time, would find nothing."""
    table = connection.ops.quote_name(InvoiceLine._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE invoice_id = %s", [invoice.pk])  # noqa: S608


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


# What a free text line takes from the clerk or the integrator; the first five are required.
FREE_TEXT_LINE_FIELDS = [
    "ledger_account",
    "description",
    "quantity",
    "unit_price",
    "sales_tax_code",
    "discount_amount",
    "discount_percent",
    "price_base_quantity",
    "unit_code",
]
_REQUIRED = FREE_TEXT_LINE_FIELDS[:5]


def _named(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _free_text_line(
    invoice: Invoice, number: int, row: dict[str, Any], key: str = ""
) -> InvoiceLine:
    """A free text line of `row`, checked (errors named `<key>.<field>`, e.g. `lines[2].quantity`,
    or the field alone without a key) and its amount computed; not written."""
    missing = [f for f in _REQUIRED if row.get(f) in (None, "")]
    if missing:
        raise ValidationError({_named(key, f): _("This field is required.") for f in missing})
    line = _line(
        invoice,
        number,
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
    _check_free_text_line(line, key)
    return line


def _check_free_text_line(line: InvoiceLine, key: str) -> None:
    if line.quantity == 0:
        raise ValidationError(
            {_named(key, "quantity"): _("A line needs a quantity other than zero.")}
        )
    try:
        check_price_fields(line, 0)
    except ValidationError as exc:  # named `lines[0].<field>`: renamed after this line's key
        raise ValidationError(
            {_named(key, name.rsplit(".", 1)[-1]): m for name, m in exc.message_dict.items()}
        ) from exc


def _free_text_lines(invoice: Invoice, rows: list[dict[str, Any]]) -> Invoice:
    if not rows:
        raise ValidationError({"lines": _("A free text invoice needs lines.")})
    new = [
        _free_text_line(invoice, index, row, f"lines[{index - 1}]")
        for index, row in enumerate(rows, start=1)
    ]
    return _save_lines(invoice, new)


def _editable_draft(invoice: Invoice) -> Invoice:
    """The draft locked, refused as `INVOICE`'s `edit_lines` action declares: 409
    `invoice_posted` for a posted invoice, `invoice_not_editable` for one whose lines come from
    an order, packing slips or the invoice it credits."""
    invoice = lock(invoice)
    INVOICE.refuse(invoice, "edit_lines")
    return invoice


def _line_of(invoice: Invoice, line: InvoiceLine | int) -> InvoiceLine:
    """The draft's line, locked (`InvoiceLine.DoesNotExist` for a line of another invoice: the
    API answers 404)."""
    return (
        InvoiceLine.objects.select_for_update(of=("self",))
        .select_related("ledger_account", "sales_tax_code")
        .get(pk=getattr(line, "pk", line), invoice=invoice)
    )


def _line_values(line: InvoiceLine) -> dict[str, Any]:
    return {
        name: getattr(line, f"{name}_id" if name in ("ledger_account", "sales_tax_code") else name)
        for name in FREE_TEXT_LINE_FIELDS
    }


@retry_on_conflict
def free_text_invoice_line_add(*, invoice: Invoice, data: dict[str, Any], actor) -> InvoiceLine:
    """Add one line to a draft free text invoice (or its pro forma), numbered after its last;
    the other lines are not touched, the totals are summed again in the database. Refused as
    `INVOICE`'s `edit_lines` action declares."""
    with transaction.atomic():
        invoice = _editable_draft(invoice)
        last = invoice.lines.aggregate(last=Max("line_number"))["last"] or 0
        line = _free_text_line(invoice, last + 1, data)
        line.save(force_insert=True)
        record_event(
            actor=actor,
            obj=invoice,
            action="line_added",
            data={"line": line.line_number, "values": _jsonable_values(_line_values(line))},
        )
        _update_totals(invoice)
        return line


@retry_on_conflict
def free_text_invoice_line_update(
    *, invoice: Invoice, line: InvoiceLine | int, data: dict[str, Any], actor
) -> InvoiceLine:
    """Change the given fields of one line of a draft free text invoice (or its pro forma);
    the other lines are not touched, the totals are summed again in the database. Refused as
    `INVOICE`'s `edit_lines` action declares."""
    with transaction.atomic():
        invoice = _editable_draft(invoice)
        line = _line_of(invoice, line)
        before = _line_values(line)
        row = {
            **{name: getattr(line, name) for name in FREE_TEXT_LINE_FIELDS},
            **{name: value for name, value in data.items() if name in FREE_TEXT_LINE_FIELDS},
        }
        changed = _free_text_line(invoice, line.line_number, row)
        changed.pk = line.pk
        after = _line_values(changed)
        changes = {
            name: {"old": before[name], "new": after[name]}
            for name in FREE_TEXT_LINE_FIELDS
            if before[name] != after[name]
        }
        if not changes:
            return line
        changed.save(update_fields=[*changes, "line_amount"])
        record_event(
            actor=actor,
            obj=invoice,
            action="line_changed",
            data={
                "line": line.line_number,
                "changes": {name: _jsonable_values(values) for name, values in changes.items()},
            },
        )
        _update_totals(invoice)
        return changed


@retry_on_conflict
def free_text_invoice_line_delete(*, invoice: Invoice, line: InvoiceLine | int, actor) -> None:
    """Delete one line of a draft free text invoice (or its pro forma); its last line is not
    deleted (400 naming `lines`: delete the invoice instead). The others keep their numbers;
    the totals are summed again in the database. Refused as `INVOICE`'s `edit_lines` action
    declares."""
    with transaction.atomic():
        invoice = _editable_draft(invoice)
        line = _line_of(invoice, line)
        if not invoice.lines.exclude(pk=line.pk).exists():
            raise ValidationError(
                {"lines": _("A free text invoice needs lines: delete the invoice instead.")}
            )
        values = _line_values(line)
        line.delete()
        record_event(
            actor=actor,
            obj=invoice,
            action="line_deleted",
            data={"line": line.line_number, "values": _jsonable_values(values)},
        )
        _update_totals(invoice)


def _jsonable_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: str(value) if isinstance(value, Decimal) else value for name, value in values.items()
    }


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


def _update_totals(invoice: Invoice) -> Invoice:
    """The draft's totals summed again in the database: its line amounts per sales tax code (one
    query, whatever its number of lines), taxed as EN 16931 taxes the sum of a code's lines."""
    sums = (
        invoice.lines.values(
            "sales_tax_code_id",
            "sales_tax_code__code",
            "sales_tax_code__rate",
            "sales_tax_code__category",
            "sales_tax_code__exemption_reason",
        )
        .annotate(amount=Sum("line_amount"))
        .order_by("sales_tax_code_id")
    )
    per_code = [
        InvoiceLine(
            line_amount=row["amount"],
            sales_tax_code=SalesTaxCode(
                pk=row["sales_tax_code_id"],
                code=row["sales_tax_code__code"],
                rate=row["sales_tax_code__rate"],
                category=row["sales_tax_code__category"],
                exemption_reason=row["sales_tax_code__exemption_reason"],
            ),
        )
        for row in sums
    ]
    return _set_totals(invoice, per_code)


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


def _ledger_entries(
    invoice: Invoice, lines: list[InvoiceLine], charges: list, totals: Totals, *, reverse: bool
) -> list[LedgerEntry]:
    """The voucher's entries, not yet written: the receivable debit on the posting profile's
    summary account; revenue credits per line account (document allowances lower it, charges
    raise it); tax credits per tax code. Refused unless they balance."""
    profile = invoice.customer.posting_profile

    def revenue_account_id(entry) -> int:
        account_id = entry.ledger_account_id or profile.revenue_account_id
        if account_id is None:
            raise ConflictError(
                _("Posting profile %(profile)s has no sales revenue account.")
                % {"profile": profile},
                code="posting_setup_missing",
            )
        return account_id

    credits: dict[int, Decimal] = defaultdict(Decimal)
    for entry in charges:
        credits[revenue_account_id(entry)] += entry.signed_amount
    for line in lines:
        credits[revenue_account_id(line)] += line.line_amount
    codes = {entry.sales_tax_code.pk: entry.sales_tax_code for entry in [*lines, *charges]}
    for group in totals.breakdown:
        if group.tax:
            account_id = codes[group.code_id].tax_account_id
            if account_id is None:
                raise ConflictError(
                    _("Sales tax code %(code)s has no tax account.") % {"code": group.code},
                    code="posting_setup_missing",
                )
            credits[account_id] += group.tax
    entries = [
        LedgerEntry(
            account_id=profile.summary_account_id,
            debit=totals.total,
            description=invoice.customer.account_number,
        )
    ]
    entries += [
        LedgerEntry(account_id=account_id, credit=amount) for account_id, amount in credits.items()
    ]
    if reverse:  # a credit note: the same accounts, the other side
        for entry in entries:
            entry.debit, entry.credit = entry.credit, entry.debit
    debit = sum((e.debit for e in entries), Decimal(0))
    credit = sum((e.credit for e in entries), Decimal(0))
    if debit != credit:  # a guard: rounding differences would show here, never silently
        raise ConflictError(_("The voucher does not balance."), code="voucher_unbalanced")
    return entries


def _write_voucher(invoice: Invoice, entries: list[LedgerEntry]) -> LedgerVoucher:
    """The voucher, numbered now (its series is locked from here to the commit), and its
    entries in one insert."""
    voucher = LedgerVoucher.objects.create(
        number=next_number("voucher"),
        date=invoice.invoice_date,
        description=f"{invoice.get_kind_display()} {invoice.number}",
    )
    for entry in entries:
        entry.voucher = voucher
    LedgerEntry.objects.bulk_create(entries)
    return voucher


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


# What posting reads of a customer: its buyer details, payment terms and posting accounts.
CUSTOMER_RELATED = ("party", "payment_terms", "posting_profile", "currency")
# What posting reads of a line: its item and, for a credit note line, the line it credits (one
# each), its tax code (and tax account), account and unit (a few for all the lines: read once
# each, not once per line), and the order it bills (`billed_order_id`).
LINE_RELATED = ("item", "credited_line")
LINE_SHARED = ("sales_tax_code__tax_account", "ledger_account", "item__unit")


def _customers(pks: Iterable[int]):
    return (
        Customer.objects.filter(pk__in=set(pks))
        .select_related(*CUSTOMER_RELATED)
        .prefetch_related("party__addresses")
    )


@dataclass
class PostingLookups:
    """What posting reads besides the documents: the company profile (the seller and its bank
    accounts), the customers (party and addresses, payment terms, posting profile, currency)
    and the sales tax codes with their tax accounts. An invoice run reads them once
    (`posting_lookups`) for all its invoices; a customer or tax code it did not foresee is read
    when first asked for."""

    company: Any
    customers: dict[int, Customer] = field(default_factory=dict)
    tax_codes: dict[int, SalesTaxCode] = field(default_factory=dict)

    def customer(self, pk: int) -> Customer:
        if pk not in self.customers:
            self.customers.update((c.pk, c) for c in _customers([pk]))
        return self.customers[pk]

    def tax_code(self, pk: int) -> SalesTaxCode:
        if pk not in self.tax_codes:
            self.tax_codes[pk] = SalesTaxCode.objects.select_related("tax_account").get(pk=pk)
        return self.tax_codes[pk]


def posting_lookups(*, customer_ids: Iterable[int]) -> PostingLookups:
    """Read once what posting the invoices of these customers reads besides the documents."""
    return PostingLookups(
        company=current_company(),
        customers={customer.pk: customer for customer in _customers(customer_ids)},
        tax_codes={code.pk: code for code in SalesTaxCode.objects.select_related("tax_account")},
    )


def _cache_related(obj, name: str, rows: list) -> None:
    """Hand `obj` its related rows as if prefetched: `obj.<name>.all()` then asks nothing (what
    `INVOICE`'s `post` action and the chain hash read)."""
    queryset = getattr(obj, name).all()
    queryset._result_cache, queryset._prefetch_done = list(rows), True
    obj._prefetched_objects_cache = {
        **getattr(obj, "_prefetched_objects_cache", {}),
        name: queryset,
    }


def _lock_for_posting(
    invoice: Invoice, lookups: PostingLookups | None
) -> tuple[Invoice, list[InvoiceLine]]:
    """The draft locked, with what posting reads of it: its currency, the invoice it credits, its
    customer (from `lookups` when given) and its allowances and charges; and its lines."""
    header = Invoice.objects.select_for_update(of=("self",)).select_related(
        "currency", "credited_invoice"
    )
    if lookups is None:
        header = header.select_related(*(f"customer__{name}" for name in CUSTOMER_RELATED))
    invoice = header.get(pk=invoice.pk)
    related: list[Any] = [
        Prefetch(
            "allowance_charges",
            queryset=InvoiceAllowanceCharge.objects.select_related(
                "sales_tax_code__tax_account", "ledger_account"
            ).order_by("pk"),
        ),
    ]
    if lookups is None:
        related.append("customer__party__addresses")
    else:
        invoice.customer = lookups.customer(invoice.customer_id)
    prefetch_related_objects([invoice], *related)
    lines = list(
        InvoiceLine.objects.filter(invoice=invoice)
        .select_related(*LINE_RELATED)
        .prefetch_related(*LINE_SHARED)
        .annotate(billed_order_id=F("order_line__order_id"))
        .order_by("line_number")
    )
    return invoice, lines


def _billed_order_id(line: InvoiceLine) -> int | None:
    """The order a line bills: read with the line (`billed_order_id`), else its order line's."""
    if line.order_line_id is None:
        return None
    if hasattr(line, "billed_order_id"):
        return line.billed_order_id
    return line.order_line.order_id


def _lock_billed_orders(lines: list[InvoiceLine]) -> dict[int, SalesOrder]:
    """Lock the orders the invoice bills (in pk order) before its `post` action is checked: no
    change sends one back to approval meanwhile (the check reads them afterwards)."""
    order_ids = sorted({pk for line in lines if (pk := _billed_order_id(line)) is not None})
    if not order_ids:
        return {}
    return {order.pk: order for order in _locked_orders().filter(pk__in=order_ids).order_by("pk")}


@retry_on_conflict
def invoice_post(
    *, invoice: Invoice, actor, invoice_date=None, lookups: PostingLookups | None = None
) -> Invoice:
    """Post a draft in one transaction: a balanced voucher, an open customer item, the order
    lines' invoice remainders lowered, the document chained to the previous one of its series
    (`ledger_chain`), and last the next gapless number. Refused as `INVOICE`'s `post` action
    declares: a pro forma, a draft without lines, an order it bills that waits for approval,
    was rejected or is not confirmed, a date before the series' last posted one (checked again
    under the series' lock); and with a 400 a date out of bounds or more than
    `INVOICE_MAX_DAYS_AHEAD` days ahead (`check_posting_date`). `lookups`: what an invoice
    run read once for all its invoices (`posting_lookups`)."""
    with transaction.atomic():
        invoice, lines = _lock_for_posting(invoice, lookups)
        return _post(
            invoice,
            lines,
            list(invoice.allowance_charges.all()),
            actor=actor,
            invoice_date=invoice_date,
            lookups=lookups,
        )


# The number the e-invoice gate judges the document with: the real one is taken after the gate,
# last, so that the series stays locked only for the statements that need it. The rules ask
# only that a number is there (BR-02), and nothing of the payment reference made from it.
PROVISIONAL_NUMBER = "PROVISIONAL"


def _post(
    invoice: Invoice,
    lines: list[InvoiceLine],
    charges: list[InvoiceAllowanceCharge],
    *,
    actor,
    invoice_date: date | None,
    lookups: PostingLookups | None,
    orders: dict[int, SalesOrder] | None = None,
    lines_written: bool = True,
    event_data: dict[str, Any] | None = None,
) -> Invoice:
    """Post the locked draft `invoice` of `lines` and `charges` (its lines not yet written when
    not `lines_written`: an invoice drafted and posted in one go writes them once, snapshot and
    all). The work first, the numbers last."""
    posting_date = invoice_date or invoice.invoice_date or timezone.localdate()
    check_posting_date(posting_date)
    invoice.invoice_date = posting_date  # what the `post` action's checks read
    credit = invoice.kind == Kind.CREDIT_NOTE
    if orders is None:
        orders = _lock_billed_orders(lines)
    INVOICE.refuse(invoice, "post")
    invoice.post(at=timezone.now())

    # The legal content is fixed before it is totalled, posted and hashed: from here on the
    # invoice reads its own buyer, tax rates and identifiers, never the master data.
    invoice.due_date = add_days(invoice.invoice_date, invoice.customer.payment_terms.net_days)
    company = lookups.company if lookups is not None else current_company()
    header_fields = invoice.take_snapshot(company)
    for line in lines:
        line.take_snapshot()
    if lines_written:
        update_from_values(
            InvoiceLine,
            fields=InvoiceLine.SNAPSHOT_FIELDS,
            rows=[
                (line.pk, *(getattr(line, name) for name in InvoiceLine.SNAPSHOT_FIELDS))
                for line in lines
            ],
        )
    else:
        InvoiceLine.objects.bulk_create(lines)
    for entry in charges:
        entry.take_snapshot()
    update_from_values(
        InvoiceAllowanceCharge,
        fields=InvoiceAllowanceCharge.SNAPSHOT_FIELDS,
        rows=[
            (entry.pk, *(getattr(entry, name) for name in InvoiceAllowanceCharge.SNAPSHOT_FIELDS))
            for entry in charges
        ],
    )
    header_fields += take_exchange_rate(invoice, company)
    totals = invoice_totals(invoice, lines, charges)
    refuse_too_large(totals.total, field="lines")  # before a numeric overflow can
    invoice.net_amount, invoice.tax_amount, invoice.total_amount = (
        totals.net,
        totals.tax,
        totals.total,
    )
    if invoice.prepaid_amount > invoice.total_amount:
        raise ValidationError(
            {"prepaid_amount": _("The prepaid amount is more than the invoice's total.")}
        )
    entries = _ledger_entries(invoice, lines, charges, totals, reverse=credit)
    # Judged by the official rules as the e-invoice it becomes: a document that breaks a fatal
    # one rolls back with everything above, before a number is taken.
    invoice.number = PROVISIONAL_NUMBER
    refuse_invalid(invoice, lines=lines, charges=charges)
    invoice.packing_slips.update(invoiced=True)

    # Last, the numbers: the series stays locked (by `next_number`) until the commit.
    series = series_of(invoice)
    invoice.number = next_number(series)
    # Checked again under the series' lock: of two posts at once, the second sees the first's
    # date, so numbers ascend with dates in every series.
    last = last_document(series)
    refusal = date_sequence_refusal(invoice.invoice_date, last)
    if refusal is not None:
        raise refusal.error()
    if not credit:  # the reference the customer pays with (a credit note is not paid)
        invoice.payment_reference = payment_reference_for(
            company,
            invoice_number=invoice.number,
            customer_number=invoice.buyer_account_number,
        )
    invoice.voucher = _write_voucher(invoice, entries)
    chained = chain(invoice, lines, last=last, charges=charges)
    invoice.save(
        update_fields=[
            "status",
            "posted_at",
            "number",
            "invoice_date",
            "due_date",
            "voucher",
            "payment_reference",
            *header_fields,
            *TOTAL_FIELDS,
            *chained,
        ]
    )
    item = _open_item(invoice, credit, actor=actor)
    if invoice.prepaid_amount:
        settle_prepaid(item=item, amount=invoice.prepaid_amount, actor=actor)
    by_order: dict[int, list] = defaultdict(list)
    for line in lines:
        if (order_id := _billed_order_id(line)) is not None:
            by_order[order_id].append({"order_line": line.order_line_id, "quantity": line.quantity})
    for order_id, rows in sorted(by_order.items()):
        order = orders[order_id]
        if credit and not order.is_return:
            sales_order_lines_credited(
                order=order, lines=rows, credit_note_number=invoice.number, actor=actor
            )
        else:
            sales_order_lines_invoiced(
                order=order, lines=rows, invoice_number=invoice.number, actor=actor, locked=True
            )
    if credit:  # a return's credit note settles the invoice its goods were sold on
        return_credit_apply(credit_note=invoice, actor=actor)
    document_request(
        obj=invoice,
        kind="invoice",
        title=f"{invoice.get_kind_display()} {invoice.number}",
        language=invoice.customer.party.language,
    )
    record_event(
        actor=actor,
        obj=invoice,
        action="post",
        from_status=Invoice.Status.DRAFT,
        to_status=invoice.status,
        data={
            **_posting_summary(invoice, lines, totals, orders),
            **(event_data or {}),
        },
    )
    return invoice


def _posting_summary(
    invoice: Invoice, lines: list[InvoiceLine], totals: Totals, orders: dict[int, SalesOrder]
) -> dict[str, Any]:
    """The one event of a posting: the document, its voucher and its lines summed up per tax
    code (not a row per line)."""
    return {
        "at": invoice.posted_at,
        "number": invoice.number,
        "invoice_date": invoice.invoice_date,
        "voucher": invoice.voucher.number,
        "net": invoice.net_amount,
        "tax": invoice.tax_amount,
        "total": invoice.total_amount,
        "lines": len(lines),
        "tax_breakdown": [
            {
                "code": group.code,
                "category": group.category,
                "rate": str(group.rate),
                "taxable": str(group.taxable),
                "tax": str(group.tax),
            }
            for group in totals.breakdown
        ],
        "orders": [orders[pk].number for pk in sorted(orders)],
    }


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
