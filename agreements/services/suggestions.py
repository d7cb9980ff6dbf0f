"""Up-sell and cross-sell suggestions offered while a line is entered."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from crm.models import Customer
from inventory.models import Item

from ..models import SellRule
from .pricing import price_lookup


def sales_suggestions(
    *,
    item: Item,
    customer: Customer | None = None,
    quantity: Decimal = Decimal(1),
    line_amount: Decimal | None = None,
) -> list[SellRule]:
    """The active rules for `item` that apply to the customer's group, quantity and line amount,
    best first (lowest priority number, then up-sell before cross-sell)."""
    rules = SellRule.objects.filter(item=item, active=True).select_related("suggested_item__unit")
    groups = Q(customer_group__isnull=True)
    if customer is not None:
        groups |= Q(customer_group_id=customer.customer_group_id)
    rules = rules.filter(groups).filter(
        Q(min_quantity__isnull=True) | Q(min_quantity__lte=quantity)
    )
    rules = list(rules.order_by("priority", "-kind", "id"))
    if any(rule.min_line_amount is not None for rule in rules):
        if line_amount is None:
            if customer is not None:
                line_amount = price_lookup(
                    customer=customer, item=item, quantity=quantity
                ).line_amount(quantity)
            else:
                line_amount = item.base_sales_price * quantity
        rules = [r for r in rules if r.min_line_amount is None or r.min_line_amount <= line_amount]
    return rules
