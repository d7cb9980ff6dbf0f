"""The order and quotation entry grid: type-ahead, live pricing, warnings, errors by the field."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.services.stock import record_transaction
from orders.models import SalesOrder, SalesQuotation
from tests import factories as f
from tests.forms import formset


@pytest.fixture
def clerk(client, user_in):
    client.force_login(user_in("sales clerk"))
    return client


def grid(rows, *, customer, **header) -> dict:
    """The grid as the page posts it: the customer picked, rows of item id, quantity..."""
    return {"customer": customer.pk, "order_type": "sales", **header, **formset(rows)}


def post_grid(client, data, *, kind="order"):
    name = "orders:entry-order-grid" if kind == "order" else "orders:entry-quotation-grid"
    response = client.post(reverse(name), data)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_new_order_page_is_a_grid_with_type_ahead_and_a_row_template(clerk):
    page = clerk.get(reverse("orders:sales-orders-create")).content.decode()

    assert "data-entry-grid" in page
    assert 'data-lookup="customer"' in page
    assert 'data-lookup="lines-0-item"' in page
    assert 'id="grid-row-template"' in page and "lines-__prefix__-item" in page
    assert "entry-grid.js" in page


@pytest.mark.django_db
def test_customer_type_ahead_costs_the_same_queries_for_one_match_as_for_twelve(
    clerk, django_assert_num_queries
):
    f.CustomerFactory(account_number="K10001", party=f.PartyFactory(name="Fjordkjøkken AS"))
    for _ in range(15):
        f.CustomerFactory(party=f.PartyFactory(name=f"Fjordbakeri {_} AS"))
    url = reverse("orders:entry-customers")
    with CaptureQueriesContext(connection) as for_one:
        by_number = clerk.get(url, {"q": "k1000"}).content.decode()

    with django_assert_num_queries(len(for_one.captured_queries)):
        by_name = clerk.get(url, {"q": "fjord"}).content.decode()

    assert "K10001 · Fjordkjøkken AS" in by_number
    assert by_name.count("data-pk=") == 12  # the first twelve


@pytest.mark.django_db
def test_item_type_ahead_finds_by_number_or_name_and_leaves_blocked_items_out(clerk):
    f.ItemFactory(item_number="CHAIR-01", name="Oak chair")
    f.ItemFactory(item_number="CHAIR-02", name="Old chair", blocked=True)
    url = reverse("orders:entry-items")

    by_number = clerk.get(url, {"q": "chair-"}).content.decode()
    by_name = clerk.get(url, {"q": "oak"}).content.decode()
    nothing = clerk.get(url, {"q": "table"}).content.decode()

    assert "CHAIR-01 · Oak chair" in by_number and "CHAIR-02" not in by_number
    assert "CHAIR-01" in by_name
    assert "Nothing matches" in nothing


@pytest.mark.django_db
def test_the_grid_prices_each_line_and_totals_the_document_with_its_tax(clerk):
    customer = f.CustomerFactory(default_warehouse=f.WarehouseFactory())
    chair = f.ItemFactory(base_sales_price=Decimal("100.0000"))
    table = f.ItemFactory(base_sales_price=Decimal("250.0000"))

    html = post_grid(
        clerk,
        grid(
            [{"item": chair.pk, "quantity": "3"}, {"item": table.pk, "quantity": "2"}],
            customer=customer,
        ),
    )

    # 3 x 100 + 2 x 250 = 800, tax 25 % = 200
    assert 'data-total="1000.00"' in html
    assert 'id="calc-lines-0-amount"' in html and "300.00" in html
    assert "500.00" in html
    assert "base price" in html


@pytest.mark.django_db
def test_the_grid_costs_the_same_queries_for_twenty_lines_as_for_one(
    clerk, django_assert_max_num_queries
):
    customer = f.CustomerFactory(default_warehouse=f.WarehouseFactory())
    items = [f.ItemFactory() for _ in range(20)]
    one = grid([{"item": items[0].pk, "quantity": "1"}], customer=customer)
    twenty = grid([{"item": item.pk, "quantity": "2"} for item in items], customer=customer)
    post_grid(clerk, one)

    with CaptureQueriesContext(connection) as for_one:
        post_grid(clerk, one)
    with django_assert_max_num_queries(len(for_one.captured_queries)):
        post_grid(clerk, twenty)


@pytest.mark.django_db
def test_a_typed_item_number_is_found_without_picking_it(clerk):
    customer = f.CustomerFactory(default_warehouse=f.WarehouseFactory())
    f.ItemFactory(item_number="LAMP-7", base_sales_price=Decimal("40.0000"))

    html = post_grid(
        clerk,
        grid([{"item": "", "item_lookup": "lamp-7", "quantity": "2"}], customer=customer),
    )

    assert 'data-total="100.00"' in html


@pytest.mark.django_db
def test_the_grid_warns_of_the_credit_limit_while_typing(clerk):
    customer = f.CustomerFactory(
        credit_limit=Decimal("500.00"), default_warehouse=f.WarehouseFactory()
    )
    item = f.ItemFactory(base_sales_price=Decimal("100.0000"))

    within = post_grid(clerk, grid([{"item": item.pk, "quantity": "5"}], customer=customer))
    over = post_grid(clerk, grid([{"item": item.pk, "quantity": "6"}], customer=customer))

    assert "Credit limit exceeded" not in within
    assert "Credit limit exceeded" in over and "500.00" in over


@pytest.mark.django_db
def test_the_grid_warns_of_a_stock_shortfall_with_the_date_available_to_promise(clerk):
    warehouse = f.WarehouseFactory()
    customer = f.CustomerFactory(default_warehouse=warehouse)
    item = f.ItemFactory()
    record_transaction(
        item=item,
        warehouse=warehouse,
        quantity=Decimal(4),
        status="received",
        source="test",
        source_id=1,
        reference="count",
    )
    arrives = timezone.localdate() + timedelta(days=9)
    record_transaction(
        item=item,
        warehouse=warehouse,
        quantity=Decimal(10),
        status="ordered",
        source="test",
        source_id=2,
        reference="PO1",
        on=arrives,
    )

    enough = post_grid(clerk, grid([{"item": item.pk, "quantity": "4"}], customer=customer))
    short = post_grid(clerk, grid([{"item": item.pk, "quantity": "6"}], customer=customer))

    assert "data-line-warning" not in enough
    assert "Only 4 pcs in OSL now" in short and arrives.isoformat() in short


@pytest.mark.django_db
def test_the_grid_says_in_plain_words_what_is_wrong_next_to_the_field(clerk):
    customer = f.CustomerFactory()  # no default warehouse
    item = f.ItemFactory()

    html = post_grid(
        clerk,
        grid(
            [
                {"item": item.pk, "quantity": "0"},
                {"item": "", "item_lookup": "nope", "quantity": "1"},
                {"item": item.pk, "quantity": "1"},
            ],
            customer=customer,
        ),
    )

    assert 'id="err-lines-0-quantity"' in html and "Enter a quantity above zero." in html
    assert "No item has the number or name “nope”." in html
    assert "Pick the warehouse: the customer has no default warehouse." in html
    assert "0.0001" not in html


@pytest.mark.django_db
def test_saving_takes_the_customers_warehouse_and_lead_time(clerk):
    warehouse = f.WarehouseFactory(code="BGO", name="Bergen")
    customer = f.CustomerFactory(default_warehouse=warehouse, shipping_lead_time_days=4)
    f.ItemFactory(item_number="LAMP-7")

    response = clerk.post(
        reverse("orders:sales-orders-create"),
        grid([{"item": "", "item_lookup": "LAMP-7", "quantity": "2"}], customer=customer),
    )

    assert response.status_code == 302
    order = SalesOrder.objects.get()
    assert order.lines.get().warehouse == warehouse
    assert order.requested_ship_date == timezone.localdate() + timedelta(days=4)


@pytest.mark.django_db
def test_a_refused_line_shows_the_reason_under_that_lines_field(clerk):
    customer = f.CustomerFactory()  # no default warehouse
    item = f.ItemFactory()
    rows = [
        {"item": item.pk, "warehouse": f.WarehouseFactory().pk, "quantity": "1"},
        {"item": item.pk, "quantity": "1"},
    ]

    response = clerk.post(reverse("orders:sales-orders-create"), grid(rows, customer=customer))

    assert response.status_code == 400
    row = response.context["lines"].forms[1]
    assert "no default warehouse" in " ".join(row.errors["warehouse"])
    assert not SalesOrder.objects.exists()


@pytest.mark.django_db
def test_a_zero_quantity_is_refused_in_plain_words(clerk):
    customer = f.CustomerFactory(default_warehouse=f.WarehouseFactory())
    rows = [{"item": f.ItemFactory().pk, "quantity": "0"}]

    response = clerk.post(reverse("orders:sales-orders-create"), grid(rows, customer=customer))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a quantity above zero." in page
    assert "greater than or equal" not in page


@pytest.mark.django_db
def test_the_edit_page_shows_the_orders_total_at_once(clerk, make_order):
    order = make_order(quantities=["3"])

    page = clerk.get(reverse("orders:sales-orders-update", args=[order.pk])).content.decode()

    assert 'data-total="375.00"' in page
    assert f"{order.lines.get().item.item_number} · " in page


@pytest.mark.django_db
def test_a_quotation_is_entered_in_the_same_grid(clerk):
    warehouse = f.WarehouseFactory()
    customer = f.CustomerFactory(default_warehouse=warehouse, shipping_lead_time_days=2)
    item = f.ItemFactory()
    data = {"party": customer.party.pk, **formset([{"item": item.pk, "quantity": "2"}])}

    page = clerk.get(reverse("orders:quotations-create")).content.decode()
    live = post_grid(clerk, data, kind="quotation")
    response = clerk.post(reverse("orders:quotations-create"), data)

    assert 'data-lookup="party"' in page
    assert 'data-total="250.00"' in live
    assert response.status_code == 302
    quotation = SalesQuotation.objects.get()
    assert quotation.lines.get().warehouse == warehouse
    assert quotation.requested_ship_date == timezone.localdate() + timedelta(days=2)


@pytest.mark.django_db
def test_a_prospects_quotation_is_priced_live_as_its_template_customer(clerk):
    f.CustomerTemplateFactory()
    prospect = f.ProspectFactory()
    rows = [{"item": f.ItemFactory().pk, "warehouse": f.WarehouseFactory().pk, "quantity": "2"}]

    html = post_grid(clerk, {"party": prospect.party.pk, **formset(rows)}, kind="quotation")

    assert 'data-total="250.00"' in html
    assert "Credit limit exceeded" not in html


@pytest.mark.django_db
def test_the_grid_prices_from_the_sales_agreement_and_warns_beyond_what_it_has_left(clerk):
    from agreements.services.sales_agreements import (
        sales_agreement_create,
        sales_agreement_make_effective,
    )

    customer = f.CustomerFactory(default_warehouse=f.WarehouseFactory())
    item = f.ItemFactory()
    agreement = sales_agreement_create(
        data={
            "customer": customer,
            "effective_date": timezone.localdate() - timedelta(days=1),
            "expiration_date": timezone.localdate() + timedelta(days=365),
            "commitment_type": "product_quantity",
            "lines": [
                {
                    "item": item,
                    "committed_quantity": Decimal("100"),
                    "unit_price": Decimal("80"),
                    "discount_percent": Decimal("0"),
                }
            ],
        },
        actor=None,
    )
    sales_agreement_make_effective(agreement=agreement, actor=None)

    within = post_grid(
        clerk,
        grid(
            [{"item": item.pk, "quantity": "100"}], customer=customer, sales_agreement=agreement.pk
        ),
    )
    beyond = post_grid(
        clerk,
        grid(
            [{"item": item.pk, "quantity": "101"}], customer=customer, sales_agreement=agreement.pk
        ),
    )

    assert "sales agreement" in within and "8000.00" in within
    assert "The sales agreement has" not in within
    assert "The sales agreement has 100 pcs of this item left; the order asks for 101." in beyond
