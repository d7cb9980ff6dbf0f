"""The seed's flow through the API, as an integrator runs it: order 10 -> packing slip 4 ->
invoice -> packing slip 6 -> invoice -> order invoiced; and one invoice from both slips."""

import pytest

from tests import factories as f


@pytest.fixture
def clerks(api_as):
    return api_as("sales manager"), api_as("accountant")


def order_of_10(sales):
    customer, warehouse, item = f.CustomerFactory(), f.WarehouseFactory(), f.ItemFactory()
    order = sales.post(
        "/api/v1/sales-orders/",
        {
            "customer": customer.pk,
            "requested_ship_date": "2026-12-01",
            "lines": [{"item": item.pk, "warehouse": warehouse.pk, "quantity": "10"}],
        },
        format="json",
    ).json()
    return order["id"], order["lines"][0]["id"]


def ship(sales, order, line, quantity):
    response = sales.post(
        "/api/v1/packing-slips/",
        {"order": order, "lines": [{"order_line": line, "quantity": quantity}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def post(accounting, invoice):
    response = accounting.post(f"/api/v1/invoices/{invoice['id']}/post/")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_the_seeds_flow_invoices_each_delivery_and_ends_invoiced(clerks, accounts):
    sales, accounting = clerks
    order, line = order_of_10(sales)

    ship(sales, order, line, "4")
    first = post(accounting, sales.post("/api/v1/invoices/from-order/", {"order": order}).json())
    ship(sales, order, line, "6")
    second = post(accounting, sales.post("/api/v1/invoices/from-order/", {"order": order}).json())

    assert [first["lines"][0]["quantity"], second["lines"][0]["quantity"]] == [
        "4.0000",
        "6.0000",
    ]
    assert (first["number"], second["number"]) == ("INV000001", "INV000002")
    assert sales.get(f"/api/v1/sales-orders/{order}/").json()["status"] == "invoiced"


@pytest.mark.django_db
def test_the_seeds_flow_with_one_invoice_from_both_packing_slips(clerks, accounts):
    sales, accounting = clerks
    order, line = order_of_10(sales)
    slips = [ship(sales, order, line, "4"), ship(sales, order, line, "6")]

    drafted = sales.post(
        "/api/v1/invoices/from-packing-slips/", {"packing_slips": slips}, format="json"
    )
    posted = post(accounting, drafted.json())
    again = sales.post(
        "/api/v1/invoices/from-packing-slips/", {"packing_slips": slips}, format="json"
    )

    assert drafted.status_code == 201
    assert [row["quantity"] for row in posted["lines"]] == ["4.0000", "6.0000"]
    assert sales.get(f"/api/v1/sales-orders/{order}/").json()["status"] == "invoiced"
    assert again.status_code == 409 and again.json()["code"] == "packing_slip_invoiced"
