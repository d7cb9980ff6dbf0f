"""Order and quotation entry take their warehouse and requested ship date from the customer."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.models import SalesOrder, SalesQuotation
from orders.services.orders import sales_order_create, sales_order_line_add
from orders.services.quotations import QUOTATION_VALID_DAYS, quotation_create
from tests import factories as f


def customer_with(**defaults):
    return f.CustomerFactory(**defaults)


@pytest.mark.django_db
def test_a_line_without_a_warehouse_ships_from_the_customers_default_warehouse():
    warehouse = f.WarehouseFactory(code="BGO", name="Bergen")
    customer = customer_with(default_warehouse=warehouse)

    order = sales_order_create(
        data={
            "customer": customer,
            "requested_ship_date": timezone.localdate(),
            "lines": [{"item": f.ItemFactory(), "quantity": Decimal(2)}],
        },
        actor=None,
    )

    assert order.lines.get().warehouse == warehouse


@pytest.mark.django_db
def test_a_warehouse_given_on_the_line_wins_over_the_customers_default():
    customer = customer_with(default_warehouse=f.WarehouseFactory(code="BGO", name="Bergen"))
    oslo = f.WarehouseFactory()

    order = sales_order_create(
        data={
            "customer": customer,
            "requested_ship_date": timezone.localdate(),
            "lines": [{"item": f.ItemFactory(), "warehouse": oslo, "quantity": Decimal(2)}],
        },
        actor=None,
    )

    assert order.lines.get().warehouse == oslo


@pytest.mark.django_db
def test_a_line_without_a_warehouse_is_refused_when_the_customer_has_no_default():
    with pytest.raises(ValidationError) as refused:
        sales_order_create(
            data={
                "customer": customer_with(),
                "requested_ship_date": timezone.localdate(),
                "lines": [
                    {"item": f.ItemFactory(), "warehouse": f.WarehouseFactory(), "quantity": 1},
                    {"item": f.ItemFactory(), "quantity": Decimal(1)},
                ],
            },
            actor=None,
        )

    assert list(refused.value.message_dict) == ["lines[1].warehouse"]
    assert not SalesOrder.objects.exists()


@pytest.mark.django_db
def test_a_missing_requested_ship_date_is_today_plus_the_customers_lead_time():
    customer = customer_with(shipping_lead_time_days=5)

    order = sales_order_create(
        data={
            "customer": customer,
            "lines": [{"item": f.ItemFactory(), "warehouse": f.WarehouseFactory(), "quantity": 1}],
        },
        actor=None,
    )

    assert order.requested_ship_date == timezone.localdate() + timedelta(days=5)


@pytest.mark.django_db
def test_a_line_added_to_an_order_takes_the_customers_default_warehouse(make_order):
    order = make_order(quantities=["1"])
    warehouse = f.WarehouseFactory(code="TRD", name="Trondheim")
    order.customer.default_warehouse = warehouse
    order.customer.save(update_fields=["default_warehouse"])

    line = sales_order_line_add(
        order=SalesOrder.objects.get(pk=order.pk),
        data={"item": f.ItemFactory(), "quantity": Decimal(1)},
        actor=None,
    )

    assert line.warehouse_id == warehouse.pk


@pytest.mark.django_db
def test_a_quotation_takes_the_customers_warehouse_ship_date_and_a_default_expiry():
    warehouse = f.WarehouseFactory(code="BGO", name="Bergen")
    customer = customer_with(default_warehouse=warehouse, shipping_lead_time_days=3)

    quotation = quotation_create(
        data={"party": customer.party, "lines": [{"item": f.ItemFactory(), "quantity": 4}]},
        actor=None,
    )

    today = timezone.localdate()
    assert quotation.lines.get().warehouse == warehouse
    assert quotation.requested_ship_date == today + timedelta(days=3)
    assert quotation.expiry_date == today + timedelta(days=QUOTATION_VALID_DAYS)


@pytest.mark.django_db
def test_a_prospects_quotation_line_needs_its_warehouse():
    f.CustomerTemplateFactory()
    prospect = f.ProspectFactory()

    with pytest.raises(ValidationError) as refused:
        quotation_create(
            data={"party": prospect.party, "lines": [{"item": f.ItemFactory(), "quantity": 1}]},
            actor=None,
        )

    assert list(refused.value.message_dict) == ["lines[0].warehouse"]
    assert not SalesQuotation.objects.exists()


@pytest.mark.django_db
def test_the_api_takes_an_order_without_warehouse_or_ship_date_from_the_customers_defaults(
    manager_api,
):
    warehouse = f.WarehouseFactory(code="BGO", name="Bergen")
    customer = customer_with(default_warehouse=warehouse, shipping_lead_time_days=2)

    response = manager_api.post(
        "/api/v1/sales-orders/",
        {"customer": customer.pk, "lines": [{"item": f.ItemFactory().pk, "quantity": "2"}]},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["lines"][0]["warehouse"] == warehouse.pk
    expected = timezone.localdate() + timedelta(days=2)
    assert body["requested_ship_date"] == expected.isoformat()


@pytest.mark.django_db
def test_the_api_refuses_a_line_without_warehouse_naming_the_lines_warehouse(manager_api):
    response = manager_api.post(
        "/api/v1/sales-orders/",
        {"customer": customer_with().pk, "lines": [{"item": f.ItemFactory().pk, "quantity": "2"}]},
        format="json",
    )

    assert response.status_code == 400
    assert "lines[0].warehouse" in str(response.json())
    assert not SalesOrder.objects.exists()
