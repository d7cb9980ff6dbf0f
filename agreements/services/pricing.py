"""The one price lookup: every line of quotations, orders and invoices is priced here.

Precedence: a sales agreement line the order is released from; else the most specific valid
trade agreement (customer over price group over all customers, then item over item discount
group over all items, then the narrowest quantity band, then the latest start of validity);
else the item's base sales price. Prices and line discounts come from one query, whatever the
number of records and of lines: `price_lookup_many` prices a document's lines at once, ranked in
SQL; `price_lookup` is its one-line case.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from crm.models import Customer
from inventory.models import Item
from salesmkt.core.money import quantize, round_money, to_decimal
from salesmkt.finance.models import Currency

from ..models import SalesAgreement, SalesAgreementLine, TradeAgreement

ZERO = Decimal("0")


def net_amount(
    quantity, unit_price, discount_amount=ZERO, discount_percent=ZERO, base_quantity=1
) -> Decimal:
    """Line net amount: quantity × (price − discount per unit) / price base quantity less the
    discount percent, rounded once to cents (EN 16931 BR-DEC and BT-131 with BT-149). Every line
    amount (orders, releases, invoices) is computed here."""
    net_price = to_decimal(unit_price) - to_decimal(discount_amount)
    gross = to_decimal(quantity) * net_price / to_decimal(base_quantity)
    return round_money(gross * (Decimal(100) - to_decimal(discount_percent)) / Decimal(100))


@dataclass(frozen=True)
class PriceResult:
    unit_price: Decimal
    discount_amount: Decimal  # per unit
    discount_percent: Decimal
    currency: str
    price_source: str  # "sales_agreement" | "trade_agreement" | "base_price"
    price_record: int | None
    discount_source: str  # "sales_agreement" | "trade_agreement" | "none"
    discount_record: int | None

    def line_amount(self, quantity: Decimal) -> Decimal:
        return net_amount(quantity, self.unit_price, self.discount_amount, self.discount_percent)


@dataclass(frozen=True)
class PriceRequest:
    """One line to price: `quantity` of `item`."""

    item: Item
    quantity: Decimal | int | str = 1


# The precedence of trade agreements, in SQL: per line and kind, the most specific customer
# scope, then item scope, then the highest start of the quantity band, then the latest start
# of validity (open start last), then the newest record.
_RANKED = """
SELECT ranked.position, ranked.kind, ranked.id, ranked.amount, ranked.percent FROM (
    SELECT l.position, t.kind, t.id, t.amount, t.percent, ROW_NUMBER() OVER (
        PARTITION BY l.position, t.kind
        ORDER BY
            CASE t.customer_scope WHEN %s THEN 0 WHEN %s THEN 1 ELSE 2 END,
            CASE t.item_scope WHEN %s THEN 0 WHEN %s THEN 1 ELSE 2 END,
            t.quantity_from DESC,
            t.valid_from DESC NULLS LAST,
            t.id DESC
    ) AS rank
    FROM {lines}
    JOIN ({candidates}) t ON (
        t.item_scope = %s
        OR (t.item_scope = %s AND t.item_id = l.item_id)
        OR (t.item_scope = %s AND t.discount_group_id = l.discount_group_id)
    )
    AND t.quantity_from <= l.quantity
    AND (t.quantity_to IS NULL OR t.quantity_to > l.quantity)
) ranked
WHERE ranked.rank = 1
"""

# The document's lines as a table (position, item_id, discount_group_id, quantity), from arrays
# on PostgreSQL and from one JSON parameter elsewhere (SQLite, the embedded default).
_LINES_POSTGRESQL = (
    "unnest(%s::bigint[], %s::bigint[], %s::numeric[]) WITH ORDINALITY "
    "AS l(item_id, discount_group_id, quantity, position)"
)
_LINES_JSON = (
    "(SELECT CAST(key AS INTEGER) + 1 AS position, json_extract(value, '$[0]') AS item_id, "
    "json_extract(value, '$[1]') AS discount_group_id, "
    "CAST(json_extract(value, '$[2]') AS NUMERIC) AS quantity FROM json_each(%s)) l"
)


def _ids(ids: set[int]):
    """Ids for an `__in` lookup: a document's thousands of items go to PostgreSQL as one array
    parameter, not one parameter each."""
    if len(ids) > 100 and connections[TradeAgreement.objects.db].vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (sorted(ids),))
    return ids


def _candidates(*, customer: Customer, items: list[Item], currency_id: int, on: date, most):
    """The valid records any of the lines could use: the customer's scopes, the items' scopes,
    the currency, the date and a band starting at most at the largest quantity."""
    Scope, ItemScope = TradeAgreement.CustomerScope, TradeAgreement.ItemScope
    customers = Q(customer_scope=Scope.ALL) | Q(
        customer_scope=Scope.CUSTOMER, customer_id=customer.pk
    )
    if customer.price_group_id:
        customers |= Q(customer_scope=Scope.GROUP, price_group_id=customer.price_group_id)
    scopes = Q(item_scope=ItemScope.ALL) | Q(
        item_scope=ItemScope.ITEM, item_id__in=_ids({item.pk for item in items})
    )
    groups = {item.discount_group_id for item in items if item.discount_group_id}
    if groups:
        scopes |= Q(item_scope=ItemScope.GROUP, discount_group_id__in=_ids(groups))
    return (
        TradeAgreement.objects.filter(
            customers,
            scopes,
            Q(valid_from__isnull=True) | Q(valid_from__lte=on),
            Q(valid_to__isnull=True) | Q(valid_to__gte=on),
            currency_id=currency_id,
            quantity_from__lte=most,
        )
        .order_by()
        .values_list(
            "kind",
            "id",
            "amount",
            "percent",
            "customer_scope",
            "item_scope",
            "item_id",
            "discount_group_id",
            "quantity_from",
            "quantity_to",
            "valid_from",
        )
    )


def _best_records(
    *, customer: Customer, keys: list[tuple[Item, Decimal]], currency_id: int, on: date
) -> list[dict[str, tuple]]:
    """For each (item, quantity): the winning record of each kind, (id, amount, percent), in
    one query for all of them."""
    if not keys:
        return []
    candidates = _candidates(
        customer=customer,
        items=[item for item, _quantity in keys],
        currency_id=currency_id,
        on=on,
        most=max(quantity for _item, quantity in keys),
    )
    connection = connections[candidates.db]
    candidates_sql, candidates_params = candidates.query.get_compiler(using=candidates.db).as_sql()
    item_ids = [item.pk for item, _quantity in keys]
    group_ids = [item.discount_group_id for item, _quantity in keys]
    quantities = [quantity for _item, quantity in keys]
    if connection.vendor == "postgresql":
        lines, lines_params = _LINES_POSTGRESQL, [item_ids, group_ids, quantities]
    else:
        rows = [
            [pk, group, str(quantity)]
            for pk, group, quantity in zip(item_ids, group_ids, quantities, strict=True)
        ]
        lines, lines_params = _LINES_JSON, [json.dumps(rows)]
    Scope, ItemScope = TradeAgreement.CustomerScope, TradeAgreement.ItemScope
    sql = _RANKED.format(lines=lines, candidates=candidates_sql)
    params = [
        Scope.CUSTOMER,
        Scope.GROUP,
        ItemScope.ITEM,
        ItemScope.GROUP,
        *lines_params,
        *candidates_params,
        ItemScope.ALL,
        ItemScope.ITEM,
        ItemScope.GROUP,
    ]
    amount_places = TradeAgreement._meta.get_field("amount").decimal_places
    percent_places = TradeAgreement._meta.get_field("percent").decimal_places
    best: list[dict[str, tuple]] = [{} for _ in keys]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for position, kind, pk, amount, percent in cursor.fetchall():
            # as the ORM reads them: decimals of the fields' places (SQLite gives numbers)
            best[int(position) - 1][kind] = (
                pk,
                amount if isinstance(amount, Decimal) else quantize(str(amount), amount_places),
                percent if isinstance(percent, Decimal) else quantize(str(percent), percent_places),
            )
    return best


def price_lookup_many(
    *,
    customer: Customer,
    lines: Sequence[PriceRequest],
    currency: Currency | None = None,
    on: date | None = None,
    sales_agreement: SalesAgreement | None = None,
) -> list[PriceResult]:
    """The price and discount of each of a document's lines, in the order given, with the same
    outcome as `price_lookup` line by line: one query ranks the trade agreements of all the
    lines (and one more reads the sales agreement's lines, when the document is released from
    one). Lines of the same item and quantity are looked up once."""
    if not lines:
        return []
    on = on or timezone.localdate()
    currency_id = currency.pk if currency is not None else customer.currency_id
    currency_code = currency.code if currency is not None else customer.currency.code
    requests = [(line.item, quantize(line.quantity, 4)) for line in lines]
    agreed: dict[int, SalesAgreementLine] = {}
    if sales_agreement is not None:
        for agreement_line in SalesAgreementLine.objects.filter(
            agreement=sales_agreement, item_id__in={item.pk for item, _q in requests}
        ).order_by(*(SalesAgreementLine._meta.ordering or ["pk"])):
            agreed.setdefault(agreement_line.item_id, agreement_line)
    keys: dict[tuple[int, Decimal], int] = {}
    for item, quantity in requests:
        if item.pk not in agreed:
            keys.setdefault((item.pk, quantity), len(keys))
    items = {item.pk: item for item, _quantity in requests}
    best = _best_records(
        customer=customer,
        keys=[(items[pk], quantity) for pk, quantity in keys],
        currency_id=currency_id,
        on=on,
    )
    results = []
    for item, quantity in requests:
        agreement_line = agreed.get(item.pk)
        if agreement_line is not None:
            results.append(
                PriceResult(
                    unit_price=agreement_line.unit_price,
                    discount_amount=ZERO,
                    discount_percent=agreement_line.discount_percent,
                    currency=currency_code,
                    price_source="sales_agreement",
                    price_record=agreement_line.pk,
                    discount_source="sales_agreement",
                    discount_record=agreement_line.pk,
                )
            )
            continue
        found = best[keys[(item.pk, quantity)]]
        price = found.get(TradeAgreement.Kind.PRICE)
        discount = found.get(TradeAgreement.Kind.LINE_DISCOUNT)
        results.append(
            PriceResult(
                unit_price=price[1] if price else item.base_sales_price,
                discount_amount=discount[1] if discount else ZERO,
                discount_percent=discount[2] if discount else ZERO,
                currency=currency_code,
                price_source="trade_agreement" if price else "base_price",
                price_record=price[0] if price else None,
                discount_source="trade_agreement" if discount else "none",
                discount_record=discount[0] if discount else None,
            )
        )
    return results


def price_lookup(
    *,
    customer: Customer,
    item: Item,
    quantity: Decimal | int | str = 1,
    currency: Currency | None = None,
    on: date | None = None,
    sales_agreement: SalesAgreement | None = None,
) -> PriceResult:
    """Price and discount of `quantity` of `item` for `customer` on a date, and where they came
    from: the one line's case of `price_lookup_many`."""
    [result] = price_lookup_many(
        customer=customer,
        lines=[PriceRequest(item=item, quantity=quantity)],
        currency=currency,
        on=on,
        sales_agreement=sales_agreement,
    )
    return result
