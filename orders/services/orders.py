"""Sales orders: entry and pricing of lines, type changes, confirmation, picking, cancelation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.services.pricing import price_lookup
from agreements.services.sales_agreements import (
    agreement_lines_lock,
    agreement_release,
    agreement_release_reverse,
)
from crm.models import Customer
from inventory.models import InventoryTransaction
from inventory.services import stock
from salesmkt.core.audit import record_event
from salesmkt.core.documents import document_request
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import (
    QUANTITY_PLACES,
    TOO_LARGE,
    fits_field,
    quantize,
    refuse_too_large,
    to_decimal,
)
from salesmkt.core.numbering import next_number
from salesmkt.core.services import record_save
from salesmkt.core.transitions import lock, retry_on_conflict, run_transition

from ..actions import SALES_ORDER
from ..models import SalesOrder, SalesOrderLine
from . import approval, returns

OrderType = SalesOrder.OrderType
SOURCE = "sales_order_line"
PRICE_FIELDS = ("unit_price", "discount_amount", "discount_percent")


# --- inventory --------------------------------------------------------------------------------
def apply_line_inventory(
    order: SalesOrder,
    line: SalesOrderLine,
    *,
    is_new: bool = False,
    reserved: Decimal | None = None,
) -> None:
    """The expected movement of a line, dated its (confirmed, else requested) ship date: an issue
    (reserved from on-hand as far as allocation reserved it, the rest on order), or for a return
    a receipt ordered. Journal and canceled orders, and drop shipments (the vendor ships; our
    warehouses see nothing), have none. `reserved` gives the reservation after a delivery drew
    from it; by default the line keeps what it has (never more than is left to deliver)."""
    if (
        order.is_journal
        or order.status == SalesOrder.Status.CANCELED
        or not line.deliver_remainder
        or line.supply_type == SalesOrderLine.SupplyType.DROP_SHIPMENT
    ):
        stock.remove_source(SOURCE, line.pk)
        return
    sign, status = (
        (Decimal(1), InventoryTransaction.Status.ORDERED)
        if order.is_return
        else (Decimal(-1), InventoryTransaction.Status.ON_ORDER)
    )
    if reserved is None:
        reserved = (
            Decimal(0) if is_new or order.is_return else stock.reserved_quantity(SOURCE, line.pk)
        )
    stock.set_expected(
        item=line.item,
        warehouse=line.warehouse,
        quantity=sign * line.deliver_remainder,
        status=status,
        source=SOURCE,
        source_id=line.pk,
        reference=order.number,
        replace=not is_new,
        reserved=reserved,
        on=order.confirmed_ship_date or order.requested_ship_date,
    )


# --- lines ------------------------------------------------------------------------------------
def price_line(
    *, line, customer, currency, on, row: dict[str, Any], actor, sales_agreement=None, trusted=False
) -> None:
    """Price an order or quotation line with the price lookup. Prices given in `row` that differ
    from the lookup need the override permission, unless they are `trusted` (carried over from a
    confirmed quotation)."""
    result = price_lookup(
        customer=customer,
        item=line.item,
        quantity=line.quantity,
        currency=currency,
        on=on,
        sales_agreement=sales_agreement,
    )
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


def actor_can(actor, permission: str) -> bool:
    return bool(
        actor is None or (getattr(actor, "is_authenticated", False) and actor.has_perm(permission))
    )


def check_price_fields(line, index: int) -> None:
    """The price fields as priced (given or looked up) obey their fields' rules: a discount of
    0 to 100 %, no negative price or discount amount."""
    errors = {}
    for name in PRICE_FIELDS:
        try:
            line._meta.get_field(name).run_validators(getattr(line, name))
        except ValidationError as exc:
            errors[f"lines[{index}].{name}"] = exc.messages
    if not fits_field(line, "line_amount"):
        # Each of quantity and price fits, their product does not: named on the quantity.
        errors[f"lines[{index}].quantity"] = [TOO_LARGE % {"value": f"{line.line_amount:.2E}"}]
    if errors:
        raise ValidationError(errors)


def _write_lines(
    order: SalesOrder, rows: list[dict[str, Any]], actor, *, trusted_prices: bool = False
) -> list[SalesOrderLine]:
    existing = {line.pk: line for line in order.lines.select_for_update().order_by("pk")}
    sold_lines = returns.SoldLines(order, rows, existing)  # a return's sold lines, locked
    kept, written = set(), []
    next_line_number = max((line.line_number for line in existing.values()), default=0)
    for index, row in enumerate(rows):
        row = dict(row)
        pk = row.pop("id", None)
        if pk is not None and pk not in existing:
            raise ValidationError(
                {"lines": _("Line %(row)d refers to an unknown id.") % {"row": index + 1}}
            )
        line = existing.get(pk) or SalesOrderLine(order=order)
        if line.pk is None:
            next_line_number += 1
            line.line_number = next_line_number
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
        for field in (
            "item",
            "warehouse",
            "quantity",
            "description",
            "sales_tax_code",
            "supply_type",
        ):
            if field in row and row[field] is not None:
                setattr(line, field, row[field])
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
        missing = [f for f in ("item_id", "warehouse_id", "quantity") if getattr(line, f) is None]
        if missing:
            raise ValidationError(
                {
                    f"lines[{index}].{f.removesuffix('_id')}": _("This field is required.")
                    for f in missing
                }
            )
        try:
            # The related records are instances the caller gave: no need to look them up again;
            # the database constraints back the remainders.
            line.full_clean(
                exclude=[
                    "order",
                    "line_amount",
                    "price_source",
                    "item",
                    "warehouse",
                    "sales_tax_code",
                    "returned_line",
                ],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            raise ValidationError(
                {f"lines[{index}].{k}": v for k, v in exc.message_dict.items()}
            ) from exc
        if reprice:
            price_line(
                line=line,
                customer=order.customer,
                currency=order.currency,
                on=order.requested_ship_date,
                row=row,
                actor=actor,
                sales_agreement=order.sales_agreement,
                trusted=trusted_prices or priced_as_sold,
            )
        check_price_fields(line, index)
        sold_lines.refuse_over_return(line)
        line.deliver_remainder = line.quantity - line.delivered_quantity
        line.invoice_remainder = line.quantity - line.invoiced_quantity
        is_new = line.pk is None
        line.save()
        kept.add(line.pk)
        written.append(line)
        apply_line_inventory(order, line, is_new=is_new)
        if not is_new and line.quantity != before[1]:
            record_event(
                actor=actor,
                obj=order,
                action="line_quantity_changed",
                data={  # old and new as the history shows every field change
                    "line": line.line_number,
                    "item": line.item.item_number,
                    "quantity": {
                        "old": str(quantize(before[1], QUANTITY_PLACES)),
                        "new": str(quantize(line.quantity, QUANTITY_PLACES)),
                    },
                },
            )
    for pk, line in existing.items():
        if pk not in kept:
            if line.delivered_quantity or line.invoiced_quantity:
                raise ConflictError(_("A delivered line cannot be removed."), code="line_delivered")
            stock.remove_source(SOURCE, line.pk)
            line.delete()
    refuse_too_large(sum((line.line_amount for line in written), Decimal(0)), field="lines")
    sold_lines.name_original_invoice(written)
    return written


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


def _defaults_from_customer(order: SalesOrder) -> None:
    customer: Customer = order.customer
    if order.currency_id is None:
        order.currency = customer.currency
    if not order.delivery_street:
        address = customer.party.delivery_address
        if address is not None:
            order.delivery_name = order.delivery_name or customer.party.name
            order.delivery_street = address.street
            order.delivery_postal_code = address.postal_code
            order.delivery_city = address.city
            order.delivery_country = address.country


@retry_on_conflict
def sales_order_create(*, data: dict[str, Any], actor, trusted_prices: bool = False) -> SalesOrder:
    """Enter an order with its lines, priced by the price lookup (or the sales agreement it is
    released from, which checks and records the release)."""
    data = dict(data)
    rows = data.pop("lines", [])
    with transaction.atomic():
        order = SalesOrder(**data)
        order.number = next_number("sales-order")
        if order.is_return:
            order.rma_number = next_number("rma")
        if getattr(actor, "is_authenticated", False):
            order.created_by = actor
        _defaults_from_customer(order)
        if order.sales_agreement_id and order.sales_agreement.customer_id != order.customer_id:
            raise ConflictError(
                _("The agreement belongs to another customer."), code="agreement_customer_mismatch"
            )
        returns.check_return_header(order, changes=data)
        order = record_save(instance=order, actor=actor)
        lines = _write_lines(order, rows, actor, trusted_prices=trusted_prices)
        _release_from_agreement(order, lines, actor)
        approval.evaluate(order, customer=order.customer, actor=actor)
        return order


def _refuse_unless_open(order: SalesOrder) -> None:
    if order.status != SalesOrder.Status.OPEN:
        raise ConflictError(
            _("The order is %(status)s: it cannot change.")
            % {"status": order.get_status_display()},
            code="order_not_open",
        )


def sales_order_update(*, instance: SalesOrder, data: dict[str, Any], actor) -> SalesOrder:
    data = dict(data)
    rows = data.pop("lines", None)
    with transaction.atomic():
        order = lock(instance)
        SALES_ORDER.refuse(order, "update")
        if order.sales_agreement_id and (rows is not None or "sales_agreement" in data):
            raise ConflictError(
                _(
                    "The lines of an order released from a sales agreement are fixed; cancel and release again."
                ),
                code="released_from_agreement",
            )
        delivered = order.lines.filter(delivered_quantity__gt=0).exists()
        if delivered and "customer" in data and data["customer"] != order.customer:
            raise ConflictError(
                _("The customer of a delivered order cannot change."), code="order_delivered"
            )
        data.pop("order_type", None)  # changed only through sales_order_change_type
        returns.check_return_header(order, changes=data)
        for field, value in data.items():
            setattr(order, field, value)
        order = record_save(instance=order, actor=actor)
        if rows is not None:
            _write_lines(order, rows, actor)
        approval.evaluate(order, customer=order.customer, actor=actor)
        return order


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
        for line in lines:
            apply_line_inventory(order, line)
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
    requested ship date). The lines' expected movements move to that date."""
    with transaction.atomic():
        order = lock(order)
        SALES_ORDER.refuse(order, "confirm")
        before = order.confirmed_ship_date or order.requested_ship_date
        order.confirmed_ship_date = (
            confirmed_ship_date or order.confirmed_ship_date or order.requested_ship_date
        )
        if order.confirmed_ship_date != before:
            for line in (
                order.lines.select_for_update(of=("self",))
                .select_related("item", "warehouse")
                .order_by("pk")
            ):
                apply_line_inventory(order, line)
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
        for line in lines:
            stock.remove_source(SOURCE, line.pk)
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
        for line_id in order.lines.values_list("pk", flat=True):
            stock.remove_source(SOURCE, line_id)
        record_delete(instance=order, actor=actor)
