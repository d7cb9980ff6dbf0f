"""POST /api/v1/sales-orders/{id}/purchase/: a drop-shipment or special-order line is purchased
from its item's primary vendor (or the vendor given); refusals keep the services' codes."""

from decimal import Decimal

import pytest

from inventory.models import PurchaseOrder
from tests import factories as f


@pytest.fixture
def marked_order(make_order):
    def make(supply_type="drop_shipment", *, vendor=True):
        item = f.ItemFactory(primary_vendor=f.VendorFactory() if vendor else None)
        order = make_order(quantities=["5"], items=[item])
        line = order.lines.get()
        line.supply_type = supply_type
        line.save()
        return order, line

    return make


def purchase_url(order):
    return f"/api/v1/sales-orders/{order.pk}/purchase/"


@pytest.mark.django_db
def test_purchasing_a_drop_shipment_line_answers_its_purchase_order_with_201(
    manager_api, marked_order
):
    order, line = marked_order("drop_shipment")

    response = manager_api.post(purchase_url(order), {"order_line": line.pk}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["drop_shipment"] is True
    assert body["vendor"] == line.item.primary_vendor_id
    assert body["lines"][0]["sales_lines"] == [line.pk]
    assert Decimal(body["lines"][0]["quantity"]) == Decimal("5")
    sales_order = manager_api.get(f"/api/v1/sales-orders/{order.pk}/").json()
    assert sales_order["lines"][0]["purchase_line"] == body["lines"][0]["id"]


@pytest.mark.django_db
def test_a_special_order_is_purchased_from_the_vendor_given(manager_api, marked_order):
    order, line = marked_order("special_order", vendor=False)
    vendor = f.VendorFactory()

    response = manager_api.post(
        purchase_url(order), {"order_line": line.pk, "vendor": vendor.pk}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["vendor"], response.json()["drop_shipment"]) == (vendor.pk, False)


@pytest.mark.django_db
def test_an_item_without_primary_vendor_answers_409_no_vendor(manager_api, marked_order):
    order, line = marked_order("special_order", vendor=False)

    response = manager_api.post(purchase_url(order), {"order_line": line.pk}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "no_vendor")
    assert not PurchaseOrder.objects.exists()


@pytest.mark.django_db
def test_a_line_from_stock_is_not_purchased(manager_api, marked_order):
    order, line = marked_order("stock")

    response = manager_api.post(purchase_url(order), {"order_line": line.pk}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "line_from_stock")


@pytest.mark.django_db
def test_a_line_is_purchased_once(manager_api, marked_order):
    order, line = marked_order("drop_shipment")
    manager_api.post(purchase_url(order), {"order_line": line.pk}, format="json")

    again = manager_api.post(purchase_url(order), {"order_line": line.pk}, format="json")

    assert (again.status_code, again.json()["code"]) == (409, "line_purchased")
    assert PurchaseOrder.objects.count() == 1


@pytest.mark.django_db
def test_a_line_of_another_sales_order_is_refused_naming_the_field(manager_api, marked_order):
    order, _line = marked_order("drop_shipment")
    _other, other_line = marked_order("drop_shipment")

    response = manager_api.post(purchase_url(order), {"order_line": other_line.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "line_not_on_order"
    assert "order_line" in response.json()["errors"]
    assert not PurchaseOrder.objects.exists()


@pytest.mark.django_db
def test_purchasing_needs_the_permission_to_add_purchase_orders(api_as, marked_order):
    order, line = marked_order("drop_shipment")

    refused = api_as("accountant").post(purchase_url(order), {"order_line": line.pk}, format="json")
    clerk = api_as("sales clerk").post(purchase_url(order), {"order_line": line.pk}, format="json")

    assert refused.status_code == 403
    assert clerk.status_code == 201


@pytest.mark.django_db
def test_the_supply_of_a_line_is_set_through_the_sales_order_api(manager_api):
    response = manager_api.post(
        "/api/v1/sales-orders/",
        {
            "customer": f.CustomerFactory().pk,
            "requested_ship_date": "2026-12-01",
            "lines": [
                {
                    "item": f.ItemFactory().pk,
                    "warehouse": f.WarehouseFactory().pk,
                    "quantity": "2",
                    "supply_type": "special_order",
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    line = response.json()["lines"][0]
    assert (line["supply_type"], line["purchase_line"]) == ("special_order", None)
