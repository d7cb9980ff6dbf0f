"""Inventory transactions and on-hand: the one place that writes them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from salesmkt.core.audit import record_event
from salesmkt.core.bulk import insert_rows
from salesmkt.core.errors import ConflictError, DomainError
from salesmkt.core.money import QUANTITY_PLACES, quantize

from ..models import InventoryTransaction, Item, NegativeStockPolicy, Warehouse

Status = InventoryTransaction.Status
Policy = NegativeStockPolicy

StockRequest = tuple[Item, Warehouse, Decimal]
ADJUSTMENT = "inventory_adjustment"  # the source of counted corrections and opening balances


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


EXPECTED = (Status.ON_ORDER, Status.ORDERED, Status.RESERVED)


def forget_expected(source: str, source_ids: Iterable[int]) -> dict[int, Decimal]:
    """Forget the expected movements of the document lines `source_ids` and answer what each
    had reserved from on-hand (positive quantities; a line with none is absent): the lines'
    movements are then written anew. One statement on PostgreSQL (the delete returns what it
    deleted), a read and a delete elsewhere."""
    ids = sorted(set(source_ids))
    if not ids:
        return {}
    if connection.vendor != "postgresql":
        reserved = {
            source_id: -total
            for source_id, total in InventoryTransaction.objects.filter(
                source=source, source_id__in=ids, status=Status.RESERVED
            )
            .values_list("source_id")
            .annotate(total=Sum("quantity"))
            .order_by()
            if total
        }
        InventoryTransaction.objects.filter(
            source=source, source_id__in=ids, status__in=EXPECTED
        ).delete()
        return reserved
    table = connection.ops.quote_name(InventoryTransaction._meta.db_table)
    reserved: dict[int, Decimal] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE source = %s AND source_id = ANY(%s) "  # noqa: S608
            "AND status = ANY(%s) RETURNING source_id, quantity, status",
            [source, ids, list(EXPECTED)],
        )
        for source_id, quantity, status in cursor.fetchall():
            if status == Status.RESERVED:
                reserved[source_id] = reserved.get(source_id, Decimal(0)) - quantity
    return {source_id: quantity for source_id, quantity in reserved.items() if quantity}


def redate_expected(source: str, source_ids, *, on: date) -> int:
    """Date the expected movements of the document lines `source_ids` (ids, or a queryset of
    them) `on`, when they are now expected to happen (a confirmed ship date): one UPDATE,
    whatever the number of lines. The number of movements moved."""
    return InventoryTransaction.objects.filter(
        source=source,
        source_id__in=source_ids,
        status__in=[Status.ON_ORDER, Status.ORDERED, Status.RESERVED],
    ).update(date=on)


def on_hand(item: Item, warehouse: Warehouse | None = None) -> Decimal:
    transactions = InventoryTransaction.objects.filter(
        item=item, status__in=InventoryTransaction.PHYSICAL
    )
    if warehouse is not None:
        transactions = transactions.filter(warehouse=warehouse)
    return transactions.aggregate(total=Sum("quantity"))["total"] or Decimal(0)


def on_hand_by_warehouse(item: Item) -> list[tuple[Warehouse, Decimal]]:
    """The item's on hand in each warehouse it has moved in, by warehouse code."""
    totals = dict(
        InventoryTransaction.objects.filter(item=item, status__in=InventoryTransaction.PHYSICAL)
        .values_list("warehouse_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    warehouses = Warehouse.objects.filter(pk__in=totals).order_by("code")
    return [(warehouse, totals[warehouse.pk]) for warehouse in warehouses]


def _quantity_text(quantity: Decimal) -> str:
    """80, not 80.0000 nor 8E+1."""
    return format(quantity.normalize(), "f") if quantity else "0"


@dataclass(frozen=True)
class Shortfall:
    """An issue that would take a stocked item below zero on hand in a warehouse."""

    item: Item
    warehouse: Warehouse
    on_hand: Decimal
    asked: Decimal
    policy: str  # "warn" or "refuse"

    @property
    def missing(self) -> Decimal:
        return self.asked - self.on_hand

    def as_params(self) -> dict[str, str]:
        return {
            "item": self.item.item_number,
            "warehouse": self.warehouse.code,
            "on_hand": str(quantize(self.on_hand, QUANTITY_PLACES)),
            "asked": str(quantize(self.asked, QUANTITY_PLACES)),
            "policy": self.policy,
        }

    def describe(self) -> str:
        return _("%(item)s in warehouse %(warehouse)s: %(on_hand)s on hand, %(asked)s asked.") % {
            "item": self.item,
            "warehouse": self.warehouse.code,
            "on_hand": _quantity_text(self.on_hand),
            "asked": _quantity_text(self.asked),
        }


def _checked_requests(
    requests: Iterable[StockRequest], items: dict[int, Item] | None = None
) -> dict[tuple[int, int], tuple[Item, Warehouse, Decimal]]:
    """The requests whose item is stocked and not allowed to go negative, summed per item and
    warehouse (two lines of one item draw on the same stock). `items` replaces the requests'
    item rows by fresher (locked) ones."""
    totals: dict[tuple[int, int], tuple[Item, Warehouse, Decimal]] = {}
    for item, warehouse, quantity in requests:
        item = (items or {}).get(item.pk, item)
        if not item.is_stocked or item.negative_stock_policy_in(warehouse) == Policy.ALLOW:
            continue
        key = (item.pk, warehouse.pk)
        asked = totals[key][2] if key in totals else Decimal(0)
        totals[key] = (item, warehouse, asked + Decimal(quantity))
    return {key: request for key, request in totals.items() if request[2] > 0}


def shortfalls(requests: Iterable[StockRequest]) -> list[Shortfall]:
    """What issuing `requests` (item, warehouse, quantity out) would take below zero on hand,
    for the items whose policy is warn or refuse; non-stocked items are never short.

    A read: it locks nothing. Posting checks again under lock with `refuse_shortfalls`."""
    return _shortfalls(_checked_requests(requests))


def _shortfalls(checked: dict[tuple[int, int], tuple[Item, Warehouse, Decimal]]) -> list[Shortfall]:
    if not checked:
        return []
    rows = (
        InventoryTransaction.objects.filter(
            item_id__in={item_id for item_id, _warehouse_id in checked},
            warehouse_id__in={warehouse_id for _item_id, warehouse_id in checked},
            status__in=InventoryTransaction.PHYSICAL,
        )
        .values_list("item_id", "warehouse_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    stock = {(item_id, warehouse_id): total for item_id, warehouse_id, total in rows}
    found = []
    for key, (item, warehouse, asked) in checked.items():
        available = stock.get(key) or Decimal(0)
        if available - asked < 0:
            found.append(
                Shortfall(
                    item=item,
                    warehouse=warehouse,
                    on_hand=available,
                    asked=asked,
                    policy=item.negative_stock_policy_in(warehouse),
                )
            )
    return found


def lock_items(item_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Lock the item rows in pk order: whoever takes stock of an item out waits here for the
    one before, so two clerks cannot both take the last unit. Inside a transaction only. What
    the stock check reads of each, as the locked row has it: {id: (item type, negative stock
    policy)} (not whole rows: a packing slip may name thousands of items)."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    return {
        pk: (item_type, policy)
        for pk, item_type, policy in Item.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "item_type", "negative_stock_policy")
    }


def refuse_shortfalls(requests: Iterable[StockRequest], *, accept_warnings: bool) -> None:
    """Refuse issuing `requests` when it would take stock below zero: `insufficient_stock` for
    an item (or warehouse) that refuses, `stock_shortfall` for one that warns unless the clerk
    accepted the warning. Call it inside the posting's transaction, before anything is written:
    it locks the items it checks until the posting commits."""
    requests = list(requests)
    candidates = _checked_requests(requests)
    locked = lock_items(item_id for item_id, _warehouse_id in candidates)
    # Read the policy again from the locked rows: it may have changed since the requests' items
    # were loaded. They take the locked values.
    for item, _warehouse, _quantity in requests:
        if item.pk in locked:
            item.item_type, item.negative_stock_policy = locked[item.pk]
    found = _shortfalls(_checked_requests(requests))
    refused = [shortfall for shortfall in found if shortfall.policy == Policy.REFUSE]
    warned = [shortfall for shortfall in found if shortfall.policy == Policy.WARN]
    if refused:
        raise _shortfall_error(
            refused,
            code="insufficient_stock",
            message=_(
                "Not enough stock of %(item)s in warehouse %(warehouse)s: %(on_hand)s on "
                "hand, %(asked)s asked."
            ),
        )
    if warned and not accept_warnings:
        raise _shortfall_error(
            warned,
            code="stock_shortfall",
            message=_(
                "Posting takes %(item)s in warehouse %(warehouse)s below zero: %(on_hand)s "
                "on hand, %(asked)s asked. Confirm to post anyway."
            ),
        )


def _shortfall_error(found: list[Shortfall], *, code: str, message: str) -> ConflictError:
    first = found[0]
    text = message % {
        "item": first.item,
        "warehouse": first.warehouse.code,
        "on_hand": _quantity_text(first.on_hand),
        "asked": _quantity_text(first.asked),
    }
    if len(found) > 1:
        text = " ".join([text, *(shortfall.describe() for shortfall in found[1:])])
    params = {key: value for key, value in first.as_params().items() if key != "policy"}
    params["shortfalls"] = [shortfall.as_params() for shortfall in found]
    return ConflictError(text, code=code, params=params)


def stock_adjust(
    *,
    item: Item,
    warehouse: Warehouse,
    quantity: Decimal,
    reference: str,
    actor,
    on: date | None = None,
    accept_shortfall: bool = False,
) -> InventoryTransaction:
    """Correct the on hand of a stocked item in a warehouse (a count, an opening balance): a
    positive `quantity` is received, a negative one deducted. What leaves follows the negative
    stock policy like a delivery does."""
    if not item.is_stocked:
        raise DomainError(
            _("%(item)s is not stocked: it has no on hand to adjust.") % {"item": item},
            code="item_not_stocked",
            field="item",
        )
    if not quantity:
        raise DomainError(
            _("Adjust by a quantity other than zero."), code="invalid_quantity", field="quantity"
        )
    with transaction.atomic():
        if quantity < 0:
            refuse_shortfalls([(item, warehouse, -quantity)], accept_warnings=accept_shortfall)
        movement = record_transaction(
            item=item,
            warehouse=warehouse,
            quantity=quantity,
            status=Status.RECEIVED if quantity > 0 else Status.DEDUCTED,
            source=ADJUSTMENT,
            source_id=item.pk,
            reference=reference,
            on=on,
        )
        record_event(
            actor=actor,
            obj=item,
            action="stock_adjusted",
            data={
                "warehouse": warehouse.code,
                "quantity": str(quantity),
                "reference": reference,
                "on": movement.date,
            },
        )
        return movement


# --- set-based reads for documents ---
# A document of thousands of lines (a packing slip) reads and writes its lines' movements in a
# constant number of statements, whatever its size: one read and one write per table, and
# movements passed around as plain records until they are written.


@dataclass(slots=True)
class Movement:
    """A movement to write together with others (`record_movements`)."""

    item: Item
    warehouse_id: int
    quantity: Decimal
    status: str
    source: str
    source_id: int
    reference: str
    date: date
    invoice_number: str = ""


MOVEMENT_FIELDS = [
    "item_id",
    "warehouse_id",
    "quantity",
    "status",
    "source",
    "source_id",
    "reference",
    "date",
    "invoice_number",
    "created_at",
]


def reserved_quantities(source: str, source_ids: Iterable[int]) -> dict[int, Decimal]:
    """What is reserved from on-hand for each of the document lines (positive quantities; a
    line with nothing reserved is absent). One query."""
    rows = (
        InventoryTransaction.objects.filter(
            source=source, source_id__in=set(source_ids), status=Status.RESERVED
        )
        .values_list("source_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {source_id: -total for source_id, total in rows if total}


def remove_sources(source: str, source_ids: Iterable[int]) -> None:
    """Forget the expected movements of the document lines (`remove_source` of each). One
    statement."""
    InventoryTransaction.objects.filter(
        source=source,
        source_id__in=set(source_ids),
        status__in=[Status.ON_ORDER, Status.ORDERED, Status.RESERVED],
    ).delete()


def expected_movements(
    *,
    item: Item,
    warehouse_id: int,
    quantity: Decimal,
    status: str,
    source: str,
    source_id: int,
    reference: str,
    reserved: Decimal = Decimal(0),
    on: date | None = None,
) -> list[Movement]:
    """The expected movements `set_expected` writes for a document line, for `record_movements`
    to write with those of the other lines: `reserved` of an issue reserved from on-hand, the
    rest `status`; none of no quantity, none for a non-stocked item."""
    sign = Decimal(-1) if quantity < 0 else Decimal(1)
    reserved = min(reserved, abs(quantity))
    return [
        Movement(
            item=item,
            warehouse_id=warehouse_id,
            quantity=sign * part,
            status=part_status,
            source=source,
            source_id=source_id,
            reference=reference,
            date=on or timezone.localdate(),
        )
        for part, part_status in ((reserved, Status.RESERVED), (abs(quantity) - reserved, status))
        if item.is_stocked and part
    ]


def record_movements(movements: Iterable[Movement]) -> None:
    """Write many movements in one statement (`record_transaction` of each): those of services
    (not stocked) and of no quantity are left out."""
    now = timezone.now()
    insert_rows(
        InventoryTransaction,
        fields=MOVEMENT_FIELDS,
        rows=(
            (
                movement.item.pk,
                movement.warehouse_id,
                movement.quantity,
                movement.status,
                movement.source,
                movement.source_id,
                movement.reference,
                movement.date,
                movement.invoice_number,
                now,
            )
            for movement in movements
            if movement.item.is_stocked and movement.quantity
        ),
    )
