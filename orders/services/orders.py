"""Sales orders: entry and pricing of lines, type changes, confirmation, picking, cancelation.

A document costs the same number of queries whatever its number of lines: its lines are priced
by one set-based price lookup, written with one insert (and changed lines with one UPDATE),
their expected inventory movements with one delete and one insert, and the change is one audit
event. One line is changed through `sales_order_line_add / _change / _delete`, which touch that
line and its movements only. The order number is taken at the end of the entry's transaction.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.base import ModelState
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.services.pricing import PriceRequest, PriceResult, price_lookup, price_lookup_many
from agreements.services.sales_agreements import (
    agreement_lines_lock,
    agreement_release,
    agreement_release_reverse,
)
from crm.models import Customer
from inventory.models import InventoryTransaction
from inventory.services import stock
from salesmkt.core.audit import record_event, snapshot
from salesmkt.core.bulk import insert_instances, update_from_values
from salesmkt.core.documents import document_request
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import (
    QUANTITY_PLACES,
    TOO_LARGE,
    fits_field,
    quantize,
    refuse_too_large,
    round_money,
    to_decimal,
)
from salesmkt.core.numbering import assign_number, next_number
from salesmkt.core.services import save_changes
from salesmkt.core.transitions import lock, retry_on_conflict, run_transition

from ..actions import SALES_ORDER
from ..models import SalesOrder, SalesOrderLine
from ..selectors.customers import delivery_address
from . import approval, returns

OrderType = SalesOrder.OrderType
MONEY = DecimalField(max_digits=20, decimal_places=2)
SOURCE = "sales_order_line"
PRICE_FIELDS = ("unit_price", "discount_amount", "discount_percent")
# What a row may set on a line (besides prices and, for returns, the line it returns).
INPUT_FIELDS = ("item", "warehouse", "quantity", "description", "sales_tax_code", "supply_type")
# What writing a line may change: compared with the stored line to write only what changed.
WRITTEN_FIELDS = (
    *INPUT_FIELDS,
    *PRICE_FIELDS,
    "price_source",
    "price_base_quantity",
    "agreement_line",
    "returned_line",
    "line_amount",
    "deliver_remainder",
    "invoice_remainder",
)
# A change of these moves the line's expected inventory movements.
MOVING_FIELDS = ("item", "warehouse", "quantity", "supply_type")


# --- inventory --------------------------------------------------------------------------------
def _expected_movements(
    order: SalesOrder, line: SalesOrderLine, reserved: Decimal
) -> list[stock.Movement]:
    """The expected movement of a line, dated its order's (confirmed, else requested) ship
    date: an issue (reserved from on-hand as far as `reserved`, the rest on order), or for a
    return a receipt ordered. Journal and canceled orders, and drop shipments (the vendor ships;
    our warehouses see nothing), have none."""
    if (
        order.is_journal
        or order.status == SalesOrder.Status.CANCELED
        or not line.deliver_remainder
        or line.supply_type == SalesOrderLine.SupplyType.DROP_SHIPMENT
    ):
        return []
    sign, status = (
        (Decimal(1), InventoryTransaction.Status.ORDERED)
        if order.is_return
        else (Decimal(-1), InventoryTransaction.Status.ON_ORDER)
    )
    return stock.expected_movements(
        item=line.item,
        warehouse_id=line.warehouse_id,
        quantity=sign * line.deliver_remainder,
        status=status,
        source=SOURCE,
        source_id=line.pk,
        reference=order.number,
        reserved=reserved,
        on=order.confirmed_ship_date or order.requested_ship_date,
    )


def apply_lines_inventory(
    order: SalesOrder,
    lines: list[SalesOrderLine],
    *,
    new: bool = False,
    reserved: dict[int, Decimal] | None = None,
) -> None:
    """Make the expected movements of `lines` what their remainders say, in one read of their
    reservations, one delete and one insert, whatever their number. `new` lines (just written)
    have none yet. `reserved` gives a line's reservation after a delivery drew from it; by
    default each line keeps what it has (never more than is left to deliver)."""
    lines = list(lines)
    if not lines:
        return
    if not new:
        had = stock.forget_expected(SOURCE, [line.pk for line in lines])  # read as deleted
        if reserved is None:
            reserved = {} if order.is_return else had
    reserved = reserved or {}
    stock.record_movements(
        movement
        for line in lines
        for movement in _expected_movements(order, line, reserved.get(line.pk, Decimal(0)))
    )


def apply_line_inventory(
    order: SalesOrder,
    line: SalesOrderLine,
    *,
    is_new: bool = False,
    reserved: Decimal | None = None,
) -> None:
    """`apply_lines_inventory` of one line."""
    apply_lines_inventory(
        order, [line], new=is_new, reserved=None if reserved is None else {line.pk: reserved}
    )


def _expected_on(order: SalesOrder) -> date:
    return order.confirmed_ship_date or order.requested_ship_date


def _redate_movements(order: SalesOrder) -> None:
    """The lines' expected movements move to the order's (confirmed, else requested) ship date:
    one UPDATE."""
    stock.redate_expected(
        SOURCE,
        SalesOrderLine.objects.filter(order_id=order.pk).values("pk"),
        on=_expected_on(order),
    )


# --- pricing ----------------------------------------------------------------------------------
def actor_can(actor, permission: str) -> bool:
    return bool(
        actor is None or (getattr(actor, "is_authenticated", False) and actor.has_perm(permission))
    )


def apply_price(line, result: PriceResult, *, row: dict[str, Any], actor, trusted=False) -> None:
    """Set a line's price from the price lookup's `result`. Prices given in `row` that differ
    from the lookup need the override permission, unless they are `trusted` (carried over from a
    confirmed quotation, or the price a returned line sold at)."""
    given = {field: row[field] for field in PRICE_FIELDS if row.get(field) is not None}
    looked_up = {
        "unit_price": result.unit_price,
        "discount_amount": result.discount_amount,
        "discount_percent": result.discount_percent,
    }
    overridden = {f: v for f, v in given.items() if to_decimal(v) != to_decimal(looked_up[f])}
    if overridden and not trusted and not actor_can(actor, "orders.override_price"):
        raise DomainError(
            _("Prices and discounts come from the price lookup; you may not override them."),
            code="price_override_not_allowed",
            field="lines",
        )
    for field in PRICE_FIELDS:
        setattr(line, field, given.get(field, looked_up[field]))
    if trusted and given:
        line.price_source = row.get("price_source") or "quotation"
    else:
        line.price_source = "manual" if overridden else result.price_source
    if hasattr(line, "agreement_line_id"):
        line.agreement_line_id = (
            result.price_record if result.price_source == "sales_agreement" else None
        )
    line.compute_line_amount()


def price_line(
    *, line, customer, currency, on, row: dict[str, Any], actor, sales_agreement=None, trusted=False
) -> None:
    """Price one order or quotation line with the price lookup (`apply_price`)."""
    result = price_lookup(
        customer=customer,
        item=line.item,
        quantity=line.quantity,
        currency=currency,
        on=on,
        sales_agreement=sales_agreement,
    )
    apply_price(line, result, row=row, actor=actor, trusted=trusted)


@dataclass
class Pricing:
    """The lines of one write to price, priced together by one set-based lookup."""

    customer: Customer
    currency: Any
    on: date
    sales_agreement: Any = None
    entries: list[tuple[Any, dict[str, Any], bool]] = dataclasses.field(default_factory=list)

    def add(self, line, row: dict[str, Any], *, trusted: bool = False) -> None:
        self.entries.append((line, row, trusted))

    def apply(self, actor) -> None:
        results = price_lookup_many(
            customer=self.customer,
            lines=[
                PriceRequest(item=line.item, quantity=line.quantity)
                for line, _r, _t in self.entries
            ],
            currency=self.currency,
            on=self.on,
            sales_agreement=self.sales_agreement,
        )
        for (line, row, trusted), result in zip(self.entries, results, strict=True):
            apply_price(line, result, row=row, actor=actor, trusted=trusted)


def check_price_fields(line, index: int, names=PRICE_FIELDS) -> None:
    """The price fields `names` (those given: looked-up prices obey their records' rules) obey
    their fields' rules: a discount of 0 to 100 %, no negative price or discount amount; and
    the line amount fits."""
    errors = {}
    for name in names:
        try:
            line._meta.get_field(name).run_validators(getattr(line, name))
        except ValidationError as exc:
            errors[f"lines[{index}].{name}"] = exc.messages
    if not fits_field(line, "line_amount"):
        # Each of quantity and price fits, their product does not: named on the quantity.
        errors[f"lines[{index}].quantity"] = [TOO_LARGE % {"value": f"{line.line_amount:.2E}"}]
    if errors:
        raise ValidationError(errors)


# What a row sets on a line and `clean_line` checks; the rest is the server's (remainders,
# numbers, statuses) or checked when priced (`check_price_fields`). References are instances
# the caller gave: not looked up again (the database's constraints back them).
CHECKED_FIELDS = ("quantity", "description", "supply_type", "price_base_quantity")


def clean_line(line, index: int, given=CHECKED_FIELDS) -> None:
    """The line's own rules for what a row sets on it (the quantity, and those of `given` the
    row gave), errors named `lines[index].field`."""
    missing = [f for f in ("item_id", "warehouse_id", "quantity") if getattr(line, f) is None]
    if missing:
        raise ValidationError(
            {
                f"lines[{index}].{f.removesuffix('_id')}": _("This field is required.")
                for f in missing
            }
        )
    errors: dict[str, list[str]] = {}
    for name in CHECKED_FIELDS:
        if name != "quantity" and name not in given:
            continue
        try:
            field = line._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        try:
            setattr(line, field.attname, field.clean(getattr(line, field.attname), line))
        except ValidationError as exc:
            errors[name] = exc.messages
    if not errors:
        try:
            line.clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError({f"lines[{index}].{k}": v for k, v in errors.items()})


def quantity_change(line, old: Decimal) -> dict[str, Any]:
    """A line's quantity change as its audit event shows it: old and new, as the history shows
    every field change."""
    return {
        "line": line.line_number,
        "item": line.item.item_number,
        "quantity": {
            "old": str(quantize(old, QUANTITY_PLACES)),
            "new": str(quantize(line.quantity, QUANTITY_PLACES)),
        },
    }


def summary_event(*, actor, obj, header: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """One audit event for one change of a document: `changed` with the header's field changes
    (and the lines' quantity changes under `lines`), or `line_quantity_changed` when only lines'
    quantities changed (one line's change as its data, several under `lines`). Nothing when
    nothing changed."""
    if header:
        data = {**header, "lines": lines} if lines else header
        record_event(actor=actor, obj=obj, action="changed", data=data)
    elif lines:
        data = lines[0] if len(lines) == 1 else {"lines": lines}
        record_event(actor=actor, obj=obj, action="line_quantity_changed", data=data)


def line_total(lines) -> Decimal:
    return round_money(sum((line.line_amount for line in lines), Decimal(0)))


def stored_total(lines_queryset) -> Decimal:
    """The stored lines' total, summed by the database (one query)."""
    total = lines_queryset.aggregate(total=Sum("line_amount"))["total"]
    return round_money(total or Decimal(0))


def cache_lines(document, lines: list) -> None:
    """Leave the lines just entered on the document, as a prefetch would: its answer (its API
    representation, its allowed actions) reads them without a query. Only for the answer: a
    later change of the lines does not show there."""
    queryset = document.lines.all()
    queryset._result_cache = sorted(lines, key=lambda line: line.line_number)
    queryset._prefetch_done = True
    document._prefetched_objects_cache = {
        **getattr(document, "_prefetched_objects_cache", {}),
        "lines": queryset,
    }


def blank_lines(model, **values):
    """A maker of new lines of `model` with `values` (their document): copies of one line made
    once, since `Model.__init__` for each of thousands of lines is a good part of entering
    them."""
    template = model(**values)
    state = template.__dict__

    def make():
        line = model.__new__(model)
        line.__dict__.update(state)
        line._state = ModelState()
        line._state.fields_cache = dict(template._state.fields_cache)
        return line

    return make


def placeholder_number() -> str:
    """A document's number until its real one is taken at the end of its transaction (unique,
    never committed)."""
    return f"~{uuid.uuid4().hex[:24]}"


# --- lines ------------------------------------------------------------------------------------
@dataclass
class LineWrite:
    """What one write of an order's lines did: its lines in row order, the new ones, the
    stored ones that changed (with what changed), the removed ones, and the quantity changes
    for the audit event."""

    lines: list[SalesOrderLine] = dataclasses.field(default_factory=list)
    added: list[SalesOrderLine] = dataclasses.field(default_factory=list)
    changed: dict[int, set[str]] = dataclasses.field(default_factory=dict)
    removed: list[SalesOrderLine] = dataclasses.field(default_factory=list)
    quantity_changes: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def moved(self) -> list[SalesOrderLine]:
        """The stored lines whose expected movements change."""
        return [
            line
            for line in self.lines
            if line.pk in self.changed and self.changed[line.pk] & set(MOVING_FIELDS)
        ]


def _stored_values(line: SalesOrderLine) -> dict[str, Any]:
    return {name: getattr(line, line._meta.get_field(name).attname) for name in WRITTEN_FIELDS}


def _lock_lines(order: SalesOrder, pks=None) -> dict[int, SalesOrderLine]:
    """The order's lines (or those of `pks`) locked in pk order, with their items and
    warehouses."""
    lines = order.lines.select_for_update(of=("self",)).select_related("item", "warehouse")
    if pks is not None:
        lines = lines.filter(pk__in=pks)
    return {line.pk: line for line in lines.order_by("pk")}


def _plan_lines(
    order: SalesOrder,
    rows: list[dict[str, Any]],
    actor,
    *,
    existing: dict[int, SalesOrderLine],
    next_line_number: int,
    trusted_prices: bool = False,
    replace: bool = True,
    return_excluded: list[int] | None = None,
) -> tuple[LineWrite, returns.SoldLines]:
    """Apply `rows` to the order's lines in memory, priced and checked, nothing written: the
    write to make. `replace`: lines of `existing` no row names are removed (a document write);
    else the rows change only the lines they name (a line endpoint)."""
    sold_lines = returns.SoldLines(order, rows, existing)  # a return's sold lines, locked
    write = LineWrite()
    stored = {pk: _stored_values(line) for pk, line in existing.items()}
    pricing = Pricing(
        customer=order.customer,
        currency=order.currency,
        on=order.requested_ship_date,
        sales_agreement=order.sales_agreement,
    )
    checks = []
    kept = set()
    new_line = blank_lines(SalesOrderLine, order=order)
    for index, row in enumerate(rows):
        row = dict(row)
        pk = row.pop("id", None)
        if pk is not None and pk not in existing:
            raise ValidationError(
                {"lines": _("Line %(row)d refers to an unknown id.") % {"row": index + 1}}
            )
        line = existing.get(pk) or new_line()
        if line.pk is None:
            next_line_number += 1
            line.line_number = next_line_number
            write.added.append(line)
        else:
            kept.add(line.pk)
        if line.delivered_quantity and "item" in row and row["item"] != line.item:
            raise ConflictError(
                _("The item of a delivered line cannot change."), code="line_delivered"
            )
        if line.purchase_line_id and any(
            field in row and row[field] not in (None, getattr(line, field))
            for field in ("item", "warehouse", "supply_type")
        ):
            raise ConflictError(
                _(
                    "Line %(line)d is supplied by purchase order %(purchase)s: its item, warehouse "
                    "and supply stay."
                )
                % {"line": line.line_number, "purchase": line.purchase_line.order.number},
                code="line_purchased",
            )
        before = (line.item_id, line.quantity)
        for name in INPUT_FIELDS:
            if name in row and row[name] is not None:
                setattr(line, name, row[name])
        priced_as_sold = sold_lines.apply(line, row, index)
        reprice = (
            line.pk is None
            or before != (line.item_id, line.quantity)
            or any(row.get(field) is not None for field in PRICE_FIELDS)
        )
        if line.sales_tax_code_id is None and line.item_id:
            line.sales_tax_code_id = line.item.sales_tax_code_id
        if not line.description and line.item_id:
            line.description = line.item.name
        if line.quantity is not None and line.quantity < line.delivered_quantity:
            raise ConflictError(
                _(
                    "Line %(line)d: %(delivered)s are delivered already; the quantity cannot be less."
                )
                % {"line": line.line_number, "delivered": line.delivered_quantity},
                code="quantity_below_delivered",
            )
        if line.pk is None:  # after a return line took its sold line's warehouse
            default_line_warehouse(line, order.customer, index)
        clean_line(line, index, row)
        if reprice:
            pricing.add(line, row, trusted=trusted_prices or priced_as_sold)
        checks.append((line, index, [f for f in PRICE_FIELDS if row.get(f) is not None]))
        write.lines.append(line)
        if line.pk is not None and line.quantity != before[1]:
            write.quantity_changes.append(quantity_change(line, before[1]))
    pricing.apply(actor)
    for line, index, given in checks:
        check_price_fields(line, index, given)
        line.deliver_remainder = line.quantity - line.delivered_quantity
        line.invoice_remainder = line.quantity - line.invoiced_quantity
    sold_lines.refuse_over_returns(
        write.lines,
        exclude=return_excluded if return_excluded is not None else list(existing),
    )
    for line in write.lines:
        if line.pk is not None:
            now = _stored_values(line)
            changed = {name for name, value in now.items() if value != stored[line.pk][name]}
            if changed:
                write.changed[line.pk] = changed
    if replace:
        for pk, line in existing.items():
            if pk not in kept:
                if line.delivered_quantity or line.invoiced_quantity:
                    raise ConflictError(
                        _("A delivered line cannot be removed."), code="line_delivered"
                    )
                write.removed.append(line)
    return write, sold_lines


def _write_planned(order: SalesOrder, write: LineWrite) -> None:
    """Write a planned change of the lines: the new lines in one insert, the changed ones in
    one UPDATE of what changed, the removed ones in one delete (with their movements). The
    movements of the new lines are the caller's (they carry the order's number)."""
    if write.removed:
        ids = [line.pk for line in write.removed]
        stock.remove_sources(SOURCE, ids)
        SalesOrderLine.objects.filter(pk__in=ids).delete()
    if write.changed:
        names = sorted(set().union(*write.changed.values()))
        lines = [line for line in write.lines if line.pk in write.changed]
        if len(lines) == 1:
            lines[0].save(update_fields=names)
        else:
            update_from_values(
                SalesOrderLine,
                fields=names,
                rows=[
                    (line.pk, *(getattr(line, line._meta.get_field(n).attname) for n in names))
                    for line in lines
                ],
            )
    insert_instances(write.added)


def _write_lines(
    order: SalesOrder, rows: list[dict[str, Any]], actor, *, trusted_prices: bool = False
) -> LineWrite:
    """Replace the stored order's lines by `rows` (a document write): lines named by `id` are
    changed, new rows added, lines no row names removed; only what changed is written."""
    existing = _lock_lines(order)
    write, sold_lines = _plan_lines(
        order,
        rows,
        actor,
        existing=existing,
        next_line_number=max((line.line_number for line in existing.values()), default=0),
        trusted_prices=trusted_prices,
    )
    refuse_too_large(line_total(write.lines), field="lines")
    _write_planned(order, write)
    apply_lines_inventory(order, write.moved)
    apply_lines_inventory(order, write.added, new=True)
    sold_lines.name_original_invoice(write.lines)
    return write


def _release_from_agreement(order: SalesOrder, lines: list[SalesOrderLine], actor) -> None:
    if order.sales_agreement_id is None or order.is_journal or order.is_return:
        return
    agreement_release(
        agreement=order.sales_agreement,
        customer=order.customer,
        requested_ship_date=order.requested_ship_date,
        lines=[
            {"item": line.item, "quantity": line.quantity, "amount": line.line_amount}
            for line in lines
        ],
        reference=order.number,
        actor=actor,
    )


def default_ship_date(customer: Customer | None, *, ordered_on: date | None = None) -> date:
    """The requested ship date of a new document: the order date plus the customer's shipping
    lead time (a prospect, without a customer account, ships the same day)."""
    ordered_on = ordered_on or timezone.localdate()
    return ordered_on + timedelta(days=customer.shipping_lead_time_days if customer else 0)


def default_line_warehouse(line, customer: Customer | None, index: int) -> None:
    """A line given no warehouse ships from the customer's default warehouse; without one the
    line is refused, naming its warehouse."""
    if line.warehouse_id is not None:
        return
    if customer is not None and customer.default_warehouse_id is not None:
        line.warehouse = customer.default_warehouse  # read once per document, then cached
        return
    raise ValidationError(
        {
            f"lines[{index}].warehouse": _(
                "Line %(line)d has no warehouse and the customer has no default warehouse: "
                "pick the warehouse it ships from."
            )
            % {"line": index + 1}
        }
    )


def _defaults_from_customer(order: SalesOrder) -> None:
    customer: Customer = order.customer
    if order.requested_ship_date is None:
        order.requested_ship_date = default_ship_date(customer)
    if order.currency_id is None:
        order.currency = customer.currency
    if not order.delivery_street:
        address = delivery_address(customer)
        if address is not None:
            order.delivery_name = order.delivery_name or customer.party.name
            order.delivery_street = address.street
            order.delivery_postal_code = address.postal_code
            order.delivery_city = address.city
            order.delivery_country = address.country


def _clean_new_header(order: SalesOrder) -> None:
    """A new order's own field rules; the references it was given are instances (the database's
    constraints back them) and its numbers are taken at the end."""
    references = [
        f.name
        for f in order._meta.concrete_fields
        if f.is_relation and getattr(order, f.attname) is not None
    ]
    order.full_clean(
        exclude=[*references, "number", "rma_number", "status", "approval_status"],
        validate_unique=False,
        validate_constraints=False,
    )


def _take_numbers(order: SalesOrder) -> None:
    """The order's number (and a return's RMA number), taken last: one statement each."""
    assign_number(order, "number", "sales-order")
    if order.is_return:
        assign_number(order, "rma_number", "rma")


@retry_on_conflict
def sales_order_create(*, data: dict[str, Any], actor, trusted_prices: bool = False) -> SalesOrder:
    """Enter an order with its lines, priced by the price lookup (or the sales agreement it is
    released from, which checks and records the release). Everything is checked before anything
    is written; the number is taken after the work."""
    data = dict(data)
    rows = data.pop("lines", [])
    with transaction.atomic():
        order = SalesOrder(**data)
        if getattr(actor, "is_authenticated", False):
            order.created_by = actor
        _defaults_from_customer(order)
        if order.sales_agreement_id and order.sales_agreement.customer_id != order.customer_id:
            raise ConflictError(
                _("The agreement belongs to another customer."), code="agreement_customer_mismatch"
            )
        returns.check_return_header(order, changes=data)
        _clean_new_header(order)
        write, sold_lines = _plan_lines(
            order, rows, actor, existing={}, next_line_number=0, trusted_prices=trusted_prices
        )
        lines = write.lines
        refuse_too_large(line_total(lines), field="lines")
        order.number = placeholder_number()
        if order.is_return:
            order.rma_number = placeholder_number()
        order.save()
        for line in lines:
            line.order_id = order.pk  # the order itself is the lines' cached order already
        insert_instances(lines)
        _take_numbers(order)
        apply_lines_inventory(order, lines, new=True)
        sold_lines.name_original_invoice(lines)
        _release_from_agreement(order, lines, actor)
        approval.evaluate(order, customer=order.customer, actor=actor, total=line_total(lines))
        record_event(actor=actor, obj=order, action="created")
        for line in lines:
            line.__dict__["returned_quantity"] = Decimal(0)  # nothing returns a new line yet
        order.entered_lines = lines  # for the caller's answer (`cache_lines`): no query
        return order


def _refuse_unless_open(order: SalesOrder) -> None:
    if order.status != SalesOrder.Status.OPEN:
        raise ConflictError(
            _("The order is %(status)s: it cannot change.")
            % {"status": order.get_status_display()},
            code="order_not_open",
        )


def _lock_order(order: SalesOrder, *, with_total: bool = False) -> SalesOrder:
    """Re-read the order with its row locked, with its customer and currency (and with
    `with_total` its lines' total as `lines_total`, read in the same statement)."""
    orders = SalesOrder.objects.select_for_update(of=("self",)).select_related(
        "customer__party", "currency"
    )
    if with_total:
        total = (
            SalesOrderLine.objects.filter(order_id=OuterRef("pk"))
            .order_by()
            .values("order_id")
            .annotate(total=Sum("line_amount"))
            .values("total")
        )
        orders = orders.annotate(
            lines_total=Coalesce(Subquery(total), Value(Decimal(0)), output_field=MONEY)
        )
    return orders.get(pk=order.pk)


def _refuse_released_lines(order: SalesOrder) -> None:
    if order.sales_agreement_id:
        raise ConflictError(
            _(
                "The lines of an order released from a sales agreement are fixed; cancel and release again."
            ),
            code="released_from_agreement",
        )


def sales_order_update(*, instance: SalesOrder, data: dict[str, Any], actor) -> SalesOrder:
    """Change the order. Without `lines` its lines stay as they are; with `lines`, they are the
    order's lines from now on: lines named by `id` change, new rows are added and lines no row
    names are removed (only what changed is written). One audit event for the change."""
    data = dict(data)
    rows = data.pop("lines", None)
    with transaction.atomic():
        order = _lock_order(instance)
        SALES_ORDER.refuse(order, "update")
        if rows is not None or "sales_agreement" in data:
            _refuse_released_lines(order)
        if (
            "customer" in data
            and data["customer"] != order.customer
            and order.lines.filter(delivered_quantity__gt=0).exists()
        ):
            raise ConflictError(
                _("The customer of a delivered order cannot change."), code="order_delivered"
            )
        data.pop("order_type", None)  # changed only through sales_order_change_type
        returns.check_return_header(order, changes=data)
        before, expected_on = snapshot(order), _expected_on(order)
        for name, value in data.items():
            setattr(order, name, value)
        header = save_changes(instance=order, before=before)
        if _expected_on(order) != expected_on:
            _redate_movements(order)
        quantity_changes: list[dict[str, Any]] = []
        total = None
        if rows is not None:
            write = _write_lines(order, rows, actor)
            quantity_changes, total = write.quantity_changes, line_total(write.lines)
        approval.evaluate(
            order,
            customer=order.customer,
            actor=actor,
            total=stored_total(order.lines) if total is None else total,
        )
        summary_event(actor=actor, obj=order, header=header, lines=quantity_changes)
        return order


# --- one line ---------------------------------------------------------------------------------
def _line_change_target(order: SalesOrder) -> SalesOrder:
    """Lock the order for a change of one of its lines: refused like a change of the order.
    Its lines' total comes with it (`lines_total`): the lines change only under this lock."""
    order = _lock_order(order, with_total=True)
    SALES_ORDER.refuse(order, "update")
    _refuse_released_lines(order)
    return order


def _after_line_change(order: SalesOrder, actor, *, total: Decimal) -> None:
    """What depends on the order's total: the approval (rules by amount, credit limit)."""
    refuse_too_large(total, field="lines")
    approval.evaluate(order, customer=order.customer, actor=actor, total=total)


def _given_changes(line, stored: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """The fields the row gave that changed (old and new), for the audit event."""
    changes = {}
    for name in (*INPUT_FIELDS, *PRICE_FIELDS, "returned_line"):
        if name == "quantity" or row.get(name) is None:
            continue
        attname = line._meta.get_field(name).attname
        old, new = stored.get(name), getattr(line, attname)
        if old != new:
            changes[name] = {"old": str(old) if old is not None else None, "new": str(new)}
    return changes


@retry_on_conflict
def sales_order_line_add(*, order: SalesOrder, data: dict[str, Any], actor) -> SalesOrderLine:
    """Add one line to an open order, priced by the price lookup: the order's other lines are
    not touched. Refused like a change of the order (`order_not_open`,
    `released_from_agreement`)."""
    with transaction.atomic():
        order = _line_change_target(order)
        last = SalesOrderLine.objects.filter(order_id=order.pk).order_by("-line_number").first()
        write, sold_lines = _plan_lines(
            order,
            [{key: value for key, value in data.items() if key != "id"}],
            actor,
            existing={},
            next_line_number=last.line_number if last else 0,
            replace=False,
            return_excluded=[],
        )
        [line] = write.lines
        total = order.lines_total + line.line_amount
        _write_planned(order, write)
        apply_lines_inventory(order, [line], new=True)
        sold_lines.name_original_invoice([line])
        _after_line_change(order, actor, total=total)
        record_event(
            actor=actor,
            obj=order,
            action="line_added",
            data={
                "line": line.line_number,
                "item": line.item.item_number,
                "quantity": str(quantize(line.quantity, QUANTITY_PLACES)),
            },
        )
        line.__dict__["returned_quantity"] = Decimal(0)
        return line


@retry_on_conflict
def sales_order_line_change(*, line: SalesOrderLine, data: dict[str, Any], actor) -> SalesOrderLine:
    """Change one line of an open order (its quantity, item, warehouse, prices...): only that
    line and its expected movements are written, repriced when its item or quantity changed.
    Refused like a change of the order, and like the line's change in a document write
    (`line_delivered`, `quantity_below_delivered`, `line_purchased`)."""
    with transaction.atomic():
        order = _line_change_target(SalesOrder(pk=line.order_id))
        existing = _lock_lines(order, [line.pk])
        if line.pk not in existing:
            raise ValidationError({"line": _("The line is not on this order.")})
        stored = _stored_values(existing[line.pk])
        others = order.lines_total - existing[line.pk].line_amount
        row = {**{key: value for key, value in data.items() if key != "id"}, "id": line.pk}
        write, sold_lines = _plan_lines(
            order,
            [row],
            actor,
            existing=existing,
            next_line_number=0,
            replace=False,
            return_excluded=[line.pk],
        )
        [line] = write.lines
        total = others + line.line_amount
        _write_planned(order, write)
        apply_lines_inventory(order, write.moved)
        sold_lines.name_original_invoice([line])
        if write.changed:
            _after_line_change(order, actor, total=total)
            changes = _given_changes(line, stored, row)
            if write.quantity_changes:
                [entry] = write.quantity_changes
                record_event(
                    actor=actor,
                    obj=order,
                    action="line_quantity_changed",
                    data={**entry, **changes},
                )
            elif changes:
                record_event(
                    actor=actor,
                    obj=order,
                    action="line_changed",
                    data={"line": line.line_number, "item": line.item.item_number, **changes},
                )
        return line


@retry_on_conflict
def sales_order_line_delete(*, line: SalesOrderLine, actor) -> None:
    """Remove one line of an open order with its expected movements; a line delivered or
    invoiced in part stays (`line_delivered`: cancel its remainder instead)."""
    with transaction.atomic():
        order = _line_change_target(SalesOrder(pk=line.order_id))
        existing = _lock_lines(order, [line.pk])
        line = existing.get(line.pk)
        if line is None:
            raise ValidationError({"line": _("The line is not on this order.")})
        if line.delivered_quantity or line.invoiced_quantity:
            raise ConflictError(_("A delivered line cannot be removed."), code="line_delivered")
        total = order.lines_total - line.line_amount
        _write_planned(order, LineWrite(removed=[line]))
        _after_line_change(order, actor, total=total)
        record_event(
            actor=actor,
            obj=order,
            action="line_deleted",
            data={
                "line": line.line_number,
                "item": line.item.item_number,
                "quantity": str(quantize(line.quantity, QUANTITY_PLACES)),
            },
        )


# --- the order as a whole ---------------------------------------------------------------------
def sales_order_change_type(*, order: SalesOrder, order_type: str, actor) -> SalesOrder:
    """Any order's type can change, except an item-requirements order once delivered; a journal
    becomes real (its inventory transactions appear) and nothing delivered becomes a journal."""
    if order_type not in OrderType.values:
        raise ValidationError({"order_type": _("Unknown order type.")})
    with transaction.atomic():
        order = lock(order)
        SALES_ORDER.refuse(order, "change_type")
        before = order.order_type
        if order_type == before:
            return order
        delivered = order.lines.filter(delivered_quantity__gt=0).exists() or order.status in (
            SalesOrder.Status.DELIVERED,
            SalesOrder.Status.INVOICED,
        )
        if before == OrderType.ITEM_REQUIREMENTS and delivered:
            raise ConflictError(
                _("An item requirements order keeps its type once it is delivered."),
                code="item_requirements_delivered",
            )
        if order_type == OrderType.JOURNAL and delivered:
            raise ConflictError(
                _("A delivered order cannot become a journal."), code="journal_after_delivery"
            )
        if OrderType.RETURNED in (before, order_type) and delivered:
            raise ConflictError(
                _("A delivered order cannot turn into or out of a return."),
                code="return_after_delivery",
            )
        order.order_type = order_type
        fields = ["order_type"]
        if order_type == OrderType.RETURNED and not order.rma_number:
            order.rma_number = next_number("rma")
            fields.append("rma_number")
        order.save(update_fields=fields)
        if before == OrderType.RETURNED:  # no longer a return: its lines give nothing back
            order.lines.filter(returned_line__isnull=False).update(returned_line=None)
        lines = list(order.lines.select_related("item", "warehouse").order_by("pk"))
        apply_lines_inventory(order, lines)
        if before == OrderType.JOURNAL:
            _release_from_agreement(order, lines, actor)
        record_event(
            actor=actor, obj=order, action="type_changed", data={"from": before, "to": order_type}
        )
        return order


@retry_on_conflict
def sales_order_confirm(
    *, order: SalesOrder, actor, confirmed_ship_date: date | None = None
) -> SalesOrder:
    """Confirm the order to the customer: fixes the confirmed ship date (`confirmed_ship_date`
    when given, e.g. the promised date the order page offers; else the one set, else the
    requested ship date). The lines' expected movements move to that date in one UPDATE."""
    with transaction.atomic():
        order = _lock_order(order)
        SALES_ORDER.refuse(order, "confirm")
        before = _expected_on(order)
        order.confirmed_ship_date = (
            confirmed_ship_date or order.confirmed_ship_date or order.requested_ship_date
        )
        if order.confirmed_ship_date != before:
            _redate_movements(order)
        order.document_status = SalesOrder.DocumentStatus.CONFIRMATION
        order.confirmed_at = timezone.now()
        order.save(update_fields=["confirmed_ship_date", "document_status", "confirmed_at"])
        document_request(
            obj=order,
            kind="order_confirmation",
            title=_("Order confirmation %(number)s") % {"number": order.number},
            language=order.customer.party.language,
            email_to=order.customer.party.email,
        )
        record_event(
            actor=actor,
            obj=order,
            action="confirmed",
            data={"confirmed_ship_date": order.confirmed_ship_date},
        )
        return order


def picking_list(order: SalesOrder) -> dict:
    """What to pick for the open lines, per warehouse."""
    by_warehouse: dict = {}
    for line in (
        order.lines.select_related("item", "warehouse")
        .filter(deliver_remainder__gt=0)
        .order_by("warehouse__code", "line_number")
    ):
        by_warehouse.setdefault(line.warehouse, []).append(line)
    return by_warehouse


def sales_order_picking_list(*, order: SalesOrder, actor) -> SalesOrder:
    with transaction.atomic():
        order = lock(order)
        SALES_ORDER.refuse(order, "picking_list")
        order.document_status = SalesOrder.DocumentStatus.PICKING_LIST
        order.save(update_fields=["document_status"])
        record_event(actor=actor, obj=order, action="picking_list")
        return order


@retry_on_conflict
def sales_order_cancel(*, order: SalesOrder, actor) -> SalesOrder:
    """Cancel an order nothing of which is delivered or invoiced; what it released from a sales
    agreement is given back."""
    with transaction.atomic():
        order = lock(order)
        lines = list(order.lines.select_for_update().order_by("pk"))
        # refused (SALES_ORDER's cancel) when part of it is delivered or invoiced
        order = run_transition(instance=order, transition="cancel", actor=actor)
        agreement_lines_lock(line.agreement_line_id for line in lines)
        stock.remove_sources(SOURCE, [line.pk for line in lines])
        for line in lines:
            if line.agreement_line_id and not order.is_journal:
                agreement_release_reverse(
                    line=line.agreement_line, quantity=line.quantity, amount=line.line_amount
                )
        SalesOrderLine.objects.filter(order=order).update(
            status=SalesOrderLine.Status.CANCELED, deliver_remainder=0, invoice_remainder=0
        )
        return order


def sales_order_cancel_remainder(*, line: SalesOrderLine, actor) -> SalesOrderLine:
    """Close what is left to deliver on a line; the order is delivered when nothing is left."""
    from .delivery import settle_order_status

    with transaction.atomic():
        order = lock(line.order)
        _refuse_unless_open(order)
        line = SalesOrderLine.objects.select_for_update().get(pk=line.pk, order=order)
        if not line.deliver_remainder:
            raise ConflictError(
                _("Nothing is left to deliver on the line."), code="nothing_to_cancel"
            )
        canceled = line.deliver_remainder
        line.deliver_remainder = Decimal(0)
        line.invoice_remainder = line.delivered_quantity - line.invoiced_quantity
        line.status = (
            SalesOrderLine.Status.DELIVERED
            if line.delivered_quantity
            else SalesOrderLine.Status.CANCELED
        )
        line.save(update_fields=["deliver_remainder", "invoice_remainder", "status"])
        apply_line_inventory(order, line)
        record_event(
            actor=actor,
            obj=order,
            action="remainder_canceled",
            data={"line": line.line_number, "quantity": canceled},
        )
        settle_order_status(order, actor)
        return line


def sales_order_delete(*, instance: SalesOrder, actor) -> None:
    """Only a journal or a canceled order with nothing delivered may be deleted; an order that
    moved goods is kept (cancel it instead)."""
    from salesmkt.core.services import record_delete

    with transaction.atomic():
        order = lock(instance)
        SALES_ORDER.refuse(order, "delete")
        stock.remove_sources(SOURCE, order.lines.values_list("pk", flat=True))
        record_delete(instance=order, actor=actor)
