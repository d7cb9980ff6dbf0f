"""A document's query count does not depend on its number of lines (issue 17): entering,
changing, confirming an order or a quotation, and the API's POST of an order, cost the same for
10 lines as for 1,000."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agreements.models import SalesAgreement
from inventory.models import Item
from orders.models import SalesOrder, SalesOrderLine, SalesQuotation
from orders.services.orders import (
    sales_order_confirm,
    sales_order_create,
    sales_order_line_add,
    sales_order_line_change,
    sales_order_line_delete,
    sales_order_update,
)
from orders.services.quotations import (
    quotation_confirm,
    quotation_create,
    quotation_line_change,
    quotation_send,
    quotation_update,
)
from orders.services.returns import sales_order_create_return
from salesmkt.core.numbering import next_number
from tests import factories as f

SHIP = date(2026, 12, 1)
# On PostgreSQL, the system of record; SQLite splits a statement into batches of its parameter
# limit, so there a 1,000-line document takes a few statements more.
pytestmark = pytest.mark.postgres


@pytest.fixture
def catalogue():
    """1,000 stocked items, a customer without a credit limit and a warehouse."""
    unit, tax = f.UnitFactory(), f.SalesTaxCodeFactory()
    items = Item.objects.bulk_create(
        Item(
            item_number=f"Q{n:05d}",
            name=f"Item {n}",
            unit=unit,
            sales_tax_code=tax,
            base_sales_price=Decimal("25"),
        )
        for n in range(1000)
    )
    return f.CustomerFactory(credit_limit=0), f.WarehouseFactory(), items


@pytest.fixture(autouse=True)
def warm():
    """What is read once and then kept (a series made on first use, content types) is in place
    before the counting: the counts compare documents, not first uses."""
    with transaction.atomic():
        for series in ("sales-order", "quotation", "rma"):
            next_number(series)
    ContentType.objects.get_for_models(SalesOrder, SalesQuotation, SalesAgreement)


def order_data(catalogue, size: int) -> dict:
    customer, warehouse, items = catalogue
    return {
        "customer": customer,
        "requested_ship_date": SHIP,
        "lines": [
            {"item": item, "warehouse": warehouse, "quantity": Decimal("3")}
            for item in items[:size]
        ],
    }


def queries_of(django_assert_max_num_queries, work) -> int:
    with django_assert_max_num_queries(100_000) as captured:
        work()
    return len(captured.captured_queries)


def same_queries(django_assert_max_num_queries, django_assert_num_queries, small, large) -> None:
    """`large()` issues exactly as many queries as `small()` (the failure lists them)."""
    count = queries_of(django_assert_max_num_queries, small)
    with django_assert_num_queries(count):
        large()


@pytest.fixture
def constant(django_assert_max_num_queries, django_assert_num_queries):
    return lambda small, large: same_queries(
        django_assert_max_num_queries, django_assert_num_queries, small, large
    )


# --- sales orders -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_entering_an_order_costs_the_same_queries_for_10_and_1000_lines(catalogue, constant):
    made = []

    constant(
        lambda: made.append(sales_order_create(data=order_data(catalogue, 10), actor=None)),
        lambda: made.append(sales_order_create(data=order_data(catalogue, 1000), actor=None)),
    )

    assert [order.lines.count() for order in made] == [10, 1000]


@pytest.mark.django_db
def test_changing_an_orders_header_costs_the_same_queries_for_10_and_1000_lines(
    catalogue, constant
):
    small = sales_order_create(data=order_data(catalogue, 10), actor=None)
    large = sales_order_create(data=order_data(catalogue, 1000), actor=None)

    def change(order):
        sales_order_update(
            instance=order,
            data={"customer_reference": "PO-77", "requested_ship_date": date(2026, 12, 3)},
            actor=None,
        )

    constant(lambda: change(small), lambda: change(large))

    moved = large.lines.first().pk
    assert large.lines.get(pk=moved).quantity == Decimal("3")


@pytest.mark.django_db
def test_changing_one_line_costs_the_same_queries_for_10_and_1000_lines(catalogue, constant):
    small = sales_order_create(data=order_data(catalogue, 10), actor=None)
    large = sales_order_create(data=order_data(catalogue, 1000), actor=None)

    def change(order):
        line = order.lines.order_by("line_number")[5]
        sales_order_line_change(line=line, data={"quantity": Decimal("7")}, actor=None)

    constant(lambda: change(small), lambda: change(large))


@pytest.mark.django_db
def test_adding_and_removing_one_line_cost_the_same_queries_for_10_and_1000_lines(
    catalogue, constant
):
    _customer, warehouse, items = catalogue
    small = sales_order_create(data=order_data(catalogue, 10), actor=None)
    large = sales_order_create(data=order_data(catalogue, 999), actor=None)
    extra = {"item": items[999], "warehouse": warehouse, "quantity": Decimal("2")}

    constant(
        lambda: sales_order_line_add(order=small, data=extra, actor=None),
        lambda: sales_order_line_add(order=large, data=extra, actor=None),
    )
    constant(
        lambda: sales_order_line_delete(line=small.lines.first(), actor=None),
        lambda: sales_order_line_delete(line=large.lines.first(), actor=None),
    )


@pytest.mark.django_db
def test_a_document_write_changing_one_line_costs_the_same_queries_for_10_and_1000_lines(
    catalogue, constant
):
    small = sales_order_create(data=order_data(catalogue, 10), actor=None)
    large = sales_order_create(data=order_data(catalogue, 1000), actor=None)

    def change(order):
        rows = [{"id": pk} for pk in order.lines.order_by("pk").values_list("pk", flat=True)]
        rows[3]["quantity"] = Decimal("9")
        sales_order_update(instance=order, data={"lines": rows}, actor=None)

    constant(lambda: change(small), lambda: change(large))


@pytest.mark.django_db
def test_confirming_an_order_costs_the_same_queries_for_10_and_1000_lines(catalogue, constant):
    small = sales_order_create(data=order_data(catalogue, 10), actor=None)
    large = sales_order_create(data=order_data(catalogue, 1000), actor=None)
    promised = date(2026, 12, 9)

    constant(
        lambda: sales_order_confirm(order=small, actor=None, confirmed_ship_date=promised),
        lambda: sales_order_confirm(order=large, actor=None, confirmed_ship_date=promised),
    )

    assert set(
        large.lines.model.objects.filter(order=large).values_list("deliver_remainder", flat=True)
    ) == {Decimal("3")}


@pytest.mark.django_db
def test_a_return_of_the_sold_lines_costs_the_same_queries_for_10_and_100_lines(
    catalogue, constant
):
    small = sales_order_create(data=order_data(catalogue, 10), actor=None)
    large = sales_order_create(data=order_data(catalogue, 100), actor=None)
    SalesOrderLine.objects.filter(order__in=[small, large]).update(
        delivered_quantity=F("quantity"),
        invoiced_quantity=F("quantity"),
        deliver_remainder=0,
        invoice_remainder=0,
    )
    returns = []

    constant(
        lambda: returns.append(sales_order_create_return(order=small, actor=None)),
        lambda: returns.append(sales_order_create_return(order=large, actor=None)),
    )

    assert [order.lines.filter(returned_line__isnull=False).count() for order in returns] == [
        10,
        100,
    ]


@pytest.mark.django_db
def test_releasing_an_order_from_a_sales_agreement_costs_the_same_queries_for_5_and_50_lines(
    catalogue, constant
):
    from agreements.services.sales_agreements import (
        sales_agreement_create,
        sales_agreement_make_effective,
    )

    customer, _warehouse, items = catalogue
    agreement = sales_agreement_create(
        data={
            "customer": customer,
            "effective_date": date(2026, 11, 1),
            "expiration_date": date(2027, 11, 1),
            "commitment_type": "product_quantity",
            "lines": [
                {"item": item, "committed_quantity": Decimal("100"), "unit_price": Decimal("20")}
                for item in items[:50]
            ],
        },
        actor=None,
    )
    agreement = sales_agreement_make_effective(agreement=agreement, actor=None)

    def release(size):
        data = order_data(catalogue, size)
        sales_order_create(data={**data, "sales_agreement": agreement}, actor=None)

    constant(lambda: release(5), lambda: release(50))

    agreement.refresh_from_db()
    released = agreement.lines.order_by("item_id").values_list("released_quantity", flat=True)
    assert list(released[:5]) == [Decimal("6")] * 5 and list(released[5:]) == [Decimal("3")] * 45


# --- quotations ---------------------------------------------------------------------------------


def quotation_data(catalogue, size: int) -> dict:
    customer, warehouse, items = catalogue
    return {
        "party": customer.party,
        "expiry_date": date(2026, 12, 31),
        "requested_ship_date": SHIP,
        "lines": [
            {"item": item, "warehouse": warehouse, "quantity": Decimal("2")}
            for item in items[:size]
        ],
    }


@pytest.mark.django_db
def test_entering_and_changing_a_quotation_cost_the_same_queries_for_10_and_1000_lines(
    catalogue, constant
):
    made = []
    constant(
        lambda: made.append(quotation_create(data=quotation_data(catalogue, 10), actor=None)),
        lambda: made.append(quotation_create(data=quotation_data(catalogue, 1000), actor=None)),
    )
    small, large = made

    constant(
        lambda: quotation_update(instance=small, data={"customer_reference": "RFQ-1"}, actor=None),
        lambda: quotation_update(instance=large, data={"customer_reference": "RFQ-1"}, actor=None),
    )
    constant(
        lambda: quotation_line_change(
            line=small.lines.order_by("line_number")[4], data={"quantity": 6}, actor=None
        ),
        lambda: quotation_line_change(
            line=large.lines.order_by("line_number")[4], data={"quantity": 6}, actor=None
        ),
    )


@pytest.mark.django_db
def test_confirming_a_quotation_into_an_order_costs_the_same_queries_for_10_and_1000_lines(
    catalogue, constant
):
    small = quotation_send(
        quotation=quotation_create(data=quotation_data(catalogue, 10), actor=None), actor=None
    )
    large = quotation_send(
        quotation=quotation_create(data=quotation_data(catalogue, 1000), actor=None), actor=None
    )
    made = []

    constant(
        lambda: made.append(quotation_confirm(quotation=small, actor=None)),
        lambda: made.append(quotation_confirm(quotation=large, actor=None)),
    )

    assert [order.lines.count() for order in made] == [10, 1000]


# --- the API ------------------------------------------------------------------------------------


# The API's POST of an order, whole: BEGIN; the token (1) and the user's permissions (1); the
# Idempotency-Key's claim (2); the customer with its address, the items, the warehouses (3);
# the service's savepoint (2); the prices (1); the order, its lines, its number taken and
# written in one statement, the movements (4); the approval rules (1); the audit event (1); the
# key's answer (1); COMMIT.
API_POST_QUERIES = 19


@pytest.mark.django_db
def test_the_api_post_of_an_order_costs_the_same_queries_for_10_and_100_lines(
    catalogue, user_in, django_assert_max_num_queries, django_assert_num_queries
):
    """The whole request: token authentication, the Idempotency-Key, validation, pricing, the
    writes, the audit event and the answer."""
    customer, warehouse, items = catalogue
    integrator = user_in("integrator")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=integrator).key}")

    def post(size, key):
        body = {
            "customer": customer.pk,
            "requested_ship_date": "2026-12-01",
            "lines": [
                {"item": item.pk, "warehouse": warehouse.pk, "quantity": "5"}
                for item in items[:size]
            ],
        }
        response = client.post(
            "/api/v1/sales-orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
        )
        assert response.status_code == 201, response.json()
        assert len(response.json()["lines"]) == size

    with django_assert_num_queries(API_POST_QUERIES):
        post(10, "first")
    with django_assert_num_queries(API_POST_QUERIES):
        post(100, "second")
