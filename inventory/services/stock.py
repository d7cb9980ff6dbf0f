"""Inventory transactions and on-hand: the one place that writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from ..models import InventoryTransaction, Item, Warehouse

Status = InventoryTransaction.Status


def record_transaction(
    *,
    item: Item,
    warehouse: Warehouse,
    quantity: Decimal,
    status: str,
    source: str,
    source_id: int,
    reference: str,
    on: date | None = None,
) -> InventoryTransaction | None:
    """Write one movement; services (not stocked) move nothing and get none."""
    if not item.is_stocked or not quantity:
        return None
    return InventoryTransaction.objects.create(
        item=item,
        warehouse=warehouse,
        quantity=quantity,
        status=status,
        source=source,
        source_id=source_id,
        reference=reference,
        date=on or timezone.localdate(),
    )


def expected_transactions(source: str, source_id: int):
    return InventoryTransaction.objects.filter(
        source=source,
        source_id=source_id,
        status__in=[Status.ON_ORDER, Status.ORDERED, Status.RESERVED],
    )


def set_expected(
    *,
    item,
    warehouse,
    quantity: Decimal,
    status: str,
    source: str,
    source_id: int,
    reference: str,
    replace: bool = True,
    reserved: Decimal = Decimal(0),
    on: date | None = None,
) -> None:
    """Make the expected (not yet physical) movement of a document line `quantity`, dated `on`
    (when it is expected to happen); of an issue, `reserved` of it is reserved from on-hand and
    the rest stays on order. `replace=False` for a new line, which has none yet."""
    if replace:
        expected_transactions(source, source_id).delete()
    sign = Decimal(-1) if quantity < 0 else Decimal(1)
    reserved = min(reserved, abs(quantity))
    for part, part_status in ((reserved, Status.RESERVED), (abs(quantity) - reserved, status)):
        record_transaction(
            item=item,
            warehouse=warehouse,
            quantity=sign * part,
            status=part_status,
            source=source,
            source_id=source_id,
            reference=reference,
            on=on,
        )


def reserved_quantity(source: str, source_id: int) -> Decimal:
    """What is reserved from on-hand for a document line (a positive quantity)."""
    total = InventoryTransaction.objects.filter(
        source=source, source_id=source_id, status=Status.RESERVED
    ).aggregate(total=Sum("quantity"))["total"]
    return -(total or Decimal(0))


def remove_source(source: str, source_id: int) -> None:
    """Forget the expected movements of a line (canceled order, journal order)."""
    expected_transactions(source, source_id).delete()


def on_hand(item: Item, warehouse: Warehouse | None = None) -> Decimal:
    transactions = InventoryTransaction.objects.filter(
        item=item, status__in=InventoryTransaction.PHYSICAL
    )
    if warehouse is not None:
        transactions = transactions.filter(warehouse=warehouse)
    return transactions.aggregate(total=Sum("quantity"))["total"] or Decimal(0)
