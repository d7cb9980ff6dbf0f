"""Order promising: the earliest date an order line's remaining quantity can ship.

Rules (issue 7, item 6):

- **Available to promise (ATP)** looks at the line's warehouse: its on-hand not reserved for
  anyone, the expected receipts over time (ordered movements, each dated its expected receipt
  date; a receipt already late counts from today), and the other open demand. The line's own
  reservation is its own. The other backorders' unreserved remainders come first when they
  rank before the line in allocation order (ship date, priority, order date, line id; see
  `allocation`), so promising agrees with what allocation would do; lines ranked after it do
  not delay it. A line that is not a backorder (a journal's, say) ranks after every backorder.
  The ATP date is the first date on which the free supply, less the earlier-ranked demand,
  covers what the line still needs; none when known supply never does.
- **Capable to promise (CTP)**: when the line cannot ship today, today plus the item's purchase
  lead time (what a purchase placed now would bring). The promised date is today when the
  line can ship now, else the earlier of the ATP and the CTP date: when the supply already on
  order comes later than a new purchase would, the new purchase is the better promise.
- **Shortfall**: what of the line no known supply covers (what must still be purchased).
- A service item (not stocked) ships today; a drop shipment ships when its vendor's purchase
  line is expected (else today plus the lead time); a return and a line with nothing left to
  deliver get no promise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from inventory.models import InventoryTransaction

from ..models import SalesOrder, SalesOrderLine
from .allocation import allocation_key, open_backorders
from .orders import SOURCE

ZERO = Decimal(0)
Status = InventoryTransaction.Status


@dataclass(frozen=True)
class Promise:
    line: int
    quantity: Decimal  # the deliver remainder being promised
    reserved: Decimal
    available_now: Decimal
    atp_date: date | None
    ctp_date: date | None
    promised_date: date | None
    shortfall: Decimal

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Supply:
    """One item's picture in one warehouse."""

    on_hand: Decimal = ZERO
    reserved_total: Decimal = ZERO
    receipts: list[tuple[date, Decimal]] | None = None
    ranked: list[tuple[tuple, int, Decimal]] | None = None  # (key, line id, unreserved need)

    @property
    def free_now(self) -> Decimal:
        return self.on_hand - self.reserved_total


def _reservations(line_ids: Iterable[int]) -> dict[int, Decimal]:
    return {
        row["source_id"]: -row["total"]
        for row in InventoryTransaction.objects.filter(
            source=SOURCE, source_id__in=list(line_ids), status=Status.RESERVED
        )
        .values("source_id")
        .annotate(total=Sum("quantity"))
    }


def _supplies(pairs: set[tuple[int, int]], line_ids: list[int]) -> tuple[dict, dict[int, Decimal]]:
    """On-hand, reservations, expected receipts and ranked backorders of (item, warehouse)
    pairs, in four queries whatever the number of lines; and the reservation of each backorder
    and of each of `line_ids` (the lines promised, backorders or not)."""
    items = {item for item, _house in pairs}
    houses = {house for _item, house in pairs}
    supplies = {pair: _Supply(receipts=[], ranked=[]) for pair in pairs}
    transactions = InventoryTransaction.objects.filter(item__in=items, warehouse__in=houses)
    for row in (
        transactions.filter(status__in=[*InventoryTransaction.PHYSICAL, Status.RESERVED])
        .values("item", "warehouse", "status")
        .annotate(total=Sum("quantity"))
        .order_by()
    ):
        supply = supplies.get((row["item"], row["warehouse"]))
        if supply is None:
            continue
        if row["status"] == Status.RESERVED:
            supply.reserved_total -= row["total"]
        else:
            supply.on_hand += row["total"]
    for row in (
        transactions.filter(status=Status.ORDERED, quantity__gt=0)
        .values("item", "warehouse", "date")
        .annotate(total=Sum("quantity"))
        .order_by("date")
    ):
        supply = supplies.get((row["item"], row["warehouse"]))
        if supply is not None:
            supply.receipts.append((row["date"], row["total"]))
    backorders = list(
        open_backorders()
        .filter(item__in=items, warehouse__in=houses)
        .select_related("order")
        .only(
            "pk",
            "item_id",
            "warehouse_id",
            "deliver_remainder",
            "order__confirmed_ship_date",
            "order__requested_ship_date",
            "order__priority",
            "order__created_at",
        )
    )
    reserved = _reservations({*line_ids, *(line.pk for line in backorders)})
    for line in backorders:
        supply = supplies.get((line.item_id, line.warehouse_id))
        if supply is not None:
            need = line.deliver_remainder - reserved.get(line.pk, ZERO)
            supply.ranked.append((allocation_key(line), line.pk, max(need, ZERO)))
    return supplies, reserved


def _no_promise(line: SalesOrderLine) -> Promise:
    return Promise(line.pk, line.deliver_remainder, ZERO, ZERO, None, None, None, ZERO)


def _promise_from_supply(line: SalesOrderLine, supply: _Supply, own: Decimal, today: date):
    remainder = line.deliver_remainder
    need = max(remainder - own, ZERO)
    ranks = {line_id: index for index, (_key, line_id, _need) in enumerate(supply.ranked)}
    position = ranks.get(line.pk, len(supply.ranked))
    before = sum((need_before for _key, line_id, need_before in supply.ranked[:position]), ZERO)
    free = supply.free_now - before  # what is left for this line now (may be below zero)
    available_now = min(remainder, own + max(free, ZERO))
    atp_date = today if free >= need else None
    for on, quantity in supply.receipts:
        if atp_date is not None:
            break
        free += quantity
        if free >= need:
            atp_date = max(on, today)
    shortfall = min(need, max(need - free, ZERO))
    ctp_date = None
    if atp_date != today:
        ctp_date = today + timedelta(days=line.item.purchase_lead_time_days)
    promised = min(d for d in (atp_date, ctp_date) if d is not None)
    return Promise(line.pk, remainder, own, available_now, atp_date, ctp_date, promised, shortfall)


def promises(lines: Iterable[SalesOrderLine], *, today: date | None = None) -> dict[int, Promise]:
    """The promise of each line (with its `order` and `item` at hand), by line id."""
    today = today or timezone.localdate()
    lines = list(lines)
    result: dict[int, Promise] = {}
    stocked = []
    for line in lines:
        order = line.order
        if not line.deliver_remainder or order.is_return or order.status != SalesOrder.Status.OPEN:
            result[line.pk] = _no_promise(line)
        elif not line.item.is_stocked:
            result[line.pk] = Promise(
                line.pk,
                line.deliver_remainder,
                ZERO,
                line.deliver_remainder,
                today,
                None,
                today,
                ZERO,
            )
        elif line.supply_type == SalesOrderLine.SupplyType.DROP_SHIPMENT:
            expected = line.purchase_line.expected_receipt_date if line.purchase_line_id else None
            ctp = today + timedelta(days=line.item.purchase_lead_time_days)
            result[line.pk] = Promise(
                line.pk,
                line.deliver_remainder,
                ZERO,
                ZERO,
                expected,
                None if expected else ctp,
                max(expected, today) if expected else ctp,
                ZERO if expected else line.deliver_remainder,
            )
        else:
            stocked.append(line)
    if stocked:
        supplies, reserved = _supplies(
            {(line.item_id, line.warehouse_id) for line in stocked}, [line.pk for line in stocked]
        )
        for line in stocked:
            result[line.pk] = _promise_from_supply(
                line,
                supplies[(line.item_id, line.warehouse_id)],
                reserved.get(line.pk, ZERO),
                today,
            )
    return result


def line_promise(line: SalesOrderLine, *, today: date | None = None) -> Promise:
    return promises([line], today=today)[line.pk]


def order_promises(order: SalesOrder, *, today: date | None = None) -> dict[int, Promise]:
    lines = list(order.lines.select_related("item", "purchase_line").order_by("line_number"))
    for line in lines:
        line.order = order
    return promises(lines, today=today)


def offered_ship_date(order: SalesOrder, order_promises_: dict[int, Promise] | None = None) -> date:
    """The confirmed ship date to offer: the latest promised date of the lines, never before
    the requested ship date (the customer asked for that day)."""
    found = order_promises(order) if order_promises_ is None else order_promises_
    dates = [p.promised_date for p in found.values() if p.promised_date is not None]
    return max([order.requested_ship_date, *dates])
