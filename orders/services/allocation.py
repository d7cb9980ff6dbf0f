"""Allocation: split an item's on-hand between its backorders, per warehouse, and reserve it.

Rules (issue 7, item 5):

- **Backorders** are the open sales lines with something left to deliver on open orders that are
  neither journals nor returns, of a stocked item, supplied from stock or as a special order (a
  drop shipment never passes through our warehouses): the backorders the lists show
  (`selectors.backorders.backorder_lines`).
- **Order of service**: ship date (the confirmed ship date once the order is confirmed, since that
  is what the customer was promised; else the requested ship date), then the order's priority
  (1 first), then the order date (`created_at`), then the line id.
- **Per warehouse**: on-hand is per warehouse, so each warehouse's backorders share that
  warehouse's on-hand. A run without a warehouse splits every warehouse separately.
- **What is split**: the warehouse's on-hand less what is reserved for lines the run does not
  cover; the run re-decides the reservations of the lines it covers. A special order's receipt
  stays reserved for its line first (it was bought for that customer): those lines keep what
  they hold before anything else is shared out.
- **By hand**: a clerk gives quantities for some lines; each at most the line's deliver remainder,
  and the warehouse's reservations in total at most its on-hand. Lines not given keep theirs.

A run locks the item row (so that two runs for one item take turns) and then the backorder lines
in pk order (like a packing slip does), re-reads on-hand and reservations under the lock, sets
each line's reservation through `apply_line_inventory` and records an `AllocationRun`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from inventory.models import InventoryTransaction, Item, Warehouse
from salesmkt.core.audit import record_event
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import to_decimal
from salesmkt.core.transitions import retry_on_conflict

from ..models import AllocationRun, AllocationRunLine, SalesOrder, SalesOrderLine
from ..selectors import backorders
from .orders import SOURCE, apply_line_inventory

ZERO = Decimal(0)
SupplyType = SalesOrderLine.SupplyType
ALLOCATION_ORDER = (
    Coalesce("order__confirmed_ship_date", "order__requested_ship_date").asc(),
    F("order__priority").asc(),
    F("order__created_at").asc(),
    F("pk").asc(),
)


def open_backorders() -> QuerySet:
    """Every backorder line (as the backorder lists count them), in the order allocation serves
    them."""
    return backorders.backorder_lines().order_by(*ALLOCATION_ORDER)


def backorder_lines(*, item: Item | int, warehouse: Warehouse | int | None = None) -> QuerySet:
    """The backorders of an item (in a warehouse), in allocation order."""
    lines = open_backorders().filter(item=item)
    if warehouse is not None:
        lines = lines.filter(warehouse=warehouse)
    return lines


def ship_date(line: SalesOrderLine) -> date:
    return line.order.confirmed_ship_date or line.order.requested_ship_date


def allocation_key(line: SalesOrderLine) -> tuple:
    order = line.order
    return (ship_date(line), order.priority, order.created_at, line.pk)


@dataclass
class Share:
    """A backorder line's part of the split: what it holds now and what it gets."""

    line: SalesOrderLine
    reserved: Decimal
    proposed: Decimal = ZERO

    @property
    def ship_date(self) -> date:
        return ship_date(self.line)

    @property
    def deliver_remainder(self) -> Decimal:
        return self.line.deliver_remainder

    @property
    def kept_for_special_order(self) -> bool:
        return self.line.supply_type == SupplyType.SPECIAL_ORDER and bool(
            self.line.purchase_line_id
        )


@dataclass
class Split:
    """One warehouse's on-hand of the item and its backorders in allocation order."""

    item: Item
    warehouse: Warehouse
    on_hand: Decimal
    reserved_elsewhere: Decimal  # reservations of lines the split does not cover
    shares: list[Share] = field(default_factory=list)

    @property
    def available(self) -> Decimal:
        return max(ZERO, self.on_hand - self.reserved_elsewhere)

    @property
    def proposed_total(self) -> Decimal:
        return sum((share.proposed for share in self.shares), ZERO)

    @property
    def reserved_total(self) -> Decimal:
        return sum((share.reserved for share in self.shares), ZERO)

    @property
    def unallocated(self) -> Decimal:
        return self.available - self.proposed_total

    @property
    def demand(self) -> Decimal:
        return sum((share.deliver_remainder for share in self.shares), ZERO)


def _splits(item: Item, warehouse: Warehouse | None, *, lock: bool) -> list[Split]:
    """Read (under lock when `lock`) the backorders, on-hand and reservations per warehouse."""
    lines = backorder_lines(item=item, warehouse=warehouse).select_related(
        "order__customer__party", "item", "warehouse"
    )
    if lock:  # orders before their lines, each in pk order, as packing slips and invoices lock
        list(
            SalesOrder.objects.select_for_update()
            .filter(pk__in=lines.values("order_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        locked_ids = list(
            SalesOrderLine.objects.select_for_update(of=("self",))
            .filter(pk__in=lines.values("pk"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        lines = lines.filter(pk__in=locked_ids)  # re-read after the lock: current remainders
    lines = list(lines)
    warehouses = {line.warehouse_id: line.warehouse for line in lines}
    if warehouse is not None:
        warehouses = {warehouse.pk: warehouse}
    covered = [line.pk for line in lines]
    reserved_by_line = {
        row["source_id"]: -row["total"]
        for row in InventoryTransaction.objects.filter(
            source=SOURCE, source_id__in=covered, status=InventoryTransaction.Status.RESERVED
        )
        .values("source_id")
        .annotate(total=Sum("quantity"))
    }
    transactions = InventoryTransaction.objects.filter(item=item, warehouse__in=list(warehouses))
    on_hand = dict(
        transactions.filter(status__in=InventoryTransaction.PHYSICAL)
        .values("warehouse")
        .annotate(total=Sum("quantity"))
        .values_list("warehouse", "total")
    )
    reserved_all = dict(
        transactions.filter(status=InventoryTransaction.Status.RESERVED)
        .values("warehouse")
        .annotate(total=Sum("quantity"))
        .values_list("warehouse", "total")
    )
    splits = {}
    for pk, house in sorted(warehouses.items(), key=lambda pair: pair[1].code):
        splits[pk] = Split(
            item=item,
            warehouse=house,
            on_hand=on_hand.get(pk) or ZERO,
            reserved_elsewhere=-(reserved_all.get(pk) or ZERO),
        )
    for line in lines:  # in allocation order
        share = Share(line=line, reserved=reserved_by_line.get(line.pk, ZERO))
        splits[line.warehouse_id].shares.append(share)
        splits[line.warehouse_id].reserved_elsewhere -= share.reserved
    return list(splits.values())


def _propose(split: Split) -> Split:
    """The automatic split: special orders keep their receipt first, then every line in
    allocation order takes what it still needs while anything is left."""
    left = split.available
    for share in split.shares:
        share.proposed = ZERO
        if share.kept_for_special_order:
            share.proposed = min(share.reserved, share.deliver_remainder, left)
            left -= share.proposed
    for share in split.shares:
        part = min(share.deliver_remainder - share.proposed, left)
        if part > 0:
            share.proposed += part
            left -= part
    return split


def allocation_proposal(*, item: Item, warehouse: Warehouse | None = None) -> list[Split]:
    """What an automatic run would reserve now, per warehouse (nothing is written)."""
    return [_propose(split) for split in _splits(item, warehouse, lock=False)]


def _apply_manual(splits: list[Split], rows: Iterable[dict[str, Any]]) -> None:
    shares = {share.line.pk: share for split in splits for share in split.shares}
    for share in shares.values():
        share.proposed = share.reserved  # lines not given keep what they hold
    given: set[int] = set()
    for index, row in enumerate(rows):
        line_id = getattr(row["order_line"], "pk", row["order_line"])
        share = shares.get(line_id)
        if share is None:
            raise DomainError(
                _("Line %(row)d is not a backorder of this item (and warehouse).")
                % {"row": index + 1},
                code="not_a_backorder",
                field=f"lines[{index}].order_line",
            )
        if line_id in given:
            raise DomainError(
                _("Line %(line)s is given twice.") % {"line": share.line},
                code="line_repeated",
                field=f"lines[{index}].order_line",
            )
        given.add(line_id)
        quantity = to_decimal(row["quantity"])
        if quantity < 0:
            raise DomainError(
                _("Reserve zero or more."),
                code="invalid_quantity",
                field=f"lines[{index}].quantity",
            )
        if quantity > share.deliver_remainder:
            raise ConflictError(
                _("%(line)s: %(quantity)s is more than the %(remainder)s left to deliver.")
                % {
                    "line": share.line,
                    "quantity": quantity,
                    "remainder": share.deliver_remainder,
                },
                code="exceeds_remainder",
                params={"order_line": line_id, "remainder": str(share.deliver_remainder)},
            )
        share.proposed = quantity
    if not given:
        raise DomainError(
            _("Give the quantities to reserve."), code="nothing_to_allocate", field="lines"
        )
    for split in splits:
        if split.proposed_total > split.available:
            raise ConflictError(
                _(
                    "%(warehouse)s: %(total)s reserved in all is more than the %(available)s "
                    "on hand to allocate."
                )
                % {
                    "warehouse": split.warehouse.code,
                    "total": split.proposed_total,
                    "available": split.available,
                },
                code="exceeds_on_hand",
                params={
                    "warehouse": split.warehouse.pk,
                    "available": str(split.available),
                    "total": str(split.proposed_total),
                },
            )


@retry_on_conflict
def allocation_run(
    *,
    item: Item,
    warehouse: Warehouse | None = None,
    lines: list[dict[str, Any]] | None = None,
    actor,
) -> AllocationRun:
    """Reserve the item's on-hand for its backorders: automatically (`lines` None) or as given
    (`lines`: [{order_line, quantity}]). Refused with nothing changed when a quantity breaks a
    rule; two runs for one item at the same moment take turns and never reserve more than is on
    hand."""
    with transaction.atomic():
        # NO KEY UPDATE: two runs for the item take turns, while a packing slip or receipt that
        # writes a movement of the item (a key share lock on it) does not wait on the run.
        item = Item.objects.select_for_update(no_key=True).get(pk=item.pk)
        if not item.is_stocked:
            raise ConflictError(
                _("Item %(item)s is not stocked: there is nothing to allocate.")
                % {"item": item.item_number},
                code="item_not_stocked",
            )
        splits = _splits(item, warehouse, lock=True)
        if not any(split.shares for split in splits):
            raise ConflictError(
                _("Item %(item)s has no backorders to allocate to.") % {"item": item.item_number},
                code="no_backorders",
            )
        if lines is None:
            for split in splits:
                _propose(split)
        else:
            _apply_manual(splits, lines)
        run = AllocationRun.objects.create(
            item=item,
            warehouse=warehouse,
            method=AllocationRun.Method.AUTO if lines is None else AllocationRun.Method.MANUAL,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        records = []
        for split in splits:
            for share in split.shares:
                if share.proposed != share.reserved:
                    apply_line_inventory(share.line.order, share.line, reserved=share.proposed)
                records.append(
                    AllocationRunLine(
                        run=run,
                        order_line=share.line,
                        reference=f"{share.line.order.number}/{share.line.line_number}",
                        warehouse=split.warehouse,
                        deliver_remainder=share.deliver_remainder,
                        reserved_before=share.reserved,
                        quantity=share.proposed,
                    )
                )
        AllocationRunLine.objects.bulk_create(records)
        record_event(
            actor=actor,
            obj=run,
            action="allocated",
            data={
                "method": run.method,
                "lines": {r.reference: [str(r.reserved_before), str(r.quantity)] for r in records},
            },
        )
        return run
