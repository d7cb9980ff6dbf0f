"""Price lookups per second with 100,000 trade-agreement records (run with `make bench`)."""

import random
from decimal import Decimal

import pytest
from django.db import connection

from agreements.models import TradeAgreement
from agreements.services.pricing import price_lookup
from crm.models import Customer, Party
from inventory.models import Item
from tests import factories as f

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db]
RECORDS = 100_000


@pytest.fixture
def world():
    nok = f.CurrencyFactory(code="NOK")
    price_groups = [f.PriceGroupFactory(code=f"PG{n}") for n in range(10)]
    discount_groups = [f.ItemDiscountGroupFactory(code=f"DG{n}") for n in range(20)]
    unit, tax = f.UnitFactory(), f.SalesTaxCodeFactory()
    items = Item.objects.bulk_create(
        Item(
            item_number=f"B{n:05d}",
            name=f"Item {n}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("100"),
            discount_group=discount_groups[n % 20],
        )
        for n in range(1000)
    )
    template = f.CustomerFactory(price_group=price_groups[0], currency=nok)
    parties = Party.objects.bulk_create(Party(name=f"Customer {n}") for n in range(200))
    customers = Customer.objects.bulk_create(
        Customer(
            party=party,
            account_number=f"BC{n:05d}",
            customer_group=template.customer_group,
            payment_terms=template.payment_terms,
            currency=nok,
            sales_tax_group=template.sales_tax_group,
            posting_profile=template.posting_profile,
            price_group=price_groups[n % 10],
        )
        for n, party in enumerate(parties)
    )
    rng = random.Random(7)
    records = []
    for n in range(RECORDS):
        shape = n % 10
        item = items[rng.randrange(1000)]
        if shape < 5:  # customer-specific prices
            records.append(
                TradeAgreement(
                    kind="price",
                    customer_scope="customer",
                    customer=customers[rng.randrange(200)],
                    item_scope="item",
                    item=item,
                    amount=Decimal("90"),
                    currency=nok,
                )
            )
        elif shape < 7:  # price group prices in quantity bands
            records.append(
                TradeAgreement(
                    kind="price",
                    customer_scope="group",
                    price_group=price_groups[rng.randrange(10)],
                    item_scope="item",
                    item=item,
                    quantity_from=Decimal(rng.choice([0, 10, 50])),
                    amount=Decimal("95"),
                    currency=nok,
                )
            )
        elif shape < 8:  # list prices for all
            records.append(
                TradeAgreement(
                    kind="price",
                    customer_scope="all",
                    item_scope="item",
                    item=item,
                    amount=Decimal("99"),
                    currency=nok,
                )
            )
        else:  # line discounts by discount group or item
            if rng.random() < 0.5:
                records.append(
                    TradeAgreement(
                        kind="line_discount",
                        customer_scope="group",
                        price_group=price_groups[rng.randrange(10)],
                        item_scope="group",
                        discount_group=discount_groups[rng.randrange(20)],
                        quantity_from=Decimal(rng.choice([0, 10])),
                        percent=Decimal("3"),
                        currency=nok,
                    )
                )
            else:
                records.append(
                    TradeAgreement(
                        kind="line_discount",
                        customer_scope="customer",
                        customer=customers[rng.randrange(200)],
                        item_scope="item",
                        item=item,
                        percent=Decimal("5"),
                        currency=nok,
                    )
                )
    TradeAgreement.objects.bulk_create(records, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE agreements_tradeagreement")
    return customers, items, rng


def test_price_lookups_per_second_with_100000_records(benchmark, world):
    customers, items, rng = world
    customers = list(
        Customer.objects.select_related("currency").filter(pk__in=[c.pk for c in customers])
    )
    assert TradeAgreement.objects.count() == RECORDS

    def one_lookup():
        return price_lookup(
            customer=rng.choice(customers),
            item=rng.choice(items),
            quantity=Decimal(rng.choice([1, 12, 60])),
        )

    result = benchmark(one_lookup)
    assert result.unit_price > 0
