"""The one price lookup: every line of quotations, orders and invoices is priced here.

Precedence: a sales agreement line the order is released from; else the most specific valid
trade agreement (customer over price group over all customers, then item over item discount
group over all items, then the narrowest quantity band, then the latest start of validity);
else the item's base sales price. Prices and line discounts come from one query, whatever the
number of records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, F, IntegerField, Q, Value, When
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


CUSTOMER_RANK = Case(
    When(customer_scope=TradeAgreement.CustomerScope.CUSTOMER, then=Value(0)),
    When(customer_scope=TradeAgreement.CustomerScope.GROUP, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
ITEM_RANK = Case(
    When(item_scope=TradeAgreement.ItemScope.ITEM, then=Value(0)),
    When(item_scope=TradeAgreement.ItemScope.GROUP, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def ranked_records(
    *, customer: Customer, item: Item, quantity: Decimal, currency_id: int, on: date
):
    """The valid price and discount records for the case, each kind's most specific first."""
    customers = Q(customer_scope=TradeAgreement.CustomerScope.ALL) | Q(
        customer_scope=TradeAgreement.CustomerScope.CUSTOMER, customer_id=customer.pk
    )
    if customer.price_group_id:
        customers |= Q(
            customer_scope=TradeAgreement.CustomerScope.GROUP,
            price_group_id=customer.price_group_id,
        )
    items = Q(item_scope=TradeAgreement.ItemScope.ALL) | Q(
        item_scope=TradeAgreement.ItemScope.ITEM, item_id=item.pk
    )
    if item.discount_group_id:
        items |= Q(
            item_scope=TradeAgreement.ItemScope.GROUP, discount_group_id=item.discount_group_id
        )
    return (
        TradeAgreement.objects.filter(
            customers,
            items,
            Q(quantity_to__isnull=True) | Q(quantity_to__gt=quantity),
            Q(valid_from__isnull=True) | Q(valid_from__lte=on),
            Q(valid_to__isnull=True) | Q(valid_to__gte=on),
            currency_id=currency_id,
            quantity_from__lte=quantity,
        )
        .annotate(customer_rank=CUSTOMER_RANK, item_rank=ITEM_RANK)
        .order_by(
            "kind",
            "customer_rank",
            "item_rank",
            "-quantity_from",
            F("valid_from").desc(nulls_last=True),
            "-id",
        )
        .values_list("kind", "id", "amount", "percent")
    )


def price_lookup(
    *,
    customer: Customer,
    item: Item,
    quantity: Decimal | int | str = 1,
    currency: Currency | None = None,
    on: date | None = None,
    sales_agreement: SalesAgreement | None = None,
) -> PriceResult:
    """Price and discount of `quantity` of `item` for `customer` on a date, and where they came from."""
    quantity = quantize(quantity, 4)
    on = on or timezone.localdate()
    currency_id = currency.pk if currency is not None else customer.currency_id
    currency_code = currency.code if currency is not None else customer.currency.code
    if sales_agreement is not None:
        line = SalesAgreementLine.objects.filter(agreement=sales_agreement, item=item).first()
        if line is not None:
            return PriceResult(
                unit_price=line.unit_price,
                discount_amount=ZERO,
                discount_percent=line.discount_percent,
                currency=currency_code,
                price_source="sales_agreement",
                price_record=line.pk,
                discount_source="sales_agreement",
                discount_record=line.pk,
            )
    best: dict[str, tuple] = {}
    for kind, pk, amount, percent in ranked_records(
        customer=customer, item=item, quantity=quantity, currency_id=currency_id, on=on
    ):
        best.setdefault(kind, (pk, amount, percent))
    price = best.get(TradeAgreement.Kind.PRICE)
    discount = best.get(TradeAgreement.Kind.LINE_DISCOUNT)
    return PriceResult(
        unit_price=price[1] if price else item.base_sales_price,
        discount_amount=discount[1] if discount else ZERO,
        discount_percent=discount[2] if discount else ZERO,
        currency=currency_code,
        price_source="trade_agreement" if price else "base_price",
        price_record=price[0] if price else None,
        discount_source="trade_agreement" if discount else "none",
        discount_record=discount[0] if discount else None,
    )
